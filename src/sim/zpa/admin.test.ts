// The /__sim/zpa/ test hooks: change the tenant behind the client's back (drift), bump usage, enroll.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { SEED_IDS } from "./seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import { systemClock } from "../../vendors/shared/clock.ts";
import { mgmt, raw, signIn } from "./testing.ts";

let sim: ZpaSimulator;
let token: string;
/** A clock the tests move: "not marked modified" only means something once time has passed. */
let skewMs = 0;
const clock = { now: () => Date.now() + skewMs, sleep: systemClock.sleep };
let keyId: string;
let keyValue: string;
const keyUrl = () => `${mgmt(sim.customerId)}/associationType/CONNECTOR_GRP/provisioningKey/${keyId}`;

beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false, clock });
});
afterAll(() => sim.close());
beforeEach(async () => {
  skewMs = 0;
  await sim.reset();
  token = await signIn(sim);
  const c = await raw(sim, "POST", `${mgmt(sim.customerId)}/associationType/CONNECTOR_GRP/provisioningKey`, {
    token,
    json: { name: "drift", maxUsage: "2", enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: SEED_IDS.connectorGroups.a },
  });
  ({ id: keyId, provisioningKey: keyValue } = c.json as { id: string; provisioningKey: string });
});

describe("ZPA simulator admin hooks", () => {
  test("POST /__sim/zpa/provisioning-keys/{id}/usage bumps usageCount without marking the key modified", async () => {
    const before = (await raw(sim, "GET", keyUrl(), { token })).json as Record<string, unknown>;
    skewMs = 5_000;
    expect((await raw(sim, "POST", `/__sim/zpa/provisioning-keys/${keyId}/usage`, { json: {} })).status).toBe(200);
    await raw(sim, "POST", `/__sim/zpa/provisioning-keys/${keyId}/usage`, { json: { increment: 2 } });
    const k = (await raw(sim, "GET", keyUrl(), { token })).json as Record<string, unknown>;
    expect(k["usageCount"]).toBe("3");
    // Recorded keys carry modifiedTime = creationTime from birth; enrolling connectors do not move it.
    expect(k["modifiedTime"]).toBe(before["modifiedTime"]);
    expect(k["modifiedTime"]).toBe(k["creationTime"]);
  });

  test("POST /__sim/zpa/provisioning-keys/{id}/alter changes config (drift) and stamps modifiedTime", async () => {
    skewMs = 5_000;
    const r = await raw(sim, "POST", `/__sim/zpa/provisioning-keys/${keyId}/alter`, {
      json: { name: "changed in UI", maxUsage: 50, enabled: false, rotateKey: true },
    });
    expect(r.status).toBe(200);
    const k = (await raw(sim, "GET", keyUrl(), { token })).json as Record<string, unknown>;
    expect(k).toMatchObject({ name: "changed in UI", maxUsage: "50", enabled: false });
    expect(k["provisioningKey"]).not.toBe(keyValue);
    expect(Number(k["modifiedTime"])).toBeGreaterThanOrEqual(Number(k["creationTime"]) + 4);
    expect(sim.state().updated.provisioningKey.CONNECTOR_GRP).toBe(0); // not an API update
  });

  test("DELETE /__sim/zpa/provisioning-keys/{id} removes it out of band (not counted as a client delete)", async () => {
    expect((await raw(sim, "DELETE", `/__sim/zpa/provisioning-keys/${keyId}`)).status).toBe(204);
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(400);
    expect(sim.state().deleted.provisioningKey.CONNECTOR_GRP).toBe(0);
    expect((await raw(sim, "DELETE", `/__sim/zpa/provisioning-keys/${keyId}`)).status).toBe(404);
  });

  test("POST /__sim/zpa/enroll uses the key like a connector: counts up to maxUsage, refuses when disabled or used up", async () => {
    const enroll = () => raw(sim, "POST", "/__sim/zpa/enroll", { json: { provisioningKey: keyValue } });
    expect((await enroll()).status).toBe(200);
    expect((await enroll()).status).toBe(200);
    const full = await enroll();
    expect([full.status, full.json]).toEqual([403, { enrolled: false, reason: "exhausted" }]);
    await raw(sim, "POST", `/__sim/zpa/provisioning-keys/${keyId}/alter`, { json: { maxUsage: 10, enabled: false } });
    expect((await enroll()).json).toEqual({ enrolled: false, reason: "disabled" });
    expect(((await raw(sim, "POST", "/__sim/zpa/enroll", { json: { provisioningKey: "1|x|y" } })).json as { reason: string }).reason).toBe("unknown");
    expect(((await raw(sim, "GET", keyUrl(), { token })).json as { usageCount: string }).usageCount).toBe("2");
  });

  test("POST /__sim/zpa/tokens/expire ends every session", async () => {
    const r = (await raw(sim, "POST", "/__sim/zpa/tokens/expire")).json as { expired: number };
    expect(r.expired).toBeGreaterThanOrEqual(1);
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(401);
  });

  test("POST /__sim/zpa/rate-limits shrinks the limits; violations are counted", async () => {
    await raw(sim, "POST", "/__sim/zpa/rate-limits", { json: { get: 1, windowMs: 60_000 } });
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(200);
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(429);
    expect((await raw(sim, "GET", "/__sim/zpa/state")).json).toMatchObject({ rateLimit: { violations: 1 } });
  });

  test("POST/DELETE /__sim/zpa/faults queue and clear ZPA-shaped failures; bad kinds are refused", async () => {
    expect((await raw(sim, "POST", "/__sim/zpa/faults", { json: { kind: "nope" } })).status).toBe(400);
    await raw(sim, "POST", "/__sim/zpa/faults", { json: { kind: "concurrentAccess", count: 5 } });
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(409);
    await raw(sim, "DELETE", "/__sim/zpa/faults");
    expect((await raw(sim, "GET", keyUrl(), { token })).status).toBe(200);
  });

  test("the state report lets a test assert 'exactly one key created' and never shows key values", async () => {
    const st = (await raw(sim, "GET", "/__sim/state")).json as Record<string, unknown>;
    expect(st).toMatchObject({
      created: { provisioningKey: { CONNECTOR_GRP: 1, SERVICE_EDGE_GRP: 0 }, certificate: 0 },
      endpointCalls: { "POST provisioningKey": 1 },
    });
    expect(JSON.stringify(st)).not.toContain(keyValue);
  });
});
