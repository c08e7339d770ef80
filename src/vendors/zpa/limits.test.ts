// The client-side budget (80 % of ZPA's 20 GET + 10 writes per 10 s) under concurrency, measured by
// the simulator's server-side enforcer. Windows are shortened to keep the suite fast; the ratio of the
// client budget to the server limit is the real one.
import { afterEach, describe, expect, test } from "vitest";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator, type ZpaSimulatorOptions } from "../../sim/zpa/server.ts";
import { RateLimiterRegistry } from "../shared/rate-limiter.ts";
import { ZPA_PUBLISHED_LIMITS, zpaLimiterKey, zpaRateLimitRules, zpaRules } from "./limits.ts";
import { legacyClient, rejection } from "./testing.ts";

let sim: ZpaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(o: ZpaSimulatorOptions): Promise<ZpaSimulator> {
  sim = await startZpaSimulator(o);
  return sim;
}

const WINDOW = 1000;
const scaled = zpaRules(WINDOW);
const serverLimits = { get: ZPA_PUBLISHED_LIMITS.read, write: ZPA_PUBLISHED_LIMITS.write, windowMs: WINDOW };

describe("ZPA client rate limiting", () => {
  test("the budget is 80 % of the published counts (16 GET, 8 writes) over a window 20 % longer than ZPA's 10 s", () => {
    expect(zpaRateLimitRules.read).toEqual({ limit: 16, windowMs: 12_000 });
    expect(zpaRateLimitRules.write).toEqual({ limit: 8, windowMs: 12_000 });
  });

  test("100 concurrent GETs → all succeed, the simulator sees 0 violations", async () => {
    const s = await start({ seed: "default", rateLimits: serverLimits });
    const zpa = legacyClient(s, { rateLimitRules: scaled });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? zpa.listConnectorGroups() : zpa.getEnrollmentCert(SEED_IDS.enrollmentCerts.root))),
    );
    expect(results).toHaveLength(100);
    expect(s.state().rateLimit.violations).toBe(0);
    expect(s.state().endpointCalls["GET appConnectorGroup"]).toBe(50);
  }, 40_000);

  test("30 concurrent creates → 30 keys, 0 violations", async () => {
    const s = await start({ seed: "default", rateLimits: serverLimits });
    const zpa = legacyClient(s, { rateLimitRules: scaled });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        zpa.createProvisioningKey("CONNECTOR_GRP", {
          name: `k${i}`,
          maxUsage: 1,
          enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
          zcomponentId: SEED_IDS.connectorGroups.a,
        }),
      ),
    );
    expect(s.state().created.provisioningKey.CONNECTOR_GRP).toBe(30);
    expect(s.state().rateLimit.violations).toBe(0);
  }, 40_000);

  test("two API keys of one tenant share one budget through the registry (ZPA counts per tenant and IP)", async () => {
    const s = await start({
      seed: "empty",
      rateLimits: serverLimits,
      credentials: [
        { clientId: "a", clientSecret: "sa" },
        { clientId: "b", clientSecret: "sb" },
      ],
    });
    const limiters = new RateLimiterRegistry();
    const a = legacyClient(s, { limiters, rateLimitRules: scaled, auth: { mode: "legacy", clientId: "a", clientSecret: "sa" } });
    const b = legacyClient(s, { limiters, rateLimitRules: scaled, auth: { mode: "legacy", clientId: "b", clientSecret: "sb" } });
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).listCertificates()));
    expect(limiters.size).toBe(1);
    expect(a.limiter).toBe(b.limiter);
    expect(s.state().rateLimit.violations).toBe(0);
    expect(zpaLimiterKey(s.url, s.customerId)).not.toContain("sa");
  }, 40_000);

  test("a 429 (another process spent the budget) is waited out for GETs: retry-after '<n>s' honoured, then success", async () => {
    const s = await start({ seed: "empty", rateLimits: { get: 3, write: 10, windowMs: 1000 } });
    const zpa = legacyClient(s, {
      rateLimitRules: { read: { limit: 100, windowMs: 1000 }, write: { limit: 100, windowMs: 1000 }, default: { limit: 100, windowMs: 1000 } },
    });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => zpa.listCertificates()));
    expect(s.state().rateLimit.violations).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  }, 40_000);

  test("a 429 on a create is not retried in-process: rateLimited with retryAfterMs from '13s', nothing created", async () => {
    const s = await start({ seed: "default", rateLimits: false });
    s.faults.add({ rate429Rate: 1, retryAfter: "13s", pathPattern: "^POST /mgmtconfig/", count: 1 });
    const zpa = legacyClient(s);
    const e = await rejection(
      zpa.createProvisioningKey("CONNECTOR_GRP", {
        name: "k",
        maxUsage: 1,
        enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
        zcomponentId: SEED_IDS.connectorGroups.a,
      }),
    );
    expect(e).toMatchObject({ kind: "rateLimited", retryAfterMs: 13_000, httpStatus: 429, vendorCode: "invalid.toomanyrequests" });
    expect(s.state().created.provisioningKey.CONNECTOR_GRP).toBe(0);
    expect(zpa.limiter.stats().pausedUntil).toBeGreaterThan(Date.now() + 10_000);
  });
});
