// Hostile or broken answers (oversized, truncated JSON, HTML pages, resets, stalls, schema breaks)
// become typed VendorErrors quickly: never a crash, a hang, or a leaked payload.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { FaultSpec } from "../../sim/shared/faults.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { VendorError } from "../shared/errors.ts";
import { legacyClient, rejection } from "./testing.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await sim.reset();
});

const GET_CERTS = "^GET /mgmtconfig/v1/admin/customers/\\d+/certificate$";

type Case = { reason: string; fault: FaultSpec; kind: string; message: RegExp; status?: number };
const cases: Case[] = [
  {
    reason: "a body beyond the size cap",
    fault: { oversizedRate: 1, oversizeBytes: 2 * 1024 * 1024, pathPattern: GET_CERTS },
    kind: "permanent",
    message: /exceeds/,
  },
  { reason: "truncated JSON", fault: { malformedJsonRate: 1, pathPattern: GET_CERTS }, kind: "transient", message: /not valid JSON/ },
  { reason: "an HTML error page from a proxy", fault: { htmlErrorRate: 1, pathPattern: GET_CERTS }, kind: "transient", message: /HTTP 502/, status: 502 },
  { reason: "a connection reset", fault: { resetRate: 1, pathPattern: GET_CERTS }, kind: "transient", message: /network error/ },
  { reason: "a stalled response past the timeout", fault: { latencyMs: 2_000, pathPattern: GET_CERTS }, kind: "transient", message: /timed out/ },
  { reason: "a 5xx that persists", fault: { fail5xxRate: 1, status5xx: 500, pathPattern: GET_CERTS }, kind: "transient", message: /HTTP 500/, status: 500 },
];

describe("hostile responses", () => {
  test.each(cases)("$reason → $kind VendorError", async ({ fault, kind, message, status }) => {
    sim.faults.set(fault);
    const zpa = legacyClient(sim, { maxResponseBytes: 256 * 1024, timeoutMs: 300, maxAttempts: 2 });
    const started = Date.now();
    const e = await rejection(zpa.listCertificates());
    expect(e).toBeInstanceOf(VendorError);
    expect(e).toMatchObject({ kind, vendor: "zpa", operation: "listCertificates" });
    expect((e as VendorError).message).toMatch(message);
    if (status !== undefined) expect((e as VendorError).httpStatus).toBe(status);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test("transient 5xx on GET is retried and the call succeeds", async () => {
    sim.faults.set({ fail5xxRate: 1, status5xx: 500, count: 2, pathPattern: GET_CERTS });
    const zpa = legacyClient(sim, { maxAttempts: 3 });
    expect(await zpa.listCertificates()).toHaveLength(1);
    expect(sim.state().faultsInjected["5xx"]).toBe(2);
  });

  test("409 concurrent-access on an idempotent PUT is retried; on POST it surfaces and nothing is created twice", async () => {
    const zpa = legacyClient(sim, { maxAttempts: 3 });
    const input = { name: "k", maxUsage: 1, enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: SEED_IDS.connectorGroups.a };
    const k = await zpa.createProvisioningKey("CONNECTOR_GRP", input);
    sim.zpa.injectFault("concurrentAccess", { pathPattern: "^PUT " });
    await zpa.updateProvisioningKey("CONNECTOR_GRP", k.id, { ...input, maxUsage: 2 });
    expect((await zpa.getProvisioningKey("CONNECTOR_GRP", k.id)).maxUsage).toBe(2);
    sim.zpa.injectFault("concurrentAccess", { pathPattern: "^POST " });
    expect(await rejection(zpa.createProvisioningKey("CONNECTOR_GRP", input))).toMatchObject({
      kind: "transient",
      vendorCode: "api.concurrent.access.error",
      httpStatus: 409,
    });
    expect(sim.state().created.provisioningKey.CONNECTOR_GRP).toBe(1);
  });

  test("503 retryable.server.error on GET waits the Retry-After ('1s') and succeeds", async () => {
    sim.zpa.injectFault("retryableServerError", { retryAfterSeconds: 1, pathPattern: "^GET " });
    const zpa = legacyClient(sim);
    const started = Date.now();
    await zpa.listCertificates();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test("a response that breaks the schema (empty key value) → permanent, naming the field but not the value", async () => {
    sim.zpa.putKey({
      id: "777",
      associationType: "CONNECTOR_GRP",
      name: "broken",
      maxUsage: 1,
      usageCount: 0,
      enabled: true,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.a,
      microtenantId: "0",
      provisioningKey: "",
    });
    const e = await rejection(legacyClient(sim).getProvisioningKey("CONNECTOR_GRP", "777"));
    expect(e).toMatchObject({ kind: "permanent" });
    expect((e as Error).message).toMatch(/provisioningKey/);
  });

  test("an injected 401 'Resource Access Blocked' is throttling, not a credentials failure", async () => {
    sim.zpa.injectFault("resourceAccessBlocked", { pathPattern: "^POST " });
    const e = await rejection(legacyClient(sim).createCertificate({ certBlob: "x", name: "y" }));
    expect(e).toMatchObject({ kind: "rateLimited", httpStatus: 401 });
  });

  test("a retryable 400 (non.restricted.entity.authorization.failed) on GET is retried", async () => {
    sim.zpa.injectFault("badRequestRetryable", { pathPattern: "^GET " });
    expect(await legacyClient(sim).listCertificates()).toHaveLength(1);
    expect(sim.state().injectedZpaFaults["badRequestRetryable"]).toBe(1);
  });
});
