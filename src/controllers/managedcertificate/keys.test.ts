// The key for a new revision: persisted before its CSR leaves, with as few requests as that allows
// (issue 13), and never replacing a key already stored for the revision.
import { describe, expect, it } from "vitest";
import { generateKey } from "../../pki/keys.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { core } from "../../runtime/kube/resource.ts";
import { digestOwnedSecret, OWNED_SECRET_SELECTOR, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { desiredKeySecret, keyForRevision, keySecretCurrent, keySecretName, publicKeySha256 } from "./keys.ts";
import { certificateFixture } from "./testing.ts";

const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" };
const spec = certificateFixture().ctx.mc.spec;
const signal = new AbortController().signal;

/** The owned-Secret cache as the operator keeps it (digested, no data), optionally held behind the store. */
function world() {
  const api = new FakeKubeApi();
  const secrets = api.cache<Secret>(core.secrets, { labelSelector: OWNED_SECRET_SELECTOR, transform: (s) => digestOwnedSecret(s, new Map()) });
  const calls = () => api.calls.filter((c) => c.plural === "secrets").map((c) => c.method);
  const stored = () => api.peek<Secret>(core.secrets, "ns", keySecretName("web"));
  return { api, secrets, io: { client: api, secrets }, calls, stored };
}

describe("keyForRevision", () => {
  it("a new resource: one create, no read", async () => {
    const w = world();
    const out = await keyForRevision(w.io, owner, spec, 1, undefined, signal);
    expect("key" in out && out.storedEarlier).toBeUndefined();
    expect(w.calls()).toEqual(["create"]);
    expect(w.stored()?.metadata.annotations?.["certbridge.dev/revision"]).toBe("1");
  });

  it("a cache behind a key already stored for the revision (a crash after it was written): that key is used, never replaced", async () => {
    const w = world();
    w.secrets.hold();
    const earlier = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    await w.api.create(core.secrets, desiredKeySecret(owner, earlier, 1));
    const before = w.stored()?.metadata.resourceVersion;
    const out = await keyForRevision(w.io, owner, spec, 1, undefined, signal);
    expect("key" in out && publicKeySha256(out.key)).toBe(publicKeySha256(earlier));
    // Stored by an earlier pass: request.ts looks up what that pass may have ordered with it.
    expect("key" in out && out.storedEarlier).toBe(true);
    expect(w.stored()?.metadata.resourceVersion).toBe(before);
    expect(w.calls()).toEqual(["create", "create", "get"]);
  });

  it("what the key's orders are found by is stored with it, and read back when a later pass finds the key", async () => {
    const w = world();
    w.secrets.hold();
    const orderedAs = { spec: "0123456789abcdef", lookupName: "web.example.com" };
    await keyForRevision(w.io, owner, spec, 1, undefined, signal, orderedAs);
    const again = await keyForRevision(w.io, owner, spec, 1, undefined, signal, { spec: "fedcba9876543210" });
    expect(again).toMatchObject({ storedEarlier: true, orderedAs });
  });

  it("a foreign Secret under the key Secret's name: conflict, left untouched", async () => {
    const w = world();
    await w.api.create(core.secrets, { metadata: { name: keySecretName("web"), namespace: "ns" }, data: { mine: "eA==" } } as Secret);
    expect(await keyForRevision(w.io, owner, spec, 1, undefined, signal)).toEqual({ conflict: true });
    expect(w.stored()?.data).toEqual({ mine: "eA==" });
  });

  it("a cached key Secret of an earlier revision (every renewal): replaced with no read first, guarded by the cached copy", async () => {
    const w = world();
    const earlier = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    await w.api.create(core.secrets, desiredKeySecret(owner, earlier, 1));
    const out = await keyForRevision(w.io, owner, spec, 2, undefined, signal);
    expect("key" in out && publicKeySha256(out.key)).not.toBe(publicKeySha256(earlier));
    expect(w.stored()?.metadata.annotations?.["certbridge.dev/revision"]).toBe("2");
    expect(w.calls()).toEqual(["create", "apply"]);
  });

  it("a cache showing the earlier revision while this revision's key is stored (a crash after it was written): the guard fails, that key is used, never replaced", async () => {
    const w = world();
    const earlier = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    await w.api.create(core.secrets, desiredKeySecret(owner, earlier, 1));
    w.secrets.hold();
    const stored = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    await w.api.apply(core.secrets, desiredKeySecret(owner, stored, 2), { force: true });
    const before = w.stored()?.metadata.resourceVersion;
    const out = await keyForRevision(w.io, owner, spec, 2, undefined, signal);
    expect("key" in out && publicKeySha256(out.key)).toBe(publicKeySha256(stored));
    expect(w.stored()?.metadata.resourceVersion).toBe(before);
    expect(w.calls()).toEqual(["create", "apply", "apply", "get"]);
  });
});

describe("keySecretCurrent on the digested cache", () => {
  it("holds the revision's key: annotation and a non-empty tls.key, judged without the data", async () => {
    const w = world();
    const key = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    await w.api.create(core.secrets, desiredKeySecret(owner, key, 3));
    const cached = w.secrets.get(`ns/${keySecretName("web")}`);
    expect(cached?.data).toBeUndefined();
    expect(keySecretCurrent(cached, owner, 3)).toBe(true);
    expect(keySecretCurrent(cached, owner, 4)).toBe(false);
  });
});
