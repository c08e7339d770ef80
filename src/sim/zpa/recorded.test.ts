// The default profile answers as recorded traffic shows real ZPA answering, where that differs from
// the documents (fidelity.test.ts keeps the documented checklist). Every expectation names the
// recording: zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/<file>.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { PROVISIONING_KEY_FORMAT } from "./key-value.ts";
import { SEED_IDS } from "./seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import { mgmt, oneApiToken, raw, signIn } from "./testing.ts";

let sim: ZpaSimulator;
let token: string;
const keys = () => `${mgmt(sim.customerId)}/associationType/CONNECTOR_GRP/provisioningKey`;
const keyBody = { name: "recorded", maxUsage: 2, enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: SEED_IDS.connectorGroups.a };

beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await sim.reset();
  token = await signIn(sim);
});

const decodeJwtPayload = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;

describe("recorded traffic (default profile)", () => {
  test("POST provisioningKey → 200 (TestAppConnectorGroupProvisioningKey): modifiedTime = creationTime, audit flags, key '<n>|<host>|<384 base64>-<id>'", async () => {
    const r = await raw(sim, "POST", keys(), { token, json: { ...keyBody, componentId: SEED_IDS.connectorGroups.a } });
    expect(r.status).toBe(200);
    const k = r.json as Record<string, unknown>;
    expect(k["modifiedTime"]).toBe(k["creationTime"]);
    expect(k).toMatchObject({ usageCount: "0", maxUsage: "2", enabled: true, exportable: true, readOnly: false, zscalerManaged: false });
    expect(k).not.toHaveProperty("zcomponentName");
    const value = String(k["provisioningKey"]);
    expect(value).toMatch(PROVISIONING_KEY_FORMAT);
    expect(value).toMatch(/^3\|[^|]+\|[A-Za-z0-9+/]{384}-\d{18}$/);
    const read = (await raw(sim, "GET", `${keys()}/${String(k["id"])}`, { token })).json as Record<string, unknown>;
    expect(read).toMatchObject({ zcomponentName: "Connector Group A", enrollmentCertName: "Connector" });
    expect(read).not.toHaveProperty("appConnectorGroupName");
  });

  test("PUT provisioningKey with {name} alone → 204 and the rest kept (the recorded update body)", async () => {
    const k = (await raw(sim, "POST", keys(), { token, json: keyBody })).json as { id: string; provisioningKey: string };
    const u = await raw(sim, "PUT", `${keys()}/${k.id}`, { token, json: { name: "recorded Updated" } });
    expect([u.status, u.text]).toEqual([204, ""]);
    const got = (await raw(sim, "GET", `${keys()}/${k.id}`, { token })).json;
    expect(got).toMatchObject({ name: "recorded Updated", maxUsage: "2", zcomponentId: SEED_IDS.connectorGroups.a, provisioningKey: k.provisioningKey });
  });

  test("PUT provisioningKey with the Terraform provider's whole-object body (read-only fields, associationType '') → 204", async () => {
    const k = (await raw(sim, "POST", keys(), { token, json: keyBody })).json as Record<string, unknown>;
    const tfBody = {
      ...k,
      associationType: "",
      usageCount: "0",
      ipAcl: [],
      appConnectorGroupId: "",
      zcomponentName: "Connector Group A",
      maxUsage: "7",
      enabled: true,
    };
    expect((await raw(sim, "PUT", `${keys()}/${String(k["id"])}`, { token, json: tfBody })).status).toBe(204);
    expect((await raw(sim, "GET", `${keys()}/${String(k["id"])}`, { token })).json).toMatchObject({ maxUsage: "7" });
  });

  test("POST certificate → 201 without microtenantName until read (TestBACertificates); PUT with only a description keeps the name", async () => {
    const ca = await createTestCa({ name: "recorded" });
    const leaf = await ca.issue({ commonName: "rec.sim.example" }, { dnsNames: ["rec.sim.example"] }, { usage: "server" });
    const c = await raw(sim, "POST", `${mgmt(sim.customerId)}/certificate`, { token, json: { name: "tests-bacert", certBlob: leaf.leafPem + leaf.keyPem } });
    expect(c.status).toBe(201);
    const created = c.json as Record<string, unknown>;
    expect(created).toMatchObject({ readOnly: false, zscalerManaged: false, cName: "rec.sim.example" });
    expect(created["modifiedTime"]).toBe(created["creationTime"]);
    expect(created).not.toHaveProperty("microtenantName");
    const path = `${mgmt(sim.customerId)}/certificate/${String(created["id"])}`;
    expect((await raw(sim, "GET", path, { token })).json).toMatchObject({ microtenantName: "Default" });
    // zscaler-sdk-python update_certificate sends only the arguments given.
    expect((await raw(sim, "PUT", path, { token, json: { description: "only this" } })).status).toBe(204);
    expect((await raw(sim, "GET", path, { token })).json).toMatchObject({ name: "tests-bacert", description: "only this" });
  });

  test("totalCount is on every list, with or without search", async () => {
    const plain = (await raw(sim, "GET", keys(), { token })).json as Record<string, unknown>;
    const certs = (await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/clientlessCertificate/issued`, { token })).json as Record<string, unknown>;
    expect(plain["totalCount"]).toBe("0");
    expect(certs["totalCount"]).toBe("1");
  });

  test("bearer tokens are JWTs the SDKs can decode: exp matches expires_in (zscaler-sdk-go utils.IsTokenExpired)", async () => {
    const legacy = decodeJwtPayload(token);
    expect(Number(legacy["exp"]) - Number(legacy["iat"])).toBe(3600);
    expect(legacy["sub"]).toBe(sim.credentials[0]!.clientId);
    const oneapi = decodeJwtPayload(await oneApiToken(sim));
    expect(oneapi).toMatchObject({ aud: "https://api.zscaler.com" });
    // A token with its payload tampered with is not a session.
    const [h, , sig] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...legacy, exp: 9_999_999_999 })).toString("base64url")}.${sig}`;
    expect((await raw(sim, "GET", keys(), { token: forged })).status).toBe(401);
  });

  test("the OneAPI gateway answers a missing or expired bearer with its own 401 body (TestAppConnectorGroup)", async () => {
    const r = await raw(sim, "GET", `/zpa${keys()}`, { token: "expired" });
    expect([r.status, r.json]).toEqual([401, { detail: "unauthorized", type: "", title: "", status: "" }]);
    const legacy = await raw(sim, "GET", keys(), { token: "expired" });
    expect(legacy.json).toEqual({ id: "access.denied", reason: "Access denied" });
  });
});

test("the documented profile keeps the documents' answers (201 key, 200 certificate, no modifiedTime at birth)", async () => {
  const doc = await startZpaSimulator({ rateLimits: false, profile: "documented" });
  try {
    const t = await signIn(doc);
    const k = await raw(doc, "POST", `${mgmt(doc.customerId)}/associationType/CONNECTOR_GRP/provisioningKey`, { token: t, json: keyBody });
    expect(k.status).toBe(201);
    expect(k.json).not.toHaveProperty("modifiedTime");
    expect(String((k.json as Record<string, unknown>)["provisioningKey"])).toMatch(/^3\|[^|]+\|[A-Za-z0-9+/]+={0,2}$/);
  } finally {
    await doc.close();
  }
});
