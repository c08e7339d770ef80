// The SSL client against the simulated SCM over HTTP: every call's happy path and its error classes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inspectCertificate, verifyChain } from "../../pki/inspect.ts";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, makeCsr, makeWeakRsaCsr, SEED } from "../../sim/sectigo/testing.ts";
import { generateKey } from "../../pki/keys.ts";
import { createCsr } from "../../pki/csr.ts";
import { isVendorError, type VendorError } from "../shared/errors.ts";
import type { SectigoClient } from "./client.ts";
import type { SslEnrollRequest } from "./ssl.ts";
import { COLLECT_FORMATS, type CollectFormat } from "./wire.ts";

const DAY = 86_400_000;

async function failure(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}

describe("SslClient against the simulator", () => {
  let sim: SectigoSimulator;
  let scm: SectigoClient;
  let csr: string;

  const enrollReq = (over: Partial<SslEnrollRequest> = {}): SslEnrollRequest => ({
    orgId: SEED.orgId,
    csr,
    certType: SEED.sslProfile,
    term: 365,
    subjAltNames: ["app.example.com", "www.example.com"],
    customFields: SEED.sslCustomFields,
    ...over,
  });

  beforeAll(async () => {
    sim = await startSectigoSimulator();
    scm = clientFor(sim);
    csr = await makeCsr("app.example.com");
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it("lists profiles with their terms, and custom fields with mandatory flags", async () => {
    const profiles = await scm.ssl.listProfiles(SEED.orgId);
    expect(profiles.map((p) => [p.id, p.terms])).toContainEqual([SEED.sslProfile, [365, 730]]);
    const fields = await scm.ssl.listCustomFields();
    expect(fields).toContainEqual({ id: 354, name: "custom field", mandatory: true });
  });

  it("enroll → collect pending → collect issued: a real certificate with the requested names and term", async () => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const { sslId, renewId } = await scm.ssl.enroll(enrollReq({ term: 730 }));
    expect(sslId).toBeGreaterThan(0);
    expect(renewId).toMatch(/^[A-Za-z0-9]{20}$/);

    const pending = await failure(scm.ssl.collect(sslId));
    expect(pending.kind).toBe("pending");
    expect(pending.vendorCode).toBe("0");

    const got = await scm.ssl.collect(sslId, "x509");
    const info = await inspectCertificate(got.leafPem!);
    expect(info.subjectCn).toBe("app.example.com");
    expect(info.sans.dnsNames).toEqual(expect.arrayContaining(["app.example.com", "www.example.com"]));
    expect(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / DAY)).toBe(730);
    expect(verifyChain(got.leafPem!, got.chainPem.join(""), sim.ca.root.certPem).ok).toBe(true);
    expect(sim.state().enrolls.ssl).toBe(1);
  });

  // Every documented format, read back into certificates, leaf first.
  const FORMAT_CASES: ReadonlyArray<readonly [CollectFormat, number, boolean, string]> = [
    ["x509", 3, true, "cert with chain, root first on the wire"],
    ["x509CO", 1, true, "cert only"],
    ["base64", 3, true, "PKCS#7 PEM (the default)"],
    ["bin", 3, true, "PKCS#7 DER"],
    ["x509IO", 2, false, "root/intermediate only"],
    ["x509IOR", 2, false, "intermediate/root only"],
    ["pem", 3, true, "cert with chain"],
    ["pemco", 1, true, "cert only"],
    ["pemia", 3, true, "cert with issuer after"],
    ["x509R", 3, true, "cert with chain, reversed"],
  ];
  it("the format table covers every documented format", () => {
    expect(FORMAT_CASES.map((c) => c[0]).sort()).toEqual([...COLLECT_FORMATS].sort());
  });
  it.each(FORMAT_CASES)("collect format %s → %i certificates, leaf: %s (%s)", async (format, count, hasLeaf) => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    const got = await scm.ssl.collect(sslId, format);
    expect(got.certificatesPem).toHaveLength(count);
    expect(got.leafPem !== undefined).toBe(hasLeaf);
    if (hasLeaf) {
      expect((await inspectCertificate(got.certificatesPem[0]!)).subjectCn).toBe("app.example.com");
      if (count > 1) expect(verifyChain(got.leafPem!, got.chainPem.join(""), sim.ca.root.certPem).ok).toBe(true);
    }
    expect(got.fileName).toMatch(/^app\.example\.com\.(pem|crt|p7b)$/);
  });

  it("details: status, ids, serial and expiry of an issued order", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq({ comments: "hello", externalRequester: ["a@example.com", "b@example.com"] }));
    const cert = await scm.ssl.collect(sslId, "x509CO");
    const d = await scm.ssl.get(sslId);
    const info = await inspectCertificate(cert.leafPem!);
    expect(d).toMatchObject({ id: sslId, status: "Issued", commonName: "app.example.com", orgId: SEED.orgId, profileId: SEED.sslProfile, term: 365, comments: "hello", renewed: false });
    expect(d.externalRequester).toBe("a@example.com,b@example.com");
    const bare = (hex: string): string => hex.replace(/:/g, "").toLowerCase().replace(/^0+/, "");
    expect(bare(d.serialNumber!)).toBe(bare(info.serialHex));
    // dateFormat=ISO_HMS: to the second, not just the day.
    expect(d.expires?.getTime()).toBe(info.notAfter.getTime());
    expect(d.issued?.getTime()).toBe(info.notBefore.getTime());
    expect(d.backendCertId).toMatch(/^\d+$/);
    expect(typeof d.orderNumber).toBe("number");
  });

  it("list by common name and status pages with position/size and reports X-Total-Count", async () => {
    for (let i = 0; i < 5; i++) await scm.ssl.enroll(enrollReq());
    await scm.ssl.enroll(enrollReq({ csr: await makeCsr("other.example.com"), subjAltNames: [] }));
    const page = await scm.ssl.list({ commonName: "app.example.com" }, { position: 2, size: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.total).toBe(5);
    expect(await scm.ssl.listAll({ commonName: "app.example.com" })).toHaveLength(5);
    expect(await scm.ssl.count({ commonName: "app.example.com" })).toBe(5);
    expect(await scm.ssl.count({ commonName: "app.example.com", status: "Revoked" })).toBe(0);
    const all = await scm.ssl.list({}, { size: 200 });
    expect(all.total).toBe(6);
  });

  it("renew by renewId answers 204 without the new id; the old order reads renewed", async () => {
    const { sslId, renewId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.collect(sslId);
    await expect(scm.ssl.renewByRenewId(renewId)).resolves.toBeUndefined();
    expect((await scm.ssl.get(sslId)).renewed).toBe(true);
    expect(sim.state().ordersByFamily.ssl).toBe(2);
    expect(sim.state().renewals.ssl).toBe(1);
  });

  it("renew by id answers the new sslId, with a new CSR", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.collect(sslId);
    const next = await scm.ssl.renewById(sslId, { csr: await makeCsr("app.example.com") });
    expect(next.sslId).not.toBe(sslId);
    const renewed = await scm.ssl.collect(next.sslId);
    expect((await inspectCertificate(renewed.leafPem!)).subjectCn).toBe("app.example.com");
  });

  it("revoke with a reason code; a second revoke reports alreadyRevoked (-159), collect then fails permanently (-110)", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.collect(sslId);
    expect(await scm.ssl.revoke(sslId, { reason: "keyCompromise", message: "key leaked" })).toEqual({ alreadyRevoked: false });
    expect(await scm.ssl.revoke(sslId, { reason: "keyCompromise", message: "again" })).toEqual({ alreadyRevoked: true });
    const d = await scm.ssl.get(sslId);
    expect(d.status).toBe("Revoked");
    expect(d.reasonCode).toBe(1);
    const err = await failure(scm.ssl.collect(sslId));
    expect([err.kind, err.vendorCode]).toEqual(["permanent", "-110"]);
    expect(sim.state().revocations.ssl).toBe(1);
  });

  it("revoke by serial number (colon hex)", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.collect(sslId);
    const serial = (await scm.ssl.get(sslId)).serialNumber!;
    await scm.ssl.revokeBySerial(serial, { reason: "superseded", message: "replaced" });
    expect((await scm.ssl.get(sslId)).status).toBe("Revoked");
  });

  it("revoke before issuance is a state conflict (-102)", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { sslId } = await scm.ssl.enroll(enrollReq());
    const err = await failure(scm.ssl.revoke(sslId, { reason: "unspecified", message: "x" }));
    expect([err.kind, err.vendorCode]).toEqual(["conflict", "-102"]);
  });

  it("approval mode: collect pending until approved through the API", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { sslId } = await scm.ssl.enroll(enrollReq());
    expect((await scm.ssl.get(sslId)).status).toBe("Requested");
    expect((await failure(scm.ssl.collect(sslId))).kind).toBe("pending");
    await scm.ssl.approve(sslId, "looks good");
    expect((await scm.ssl.collect(sslId)).leafPem).toBeDefined();
    const again = await failure(scm.ssl.approve(sslId, "twice"));
    expect([again.kind, again.vendorCode]).toEqual(["conflict", "-1112"]);
  });

  it("decline ends the order: collect is permanently unavailable", async () => {
    sim.setIssuance({ approvalRequired: true });
    const { sslId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.decline(sslId, "no");
    expect((await scm.ssl.get(sslId)).status).toBe("Declined");
    expect((await failure(scm.ssl.collect(sslId))).kind).toBe("permanent");
  });

  it("DCV: names outside validated domains with a dcvMode wait, with instructions, until validated", async () => {
    const dcvCsr = await makeCsr("shop.unvalidated.test");
    const { sslId } = await scm.ssl.enroll(enrollReq({ csr: dcvCsr, subjAltNames: [], dcvMode: "CNAME" }));
    const dcv = await scm.ssl.dcv(sslId);
    expect(dcv.instructions).toEqual([expect.objectContaining({ domainName: "shop.unvalidated.test", dcvMode: "CNAME", host: expect.any(String), point: expect.any(String) })]);
    expect(dcv.log[0]?.dcvStatus).toBe("Awaiting Validation");
    expect((await failure(scm.ssl.collect(sslId))).kind).toBe("pending");
    await scm.ssl.recheckDcv(sslId);
    sim.validateDomain("unvalidated.test");
    expect((await scm.ssl.collect(sslId)).leafPem).toBeDefined();
  });

  it("findOrders lists by common name and keeps only orders carrying the marker", async () => {
    const uid = "7d3c2a10-5b7e-4f0e-8a7c-1f2e3d4c5b6a";
    const mine = await scm.ssl.enroll(enrollReq({ marker: { uid, revision: 1 }, comments: "team A" }));
    const newer = await scm.ssl.enroll(enrollReq({ marker: { uid, revision: 2 } }));
    await scm.ssl.enroll(enrollReq({ marker: { uid: "someone-else", revision: 1 } }));
    await scm.ssl.enroll(enrollReq());
    expect((await scm.ssl.findOrders("app.example.com", { uid, revision: 1 })).map((o) => o.id)).toEqual([mine.sslId]);
    expect((await scm.ssl.findOrders("app.example.com", { uid })).map((o) => o.id)).toEqual([newer.sslId, mine.sslId]);
    expect(await scm.ssl.findOrders("nobody.example.com", { uid })).toEqual([]);
  });

  it("update: comments and custom fields change at any time; core fields only while Requested", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    await scm.ssl.collect(sslId);
    const updated = await scm.ssl.update(sslId, { comments: "now owned by team B", customFields: [{ name: "cost center", value: "42" }], externalRequester: ["b@example.com"] });
    expect(updated).toMatchObject({ id: sslId, status: "Issued", comments: "now owned by team B", customFields: [{ name: "cost center", value: "42" }], externalRequester: "b@example.com" });
    const refused = await failure(scm.ssl.update(sslId, { term: 730 }));
    expect([refused.kind, refused.vendorCode]).toEqual(["invalid", "-1601"]);

    sim.setIssuance({ approvalRequired: true });
    const held = await scm.ssl.enroll(enrollReq());
    const edited = await scm.ssl.update(held.sslId, { term: 730, subjectAlternativeNames: ["app.example.com"] });
    expect([edited.term, edited.subjectAlternativeNames]).toEqual([730, ["app.example.com"]]);
  });

  it("renewals inherit the marker; mark() re-tags the new order with the revision it serves", async () => {
    const uid = "5e1f0000-0000-4000-8000-00000000abcd";
    const { sslId } = await scm.ssl.enroll(enrollReq({ marker: { uid, revision: 1 }, comments: "team A" }));
    await scm.ssl.collect(sslId);
    const next = await scm.ssl.renewById(sslId);
    expect((await scm.ssl.findOrders("app.example.com", { uid, revision: 1 })).map((o) => o.id)).toEqual([next.sslId, sslId]);
    const marked = await scm.ssl.mark(next.sslId, { uid, revision: 2 });
    expect(marked.comments).toBe(`team A [certbridge uid=${uid} rev=2]`);
    expect((await scm.ssl.findOrders("app.example.com", { uid, revision: 2 })).map((o) => o.id)).toEqual([next.sslId]);
  });

  // Each error class the enroll can meet, with the documented code.
  const ENROLL_ERRORS: ReadonlyArray<readonly [string, () => Promise<Partial<SslEnrollRequest>>, string, string]> = [
    ["term not in the profile's terms", async () => ({ term: 400 }), "invalid", "-36"],
    ["mandatory custom field missing", async () => ({ customFields: [] }), "invalid", "-62"],
    ["unknown custom field", async () => ({ customFields: [...SEED.sslCustomFields, { name: "nope", value: "x" }] }), "invalid", "-135"],
    ["profile id unknown", async () => ({ certType: 999 }), "invalid", "-111"],
    ["organization unknown", async () => ({ orgId: 4242 }), "invalid", "-639"],
    ["CSR that does not decode", async () => ({ csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" }), "invalid", "-10"],
    ["CSR with characters outside base-64", async () => ({ csr: "not a csr!" }), "invalid", "-9"],
    ["RSA key under 2048 bits", async () => ({ csr: await makeWeakRsaCsr("app.example.com") }), "invalid", "-141"],
    ["Ed25519 key", async () => ({ csr: await createCsr({ privateKey: (await generateKey({ algorithm: "Ed25519" })).privateKey, subject: { commonName: "app.example.com" } }) }), "invalid", "-11"],
    ["names without DCV and no dcvMode", async () => ({ csr: await makeCsr("shop.unvalidated.test"), subjAltNames: [] }), "blocked", "-107"],
    ["dcvMode EMAIL without dcvEmail", async () => ({ csr: await makeCsr("shop.unvalidated.test"), subjAltNames: [], dcvMode: "EMAIL" }), "invalid", "-7"],
    ["comments over 1024 characters", async () => ({ comments: "x".repeat(1025) }), "invalid", "-1601"],
  ];
  it.each(ENROLL_ERRORS)("enroll error: %s → %s (%s)", async (_why, over, kind, code) => {
    const err = await failure(scm.ssl.enroll(enrollReq(await over())));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual([kind, code, 400]);
    expect(sim.state().enrolls.ssl).toBe(0);
  });

  it("renew on a profile that forbids it is permanent (-180)", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq({ certType: SEED.sslProfileNoRenew, customFields: SEED.sslCustomFields }));
    await scm.ssl.collect(sslId);
    const err = await failure(scm.ssl.renewById(sslId));
    expect([err.kind, err.vendorCode]).toEqual(["permanent", "-180"]);
  });

  it("renew of an unknown renewId is not found (-123); details of an unknown id too (-124)", async () => {
    expect((await failure(scm.ssl.renewByRenewId("doesNotExist000000000"))).kind).toBe("notFound");
    const err = await failure(scm.ssl.get(987654));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["notFound", "-124", 404]);
  });

  it("an unknown collect format is the client's bug (-126)", async () => {
    const { sslId } = await scm.ssl.enroll(enrollReq());
    const err = await failure(scm.ssl.collect(sslId, "der" as CollectFormat));
    expect([err.kind, err.vendorCode]).toEqual(["invalid", "-126"]);
  });

  it.each([
    ["wrong password", { password: "wrong-Password-9" }],
    ["wrong login", { login: "intruder" }],
    ["wrong customerUri", { customerUri: "cst-other" }],
  ])("credentials: %s → 401 -16, and the password never appears in the error", async (_why, over) => {
    const bad = clientFor(sim, over);
    const err = await failure(bad.ssl.listProfiles());
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["credentials", "-16", 401]);
    const text = JSON.stringify(err.toJSON()) + err.message + String(err.stack);
    expect(text).not.toContain(sim.credentials.password);
    expect(text).not.toContain("wrong-Password-9");
    expect(sim.state().authFailures).toBe(1);
  });

  it("transient 5xx: GETs are retried by the transport, enroll (POST, paid) is not", async () => {
    sim.faults.add({ fail5xxRate: 1, status5xx: 503, count: 1, pathPattern: "^GET /api/ssl/v1/types" });
    await expect(scm.ssl.listProfiles()).resolves.toHaveLength(2);
    sim.faults.add({ fail5xxRate: 1, status5xx: 503, count: 1, pathPattern: "^POST /api/ssl/v1/enroll" });
    const err = await failure(scm.ssl.enroll(enrollReq()));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["transient", "-2", 503]);
    expect(sim.state().enrolls.ssl).toBe(0);
  });
});
