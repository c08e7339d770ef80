// DIGEST §4 "Simulator fidelity checklist", ZPA items 1–16: one named test per item, over HTTP.
// The checklist is written from the documents, so it runs against the "documented" profile. Where
// recorded traffic answers differently (items 3, 6, 8, 11), recorded.test.ts holds the traffic's
// version against the default profile.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { PROVISIONING_KEY_FORMAT } from "./key-value.ts";
import { SEED_IDS } from "./seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import { mgmt, raw, signIn } from "./testing.ts";

let sim: ZpaSimulator;
let token: string;
const keyPath = (type: string, id?: string) => `${mgmt(sim.customerId)}/associationType/${type}/provisioningKey${id === undefined ? "" : `/${id}`}`;
const createBody = (over: Record<string, unknown> = {}) => ({
  name: "fidelity key",
  maxUsage: "5",
  enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
  zcomponentId: SEED_IDS.connectorGroups.a,
  ...over,
});

beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: { get: 10_000, write: 10_000 }, profile: "documented" });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await sim.reset();
  token = await signIn(sim);
});

const numericString = /^\d+$/;

describe("ZPA fidelity checklist (DIGEST §4)", () => {
  test("1. lists are {totalPages:<string>, list}; ids, counts and epochs are strings; flags are booleans", async () => {
    await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody() });
    const keys = await raw(sim, "GET", keyPath("CONNECTOR_GRP"), { token });
    const certs = await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert`, { token });
    for (const r of [keys, certs]) {
      const body = r.json as { totalPages: unknown; list: Array<Record<string, unknown>> };
      expect(body.totalPages).toMatch(numericString);
      expect(Array.isArray(body.list)).toBe(true);
      for (const o of body.list) {
        for (const f of [
          "id",
          "creationTime",
          "usageCount",
          "maxUsage",
          "zcomponentId",
          "enrollmentCertId",
          "validFromInEpochSec",
          "validToInEpochSec",
          "modifiedTime",
        ]) {
          if (f in o) expect(typeof o[f], f).toBe("string");
        }
        for (const f of ["enabled", "allowSigning", "privateKeyPresent"]) if (f in o) expect(typeof o[f], f).toBe("boolean");
      }
    }
  });

  test("2. page is 1-based, pagesize defaults to 20 and is capped at 500", async () => {
    for (let i = 0; i < 25; i++)
      sim.zpa.putKey({
        id: String(9000 + i),
        associationType: "SERVICE_EDGE_GRP",
        name: `k${i}`,
        maxUsage: 1,
        usageCount: 0,
        enabled: true,
        enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge,
        zcomponentId: SEED_IDS.serviceEdgeGroups.a,
        microtenantId: "0",
      });
    const first = (await raw(sim, "GET", keyPath("SERVICE_EDGE_GRP"), { token })).json as { totalPages: string; list: unknown[] };
    expect(first.list).toHaveLength(20);
    expect(first.totalPages).toBe("2");
    const second = (await raw(sim, "GET", `${keyPath("SERVICE_EDGE_GRP")}?page=2`, { token })).json as { list: unknown[] };
    expect(second.list).toHaveLength(5);
    const huge = (await raw(sim, "GET", `${keyPath("SERVICE_EDGE_GRP")}?pagesize=100000`, { token })).json as { totalPages: string; list: unknown[] };
    expect(huge.list).toHaveLength(25);
    expect(huge.totalPages).toBe("1");
  });

  test("3. a request with search also returns totalCount as a string", async () => {
    const plain = (await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert`, { token })).json as Record<string, unknown>;
    const searched = (await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert?search=name%20LIKE%20o`, { token })).json as Record<string, unknown>;
    expect(plain).not.toHaveProperty("totalCount");
    expect(searched["totalCount"]).toMatch(numericString);
  });

  test("4. LIKE matches substrings, EQ matches exactly, %20 spaces accepted", async () => {
    const names = async (q: string) =>
      (((await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert?search=${q}`, { token })).json as { list?: Array<{ name: string }> }).list ?? [])
        .map((c) => c.name)
        .sort();
    expect(await names("name%20LIKE%20Client")).toEqual(["Client", "Isolation Client"]);
    expect(await names("name%20EQ%20Client")).toEqual(["Client"]);
    expect(await names("privateKeyPresent%20EQ%20false")).toEqual(["Imported Partner Root"]);
    await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody({ maxUsage: "2" }) });
    await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody({ name: "other", maxUsage: "20" }) });
    const byUsage = (await raw(sim, "GET", `${keyPath("CONNECTOR_GRP")}?search=maxUsage%20EQ%202`, { token })).json as { list: Array<{ maxUsage: string }> };
    expect(byUsage.list.map((k) => k.maxUsage)).toEqual(["2"]);
  });

  test("5. enrollment-cert list only at v2, get-by-id only at v1", async () => {
    expect((await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert`, { token })).status).toBe(200);
    expect((await raw(sim, "GET", `${mgmt(sim.customerId, 1)}/enrollmentCert`, { token })).status).toBe(404);
    expect((await raw(sim, "GET", `${mgmt(sim.customerId, 1)}/enrollmentCert/${SEED_IDS.enrollmentCerts.root}`, { token })).status).toBe(200);
    expect((await raw(sim, "GET", `${mgmt(sim.customerId, 2)}/enrollmentCert/${SEED_IDS.enrollmentCerts.root}`, { token })).status).toBe(404);
  });

  test("6. modifiedTime omitted on never-modified objects; a CSR-only cert has no certificate/cName/validity", async () => {
    const created = (await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody() })).json as { id: string };
    const before = (await raw(sim, "GET", keyPath("CONNECTOR_GRP", created.id), { token })).json as Record<string, unknown>;
    expect(before).not.toHaveProperty("modifiedTime");
    expect((await raw(sim, "PUT", keyPath("CONNECTOR_GRP", created.id), { token, json: createBody({ name: "renamed" }) })).status).toBe(204);
    const after = (await raw(sim, "GET", keyPath("CONNECTOR_GRP", created.id), { token })).json as Record<string, unknown>;
    expect(after["modifiedTime"]).toMatch(numericString);
    const csrOnly = (await raw(sim, "GET", `${mgmt(sim.customerId)}/enrollmentCert/${SEED_IDS.enrollmentCerts.csrOnly}`, { token })).json as Record<
      string,
      unknown
    >;
    for (const f of ["certificate", "cName", "validFromInEpochSec", "validToInEpochSec", "modifiedTime"]) expect(csrOnly).not.toHaveProperty(f);
    expect(csrOnly["csr"]).toMatch(/BEGIN CERTIFICATE REQUEST/);
    for (const [k, v] of Object.entries(csrOnly)) expect(v, k).not.toBeNull();
  });

  test("7. fixtures may carry a 13-digit (millisecond) validFromInEpochSec", async () => {
    const seeded = sim.zpa.store.certificates.get(SEED_IDS.browserCertificate)!;
    sim.zpa.store.certificates.set("217246660303022109", {
      ...seeded,
      id: "217246660303022109",
      validFromInEpochSec: 1519963049000,
      validToInEpochSec: 1551499049000,
    });
    const got = (await raw(sim, "GET", `${mgmt(sim.customerId)}/certificate/217246660303022109`, { token })).json as Record<string, string>;
    expect(got["validFromInEpochSec"]).toBe("1519963049000");
  });

  test("8. POST provisioningKey → 201 with generated key, usageCount 0, enabled true; PUT and DELETE → 204 with empty bodies", async () => {
    const c = await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody() });
    expect(c.status).toBe(201);
    const key = c.json as Record<string, unknown>;
    expect(key["provisioningKey"]).toMatch(PROVISIONING_KEY_FORMAT);
    expect(key["usageCount"]).toBe("0");
    expect(key["enabled"]).toBe(true);
    const u = await raw(sim, "PUT", keyPath("CONNECTOR_GRP", String(key["id"])), { token, json: createBody({ maxUsage: "9" }) });
    expect([u.status, u.text]).toEqual([204, ""]);
    const d = await raw(sim, "DELETE", keyPath("CONNECTOR_GRP", String(key["id"])), { token });
    expect([d.status, d.text]).toEqual([204, ""]);
    expect(sim.state()).toMatchObject({
      created: { provisioningKey: { CONNECTOR_GRP: 1 } },
      updated: { provisioningKey: { CONNECTOR_GRP: 1 } },
      deleted: { provisioningKey: { CONNECTOR_GRP: 1 } },
    });
  });

  test("9. a key exists only under its associationType; numeric fields accepted as strings or numbers", async () => {
    const c = (await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody({ maxUsage: 7, enrollmentCertId: 2860 }) })).json as {
      id: string;
      maxUsage: string;
    };
    expect(c.maxUsage).toBe("7");
    expect((await raw(sim, "GET", keyPath("CONNECTOR_GRP", c.id), { token })).status).toBe(200);
    const other = await raw(sim, "GET", keyPath("SERVICE_EDGE_GRP", c.id), { token });
    expect(other.status).toBe(400);
    expect((other.json as { id: string }).id).toBe("resource.not.found");
  });

  const invalidCreates: Array<{ reason: string; type: string; body: Record<string, unknown>; id: string }> = [
    {
      reason: "enrollment cert without a private key",
      type: "CONNECTOR_GRP",
      body: createBodyStatic({ enrollmentCertId: SEED_IDS.enrollmentCerts.importedNoKey }),
      id: "invalid.association",
    },
    {
      reason: "a service-edge group under CONNECTOR_GRP",
      type: "CONNECTOR_GRP",
      body: createBodyStatic({ zcomponentId: SEED_IDS.serviceEdgeGroups.a }),
      id: "invalid.association",
    },
    { reason: "a connector group under SERVICE_EDGE_GRP", type: "SERVICE_EDGE_GRP", body: createBodyStatic({}), id: "invalid.association" },
    { reason: "missing name", type: "CONNECTOR_GRP", body: createBodyStatic({ name: undefined }), id: "invalid.input" },
    {
      reason: "non-numeric maxUsage (the payload template)",
      type: "CONNECTOR_GRP",
      body: createBodyStatic({ maxUsage: "<max usage for this key>" }),
      id: "invalid.input",
    },
    { reason: "unknown enrollment cert", type: "CONNECTOR_GRP", body: createBodyStatic({ enrollmentCertId: "1" }), id: "resource.not.found" },
  ];
  test.each(invalidCreates)("10. create rejected with 400 $id: $reason", async ({ type, body, id }) => {
    const r = await raw(sim, "POST", keyPath(type), { token, json: body });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ id, reason: expect.any(String) });
    expect(sim.state()).toMatchObject({ created: { provisioningKey: { CONNECTOR_GRP: 0, SERVICE_EDGE_GRP: 0 } }, rejectedWrites: 1 });
  });

  test("10. update with an invalid reference is rejected too, and leaves the key unchanged", async () => {
    const c = (await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody() })).json as { id: string };
    const r = await raw(sim, "PUT", keyPath("CONNECTOR_GRP", c.id), {
      token,
      json: createBody({ enrollmentCertId: SEED_IDS.enrollmentCerts.importedNoKey, name: "x" }),
    });
    expect(r.status).toBe(400);
    const got = (await raw(sim, "GET", keyPath("CONNECTOR_GRP", c.id), { token })).json as { name: string };
    expect(got.name).toBe("fidelity key");
  });

  test("11. POST certificate → 200 with parsed cName, san, validity, issuedTo/By, serialNo, publicKey; never the key; no key → 400", async () => {
    const ca = await createTestCa({ name: "fidelity" });
    const leaf = await ca.issue(
      { commonName: "app.sim.example", organizations: ["Sim"] },
      { dnsNames: ["app.sim.example", "alt.sim.example"] },
      { usage: "server" },
    );
    const r = await raw(sim, "POST", `${mgmt(sim.customerId)}/certificate?microtenantId=0`, {
      token,
      json: { certBlob: leaf.leafPem + leaf.keyPem, name: "app" },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      cName: "app.sim.example",
      san: ["app.sim.example", "alt.sim.example"],
      validFromInEpochSec: String(Math.floor(leaf.notBefore.getTime() / 1000)),
      validToInEpochSec: String(Math.floor(leaf.notAfter.getTime() / 1000)),
      issuedTo: "CN=app.sim.example,O=Sim",
      serialNo: BigInt(`0x${leaf.serialHex}`).toString(),
      microtenantName: "Default",
    });
    expect(r.text).not.toMatch(/PRIVATE KEY/);
    expect((r.json as { publicKey: string }).publicKey).toMatch(/BEGIN PUBLIC KEY/);
    const noKey = await raw(sim, "POST", `${mgmt(sim.customerId)}/certificate`, { token, json: { certBlob: leaf.leafPem, name: "nokey" } });
    expect(noKey.status).toBe(400);
  });

  test("12. PUT certificate changes only name/description → 204; DELETE → 204", async () => {
    const id = SEED_IDS.browserCertificate;
    const before = (await raw(sim, "GET", `${mgmt(sim.customerId)}/certificate/${id}`, { token })).json as Record<string, unknown>;
    const u = await raw(sim, "PUT", `${mgmt(sim.customerId)}/certificate/${id}`, {
      token,
      json: { name: "renamed", description: "d", cName: "evil.example", certBlob: "ignored" },
    });
    expect([u.status, u.text]).toEqual([204, ""]);
    const after = (await raw(sim, "GET", `${mgmt(sim.customerId)}/certificate/${id}`, { token })).json as Record<string, unknown>;
    expect(after).toMatchObject({ name: "renamed", description: "d", cName: before["cName"], certificate: before["certificate"] });
    // The seeded browser-access segment serves this certificate; it must let go before the delete.
    sim.zpa.store.segments.applications.delete(SEED_IDS.applications.portal);
    const d = await raw(sim, "DELETE", `${mgmt(sim.customerId)}/certificate/${id}`, { token });
    expect([d.status, d.text]).toEqual([204, ""]);
    expect((await raw(sim, "GET", `${mgmt(sim.customerId)}/certificate/${id}`, { token })).status).toBe(400);
  });

  test("13. unknown id → 400 resource.not.found with the id in reason and params", async () => {
    const r = await raw(sim, "GET", keyPath("CONNECTOR_GRP", "123"), { token });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ id: "resource.not.found", reason: "No resource exists with the given id/name :123", params: ["123"] });
  });

  test("13. the 404 variant is available as an option", async () => {
    const s404 = await startZpaSimulator({ notFoundStatus: 404, seed: "empty" });
    try {
      const t = await signIn(s404);
      const r = await raw(s404, "GET", `${mgmt(s404.customerId)}/certificate/5`, { token: t });
      expect(r.status).toBe(404);
      expect((r.json as { id: string }).id).toBe("resource.not.found");
    } finally {
      await s404.close();
    }
  });

  test("14. the 21st GET or the 11th write within 10 s → 429 invalid.toomanyrequests with retry-after '<n>s'", async () => {
    const limited = await startZpaSimulator({ seed: "empty" });
    try {
      const t = await signIn(limited);
      const gets = [];
      for (let i = 0; i < 21; i++) gets.push(await raw(limited, "GET", `${mgmt(limited.customerId)}/certificate`, { token: t }));
      expect(gets.slice(0, 20).every((r) => r.status === 200)).toBe(true);
      const over = gets[20]!;
      expect(over.status).toBe(429);
      expect(over.json).toEqual({ exception: "invalid.toomanyrequests", id: "invalid.toomanyrequests", reason: "Exceeded the number of requests allowed" });
      expect(over.headers.get("retry-after")).toMatch(/^([1-9]|10)s$/);
      const writes = [];
      for (let i = 0; i < 11; i++) writes.push(await raw(limited, "DELETE", `${mgmt(limited.customerId)}/certificate/${i}`, { token: t }));
      expect(writes.slice(0, 10).every((r) => r.status === 400)).toBe(true);
      expect(writes[10]!.status).toBe(429);
      expect(limited.state().rateLimit).toMatchObject({ violations: 2, violationsByBucket: { get: 1, write: 1 } });
    } finally {
      await limited.close();
    }
  });

  test("15. injectable 409 api.concurrent.access.error and 503 retryable.server.error with Retry-After: 10s", async () => {
    sim.zpa.injectFault("concurrentAccess");
    const c = await raw(sim, "POST", keyPath("CONNECTOR_GRP"), { token, json: createBody() });
    expect(c.status).toBe(409);
    expect(c.json).toEqual({
      params: ["com.zscaler.zpn.model.PolicySet"],
      id: "api.concurrent.access.error",
      reason: "Unable to modify the resource due to concurrent change requests. Try again",
    });
    const admin = await raw(sim, "POST", "/__sim/zpa/faults", { json: { kind: "retryableServerError" } });
    expect(admin.status).toBe(204);
    const s = await raw(sim, "GET", keyPath("CONNECTOR_GRP"), { token });
    expect(s.status).toBe(503);
    expect(s.headers.get("retry-after")).toBe("10s");
    expect((s.json as { id: string }).id).toBe("retryable.server.error");
    expect((await raw(sim, "GET", keyPath("CONNECTOR_GRP"), { token })).status).toBe(200);
    expect(sim.state().created.provisioningKey.CONNECTOR_GRP).toBe(0);
  });

  test("16. POST /signin → Bearer token with expires_in as a string; missing, invalid or expired bearer → 401 access.denied", async () => {
    const c = sim.credentials[0]!;
    const ok = await raw(sim, "POST", "/signin", { form: { client_id: c.clientId, client_secret: c.clientSecret } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: "Bearer", access_token: expect.any(String), expires_in: "3600" });
    const bad = await raw(sim, "POST", "/signin", { form: { client_id: c.clientId, client_secret: "wrong" } });
    expect([bad.status, bad.json]).toEqual([401, { id: "access.denied", reason: "Access denied" }]);
    const denied = { id: "access.denied", reason: "Access denied" };
    expect((await raw(sim, "GET", keyPath("CONNECTOR_GRP"))).json).toEqual(denied);
    expect((await raw(sim, "GET", keyPath("CONNECTOR_GRP"), { token: "nope" })).status).toBe(401);
    const short = await startZpaSimulator({ seed: "empty", tokenTtlSeconds: 1 });
    try {
      const t = await signIn(short);
      expect((await raw(short, "GET", `${mgmt(short.customerId)}/certificate`, { token: t })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      const expired = await raw(short, "GET", `${mgmt(short.customerId)}/certificate`, { token: t });
      expect([expired.status, expired.json]).toEqual([401, denied]);
    } finally {
      await short.close();
    }
  });
});

function createBodyStatic(over: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = {
    name: "fidelity key",
    maxUsage: "5",
    enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
    zcomponentId: SEED_IDS.connectorGroups.a,
    ...over,
  };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  return base;
}
