// What widely used SCM clients really send, replayed against the simulator: each row is one call as
// the named client library builds it (its repository and file say where), and what the real API
// does with it. The simulator must accept what they send, not only the reference's own examples.
//   python-cert_manager   broadinstitute/python-cert_manager cert_manager/{client,_certificates,ssl,smime}.py
//   sectigo-client (Go)   hm-edu/sectigo-client sectigo/{sectigo,ssl,client}.go, sectigo/client/requests.go
//   Keyfactor gateway     Keyfactor/sectigo-scm-caplugin sectigo-scm-caplugin/Client/SectigoClient.cs, API/*.cs
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSecureContext } from "node:tls";
import { request } from "undici";
import { inspectCertificate } from "../../pki/inspect.ts";
import { readCertificates } from "../../vendors/sectigo/collect.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { makeCsr, SEED } from "./testing.ts";

let sim: SectigoSimulator;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One call with the password headers every one of these clients sets, plus their own. */
async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(sim.url + path, {
    method: method as "GET",
    headers: { login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, text: raw.toString("utf8"), json: <T>() => JSON.parse(raw.toString("utf8")) as T };
}

// python-cert_manager: requests' json= (application/json), Accept and User-Agent on the session.
const PYTHON = { "content-type": "application/json", accept: "application/json", "user-agent": "cert_manager/2.0.0 (Python 3.12.3)" };
// sectigo-client (Go): Content-Type application/json on every call, GETs included.
const GO = { "content-type": "application/json", accept: "application/json" };
// Keyfactor: HttpClient PostAsJsonAsync.
const DOTNET = { "content-type": "application/json; charset=utf-8" };

beforeAll(async () => {
  sim = await startSectigoSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

async function sslOrder(name = "app.example.com"): Promise<number> {
  const res = await send(
    "POST",
    "/api/ssl/v1/enroll",
    JSON.stringify({ orgId: SEED.orgId, csr: await makeCsr(name), certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields }),
    PYTHON,
  );
  expect(res.status, res.text).toBe(200);
  return res.json<{ sslId: number }>().sslId;
}

interface ClientOrder {
  readonly id: number;
  readonly backendCertId: string;
}

async function clientOrder(email = "jane.doe@example.com"): Promise<ClientOrder> {
  const res = await send(
    "POST",
    "/api/smime/v1/enroll",
    JSON.stringify({ orgId: SEED.orgId, csr: await makeCsr("x"), certType: SEED.smimeProfile, term: 365, email, firstName: "Jane", lastName: "Doe" }),
    PYTHON,
  );
  expect(res.status, res.text).toBe(200);
  return res.json<ClientOrder>();
}

describe("SSL enroll bodies as clients build them", () => {
  const ROWS: ReadonlyArray<readonly [string, Record<string, string>, (csr: string) => Record<string, unknown>, readonly string[]]> = [
    [
      "python-cert_manager (_certificates.py enroll): SANs joined with commas, numberServers/serverType, its own comment, a null externalRequester, dcvMode CNAME by default",
      PYTHON,
      (csr) => ({
        orgId: SEED.orgId,
        csr: csr.trimEnd(),
        subjAltNames: "app.example.com,www.example.com",
        certType: SEED.sslProfile,
        numberServers: 1,
        serverType: -1,
        term: 365,
        comments: "Enrolled by cert_manager/2.0.0 (Python 3.12.3)",
        externalRequester: null,
        dcvMode: "CNAME",
        customFields: SEED.sslCustomFields,
      }),
      ["app.example.com", "www.example.com"],
    ],
    [
      "python-cert_manager before 2.0 (_certificates.py enroll): the SAN list passed through as a JSON array",
      PYTHON,
      (csr) => ({
        orgId: SEED.orgId,
        csr,
        subjAltNames: ["app.example.com", "api.example.com"],
        certType: SEED.sslProfile,
        numberServers: 1,
        serverType: -1,
        term: 365,
        comments: "Enrolled by cert_manager",
        externalRequester: null,
        customFields: SEED.sslCustomFields,
      }),
      ["app.example.com", "api.example.com"],
    ],
    [
      "Keyfactor gateway (API/Enroll.cs): numberServers and serverType as 0, null fields left out",
      DOTNET,
      (csr) => ({ orgId: SEED.orgId, csr, certType: SEED.sslProfile, numberServers: 0, serverType: 0, term: 365, customFields: SEED.sslCustomFields }),
      ["app.example.com"],
    ],
    [
      "sectigo-client (ssl/requests.go EnrollmentRequest): every field present, empty SANs as an empty string",
      GO,
      (csr) => ({ orgId: SEED.orgId, subjAltNames: "", certType: SEED.sslProfile, term: 365, customFields: SEED.sslCustomFields, csr }),
      ["app.example.com"],
    ],
  ];
  it.each(ROWS)("%s", async (_who, headers, body, names) => {
    const res = await send("POST", "/api/ssl/v1/enroll", JSON.stringify(body(await makeCsr("app.example.com"))), headers);
    expect(res.status, res.text).toBe(200);
    const { sslId } = res.json<{ sslId: number }>();
    const cert = await send("GET", `/api/ssl/v1/collect/${sslId}/x509CO`, undefined, headers);
    expect(cert.status).toBe(200);
    const info = await inspectCertificate(readCertificates(Buffer.from(cert.text))[0]!);
    expect(info.sans.dnsNames).toEqual(expect.arrayContaining([...names]));
  });
});

describe("SSL calls after enroll", () => {
  it('python-cert_manager and Keyfactor renew by id with a body that is the JSON string "" (ssl.py renew, SectigoClient.cs Renew)', async () => {
    const id = await sslOrder();
    await send("GET", `/api/ssl/v1/collect/${id}`);
    const res = await send("POST", `/api/ssl/v1/renewById/${id}`, '""', PYTHON);
    expect(res.status, res.text).toBe(200);
    expect(res.json<{ sslId: number }>().sslId).not.toBe(id);
  });

  it("python-cert_manager and sectigo-client revoke with only a reason; the reason code defaults to unspecified (0)", async () => {
    const id = await sslOrder();
    await send("GET", `/api/ssl/v1/collect/${id}`);
    expect((await send("POST", `/api/ssl/v1/revoke/${id}`, JSON.stringify({ reason: "key lost" }), GO)).status).toBe(204);
    expect((await send("GET", `/api/ssl/v1/${id}`)).json()["reasonCode"]).toBe(0);
  });

  it("python-cert_manager counts with HEAD on the list URL (ssl.py count): X-Total-Count only", async () => {
    await sslOrder();
    await sslOrder();
    const res = await send("HEAD", "/api/ssl/v1?commonName=app.example.com", undefined, PYTHON);
    expect([res.status, res.headers["x-total-count"], res.text]).toEqual([200, "2", ""]);
  });

  it.each([
    [
      "Keyfactor (API/Reissue.cs)",
      DOTNET,
      (csr: string) => ({ csr, reason: "rekey", commonName: "app.example.com", subjectAlternativeNames: ["app.example.com", "www.example.com"] }),
    ],
    [
      "python-cert_manager (_certificates.py replace)",
      PYTHON,
      (csr: string) => ({ csr, commonName: "app.example.com", subjectAlternativeNames: ["app.example.com"], reason: "rekey" }),
    ],
    [
      "python-cert_manager before 2.0: SANs as one comma-separated string",
      PYTHON,
      (csr: string) => ({ csr, commonName: "app.example.com", subjectAlternativeNames: "app.example.com,www.example.com", reason: "rekey" }),
    ],
  ])("replace as %s sends it: 204, the same order is issued again for the new key", async (_who, headers, body) => {
    const id = await sslOrder();
    const before = await send("GET", `/api/ssl/v1/collect/${id}/x509CO`);
    const csr = await makeCsr("app.example.com");
    expect((await send("POST", `/api/ssl/v1/replace/${id}`, JSON.stringify(body(csr)), headers)).status).toBe(204);
    const after = await send("GET", `/api/ssl/v1/collect/${id}/x509CO`);
    expect(after.status).toBe(200);
    const [was, now] = [
      await inspectCertificate(readCertificates(Buffer.from(before.text))[0]!),
      await inspectCertificate(readCertificates(Buffer.from(after.text))[0]!),
    ];
    expect(now.serialHex).not.toBe(was.serialHex);
    expect(now.publicKeyPem).not.toBe(was.publicKeyPem);
  });

  it("replace of an order not yet issued is a state conflict (-130)", async () => {
    sim.setIssuance({ approvalRequired: true });
    const id = await sslOrder();
    const res = await send("POST", `/api/ssl/v1/replace/${id}`, JSON.stringify({ csr: await makeCsr("app.example.com"), reason: "rekey" }), PYTHON);
    expect([res.status, res.json()["code"]]).toEqual([400, -130]);
  });
});

describe("client (S/MIME) calls, older v1 paths included", () => {
  it("python-cert_manager enroll (smime.py): unset person fields sent as null", async () => {
    const body = {
      orgId: SEED.orgId,
      csr: await makeCsr("x"),
      certType: SEED.smimeProfile,
      term: 365,
      email: "jane.doe@example.com",
      phone: null,
      secondaryEmails: null,
      firstName: "Jane",
      middleName: null,
      lastName: "Doe",
      commonName: null,
      eppn: null,
      upn: null,
    };
    const res = await send("POST", "/api/smime/v1/enroll", JSON.stringify(body), PYTHON);
    expect(res.status, res.text).toBe(200);
    expect((await send("GET", `/api/smime/v1/${res.json<ClientOrder>().id}`)).json()["commonName"]).toBe("Jane Doe");
  });

  it("sectigo-client enroll (client/requests.go): unset person fields sent as empty strings, secondaryEmails null", async () => {
    const body = {
      orgId: SEED.orgId,
      firstName: "Jane",
      middleName: "",
      commonName: "",
      lastName: "Doe",
      email: "jane.doe@example.com",
      phone: "",
      secondaryEmails: null,
      csr: await makeCsr("x"),
      certType: SEED.smimeProfile,
      term: 365,
      eppn: "",
    };
    const res = await send("POST", "/api/smime/v1/enroll", JSON.stringify(body), GO);
    expect(res.status, res.text).toBe(200);
    expect((await send("GET", `/api/smime/v1/${res.json<ClientOrder>().id}`)).json()["commonName"]).toBe("Jane Doe");
  });

  it.each([
    [
      "sectigo-client Collect (client.go): the v1 path by order number, with a format",
      (o: ClientOrder) => `/api/smime/v1/collect/${o.backendCertId}?format=x509`,
    ],
    ["python-cert_manager collect (smime.py): the v1 path, no format (base64 PKCS#7)", (o: ClientOrder) => `/api/smime/v1/collect/${o.backendCertId}`],
  ])("%s: -183 before issuance, then the certificate", async (_who, path) => {
    sim.setIssuance({ collectsBeforeIssued: 1 });
    const order = await clientOrder();
    const first = await send("GET", path(order), undefined, GO);
    expect([first.status, first.json()["code"]]).toEqual([400, -183]);
    const second = await send("GET", path(order), undefined, GO);
    expect(second.status).toBe(200);
    expect(readCertificates(Buffer.from(second.text)).length).toBeGreaterThan(0);
  });

  it("python-cert_manager list (smime.py list, paginated): the v1 list URL with size/position", async () => {
    await clientOrder();
    const res = await send("GET", "/api/smime/v1?size=200&position=0", undefined, PYTHON);
    expect(res.status).toBe(200);
    expect(res.json<unknown[]>()).toHaveLength(1);
  });

  it.each([
    ["python-cert_manager list_by_email (smime.py): '@' as is", "a.person@example.com", (e: string) => e],
    ["sectigo-client ListByEmail (client.go): url.QueryEscape", "a+tag@example.com", (e: string) => encodeURIComponent(e)],
  ])("%s", async (_who, email, encode) => {
    const order = await clientOrder(email);
    await clientOrder("someone.else@example.com");
    const res = await send("GET", `/api/smime/v2/byPersonEmail/${encode(email)}`, undefined, GO);
    expect(res.status, res.text).toBe(200);
    expect(res.json<Array<{ id: number }>>().map((i) => i.id)).toEqual([order.id]);
  });

  it("lists by person id: v2 entries as documented; the deprecated v1 form answers the narrower entry", async () => {
    const order = await clientOrder("first.person@example.com");
    await send("GET", `/api/smime/v2/collect/${order.id}`);
    const v2 = await send("GET", "/api/smime/v2/byPersonId/1");
    expect(v2.json<Array<Record<string, unknown>>>()[0]).toMatchObject({
      id: order.id,
      state: "issued",
      backendCertId: order.backendCertId,
      serialNumber: expect.any(String),
    });
    const v1 = await send("GET", "/api/smime/v1/byPersonId/1");
    expect(Object.keys(v1.json<Array<Record<string, unknown>>>()[0]!).sort()).toEqual(["certificateDetails", "id", "state"]);
    const unknown = await send("GET", "/api/smime/v2/byPersonId/99");
    expect([unknown.status, unknown.json()["code"]]).toEqual([404, -105]);
  });

  it("python-cert_manager revoke (smime.py revoke): v1 order path with only a reason; sectigo-client revoke by serial likewise", async () => {
    const a = await clientOrder();
    const b = await clientOrder();
    await send("GET", `/api/smime/v2/collect/${a.id}`);
    await send("GET", `/api/smime/v2/collect/${b.id}`);
    expect((await send("POST", `/api/smime/v1/revoke/order/${a.backendCertId}`, JSON.stringify({ reason: "left" }), PYTHON)).status).toBe(204);
    const serial = (await send("GET", `/api/smime/v1/${b.id}`)).json()["serialNumber"] as string;
    expect((await send("POST", `/api/smime/v1/revoke/serial/${serial}`, JSON.stringify({ reason: "left" }), GO)).status).toBe(204);
    expect(sim.state().revocations.smime).toBe(2);
  });

  it("python-cert_manager replace (smime.py replace, v2 order path) with revoke true: issued again, the old certificate revoked", async () => {
    const order = await clientOrder();
    await send("GET", `/api/smime/v2/collect/${order.id}`);
    const res = await send(
      "POST",
      `/api/smime/v2/replace/order/${order.id}`,
      JSON.stringify({ csr: await makeCsr("x"), reason: "new key", revoke: true }),
      PYTHON,
    );
    expect(res.status, res.text).toBe(204);
    expect(sim.state().revocations.smime).toBe(1);
    expect((await send("GET", `/api/smime/v2/collect/${order.id}`)).status).toBe(200);
  });

  it("the PKCS#12 of an escrowed key loads with the passphrase and not without it", async () => {
    const order = await sim.seedOrder({ family: "smime", email: "escrow@example.com", state: "issued", keyEscrow: true });
    const res = await request(`${sim.url}/api/smime/v1/keystore/${order.id}`, {
      method: "POST",
      headers: { login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri, "content-type": "application/json" },
      body: JSON.stringify({ passphrase: "12345678" }),
    });
    const pfx = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(() => createSecureContext({ pfx, passphrase: "12345678" })).not.toThrow();
    expect(() => createSecureContext({ pfx, passphrase: "wrong" })).toThrow();
    const csrOnly = await clientOrder();
    await send("GET", `/api/smime/v2/collect/${csrOnly.id}`);
    const refused = await send("POST", `/api/smime/v1/keystore/${csrOnly.id}`, JSON.stringify({ passphrase: "12345678" }), PYTHON);
    expect([refused.status, refused.json()["code"]]).toEqual([400, -169]);
  });
});
