// The inventory side of the certificate families (imports, locations, keys SCM holds): what each
// call does to the account, beyond the documented example answers doc-examples.test.ts replays.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { pemToDer } from "../../pki/formats.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { startSectigoSimulator, type SectigoSimulator } from "./server.ts";
import { makeCsr, multipartFile, SEED, zipOf } from "./testing.ts";

let sim: SectigoSimulator;
let outside: TestCa;

async function send(
  method: string,
  path: string,
  body?: string | Buffer,
  contentType = "application/json",
): Promise<{ status: number; headers: Record<string, unknown>; json: <T>() => T }> {
  const res = await request(sim.url + path, {
    method: method as "GET",
    headers: { login: sim.credentials.login, password: sim.credentials.password, customerUri: sim.customerUri, "content-type": contentType },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: <T>() => JSON.parse(text) as T };
}

beforeAll(async () => {
  sim = await startSectigoSimulator();
  outside = await createTestCa({ name: "Another CA" });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe("imports", () => {
  const der = async (names: {
    readonly commonName: string;
    readonly dnsNames?: readonly string[];
    readonly emailAddresses?: readonly string[];
  }): Promise<string> => {
    const leaf = await outside.issue(
      { commonName: names.commonName },
      {
        ...(names.dnsNames === undefined ? {} : { dnsNames: [...names.dnsNames] }),
        ...(names.emailAddresses === undefined ? {} : { emailAddresses: [...names.emailAddresses] }),
      },
      { usage: names.emailAddresses === undefined ? "server" : "client", validityDays: 90 },
    );
    return pemToDer(leaf.leafPem).toString("base64");
  };

  it.each([
    ["SSL v2", "/api/ssl/v2/import", "ssl", { commonName: "old.example.com", dnsNames: ["old.example.com"] }],
    ["device v1", "/api/device/v1/import", "device", { commonName: "sensor-9" }],
    ["client v2", "/api/smime/v2/import", "smime", { commonName: "Pat", emailAddresses: ["pat@example.com"] }],
  ] as const)("%s: created once, found (created: false) the second time; the imported order can be deleted", async (_why, path, family, names) => {
    const cert = await der(names);
    const body = JSON.stringify([{ orgID: SEED.orgId, cert, comments: "brought in" }]);
    const first = (await send("POST", path, body)).json<Array<{ successful: boolean; created: boolean; cert: { id: number } }>>()[0]!;
    expect([first.successful, first.created]).toEqual([true, true]);
    const again = (await send("POST", path, body)).json<Array<{ successful: boolean; created: boolean; cert: { id: number } }>>()[0]!;
    expect([again.successful, again.created, again.cert.id]).toEqual([true, false, first.cert.id]);
    expect(sim.orders(family)).toHaveLength(1);
    const base = family === "ssl" ? "/api/ssl/v1" : family === "smime" ? "/api/smime/v1" : "/api/device/v1";
    expect((await send("DELETE", `${base}/${first.cert.id}`)).status).toBe(204);
  });

  it.each([
    [
      "a CA certificate",
      "/api/ssl/v2/import",
      async () => pemToDer(outside.intermediate.certPem).toString("base64"),
      /Cannot bring certificate SN=''[0-9A-F]+'' under management/,
    ],
    ["a client certificate without an e-mail", "/api/smime/v2/import", async () => der({ commonName: "no-mail" }), /CN must contain email\.$/],
    ["bytes that are no certificate", "/api/device/v1/import", async () => Buffer.from("nope").toString("base64"), /Certificate is corrupted/],
  ])("%s is refused in its element, the call itself succeeds", async (_why, path, cert, message) => {
    const res = await send("POST", path, JSON.stringify([{ orgID: SEED.orgId, cert: await cert() }]));
    expect(res.status).toBe(200);
    expect(res.json<Array<{ successful: boolean; errorMessage: string }>>()[0]).toMatchObject({
      successful: false,
      errorMessage: expect.stringMatching(message),
    });
  });

  it("an empty or oversized array is refused (-1601)", async () => {
    expect((await send("POST", "/api/ssl/v2/import", "[]")).status).toBe(400);
    expect((await send("POST", "/api/ssl/v2/import", JSON.stringify(Array.from({ length: 129 }, () => ({}))))).status).toBe(400);
  });

  it("SSL v1 takes a zip: certificates are imported, a CA certificate, a duplicate and other files are reported by name", async () => {
    const leaf = await outside.issue({ commonName: "zip.example.com" }, { dnsNames: ["zip.example.com"] }, { usage: "server", validityDays: 90 });
    const upload = multipartFile(
      "certs.zip",
      "application/zip",
      zipOf([
        { name: "zip_example_com.crt", data: Buffer.from(leaf.leafPem) },
        { name: "again.der", data: pemToDer(leaf.leafPem) },
        { name: "interm.cer", data: Buffer.from(outside.intermediate.certPem) },
        { name: "keystore.p12", data: Buffer.from("x") },
      ]),
    );
    const res = await send("POST", `/api/ssl/v1/import?orgId=${SEED.orgId}`, upload.body, upload.contentType);
    expect(res.json()).toEqual({
      processedCount: 4,
      errors: [
        "[again.der] - SSL certificate already exists. Order number: N/A",
        "interm.cer - Failed to parse certificate: Certificate is corrupted or subject basic constraint is not met",
        "keystore.p12 - Unsupported file extension",
      ],
    });
    expect(sim.orders("ssl").map((o) => [o.commonName, o.imported, o.phase])).toEqual([["zip.example.com", true, "issued"]]);
  });

  it("SSL v1 import without orgId or without a file says which is missing (-7)", async () => {
    const upload = multipartFile("certs.zip", "application/zip", zipOf([]));
    expect((await send("POST", "/api/ssl/v1/import", upload.body, upload.contentType)).json()).toMatchObject({ code: -7 });
    expect((await send("POST", `/api/ssl/v1/import?orgId=${SEED.orgId}`, "")).json()).toMatchObject({ code: -7 });
  });
});

describe("locations", () => {
  it.each([
    ["ssl", "/api/ssl/v1"],
    ["smime", "/api/smime/v2"],
    ["device", "/api/device/v1"],
  ] as const)("%s: create → 201 with its URL, list, update, delete; an unknown location is refused", async (family, base) => {
    const order = await sim.seedOrder({ family, csr: await makeCsr("loc.example.com") });
    const created = await send("POST", `${base}/${order.id}/location`, JSON.stringify({ details: { Server: "Apache" } }));
    expect(created.status).toBe(201);
    const url = String(created.headers["location"]);
    const id = Number(/\/location\/(\d+)$/.exec(url)?.[1]);
    expect(url).toContain(`${base}/${order.id}/location/`);
    expect((await send("PUT", `${base}/${order.id}/location/${id}`, JSON.stringify({ details: { Server: "nginx" } }))).status).toBe(200);
    expect((await send("GET", `${base}/${order.id}/location`)).json()).toEqual([{ id, locationType: "CUSTOM", name: "", details: { Server: "nginx" } }]);
    expect((await send("DELETE", `${base}/${order.id}/location/${id}`)).status).toBe(204);
    expect((await send("GET", `${base}/${order.id}/location/${id}`)).json()).toMatchObject({ code: -1601 });
    expect((await send("POST", `${base}/${order.id}/location`, JSON.stringify({}))).json()).toMatchObject({ code: -7 });
  });
});

describe("keys SCM generates (enroll-keygen)", () => {
  it("PK agent: the order issues for the generated key and its keystore link is offered; a CSR order has no keystore", async () => {
    const body = {
      orgId: SEED.orgId,
      subjAltNames: "gen.example.com",
      certType: SEED.sslProfile,
      term: 365,
      customFields: SEED.sslCustomFields,
      commonName: "gen.example.com",
      passPhrase: "password",
      keyParam: "2048",
      algorithm: "RSA",
      keyGenerationMethod: "PK_AGENT",
    };
    const placed = (await send("POST", "/api/ssl/v1/enroll-keygen", JSON.stringify(body))).json<{ sslId: number }>();
    expect((await send("GET", `/api/ssl/v1/collect/${placed.sslId}`)).status).toBe(200);
    const link = await send("POST", `/api/ssl/v1/keystore/${placed.sslId}/p12`, JSON.stringify({ passphrase: "123" }));
    expect(link.json<{ link: string }>().link).toMatch(/^https:\/\/[^/]+\/download\?token=\w+&keyformat=p12$/);
    expect(sim.orders("ssl")[0]?.keyAlgorithm).toBe("RSA");
    const unknownFormat = await send("POST", `/api/ssl/v1/keystore/${placed.sslId}/zip`, JSON.stringify({ passphrase: "123" }));
    expect(unknownFormat.json()).toMatchObject({ code: -1450 });
  });

  it.each([
    ["an unknown key generation method", { keyGenerationMethod: "HSM" }, -1601],
    ["a PK agent pass phrase under 8 characters", { passPhrase: "short" }, -1601],
    ["an EC curve SCM does not offer", { algorithm: "EC", keyParam: "P-521" }, -1601],
    ["no common name", { commonName: undefined }, -7],
  ])("refused: %s", async (_why, over, code) => {
    const body = {
      orgId: SEED.orgId,
      certType: SEED.sslProfile,
      term: 365,
      customFields: SEED.sslCustomFields,
      commonName: "gen.example.com",
      passPhrase: "password",
      algorithm: "RSA",
      keyParam: "2048",
      keyGenerationMethod: "PK_AGENT",
      ...over,
    };
    expect((await send("POST", "/api/ssl/v1/enroll-keygen", JSON.stringify(body))).json()).toMatchObject({ code });
  });
});
