// The family client against the simulated SCM over HTTP: the same cases for SSL, client (S/MIME) and
// device certificates, each family answering in its own documented dialect.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCsr } from "../../pki/csr.ts";
import { inspectCertificate, verifyChain } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, makeCsr, makeWeakRsaCsr, SEED } from "../../sim/sectigo/testing.ts";
import { isVendorError, type VendorError } from "../shared/errors.ts";
import type { SectigoClient } from "./client.ts";
import type { ClientEnrollRequest, DeviceEnrollRequest, FamilyKey, SslEnrollRequest } from "./families.ts";
import { COLLECT_FORMATS, type CollectFormat } from "./wire.ts";
import { vendorFailure } from "../contract/failure.ts";

const DAY = 86_400_000;

let sim: SectigoSimulator;
let scm: SectigoClient;
beforeAll(async () => {
  sim = await startSectigoSimulator();
  scm = clientFor(sim);
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

type Over = Readonly<Record<string, unknown>>;

/** Each family as the client sees it: how to enroll, what it is looked up by, how it spells things. */
interface Case {
  readonly family: FamilyKey;
  /** Enrolls through the family's client (a fresh CSR unless `over` brings one); answers the new id. */
  readonly place: (over?: Over) => Promise<number>;
  /** What `findOrders` is given: the common name, or the person's e-mail. */
  readonly lookupName: string;
  readonly subjectCn: string;
  readonly issued: string;
  readonly revoked: string;
  /** Device details document no revocation fields. */
  readonly detailsShowReasonCode: boolean;
  /** The "not yet" code of a collect before issuance. */
  readonly pendingCode: string;
  readonly unknownIdCode: string;
  readonly unknownFormatCode: string;
}

const request = async <T>(csrName: string, base: Omit<T, "csr">, over: Over): Promise<T> => ({ csr: await makeCsr(csrName), ...base, ...over }) as T;

const SSL_CASE: Case = {
  family: "ssl",
  place: async (over = {}) =>
    (
      await scm.ssl.enroll(
        await request<SslEnrollRequest>(
          "app.example.com",
          { orgId: SEED.orgId, certType: SEED.sslProfile, term: 365, subjAltNames: ["app.example.com", "www.example.com"], customFields: SEED.sslCustomFields },
          over,
        ),
      )
    ).sslId,
  lookupName: "app.example.com",
  subjectCn: "app.example.com",
  issued: "Issued",
  revoked: "Revoked",
  detailsShowReasonCode: true,
  pendingCode: "0",
  unknownIdCode: "-124",
  unknownFormatCode: "-126",
};
const SMIME_CASE: Case = {
  family: "smime",
  place: async (over = {}) =>
    (
      await scm.smime.enroll(
        await request<ClientEnrollRequest>(
          "ignored-by-smime",
          {
            orgId: SEED.orgId,
            certType: SEED.smimeProfile,
            term: 365,
            email: "jane.doe@example.com",
            firstName: "Jane",
            middleName: "Q",
            lastName: "Doe",
            phone: "12345678",
            secondaryEmails: ["jd@example.com"],
            eppn: "jdoe@example.com",
            upn: "jdoe@corp.example.com",
          },
          over,
        ),
      )
    ).id!,
  lookupName: "jane.doe@example.com",
  subjectCn: "Jane Q Doe",
  issued: "issued",
  revoked: "revoked",
  detailsShowReasonCode: true,
  pendingCode: "-183",
  unknownIdCode: "-5101",
  unknownFormatCode: "-1450",
};
const DEVICE_CASE: Case = {
  family: "device",
  place: async (over = {}) =>
    (
      await scm.device.enroll(
        await request<DeviceEnrollRequest>(
          "device-7.fleet.example.com",
          {
            orgId: SEED.departmentId,
            certType: SEED.deviceProfile,
            term: 365,
            customFields: SEED.deviceCustomFields,
            optionalFields: [{ name: "commonName", value: "device-7" }],
          },
          over,
        ),
      )
    ).deviceCertId,
  lookupName: "device-7",
  subjectCn: "device-7",
  issued: "Issued",
  revoked: "Revoked",
  detailsShowReasonCode: false,
  pendingCode: "0",
  unknownIdCode: "-5101",
  unknownFormatCode: "-1450",
};
const CASES = [SSL_CASE, SMIME_CASE, DEVICE_CASE] as const;

describe.each(CASES)("$family certificates", (c) => {
  const api = () => scm[c.family];

  it("enroll → collect answers the family's 'not yet' code → issued: a real certificate from the sim CA", async () => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const id = await c.place();
    const pending = await vendorFailure(api().collect(id));
    expect([pending.kind, pending.vendorCode, pending.httpStatus]).toEqual(["pending", c.pendingCode, 400]);
    const got = await api().collect(id, "x509");
    const info = await inspectCertificate(got.leafPem!);
    expect(info.subjectCn).toBe(c.subjectCn);
    expect(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / DAY)).toBe(365);
    expect(verifyChain(got.leafPem!, got.chainPem.join(""), sim.ca.root.certPem).ok).toBe(true);
    expect(sim.state().enrolls[c.family]).toBe(1);
  });

  it("details read into one shape: the status as the family spells it, serial and expiry to the second", async () => {
    const id = await c.place({ comments: "hello" });
    const cert = await api().collect(id, "x509CO");
    const d = await api().get(id);
    const info = await inspectCertificate(cert.leafPem!);
    expect(d).toMatchObject({ id, status: c.issued, comments: "hello", term: 365 });
    const bare = (hex: string): string => hex.replace(/:/g, "").toLowerCase().replace(/^0+/, "");
    expect(bare(d.serialNumber!)).toBe(bare(info.serialHex));
    expect(d.expires?.getTime()).toBe(info.notAfter.getTime());
    expect(d.backendCertId).toMatch(/^\d+$/);
  });

  it("findOrders answers exactly the orders that carry this marker, newest first", async () => {
    const uid = "7d3c2a10-5b7e-4f0e-8a7c-1f2e3d4c5b6a";
    const mine = await c.place({ marker: { uid, revision: 1 }, comments: "team A" });
    const newer = await c.place({ marker: { uid, revision: 2 } });
    await c.place({ marker: { uid: "someone-else", revision: 1 } });
    await c.place();
    expect((await api().findOrders(c.lookupName, { uid, revision: 1 })).map((o) => o.id)).toEqual([mine]);
    expect((await api().findOrders(c.lookupName, { uid })).map((o) => o.id)).toEqual([newer, mine]);
    expect(await api().findOrders("nobody@nowhere.example.com", { uid })).toEqual([]);
  });

  it("list pages with position/size and reports X-Total-Count", async () => {
    for (let i = 0; i < 3; i++) await c.place();
    const page = await api().list({ [c.family === "smime" ? "email" : "commonName"]: c.lookupName }, { position: 1, size: 1 });
    expect([page.items.length, page.total, page.position, page.size]).toEqual([1, 3, 1, 1]);
  });

  it("revoke, then again: the second answers -159 and counts as done; collect is then -110 permanent", async () => {
    const id = await c.place();
    await api().collect(id);
    expect(await api().revoke(id, { reason: "keyCompromise", message: "" })).toEqual({ alreadyRevoked: false });
    expect(await api().revoke(id, { reason: "keyCompromise", message: "again" })).toEqual({ alreadyRevoked: true });
    const d = await api().get(id);
    expect([d.status, d.reasonCode]).toEqual([c.revoked, c.detailsShowReasonCode ? 1 : undefined]);
    const err = await vendorFailure(api().collect(id));
    expect([err.kind, err.vendorCode]).toEqual(["permanent", "-110"]);
    expect(sim.state().revocations[c.family]).toBe(1);
  });

  it("revoke before issuance is a state conflict (-102)", async () => {
    sim.setIssuance({ delayMs: 3_600_000 });
    const id = await c.place();
    const err = await vendorFailure(api().revoke(id, { reason: "unspecified", message: "x" }));
    expect([err.kind, err.vendorCode]).toEqual(["conflict", "-102"]);
  });

  it("an unknown id is notFound with the family's code", async () => {
    const err = await vendorFailure(api().get(987654));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["notFound", c.unknownIdCode, 404]);
  });

  it("an unknown collect format is the client's bug (invalid, the family's code)", async () => {
    const id = await c.place();
    const err = await vendorFailure(api().collect(id, "der" as CollectFormat));
    expect([err.kind, err.vendorCode]).toEqual(["invalid", c.unknownFormatCode]);
  });
});

