// The Cloudflare CertificateAuthority against the simulator: issued at once, found again by CSR or
// by key after a lost answer, revoke idempotent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { CertificateOrder } from "../../ports/certificate-authority.ts";
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
  ca = new CloudflareCertificateAuthority(new CloudflareClient({ zoneId: sim.credentials.zoneId, auth: { kind: "apiToken", token: sim.credentials.apiToken }, baseUrl: sim.apiBaseUrl, maxAttempts: 2 }));
});
afterAll(() => sim.close());
afterEach(() => sim.reset());

async function orderFor(commonName: string, key?: KeyObject, extra: Partial<CertificateOrder> = {}): Promise<{ order: CertificateOrder; key: KeyObject }> {
  const k = key ?? (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey;
  const csrPem = await createCsr({ privateKey: k, subject: { commonName } });
  const spki = createHash("sha256").update(createPublicKey(k).export({ type: "spki", format: "der" })).digest("hex");
  return {
    key: k,
    order: {
      owner: { uid: "0b1c2d3e-0000-4000-8000-000000000001", namespace: "ns", name: commonName, revision: 1 },
      csrPem, publicKeySha256: spki, commonName, dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], lifetimeDays: 30,
      vendorOptions: {},
      ...extra,
    },
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
    { how: "a new CSR for the same key", sameCsr: false, reason: "ECDSA CSRs differ on every signing; the SKI of the key still matches" },
  ])("find recovers a lost answer by $how ($reason)", async ({ sameCsr }) => {
    const { order, key } = await orderFor("device-2");
    const out = await ca.submit(order, signal);
    const again = sameCsr ? order : (await orderFor("device-2", key)).order;
    expect(await ca.find(again, signal)).toBe(out.vendorRef);
  });

  it("find returns nothing for a key that was never ordered", async () => {
    await ca.submit((await orderFor("other")).order, signal);
    expect(await ca.find((await orderFor("device-3")).order, signal)).toBeUndefined();
  });

  it("revoke is idempotent, and a revoked certificate is no longer collectable", async () => {
    const { order } = await orderFor("device-4");
    const out = await ca.submit(order, signal);
    await ca.revoke(out.vendorRef, "superseded", signal);
    await ca.revoke(out.vendorRef, "superseded", signal);
    await expect(ca.collect(out.vendorRef, order, signal)).rejects.toBeInstanceOf(VendorError);
    expect((sim.state() as { revocations: number }).revocations).toBe(1);
  });
});
