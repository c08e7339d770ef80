// DIGEST §4, Sectigo items 25-40: each behaviour as a named test against the simulator's wire.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { pemToDer } from "../../pki/formats.ts";
import { toPem } from "../../pki/pem.ts";
import { readCertificates } from "../../vendors/sectigo/collect.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { makeCsr, SEED } from "./testing.ts";

let sim: SectigoSimulator;
let csr: string;

interface Wire {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown> & { code?: number; description?: string };
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Wire> {
  const res = await request(sim.url + path, {
    method: method as "GET",
    headers: {
      login: sim.credentials.login,
      password: sim.credentials.password,
      customerUri: sim.customerUri,
      "content-type": "application/json;charset=UTF-8",
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const sslEnroll = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  orgId: SEED.orgId,
  csr,
  certType: SEED.sslProfile,
  term: 365,
  subjAltNames: "app.example.com,www.example.com",
  customFields: SEED.sslCustomFields,
  ...over,
});

async function issuedSsl(): Promise<number> {
  const id = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"] as number;
  expect((await call("GET", `/api/ssl/v1/collect/${id}`)).status).toBe(200);
  return id;
}

beforeAll(async () => {
  sim = await startSectigoSimulator();
  csr = await makeCsr("app.example.com");
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe("DIGEST §4 Sectigo fidelity checklist", () => {
  it("25: every call needs login, password and customerUri; bad ones → 401 {code -16, Unknown user} (doc 'Errors' example)", async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ["wrong password", { password: "nope" }],
      ["wrong login", { login: "nobody" }],
      ["wrong customerUri", { customerUri: "cst0" }],
    ];
    for (const [why, headers] of cases) {
      const res = await call("GET", "/api/ssl/v1/types", undefined, headers);
      expect([why, res.status, res.text]).toEqual([why, 401, '{"code":-16,"description":"Unknown user"}']);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
    }
    const none = await request(`${sim.url}/api/organization/v1`);
    expect(none.statusCode).toBe(401);
    await none.body.dump();
  });

  it("26: every error >= 400 is JSON {code, description}; validation and state errors use 400", async () => {
    const id = await issuedSsl();
    const errors = [
      await call("POST", "/api/ssl/v1/enroll", sslEnroll({ term: 1 })),
      await call("POST", `/api/ssl/v1/approve/${id}`, { message: "x" }),
      await call("GET", "/api/ssl/v1?size=500"),
      await call("GET", "/api/ssl/v1/999999"),
    ];
    for (const e of errors) {
      expect(e.status).toBeGreaterThanOrEqual(400);
      const body = e.json();
      expect(Number.isInteger(body.code) && body.code! < 0).toBe(true);
      expect(typeof body.description).toBe("string");
    }
    expect(errors.slice(0, 3).map((e) => e.status)).toEqual([400, 400, 400]);
  });

  it("27: lists take size/position (0-based, size <= 200) and return X-Total-Count; HEAD returns only the header", async () => {
    for (let i = 0; i < 3; i++) await call("POST", "/api/ssl/v1/enroll", sslEnroll());
    const page = await call("GET", "/api/ssl/v1?position=1&size=1");
    expect(page.headers["x-total-count"]).toBe("3");
    expect((page.json() as unknown as unknown[]).length).toBe(1);
    const beyond = await call("GET", "/api/ssl/v1?position=3&size=200");
    expect(JSON.parse(beyond.text)).toEqual([]);
    expect((await call("GET", "/api/ssl/v1?size=201")).json().code).toBe(-1601);
    const head = await call("HEAD", "/api/ssl/v1?commonName=app.example.com");
    expect([head.status, head.headers["x-total-count"], head.text]).toEqual([200, "3", ""]);
  });

  it("28: enroll → 200 {sslId: int, renewId: 20-char opaque}; the order reads Requested (approval) or Applied (auto)", async () => {
    sim.setIssuance({ delayMs: 60_000 }); // the CA is still working while we look
    const res = await call("POST", "/api/ssl/v1/enroll", sslEnroll());
    expect(res.status).toBe(200);
    const body = res.json();
    expect(Number.isInteger(body["sslId"])).toBe(true);
    expect(body["renewId"]).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await call("GET", `/api/ssl/v1/${body["sslId"]}`)).json()["status"]).toBe("Applied");
    sim.setIssuance({ approvalRequired: true });
    const held = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"];
    expect((await call("GET", `/api/ssl/v1/${held}`)).json()["status"]).toBe("Requested");
  });

  it("29: SSL collect before Issued → 400 {code 0, Being processed by Sectigo}; then 200 octet-stream attachment", async () => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const id = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"];
    const pending = await call("GET", `/api/ssl/v1/collect/${id}`);
    expect([pending.status, pending.text]).toEqual([400, '{"code":0,"description":"Being processed by Sectigo"}']);
    const done = await call("GET", `/api/ssl/v1/collect/${id}`);
    expect(done.status).toBe(200);
    expect(done.headers["content-type"]).toBe("application/octet-stream;charset=UTF-8");
    expect(done.headers["content-disposition"]).toMatch(/^attachment; filename="/);
  });

  it("30: S/MIME v2 collect before issuance → 400 {code -183, Certificate is not collectable.}", async () => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const enrolled = await call("POST", "/api/smime/v1/enroll", {
      orgId: SEED.orgId,
      csr,
      certType: SEED.smimeProfile,
      term: 365,
      email: "a@example.com",
      firstName: "A",
      lastName: "B",
    });
    const res = await call("GET", `/api/smime/v2/collect/${enrolled.json()["id"]}`);
    expect([res.status, res.text]).toEqual([400, '{"code":-183,"description":"Certificate is not collectable."}']);
  });

  it("31: collect of a revoked certificate → -110 Certificate has been revoked and cannot be downloaded.", async () => {
    const id = await issuedSsl();
    expect((await call("POST", `/api/ssl/v1/revoke/${id}`, { reasonCode: 1, reason: "leak" })).status).toBe(204);
    const res = await call("GET", `/api/ssl/v1/collect/${id}`);
    expect([res.status, res.json()]).toEqual([400, { code: -110, description: "Certificate has been revoked and cannot be downloaded." }]);
  });

  it("32: format defaults to base64 (PKCS#7 PEM), accepts the ten formats and the legacy /collect/{id}/{format} path; unknown → -126", async () => {
    const id = await issuedSsl();
    const dflt = await call("GET", `/api/ssl/v1/collect/${id}`);
    expect(dflt.text.startsWith("-----BEGIN PKCS7-----")).toBe(true);
    for (const f of ["x509", "x509CO", "base64", "bin", "x509IO", "x509IOR", "pem", "pemco", "pemia", "x509R"]) {
      const res = await request(`${sim.url}/api/ssl/v1/collect/${id}?format=${f}`, {
        headers: { login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri },
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      expect([f, res.statusCode]).toEqual([f, 200]);
      expect(readCertificates(body).length).toBeGreaterThan(0);
    }
    const legacy = await call("GET", `/api/ssl/v1/collect/${id}/x509CO`);
    expect(readCertificates(Buffer.from(legacy.text))).toHaveLength(1);
    const bad = await call("GET", `/api/ssl/v1/collect/${id}?format=jks`);
    expect(bad.json()).toEqual({ code: -126, description: "Unknown SSL certificate file format requested: jks" });
  });

  it("33: revoke needs reason 1..512 (SSL) and reasonCode in {0,1,3,4,5} → 204; not issued → -102; again → -159", async () => {
    const id = await issuedSsl();
    const cases: Array<[string, unknown, number, number | undefined]> = [
      ["reasonCode 2 is not allowed", { reasonCode: 2, reason: "x" }, 400, -1601],
      ["reason missing", { reasonCode: 0 }, 400, -7],
      ["reason empty", { reasonCode: 0, reason: "" }, 400, -7],
      ["reason over 512", { reasonCode: 0, reason: "x".repeat(513) }, 400, -1601],
      ["valid", { reasonCode: 4, reason: "superseded" }, 204, undefined],
      ["already revoked", { reasonCode: 4, reason: "superseded" }, 400, -159],
    ];
    for (const [why, body, status, code] of cases) {
      const res = await call("POST", `/api/ssl/v1/revoke/${id}`, body);
      expect([why, res.status, code === undefined ? undefined : res.json().code]).toEqual([why, status, code]);
    }
    sim.setIssuance({ approvalRequired: true });
    const early = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"];
    expect((await call("POST", `/api/ssl/v1/revoke/${early}`, { reasonCode: 0, reason: "x" })).json()).toEqual({
      code: -102,
      description: "Only issued certificates could be revoked.",
    });
  });

  it("34: approve/decline need message 1..512 → 204; approving a cert not awaiting approval → -1112", async () => {
    sim.setIssuance({ approvalRequired: true });
    const id = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"];
    expect((await call("POST", `/api/ssl/v1/approve/${id}`, {})).json().code).toBe(-7);
    expect((await call("POST", `/api/ssl/v1/approve/${id}`, { message: "x".repeat(513) })).json().code).toBe(-1601);
    expect((await call("POST", `/api/ssl/v1/approve/${id}`, { message: "ok" })).status).toBe(204);
    const again = await call("POST", `/api/ssl/v1/approve/${id}`, { message: "ok" });
    expect(again.json()).toEqual({ code: -1112, description: "Certificate can''t be approved cause it has state = Applied" });
    const other = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json()["sslId"];
    expect((await call("POST", `/api/ssl/v1/decline/${other}`, { message: "no" })).status).toBe(204);
  });

  it("35: renew/{renewId} → 204 with no body; renewById → 200 {sslId: new}; the old cert shows renewed:true", async () => {
    const enrolled = (await call("POST", "/api/ssl/v1/enroll", sslEnroll())).json();
    await call("GET", `/api/ssl/v1/collect/${enrolled["sslId"]}`);
    const byRenewId = await call("POST", `/api/ssl/v1/renew/${enrolled["renewId"]}`, {});
    expect([byRenewId.status, byRenewId.text]).toEqual([204, ""]);
    const byId = await call("POST", `/api/ssl/v1/renewById/${enrolled["sslId"]}`, {});
    expect(byId.status).toBe(200);
    expect(Object.keys(byId.json())).toEqual(["sslId"]);
    expect(byId.json()["sslId"]).not.toBe(enrolled["sslId"]);
    expect((await call("GET", `/api/ssl/v1/${enrolled["sslId"]}`)).json()["renewed"]).toBe(true);
    expect(sim.state().ordersByFamily.ssl).toBe(3);
  });

  it("36: no valid DCV and no dcvMode → -107; with dcvMode the cert waits and /dcv returns instructions", async () => {
    const other = await makeCsr("portal.not-validated.test");
    const refused = await call("POST", "/api/ssl/v1/enroll", sslEnroll({ csr: other, subjAltNames: "" }));
    expect(refused.json()).toEqual({
      code: -107,
      description:
        "Domain Control Validation is either incomplete or expired for portal.not-validated.test. Please complete it before requesting a certificate.",
    });
    const waiting = (await call("POST", "/api/ssl/v1/enroll", sslEnroll({ csr: other, subjAltNames: "", dcvMode: "TXT" }))).json()["sslId"];
    const dcv = (await call("GET", `/api/ssl/v1/${waiting}/dcv`)).json() as { instructions: Array<Record<string, string>> };
    expect(dcv.instructions).toEqual([
      {
        domainName: "portal.not-validated.test",
        dcvMode: "TXT",
        host: "_pki-validation.portal.not-validated.test.",
        point: expect.stringMatching(/\.sectigo\.com\.$/),
      },
    ]);
    expect((await call("GET", `/api/ssl/v1/collect/${waiting}`)).json().code).toBe(0);
  });

  it("37: missing mandatory custom field → -62; term not in terms → -36; invalid CSR → -10, bad signature → -138", async () => {
    expect((await call("POST", "/api/ssl/v1/enroll", sslEnroll({ customFields: [] }))).json()).toEqual({
      code: -62,
      description: "Missing mandatory custom field!",
    });
    expect((await call("POST", "/api/ssl/v1/enroll", sslEnroll({ term: 100 }))).json()).toEqual({
      code: -36,
      description: "The validity period (term) is invalid for this certificate profile.",
    });
    expect(
      (await call("POST", "/api/ssl/v1/enroll", sslEnroll({ csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----" }))).json()
        .code,
    ).toBe(-10);
    const der = pemToDer(csr);
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // inside the signature
    expect((await call("POST", "/api/ssl/v1/enroll", sslEnroll({ csr: toPem("CERTIFICATE REQUEST", der) }))).json()).toEqual({
      code: -138,
      description: "Invalid CSR.",
    });
  });

  it("38: DELETE succeeds only for imported or discovered certificates", async () => {
    const enrolled = await issuedSsl();
    expect((await call("DELETE", `/api/ssl/v1/${enrolled}`)).status).toBe(400);
    const imported = await sim.seedOrder({ family: "ssl", csr, imported: true });
    expect((await call("DELETE", `/api/ssl/v1/${imported.id}`)).status).toBe(204);
    expect((await call("GET", `/api/ssl/v1/${imported.id}`)).status).toBe(404);
  });

  it("39: SSL details dates are MM/dd/yyyy and the client list's expires is yyyy-MM-dd unless dateFormat is given", async () => {
    const id = await issuedSsl();
    const details = (await call("GET", `/api/ssl/v1/${id}`)).json();
    expect(details["requested"]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(details["expires"]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect((await call("GET", `/api/ssl/v1/${id}?dateFormat=ISO_HMS`)).json()["expires"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await call("GET", `/api/ssl/v1/${id}?dateFormat=dd.MM.yyyy`)).json()["expires"]).toMatch(/^\d{2}\.\d{2}\.\d{4}$/);
    expect((await call("GET", `/api/ssl/v1/${id}?dateFormat=someday`)).status).toBe(400);
    const person = (
      await call("POST", "/api/smime/v1/enroll", {
        orgId: SEED.orgId,
        csr,
        certType: SEED.smimeProfile,
        term: 365,
        email: "a@example.com",
        firstName: "A",
        lastName: "B",
      })
    ).json()["id"];
    await call("GET", `/api/smime/v2/collect/${person}`);
    const list = JSON.parse((await call("GET", "/api/smime/v2?size=10")).text) as Array<Record<string, string>>;
    expect(list[0]?.["expires"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("40: device status upper-case in enroll/list/renew, title-case in details; client states lower-case", async () => {
    sim.setIssuance({ delayMs: 60_000 });
    const deviceCsr = await makeCsr("dev-1");
    const enrolled = (
      await call("POST", "/api/device/v1/enroll", {
        orgId: SEED.orgId,
        csr: deviceCsr,
        certType: SEED.deviceProfile,
        term: 365,
        customFields: SEED.deviceCustomFields,
      })
    ).json();
    expect(enrolled["status"]).toBe("APPROVED");
    const id = enrolled["deviceCertId"];
    expect((await call("GET", `/api/device/v1/${id}`)).json()["status"]).toBe("Approved");
    await sim.issueNow(id as number);
    expect((JSON.parse((await call("GET", "/api/device/v1?size=10")).text) as Array<Record<string, string>>)[0]?.["status"]).toBe("ISSUED");
    expect((await call("GET", `/api/device/v1/${id}`)).json()["status"]).toBe("Issued");
    expect((await call("POST", `/api/device/v1/renew/order/${id}`)).json()["status"]).toBe("APPROVED");
    const person = (
      await call("POST", "/api/smime/v1/enroll", {
        orgId: SEED.orgId,
        csr,
        certType: SEED.smimeProfile,
        term: 365,
        email: "a@example.com",
        firstName: "A",
        lastName: "B",
      })
    ).json()["id"];
    expect((await call("GET", `/api/smime/v1/${person}`)).json()["status"]).toBe("requested");
    await sim.issueNow(person as number);
    expect((await call("GET", `/api/smime/v1/${person}`)).json()["status"]).toBe("issued");
  });
});
