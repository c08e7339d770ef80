// The key of an issuance in flight (keyOfIntent): only the key the intent recorded is ever used, and
// where the key Secret lost it, the TLS Secret's copy is written back (FINDINGS F4).
import type { KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { exportPrivateKeyPem, generateKey } from "../../pki/keys.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { core } from "../../runtime/kube/resource.ts";
import { buildOwnedSecret, digestOwnedSecret, OWNED_SECRET_SELECTOR, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { keyOfIntent } from "./key-repair.ts";
import { desiredKeySecret, keySecretName, publicKeySha256 } from "./keys.ts";

const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" };
const signal = new AbortController().signal;
const newKey = async () => (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;

/** The owned-Secret cache as the operator keeps it (digested, no data). */
function world() {
  const api = new FakeKubeApi();
  const secrets = api.cache<Secret>(core.secrets, { labelSelector: OWNED_SECRET_SELECTOR, transform: (s) => digestOwnedSecret(s, new Map()) });
  const writes = () => api.calls.filter((c) => c.plural === "secrets" && c.method !== "get").length;
  const keySecret = () => api.peek<Secret>(core.secrets, "ns", keySecretName("web"));
  return { api, io: { client: api, secrets }, writes, keySecret };
}

/** The TLS Secret an issuance wrote: only its key matters here. */
function tlsSecret(key: KeyObject, by: SecretOwner = owner): Secret {
  return buildOwnedSecret(by, {
    name: "web-tls",
    type: "kubernetes.io/tls",
    data: { "tls.crt": "", "tls.key": Buffer.from(exportPrivateKeyPem(key, "PKCS8")).toString("base64") },
    ownerReference: false,
  });
}

describe("keyOfIntent", () => {
  it("the key Secret holds the intent's key: that key, nothing written", async () => {
    const w = world();
    const key = await newKey();
    await w.api.create(core.secrets, desiredKeySecret(owner, key, 1));
    const before = w.writes();
    const got = await keyOfIntent(w.io, owner, "web-tls", { revision: 1, publicKeySha256: publicKeySha256(key) }, signal);
    expect(got && publicKeySha256(got)).toBe(publicKeySha256(key));
    expect(w.writes()).toBe(before);
  });

  it("the key Secret was deleted and another key stored for the revision; the TLS Secret holds the intent's key: written back and used", async () => {
    const w = world();
    const intentKey = await newKey();
    await w.api.create(core.secrets, tlsSecret(intentKey));
    await w.api.create(core.secrets, desiredKeySecret(owner, await newKey(), 1));
    const got = await keyOfIntent(w.io, owner, "web-tls", { revision: 1, publicKeySha256: publicKeySha256(intentKey) }, signal);
    expect(got && publicKeySha256(got)).toBe(publicKeySha256(intentKey));
    expect(w.keySecret()?.metadata.annotations?.["certbridge.dev/revision"]).toBe("1");
    expect(Buffer.from(w.keySecret()?.data?.["tls.key"] ?? "", "base64").toString()).toBe(exportPrivateKeyPem(intentKey, "PKCS8"));
  });

  it("the key Secret is gone and the TLS Secret holds it: written back (created)", async () => {
    const w = world();
    const intentKey = await newKey();
    await w.api.create(core.secrets, tlsSecret(intentKey));
    const got = await keyOfIntent(w.io, owner, "web-tls", { revision: 1, publicKeySha256: publicKeySha256(intentKey) }, signal);
    expect(got && publicKeySha256(got)).toBe(publicKeySha256(intentKey));
    expect(w.keySecret()).toBeDefined();
  });

  // Each row: the key is lost (undefined) and the key Secret stays as it was.
  const lost: ReadonlyArray<{ readonly why: string; readonly arrange: (w: ReturnType<typeof world>, intentKey: KeyObject) => Promise<void> }> = [
    {
      why: "another key for the revision and no TLS Secret: the intent cannot go on with it",
      arrange: async (w) => void (await w.api.create(core.secrets, desiredKeySecret(owner, await newKey(), 1))),
    },
    {
      why: "the TLS Secret holds another key (an earlier certificate's)",
      arrange: async (w) => {
        await w.api.create(core.secrets, tlsSecret(await newKey()));
        await w.api.create(core.secrets, desiredKeySecret(owner, await newKey(), 1));
      },
    },
    {
      why: "the TLS Secret holding the key is not ours: never read from",
      arrange: async (w, intentKey) => {
        await w.api.create(core.secrets, tlsSecret(intentKey, { ...owner, uid: "someone-else" }));
      },
    },
    {
      why: "the key Secret holds a later revision: this intent was read from a stale copy of the object, and that key is never replaced",
      arrange: async (w, intentKey) => {
        await w.api.create(core.secrets, tlsSecret(intentKey));
        await w.api.create(core.secrets, desiredKeySecret(owner, await newKey(), 2));
      },
    },
  ];
  for (const row of lost) {
    it(`lost: ${row.why}`, async () => {
      const w = world();
      const intentKey = await newKey();
      await row.arrange(w, intentKey);
      const before = w.keySecret()?.metadata.resourceVersion;
      expect(await keyOfIntent(w.io, owner, "web-tls", { revision: 1, publicKeySha256: publicKeySha256(intentKey) }, signal)).toBeUndefined();
      expect(w.keySecret()?.metadata.resourceVersion).toBe(before);
    });
  }
});