describe("decline", () => {
  it.each([SSL_CASE, DEVICE_CASE] as const)("$family: an order awaiting approval is declined; it then collects as permanently unavailable", async (c) => {
    sim.setIssuance({ approvalRequired: true });
    const id = await c.place();
    await scm[c.family].decline(id, "");
    expect((await scm[c.family].get(id)).status).toMatch(/^declined$/i);
    expect((await vendorFailure(scm[c.family].collect(id))).kind).toBe("permanent");
    expect(sim.state().declines).toBe(1);
  });

  it("client orders never wait for approval: decline is refused before any call", async () => {
    const before = sim.state().requests;
    const err = await vendorFailure(scm.smime.decline(1, "no"));
    expect([err.kind, err.httpStatus]).toEqual(["invalid", undefined]);
    expect(sim.state().requests).toEqual(before);
  });
});

describe("collect formats (SSL)", () => {
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
    expect(FORMAT_CASES.map((f) => f[0]).sort()).toEqual([...COLLECT_FORMATS].sort());
  });
  it.each(FORMAT_CASES)("%s → %i certificates, leaf: %s (%s)", async (format, count, hasLeaf) => {
    const id = await SSL_CASE.place();
    const got = await scm.ssl.collect(id, format);
    expect(got.certificatesPem).toHaveLength(count);
    expect(got.leafPem !== undefined).toBe(hasLeaf);
    if (hasLeaf) {
      expect((await inspectCertificate(got.certificatesPem[0]!)).subjectCn).toBe("app.example.com");
      if (count > 1) expect(verifyChain(got.leafPem!, got.chainPem.join(""), sim.ca.root.certPem).ok).toBe(true);
    }
    expect(got.fileName).toMatch(/^app\.example\.com\.(pem|crt|p7b)$/);
  });
});

