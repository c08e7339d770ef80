// The ZPA client against the real simulator over HTTP: every call's happy path and its error classes.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { PROVISIONING_KEY_FORMAT } from "../../sim/zpa/key-value.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { VendorError } from "../shared/errors.ts";
import { legacyClient, oneApiClient, rejection } from "./testing.ts";
import type { AssociationType } from "./wire.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: { get: 100_000, write: 100_000 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const fast = {
  rateLimitRules: { read: { limit: 100_000, windowMs: 1000 }, write: { limit: 100_000, windowMs: 1000 }, default: { limit: 100_000, windowMs: 1000 } },
};

const keyFlows: Array<{ reason: string; type: AssociationType; cert: string; group: string; groupName: string }> = [
  {
    reason: "App Connector group key",
    type: "CONNECTOR_GRP",
    cert: SEED_IDS.enrollmentCerts.connector,
    group: SEED_IDS.connectorGroups.a,
    groupName: "Connector Group A",
  },
  {
    reason: "Private Service Edge group key",
    type: "SERVICE_EDGE_GRP",
    cert: SEED_IDS.enrollmentCerts.serviceEdge,
    group: SEED_IDS.serviceEdgeGroups.a,
    groupName: "Service Edge Group A",
  },
];

describe.each(keyFlows)("provisioning keys: $reason", ({ type, cert, group, groupName }) => {
  const input = { name: "cluster-a", maxUsage: 3, enrollmentCertId: cert, zcomponentId: group };

  test("create → the key value (200 as recorded; the documented 201 is covered below); exactly one key created", async () => {
    const zpa = legacyClient(sim, fast);
    const k = await zpa.createProvisioningKey(type, input);
    expect(k).toMatchObject({ name: "cluster-a", maxUsage: 3, usageCount: 0, enabled: true, enrollmentCertId: cert, zcomponentId: group });
    expect(k.provisioningKey).toMatch(PROVISIONING_KEY_FORMAT);
    expect(typeof k.id).toBe("string");
    expect(BigInt(k.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true); // survived as a string
    expect(sim.state().created.provisioningKey[type]).toBe(1);
    expect(sim.state().created.provisioningKey[type === "CONNECTOR_GRP" ? "SERVICE_EDGE_GRP" : "CONNECTOR_GRP"]).toBe(0);
  });

  test("get and find-by-name return the joined names and the same key value", async () => {
    const zpa = legacyClient(sim, fast);
    const created = await zpa.createProvisioningKey(type, input);
    await zpa.createProvisioningKey(type, { ...input, name: "cluster-a-2" });
    const got = await zpa.getProvisioningKey(type, created.id);
    expect(got).toMatchObject({ id: created.id, zcomponentName: groupName, provisioningKey: created.provisioningKey });
    expect(got.creationTime).toBeInstanceOf(Date);
    // Recorded keys carry modifiedTime = creationTime from birth.
    expect(got.modifiedTime).toEqual(got.creationTime);
    expect((await zpa.findProvisioningKeyByName(type, "cluster-a"))?.id).toBe(created.id);
    expect(await zpa.findProvisioningKeyByName(type, "cluster")).toBeUndefined();
  });

  test("update (PUT, full payload) → 204; the change is visible and the key value is kept", async () => {
    const zpa = legacyClient(sim, fast);
    const created = await zpa.createProvisioningKey(type, input);
    await zpa.updateProvisioningKey(type, created.id, { ...input, maxUsage: 10, enabled: false });
    const got = await zpa.getProvisioningKey(type, created.id);
    expect(got).toMatchObject({ maxUsage: 10, enabled: false, provisioningKey: created.provisioningKey });
    expect(got.modifiedTime).toBeInstanceOf(Date);
  });

  test("delete → 204; then get and delete are notFound", async () => {
    const zpa = legacyClient(sim, fast);
    const created = await zpa.createProvisioningKey(type, input);
    await zpa.deleteProvisioningKey(type, created.id);
    for (const p of [zpa.getProvisioningKey(type, created.id), zpa.deleteProvisioningKey(type, created.id)]) {
      const e = await rejection(p);
      expect(e).toBeInstanceOf(VendorError);
      expect(e).toMatchObject({ kind: "notFound", vendorCode: "resource.not.found", httpStatus: 400, vendor: "zpa" });
    }
    expect(sim.state().deleted.provisioningKey[type]).toBe(1);
  });
});

describe("provisioning keys: paging and errors", () => {
  test("lists every page with pagesize 500, driven by totalPages", async () => {
    for (let i = 0; i < 1203; i++)
      sim.zpa.putKey({
        id: String(50_000 + i),
        associationType: "CONNECTOR_GRP",
        name: `bulk-${i}`,
        maxUsage: 1,
        usageCount: 0,
        enabled: true,
        enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
        zcomponentId: SEED_IDS.connectorGroups.b,
        microtenantId: "0",
      });
    const zpa = legacyClient(sim, fast);
    const all = await zpa.listProvisioningKeys("CONNECTOR_GRP");
    expect(all).toHaveLength(1203);
    expect(new Set(all.map((k) => k.id)).size).toBe(1203);
    expect(sim.state().endpointCalls["GET provisioningKey"]).toBe(3);
  });

  test("a smaller page size pages more", async () => {
    for (let i = 0; i < 12; i++)
      sim.zpa.putKey({
        id: String(60_000 + i),
        associationType: "SERVICE_EDGE_GRP",
        name: `p-${i}`,
        maxUsage: 1,
        usageCount: 0,
        enabled: true,
        enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge,
        zcomponentId: SEED_IDS.serviceEdgeGroups.b,
        microtenantId: "0",
      });
    const zpa = legacyClient(sim, { ...fast, pageSize: 5 });
    expect(await zpa.listProvisioningKeys("SERVICE_EDGE_GRP")).toHaveLength(12);
    expect(sim.state().endpointCalls["GET provisioningKey"]).toBe(3);
  });

  const invalid: Array<{
    reason: string;
    type: AssociationType;
    input: { name: string; maxUsage: number; enrollmentCertId: string; zcomponentId: string };
    kind: string;
    code: string;
  }> = [
    {
      reason: "enrollment certificate without a private key",
      type: "CONNECTOR_GRP",
      input: { name: "x", maxUsage: 1, enrollmentCertId: SEED_IDS.enrollmentCerts.importedNoKey, zcomponentId: SEED_IDS.connectorGroups.a },
      kind: "invalid",
      code: "invalid.association",
    },
    {
      reason: "group of the other association type",
      type: "SERVICE_EDGE_GRP",
      input: { name: "x", maxUsage: 1, enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge, zcomponentId: SEED_IDS.connectorGroups.a },
      kind: "invalid",
      code: "invalid.association",
    },
    {
      reason: "maxUsage 0",
      type: "CONNECTOR_GRP",
      input: { name: "x", maxUsage: 0, enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: SEED_IDS.connectorGroups.a },
      kind: "invalid",
      code: "invalid.input",
    },
    {
      reason: "a group that does not exist",
      type: "CONNECTOR_GRP",
      input: { name: "x", maxUsage: 1, enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: "1" },
      kind: "notFound",
      code: "resource.not.found",
    },
  ];
  test.each(invalid)("create refused: $reason → $kind", async ({ type, input, kind, code }) => {
    const e = await rejection(legacyClient(sim, fast).createProvisioningKey(type, input));
    expect(e).toMatchObject({ kind, vendorCode: code, httpStatus: 400, operation: "createProvisioningKey" });
    expect(sim.state().created.provisioningKey[type]).toBe(0);
  });

  test("microtenantId is sent and scopes what the client sees", async () => {
    const mt = legacyClient(sim, { ...fast, microtenantId: SEED_IDS.microtenant });
    const created = await mt.createProvisioningKey("CONNECTOR_GRP", {
      name: "mt",
      maxUsage: 1,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.microtenant,
    });
    expect(created.microtenantId).toBe(SEED_IDS.microtenant);
    const dflt = legacyClient(sim, { ...fast, microtenantId: "0" });
    expect((await rejection(dflt.getProvisioningKey("CONNECTOR_GRP", created.id))) as VendorError).toMatchObject({ kind: "notFound" });
    expect((await mt.getProvisioningKey("CONNECTOR_GRP", created.id)).microtenantName).toBe("Microtenant A");
    const all = legacyClient(sim, fast); // no microtenantId: every microtenant
    expect((await all.listProvisioningKeys("CONNECTOR_GRP")).map((k) => k.id)).toContain(created.id);
    expect((await mt.listConnectorGroups()).map((g) => g.name)).toEqual(["Microtenant Connector Group"]);
    expect((await dflt.listConnectorGroups()).map((g) => g.name)).not.toContain("Microtenant Connector Group");
  });
});

describe("enrollment certificates", () => {
  test("list (v2) returns all, with CSR-only and key-less certificates tolerated", async () => {
    const certs = await legacyClient(sim, fast).listEnrollmentCerts();
    expect(certs.map((c) => c.name).sort()).toEqual([
      "Client",
      "Connector",
      "Imported Partner Root",
      "Isolation Client",
      "Pending CSR",
      "Root",
      "Service Edge",
    ]);
    const csrOnly = certs.find((c) => c.id === SEED_IDS.enrollmentCerts.csrOnly)!;
    expect(csrOnly.certificate).toBeUndefined();
    expect(csrOnly.validToInEpochSec).toBeUndefined();
  });

  test("listSigningEnrollmentCerts searches privateKeyPresent EQ true", async () => {
    const certs = await legacyClient(sim, fast).listSigningEnrollmentCerts();
    expect(certs.every((c) => c.privateKeyPresent)).toBe(true);
    expect(certs.map((c) => c.name)).not.toContain("Imported Partner Root");
    expect(certs).toHaveLength(6);
  });

  test("find by name and get by id (v1) agree; validity is a Date", async () => {
    const zpa = legacyClient(sim, fast);
    const found = await zpa.findEnrollmentCertByName("Connector");
    const got = await zpa.getEnrollmentCert(found!.id);
    expect(got).toEqual(found);
    expect(got.validToInEpochSec!.getTime()).toBeGreaterThan(Date.now());
    expect(got.issuedTo).toContain("CN=zpa-sim.test/Connector");
    expect(await zpa.findEnrollmentCertByName("Conn")).toBeUndefined();
  });

  test("unknown id → notFound", async () => {
    expect(await rejection(legacyClient(sim, fast).getEnrollmentCert("999"))).toMatchObject({ kind: "notFound", operation: "getEnrollmentCert" });
  });
});

describe("browser-access certificates", () => {
  test("create (certBlob) → parsed fields; get, list, issued list, find, update, delete", async () => {
    const ca = await createTestCa({ name: "client test" });
    const leaf = await ca.issue({ commonName: "app.example.test" }, { dnsNames: ["app.example.test"] }, { usage: "server" });
    const zpa = legacyClient(sim, fast);
    const created = await zpa.createCertificate({ certBlob: leaf.leafPem + leaf.chainPem + leaf.keyPem, name: "app", description: "d" });
    expect(created).toMatchObject({ name: "app", cName: "app.example.test", san: ["app.example.test"], serialNo: BigInt(`0x${leaf.serialHex}`).toString() });
    expect(created.validToInEpochSec!.getTime()).toBe(Math.floor(leaf.notAfter.getTime() / 1000) * 1000);
    expect(await zpa.getCertificate(created.id)).toMatchObject({ id: created.id, name: "app" });
    expect((await zpa.listCertificates()).map((c) => c.id)).toContain(created.id);
    expect((await zpa.listIssuedCertificates()).map((c) => c.id)).toContain(created.id);
    expect((await zpa.findCertificateByName("app"))?.id).toBe(created.id);
    await zpa.updateCertificate(created.id, { name: "app-renamed", description: "new" });
    expect(await zpa.getCertificate(created.id)).toMatchObject({ name: "app-renamed", description: "new", cName: "app.example.test" });
    await zpa.deleteCertificate(created.id);
    expect(await rejection(zpa.getCertificate(created.id))).toMatchObject({ kind: "notFound" });
    expect(sim.state()).toMatchObject({ created: { certificate: 1 }, updated: { certificate: 1 }, deleted: { certificate: 1 } });
  });

  test("a blob without its key → invalid, and nothing is created", async () => {
    const ca = await createTestCa({ name: "client test 2" });
    const leaf = await ca.issue({ commonName: "nokey.example.test" }, {}, { usage: "server" });
    const e = await rejection(legacyClient(sim, fast).createCertificate({ certBlob: leaf.leafPem, name: "nokey" }));
    expect(e).toMatchObject({ kind: "invalid", vendorCode: "invalid.input" });
    expect(String((e as Error).message)).not.toContain("BEGIN");
    expect(sim.state().created.certificate).toBe(0);
  });
});

describe("groups", () => {
  const cases: Array<{ reason: string; type: AssociationType; name: string; id: string; others: number }> = [
    { reason: "App Connector group by name", type: "CONNECTOR_GRP", name: "Connector Group B", id: SEED_IDS.connectorGroups.b, others: 4 },
    { reason: "Service Edge group by name", type: "SERVICE_EDGE_GRP", name: "Service Edge Group A", id: SEED_IDS.serviceEdgeGroups.a, others: 2 },
  ];
  test.each(cases)("$reason: list, find, get", async ({ type, name, id, others }) => {
    const zpa = legacyClient(sim, fast);
    expect(await zpa.listGroups(type)).toHaveLength(others);
    const found = await zpa.findGroupByName(type, name);
    expect(found?.id).toBe(id);
    expect(await zpa.getGroup(type, id)).toMatchObject({ id, name, enabled: true });
    expect(await zpa.findGroupByName(type, "nope")).toBeUndefined();
  });

  test("a group id of the other type is not found", async () => {
    expect(await rejection(legacyClient(sim, fast).getGroup("SERVICE_EDGE_GRP", SEED_IDS.connectorGroups.a))).toMatchObject({ kind: "notFound" });
  });

  test("a disabled group reads enabled=false", async () => {
    expect((await legacyClient(sim, fast).findConnectorGroupByName("DR Connector Group"))?.enabled).toBe(false);
  });
});

describe("OneAPI mode", () => {
  test("client-credentials token with audience; calls carry the /zpa prefix", async () => {
    const zpa = oneApiClient(sim, fast);
    const k = await zpa.createProvisioningKey("CONNECTOR_GRP", {
      name: "oneapi",
      maxUsage: 1,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.a,
    });
    expect((await zpa.getProvisioningKey("CONNECTOR_GRP", k.id)).name).toBe("oneapi");
    const st = sim.state();
    expect(st.tokens.issued).toEqual({ legacy: 0, oneapi: 1 });
    expect(Object.keys(st.requests).filter((r) => r.includes("/zpa/mgmtconfig/")).length).toBe(2);
  });

  test("a legacy token is not accepted on the OneAPI prefix (and vice versa)", async () => {
    const c = sim.credentials[0]!;
    const legacy = legacyClient(sim, fast);
    await legacy.listConnectorGroups();
    const e = await rejection(
      oneApiClient(sim, { ...fast, auth: { mode: "oneapi", clientId: c.clientId, clientSecret: "wrong", identityBaseUrl: sim.url } }).listConnectorGroups(),
    );
    expect(e).toMatchObject({ kind: "credentials", operation: "oauthToken", vendorCode: "invalid_client", httpStatus: 401 });
  });
});
