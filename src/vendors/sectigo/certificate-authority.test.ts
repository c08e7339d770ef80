// The Sectigo CertificateAuthority against the simulated SCM: enroll → pending → issued per family,
// approval surfaces as AwaitingApproval, findOrders by marker (UID, revision, spec) after a lost
// answer, only a final order status is a failed order, cancel declines or revokes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KeyObject } from "node:crypto";
import { lookupNameOf, submitMayHavePlaced, type CertificateOrder, type OrderIntent } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { keyMatchesCertificate, verifyChain } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { splitCertificates } from "../../pki/pem.ts";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, SEED } from "../../sim/sectigo/testing.ts";
import { SectigoCertificateAuthority, parseVendorRef, pickTerm } from "./certificate-authority.ts";

let sim: SectigoSimulator;
let ca: SectigoCertificateAuthority;
const signal = new AbortController().signal;
const UID = "6f1c2d3e-0000-4000-8000-00000000abcd";
const SPEC = "0123456789abcdef0123";

function intentOf(order: CertificateOrder, extra: Partial<OrderIntent> = {}): OrderIntent {
  return {
    owner: order.owner,
    specHash: SPEC.slice(0, 16),
    publicKeySha256: order.publicKeySha256,
    vendorOptions: order.vendorOptions,
    lookupName: lookupNameOf(order),
    recordedAt: new Date(0),
    knownVendorRefs: [],
    ...extra,
  };
}

