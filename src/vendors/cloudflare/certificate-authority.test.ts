// The Cloudflare CertificateAuthority against the simulator: issued at once, found again by what the
// intent asked for (not just its key) after a lost answer, revoke and cancel idempotent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { submitMayHavePlaced, type CertificateOrder, type OrderIntent } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { keyMatchesCertificate, verifyChain } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { startCloudflareSimulator, type CloudflareSimulator } from "../../sim/cloudflare/index.ts";
import { CloudflareCertificateAuthority } from "./certificate-authority.ts";
import { CloudflareClient } from "./client.ts";

let sim: CloudflareSimulator;
let ca: CloudflareCertificateAuthority;
const signal = new AbortController().signal;

beforeAll(async () => {
  sim = await startCloudflareSimulator({ transitionDelayMs: 0 });
  ca = new CloudflareCertificateAuthority(
    new CloudflareClient({
      zoneId: sim.credentials.zoneId,
      auth: { kind: "apiToken", token: sim.credentials.apiToken },
      baseUrl: sim.apiBaseUrl,
      maxAttempts: 2,
    }),
  );
});
afterAll(() => sim.close());
afterEach(() => sim.reset());

async function orderFor(commonName: string, key?: KeyObject, extra: Partial<CertificateOrder> = {}): Promise<{ order: CertificateOrder; key: KeyObject }> {
  const k = key ?? (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
  const csrPem = await createCsr({ privateKey: k, subject: { commonName } });
  const spki = createHash("sha256")
    .update(createPublicKey(k).export({ type: "spki", format: "der" }))
    .digest("hex");
  return {
    key: k,
    order: {
      owner: { uid: "0b1c2d3e-0000-4000-8000-000000000001", namespace: "ns", name: commonName, revision: 1 },
      csrPem,
      publicKeySha256: spki,
      commonName,
      dnsNames: [],
      ipAddresses: [],
      emailAddresses: [],
      uris: [],
      lifetimeDays: 30,
      vendorOptions: { vendor: "cloudflare", options: {} },
      ...extra,
    },
  };
}

/** The intent of `order`, recorded `recordedAt` (default: just now, before anything was sent). */
async function intentOf(order: CertificateOrder, extra: Partial<OrderIntent> = {}): Promise<OrderIntent> {
  return {
    owner: order.owner,
    specHash: "0123456789abcdef",
    publicKeySha256: order.publicKeySha256,
    fingerprint: await ca.fingerprint(order),
    vendorOptions: order.vendorOptions,
    recordedAt: new Date(Date.now() - 1000),
    knownVendorRefs: [],
    ...extra,
  };
}

const ordersIn = () => (sim.state() as { objects: { client_certificate: number } }).objects.client_certificate;

describe("CloudflareCertificateAuthority", () => {
  it("submit issues at once: the leaf belongs to our key and chains to the sim CA", async () => {
    const { order, key } = await orderFor("device-1");
    const out = await ca.submit(order, signal);
    expect(out.state).toBe("issued");
    if (out.state !== "issued") return;
    expect(keyMatchesCertificate(key, out.chainPem)).toBe(true);
    expect(verifyChain(out.chainPem, sim.ca.intermediate.certPem, sim.ca.root.certPem)).toMatchObject({ ok: true });
    const again = await ca.collect(out.vendorRef, order, signal);
    expect(again).toMatchObject({ state: "issued", vendorRef: out.vendorRef });
    expect(ordersIn()).toBe(1);
  });

  it.each([
    { how: "the same CSR", sameCsr: true, reason: "Cloudflare echoes the CSR we sent" },
    { how: "a new CSR for the same key and names", sameCsr: false, reason: "ECDSA CSRs differ on every signing; what they ask for does not" },
  ])("findOrders recovers a lost answer by $how ($reason)", async ({ sameCsr }) => {
    const { order, key } = await orderFor("device-2");
    const intent = await intentOf(order);
    const out = await ca.submit(order, signal);
    const again = sameCsr ? order : (await orderFor("device-2", key)).order;
    expect(await ca.findOrders(await intentOf(again, { recordedAt: intent.recordedAt }), signal)).toEqual([
      { vendorRef: out.vendorRef, state: "issued", placedAt: expect.any(Date) },
    ]);
  });

  it.each([
    { why: "a key that was never ordered", vary: async () => (await orderFor("device-3")).order, extra: {} },
    {
      why: "the same key asking for another name (the previous spec under rotationPolicy Never)",
      vary: async (k: KeyObject) => (await orderFor("renamed", k)).order,
      extra: {},
    },
    { why: "the same key and name for another validity", vary: async (k: KeyObject) => (await orderFor("device-3", k, { lifetimeDays: 90 })).order, extra: {} },
  ])("findOrders does not mistake $why for the intent", async ({ vary }) => {
    const { order, key } = await orderFor("device-3");
    await ca.submit(order, signal);
    expect(await ca.findOrders(await intentOf(await vary(key)), signal)).toEqual([]);
  });

  it("findOrders leaves out what was issued before the intent was recorded and what the resource already knows", async () => {
    // rotationPolicy Never: the same key and names for revision 1 and 2; only revision 2's order is its.
    const { order, key } = await orderFor("device-5");
    const first = await ca.submit(order, signal);
    const again = (await orderFor("device-5", key)).order;
    const later = await intentOf(again, { recordedAt: new Date(Date.now() + 5 * 60_000) });
    expect(await ca.findOrders(later, signal)).toEqual([]);
    expect(await ca.findOrders(await intentOf(again, { knownVendorRefs: [first.vendorRef] }), signal)).toEqual([]);
    const second = await ca.submit(again, signal);
    expect((await ca.findOrders(await intentOf(again, { knownVendorRefs: [first.vendorRef] }), signal)).map((f) => f.vendorRef)).toEqual([second.vendorRef]);
  });

  it("revoke is idempotent, and a revoked certificate collects as a failed order (the vendor's explicit verdict)", async () => {
    const { order } = await orderFor("device-4");
    const out = await ca.submit(order, signal);
    await ca.revoke(out.vendorRef, "superseded", signal);
    await ca.revoke(out.vendorRef, "superseded", signal);
    expect(await ca.collect(out.vendorRef, order, signal)).toMatchObject({ state: "failed", vendorRef: out.vendorRef });
    expect((sim.state() as { revocations: number }).revocations).toBe(1);
    expect(await ca.findOrders(await intentOf(order, { recordedAt: new Date(Date.now() - 60_000) }), signal)).toEqual([
      { vendorRef: out.vendorRef, state: "failed", placedAt: expect.any(Date) },
    ]);
  });

  it("cancel revokes an issued certificate; cancelling again or an unknown id is done too", async () => {
    const { order } = await orderFor("device-6");
    const out = await ca.submit(order, signal);
    expect(await ca.cancel(out.vendorRef, signal)).toEqual({ done: true, how: "revoked" });
    expect(await ca.cancel(out.vendorRef, signal)).toEqual({ done: true, how: "alreadyFinal" });
    expect(await ca.cancel("0".repeat(32), signal)).toEqual({ done: true, how: "gone" });
    expect((sim.state() as { revocations: number }).revocations).toBe(1);
  });

  it("a rejected create placed nothing; a lost answer may have (submitMayHavePlaced)", async () => {
    const { order } = await orderFor("device-7");
    sim.faults.set({ pathPattern: "^POST ", fail5xxRate: 1, count: 1 });
    const e503 = await ca.submit(order, signal).catch((e: unknown) => e);
    expect(submitMayHavePlaced(e503)).toBe(true);
    const bad = await ca.submit({ ...order, csrPem: "not a csr" }, signal).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(VendorError);
    expect(submitMayHavePlaced(bad)).toBe(false);
  });
});
