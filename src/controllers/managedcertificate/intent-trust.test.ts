// A hand-written order-intent annotation never reaches another tenant's certificate (intent-trust.ts):
// the reconciler acts on an annotation intent only when the resource holds the private key it names.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { generateKey, publicKeyOf } from "../../pki/keys.ts";
import type { SecretOwner } from "../shared/owned-secret.ts";
import { ORDER_INTENT_ANNOTATION, recordAsRead } from "./intent.ts";
import { desiredKeySecret, publicKeySha256 } from "./keys.ts";
import { sealOf } from "./intent-seal.ts";
import { connection, ctx, fakeCa, setup } from "./test-support.ts";

const spkiSha256 = (key: Parameters<typeof publicKeyOf>[0]) =>
  createHash("sha256")
    .update(publicKeyOf(key).export({ type: "spki", format: "der" }))
    .digest("hex");

/** The victim's public key hash (anyone can read it off the victim's certificate) and the vendor holding the victim's order. */
async function world(opts: { deleting: boolean }) {
  const ca = await createTestCa({ name: "unit" });
  const victimKey = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
  const victimHash = spkiSha256(victimKey);
  const fake = fakeCa(ca, {
    findOrders: async (intent) => {
      fake.calls.push(`find ${intent.publicKeySha256 === victimHash ? "victim" : "own"}`);
      return intent.publicKeySha256 === victimHash ? [{ vendorRef: "victim-1", state: "issued" }] : [];
    },
    collect: async (ref) => {
      fake.calls.push(`collect ${ref}`);
      throw new Error("not expected");
    },
  });
  const { cluster, reconciler } = setup(fake.impl);
  const obj = cluster.certs.get("ns/web")!;
  const record = {
    revision: 1,
    state: "OutcomeUnknown",
    startedTime: "2026-01-01T00:00:00Z",
    publicKeySha256: victimHash,
    marker: "uid=0000-web rev=1 spec=0123456789abcdef",
    submits: 1,
    submittedTime: "2026-01-01T00:00:00Z",
    settleDeadline: "2026-01-01T00:03:00Z",
    unknownOutcomes: 1,
    pollCount: 0,
  };
  cluster.certs.set("ns/web", {
    ...obj,
    metadata: {
      ...obj.metadata,
      finalizers: ["certbridge.dev/cleanup"],
      annotations: { [ORDER_INTENT_ANNOTATION]: JSON.stringify({ id: "forged", order: record }) },
      ...(opts.deleting ? { deletionTimestamp: "2026-01-01T00:00:10Z" } : {}),
    },
  });
  return { cluster, reconciler, fake, victimHash };
}

describe("an order-intent annotation naming a key the resource does not hold", () => {
  it("deleting: the victim's certificate is neither looked up nor cancelled; the annotation is marked dead", async () => {
    const { cluster, reconciler, fake } = await world({ deleting: true });
    await reconciler.reconcile(ctx, "ns/web");
    expect(fake.calls.filter((c) => c !== "find own")).toEqual([]);
    expect(cluster.certs.get("ns/web")?.status?.orderIntentTaken).toBe("forged");
  });

  it("live: ignored, and the resource's own first order is placed with its own key", async () => {
    const { cluster, reconciler, fake } = await world({ deleting: false });
    await reconciler.reconcile(ctx, "ns/web");
    expect(fake.calls).not.toContain("find victim");
    expect(fake.calls.some((c) => c.includes("victim"))).toBe(false);
    expect(fake.calls).toContain("submit");
    expect(cluster.certs.get("ns/web")?.status?.orderIntentTaken).toBe("forged");
  });

  it("the resource's own key in its key Secret: the annotation intent is acted on (looked up)", async () => {
    const { cluster, reconciler, fake } = await world({ deleting: false });
    const own = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    const obj = cluster.certs.get("ns/web")!;
    const stored = JSON.parse(obj.metadata.annotations![ORDER_INTENT_ANNOTATION]!) as { id: string; order: Record<string, unknown> };
    stored.order["publicKeySha256"] = publicKeySha256(own);
    obj.metadata.annotations![ORDER_INTENT_ANNOTATION] = JSON.stringify(stored);
    const owner: SecretOwner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" };
    cluster.secrets.set("ns/web-certbridge-key", {
      ...desiredKeySecret(owner, own, 1),
      metadata: { ...desiredKeySecret(owner, own, 1).metadata, resourceVersion: "5" },
    });
    await reconciler.reconcile(ctx, "ns/web");
    // Acted on: looked up with the resource's own key (nothing found, its deadline past; its marker names
    // another spec, so it is abandoned rather than sent, and its sweep recorded).
    expect(fake.calls).toEqual(["find own"]);
    expect(cluster.certs.get("ns/web")?.status?.orderSweeps?.[0]?.publicKeySha256).toBe(publicKeySha256(own));
  });

  it("sealed by the connection, its key Secret deleted since (a foreground-cascading delete): still the operator's — its order is found and cancelled", async () => {
    const ca = await createTestCa({ name: "unit" });
    const own = (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
    const ownHash = spkiSha256(own);
    const fake = fakeCa(ca, {
      findOrders: async (intent) => {
        fake.calls.push(`find ${intent.publicKeySha256 === ownHash ? "own" : "other"}`);
        return intent.publicKeySha256 === ownHash ? [{ vendorRef: "own-1", state: "issued" }] : [];
      },
      cancel: async (ref) => {
        fake.calls.push(`cancel ${ref}`);
        return { done: true, how: "revoked" };
      },
    });
    const credentials = { apiToken: "shared-connection-token" };
    const { cluster, reconciler } = setup(fake.impl, {}, { connections: { resolve: async () => ({ ok: true, connection: { ...connection, credentials } }) } });
    const record = {
      revision: 1,
      state: "Submitting" as const,
      startedTime: "2026-01-01T00:00:00Z",
      publicKeySha256: ownHash,
      marker: "uid=0000-web rev=1 spec=0123456789abcdef",
      submits: 1,
      submittedTime: "2026-01-01T00:00:00Z",
      settleDeadline: "2026-01-01T00:03:00Z",
      pollCount: 0,
    };
    const obj = cluster.certs.get("ns/web")!;
    const seal = sealOf(credentials, "0000-web", recordAsRead(record));
    cluster.certs.set("ns/web", {
      ...obj,
      metadata: {
        ...obj.metadata,
        finalizers: ["certbridge.dev/cleanup"],
        annotations: { [ORDER_INTENT_ANNOTATION]: JSON.stringify({ id: "ours", order: record, seal }) },
        deletionTimestamp: "2026-01-01T00:00:10Z",
      },
    });
    await reconciler.reconcile(ctx, "ns/web");
    expect(fake.calls).toEqual(["find own", "cancel own-1"]);
  });
});