beforeAll(async () => {
  sim = await startSectigoSimulator();
  ca = new SectigoCertificateAuthority({ client: clientFor(sim), orgId: SEED.orgId });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const families = {
  ssl: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
  client: { type: "Client", profile: { id: SEED.smimeProfile }, person: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" } },
  device: { type: "Device", profile: { id: SEED.deviceProfile }, customFields: SEED.deviceCustomFields },
} as const;

async function orderFor(family: keyof typeof families, revision = 1): Promise<{ order: CertificateOrder; key: KeyObject }> {
  const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
  const cn = family === "client" ? "Ada Lovelace" : `${family}.example.com`;
  const dnsNames = family === "client" ? [] : [`${family}.example.com`];
  const emailAddresses = family === "client" ? ["ada@example.com"] : [];
  const csrPem = await createCsr({ privateKey, subject: { commonName: cn }, sans: { dnsNames, emailAddresses } });
  return {
    key: privateKey,
    order: {
      owner: { uid: UID, namespace: "ns", name: family, revision, specHash: SPEC },
      csrPem,
      publicKeySha256: "0".repeat(64),
      commonName: cn,
      dnsNames,
      ipAddresses: [],
      emailAddresses,
      uris: [],
      lifetimeDays: 90,
      vendorOptions: { vendor: "sectigo", options: families[family] },
    },
  };
}

describe("SectigoCertificateAuthority", () => {
  it.each(["ssl", "client", "device"] as const)("%s: submit → pending(vendorRef) → collect issued, leaf first, root as caPem", async (family) => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const { order, key } = await orderFor(family);
    const placed = await ca.submit(order, signal);
    expect(placed).toMatchObject({ state: "pending", reason: "Pending" });
    expect(parseVendorRef(placed.vendorRef).family).toBe(family);
    expect(await ca.collect(placed.vendorRef, order, signal)).toMatchObject({ state: "pending", reason: "Pending" });
    const out = await ca.collect(placed.vendorRef, order, signal);
    expect(out.state).toBe("issued");
    if (out.state !== "issued") return;
    const [leaf, ...intermediates] = splitCertificates(out.chainPem);
    expect(keyMatchesCertificate(key, leaf!)).toBe(true);
    expect(out.caPem).toBeDefined();
    expect(verifyChain(leaf!, intermediates.join(""), out.caPem ?? "")).toMatchObject({ ok: true });
    expect(verifyChain(leaf!, intermediates.join(""), sim.ca.root.certPem)).toMatchObject({ ok: true });
  });

  it("an order that needs approval is AwaitingApproval, and issues once approved", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { order } = await orderFor("ssl");
    const placed = await ca.submit(order, signal);
    expect(await ca.collect(placed.vendorRef, order, signal)).toMatchObject({ state: "pending", reason: "AwaitingApproval" });
    sim.approve(parseVendorRef(placed.vendorRef).id);
    expect((await ca.collect(placed.vendorRef, order, signal)).state).toBe("issued");
  });

  it.each(["ssl", "client", "device"] as const)("%s: findOrders recovers the order of exactly this UID, revision and spec", async (family) => {
    const { order } = await orderFor(family, 3);
    const placed = await ca.submit(order, signal);
    expect(await ca.findOrders(intentOf(order), signal)).toEqual([
      expect.objectContaining({ vendorRef: placed.vendorRef, state: expect.stringMatching(/^(pending|issued)$/) }),
    ]);
    const nextRevision = { ...order, owner: { ...order.owner, revision: 4 } };
    expect(await ca.findOrders(intentOf(nextRevision), signal)).toEqual([]);
    const otherOwner = { ...order, owner: { ...order.owner, uid: "00000000-0000-4000-8000-000000000000" } };
    expect(await ca.findOrders(intentOf(otherOwner), signal)).toEqual([]);
    expect(await ca.findOrders(intentOf(order, { specHash: "fedcba9876543210" }), signal)).toEqual([]);
    expect(await ca.findOrders(intentOf(order, { knownVendorRefs: [placed.vendorRef] }), signal)).toEqual([]);
  });

  it("a collect error that is not the order's own verdict (an oversized answer) leaves the order alone", async () => {
    const { order } = await orderFor("ssl");
    const placed = await ca.submit(order, signal);
    sim.faults.set({ pathPattern: "^GET /api/ssl/v1/collect/", oversizedRate: 1, count: 1 });
    await expect(ca.collect(placed.vendorRef, order, signal)).rejects.toMatchObject({ kind: "permanent" });
    expect((await ca.collect(placed.vendorRef, order, signal)).state).toBe("issued");
  });

  it.each([
    {
      why: "declined by an approver",
      act: (id: number) => {
        sim.setIssuance({ approvalRequired: true });
        return () => sim.decline(id);
      },
      approval: true,
    },
    { why: "rejected by the CA", act: (id: number) => () => sim.reject(id), approval: false },
  ])("an order $why collects as failed", async ({ act, approval }) => {
    if (approval) sim.setIssuance({ approvalRequired: true });
    const { order } = await orderFor("ssl");
    const placed = await ca.submit(order, signal);
    act(parseVendorRef(placed.vendorRef).id)();
    expect(await ca.collect(placed.vendorRef, order, signal)).toMatchObject({ state: "failed", vendorRef: placed.vendorRef });
  });

  it.each(["ssl", "device"] as const)("%s: cancel declines an order awaiting approval, so nobody can approve and pay for it later", async (family) => {
    sim.setIssuance({ approvalRequired: true });
    const { order } = await orderFor(family);
    const placed = await ca.submit(order, signal);
    expect(await ca.cancel(placed.vendorRef, signal)).toEqual({ done: true, how: "declined" });
    expect(sim.orders().find((o) => o.id === parseVendorRef(placed.vendorRef).id)?.phase).toBe("declined");
    expect(await ca.cancel(placed.vendorRef, signal)).toEqual({ done: true, how: "alreadyFinal" });
  });

  it("cancel: an order at the CA cannot be stopped (not done yet); once issued it is revoked", async () => {
    sim.setIssuance({ delayMs: 60_000 });
    const { order } = await orderFor("ssl");
    const placed = await ca.submit(order, signal);
    expect(await ca.cancel(placed.vendorRef, signal)).toMatchObject({ done: false });
    await sim.issueNow(parseVendorRef(placed.vendorRef).id);
    expect(await ca.cancel(placed.vendorRef, signal)).toEqual({ done: true, how: "revoked" });
    expect(sim.state().revocations.ssl).toBe(1);
    expect(await ca.cancel("ssl:999999", signal)).toEqual({ done: true, how: "gone" });
  });

  it("a submit refused before the enroll left placed nothing; a lost enroll may have", async () => {
    const { order } = await orderFor("ssl");
    const unknownProfile = await ca
      .submit({ ...order, vendorOptions: { vendor: "sectigo", options: { ...families.ssl, profile: { name: "none" } } } }, signal)
      .catch((e: unknown) => e);
    expect(submitMayHavePlaced(unknownProfile)).toBe(false);
    sim.faults.set({ pathPattern: "^GET /api/ssl/v1/types", fail5xxRate: 1, count: 3 });
    const profileOutage = await new SectigoCertificateAuthority({ client: clientFor(sim), orgId: SEED.orgId }).submit(order, signal).catch((e: unknown) => e);
    expect(submitMayHavePlaced(profileOutage)).toBe(false);
    sim.faults.set({ pathPattern: "^POST /api/ssl/v1/enroll", fail5xxRate: 1, count: 1 });
    const lost = await ca.submit(order, signal).catch((e: unknown) => e);
    expect(submitMayHavePlaced(lost)).toBe(true);
    expect(sim.state().enrolls.ssl).toBe(0);
  });

  it.each([
    { ref: { name: "ov ssl" }, id: SEED.sslProfile, reason: "names match case-insensitively" },
    { ref: { id: SEED.sslProfile }, id: SEED.sslProfile, reason: "an id is taken as is" },
  ])("resolves profile $ref ($reason)", async ({ ref, id }) => {
    expect((await ca.resolveProfile("ssl", ref, SEED.orgId, signal)).id).toBe(id);
  });

  it("an unknown profile is an invalid request (no order placed)", async () => {
    const { order } = await orderFor("ssl");
    const bad: CertificateOrder = { ...order, vendorOptions: { vendor: "sectigo", options: { ...families.ssl, profile: { name: "No Such Profile" } } } };
    await expect(ca.submit(bad, signal)).rejects.toMatchObject({ kind: "invalid" });
    expect(sim.state().enrolls).toEqual({ ssl: 0, smime: 0, device: 0 });
  });

  it("an order carrying another vendor's options reached the wrong adapter: invalid, refused before anything is sent", async () => {
    const { order } = await orderFor("ssl");
    const misrouted: CertificateOrder = { ...order, vendorOptions: { vendor: "cloudflare", options: { validityDays: 30 } } };
    const refused = await ca.submit(misrouted, signal).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: "invalid", vendor: "sectigo" });
    expect(submitMayHavePlaced(refused)).toBe(false);
    await expect(ca.findOrders(intentOf(misrouted), signal)).rejects.toMatchObject({ kind: "invalid" });
    expect(sim.state().enrolls).toEqual({ ssl: 0, smime: 0, device: 0 });
  });

  it("revoke of an issued certificate, then again, succeeds (already revoked is success); it then collects as failed", async () => {
    const { order } = await orderFor("ssl");
    const placed = await ca.submit(order, signal);
    await ca.collect(placed.vendorRef, order, signal);
    await ca.revoke(placed.vendorRef, "superseded", signal);
    await ca.revoke(placed.vendorRef, "superseded", signal);
    expect(await ca.collect(placed.vendorRef, order, signal)).toMatchObject({ state: "failed", vendorRef: placed.vendorRef });
  });

  it.each([
    {
      why: "a request between terms: the shortest covering term",
      family: "ssl" as const,
      days: 400,
      extra: {},
      term: 730,
      offered: 'terms of 365, 730 days (profile "OV SSL")',
    },
    {
      why: "a term of the profile, as asked",
      family: "client" as const,
      days: 730,
      extra: {},
      term: 730,
      offered: 'terms of 365, 730 days (profile "Client cert")',
    },
    {
      why: "spec.sectigo.term wins over the requested days",
      family: "ssl" as const,
      days: 90,
      extra: { term: 730 },
      term: 730,
      offered: 'terms of 365, 730 days (profile "OV SSL")',
    },
    { why: "longer than every term: the longest", family: "device" as const, days: 1000, extra: {}, term: 365, offered: "terms of 365 days" },
  ])("validityDays: the term submit would ask for, read from the profile, nothing ordered ($why)", async ({ family, days, extra, term, offered }) => {
    const options = { vendor: "sectigo" as const, options: { ...families[family], ...extra } };
    const answer = await ca.validityDays(options, days, signal);
    expect(answer.days).toBe(term);
    expect(answer.offered).toContain(offered);
    expect(sim.orders()).toEqual([]);
  });

  it("validityDays names a profile that does not exist as an invalid spec", async () => {
    const options = { vendor: "sectigo" as const, options: { ...families.ssl, profile: { name: "Nope" } } };
    await expect(ca.validityDays(options, 90, signal)).rejects.toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/no ssl certificate profile "Nope"/),
    });
  });

  it.each([
    { terms: [365, 730], want: 90, term: 365, reason: "the shortest term covering the request" },
    { terms: [365, 730], want: 400, term: 730, reason: "rounds up to the next allowed term" },
    { terms: [365], want: 1000, term: 365, reason: "the longest term when none covers it" },
    { terms: [365, 730], want: undefined, term: 365, reason: "no request: the shortest term" },
  ])("pickTerm $want of $terms → $term ($reason)", ({ terms, want, term }) => {
    expect(pickTerm({ terms }, want)).toBe(term);
  });
});