describe("enroll errors keep their documented codes, and no order is made", () => {
  type Row = readonly [string, FamilyKey, () => Promise<Record<string, unknown>>, string, string];
  const ROWS: readonly Row[] = [
    ["term not in the profile's terms", "ssl", async () => ({ term: 400 }), "invalid", "-36"],
    ["mandatory custom field missing", "ssl", async () => ({ customFields: [] }), "invalid", "-62"],
    ["unknown custom field", "ssl", async () => ({ customFields: [...SEED.sslCustomFields, { name: "nope", value: "x" }] }), "invalid", "-135"],
    ["profile id unknown", "ssl", async () => ({ certType: 999 }), "invalid", "-111"],
    ["organization unknown", "ssl", async () => ({ orgId: 4242 }), "invalid", "-639"],
    [
      "CSR that does not decode",
      "ssl",
      async () => ({ csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" }),
      "invalid",
      "-10",
    ],
    ["CSR with characters outside base-64", "ssl", async () => ({ csr: "not a csr!" }), "invalid", "-9"],
    ["RSA key under 2048 bits", "ssl", async () => ({ csr: await makeWeakRsaCsr("app.example.com") }), "invalid", "-141"],
    [
      "Ed25519 key",
      "ssl",
      async () => ({
        csr: await createCsr({ privateKey: (await generateKey({ algorithm: "Ed25519" })).privateKey, subject: { commonName: "app.example.com" } }),
      }),
      "invalid",
      "-11",
    ],
    [
      "names without DCV and no dcvMode: waits on a person",
      "ssl",
      async () => ({ csr: await makeCsr("shop.unvalidated.test"), subjAltNames: [] }),
      "blocked",
      "-107",
    ],
    [
      "dcvMode EMAIL without dcvEmail",
      "ssl",
      async () => ({ csr: await makeCsr("shop.unvalidated.test"), subjAltNames: [], dcvMode: "EMAIL" }),
      "invalid",
      "-7",
    ],
    ["comments over 1024 characters", "ssl", async () => ({ comments: "x".repeat(1025) }), "invalid", "-1601"],
    ["firstName missing", "smime", async () => ({ firstName: "" }), "invalid", "-7"],
    ["e-mail missing", "smime", async () => ({ email: "" }), "invalid", "-7"],
    ["name over 64 characters", "smime", async () => ({ lastName: "x".repeat(70) }), "invalid", "-1601"],
    ["unknown client profile", "smime", async () => ({ certType: 1 }), "invalid", "-172"],
    ["client term not offered", "smime", async () => ({ term: 10 }), "invalid", "-36"],
    ["device mandatory custom field missing", "device", async () => ({ customFields: [] }), "invalid", "-62"],
    ["unknown device profile", "device", async () => ({ certType: 77 }), "invalid", "-5109"],
    ["invalid optional field name", "device", async () => ({ optionalFields: [{ name: "", value: "x" }] }), "invalid", "-64"],
  ];
  it.each(ROWS)("%s (%s) → %s %s", async (_why, family, over, kind, code) => {
    const c = CASES.find((x) => x.family === family)!;
    const err = await vendorFailure(c.place(await over()));
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual([kind, code, 400]);
    expect(sim.state().enrolls[family]).toBe(0);
  });
});

describe("the connection", () => {
  it.each([
    ["wrong password", { password: "wrong-Password-9" }],
    ["wrong login", { login: "intruder" }],
    ["wrong customerUri", { customerUri: "cst-other" }],
  ])("credentials: %s → 401 -16, and the password never appears in the error", async (_why, over) => {
    const bad = clientFor(sim, over);
    const err = await vendorFailure(bad.ssl.listProfiles());
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["credentials", "-16", 401]);
    const text = JSON.stringify(err.toJSON()) + err.message + String(err.stack);
    expect(text).not.toContain(sim.credentials.password);
    expect(text).not.toContain("wrong-Password-9");
    expect(sim.state().authFailures).toBe(1);
  });

  it("password login without a password is refused when the client is made", () => {
    expect(() => clientFor(sim, { password: "" })).toThrow(/password login needs a password/);
  });

  it("transient 5xx: GETs are retried by the transport, enroll (POST, paid) is not", async () => {
    sim.faults.add({ fail5xxRate: 1, status5xx: 503, count: 1, pathPattern: "^GET /api/ssl/v1/types" });
    await expect(scm.ssl.listProfiles()).resolves.toHaveLength(2);
    sim.faults.add({ fail5xxRate: 1, status5xx: 503, count: 1, pathPattern: "^POST /api/ssl/v1/enroll" });
    const err = await vendorFailure(SSL_CASE.place());
    expect([err.kind, err.vendorCode, err.httpStatus]).toEqual(["transient", "-2", 503]);
    expect(sim.state().enrolls.ssl).toBe(0);
  });

  it("organizations list with their departments (either id is a valid orgId)", async () => {
    const orgs = await scm.organizations.list();
    expect(orgs).toEqual([
      {
        id: SEED.orgId,
        name: expect.any(String),
        departments: [expect.objectContaining({ id: SEED.departmentId, parentName: orgs[0]!.name }), expect.any(Object)],
      },
    ]);
  });
});
