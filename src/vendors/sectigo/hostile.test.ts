// Hostile answers from "SCM" (injected by the simulator's fault layer): every one ends in a typed
// VendorError within a bounded time, never a crash or a hang.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/server.ts";
import { clientFor, makeCsr, SEED } from "../../sim/sectigo/testing.ts";
import { isVendorError, type VendorError, type VendorErrorKind } from "../shared/errors.ts";
import { RateLimiterRegistry } from "../shared/rate-limiter.ts";
import type { FaultSpec } from "../../sim/shared/faults.ts";
import type { SectigoClient } from "./client.ts";
import { SECTIGO_RATE_RULES, sectigoCredentialKey } from "./transport.ts";

async function outcome(p: Promise<unknown>): Promise<VendorError | "ok"> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
}

let sim: SectigoSimulator;
let csr: string;
beforeAll(async () => {
  sim = await startSectigoSimulator();
  csr = await makeCsr("hostile.example.com");
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const enroll = (scm: SectigoClient, marker?: { uid: string; revision: number }) =>
  scm.ssl.enroll({
    orgId: SEED.orgId,
    csr,
    certType: SEED.sslProfile,
    term: 365,
    customFields: SEED.sslCustomFields,
    ...(marker === undefined ? {} : { marker }),
  });

describe("hostile responses → typed errors", () => {
  // Persistent faults on a GET: the transport retries (maxAttempts 2 here), then gives up typed.
  const CASES: ReadonlyArray<readonly [string, FaultSpec, VendorErrorKind, RegExp]> = [
    ["a body larger than the client's cap", { oversizedRate: 1, oversizeBytes: 2 * 1024 * 1024 }, "permanent", /exceeds/],
    ["truncated JSON", { malformedJsonRate: 1 }, "transient", /not valid JSON/],
    ["an HTML 502 page from a proxy", { htmlErrorRate: 1 }, "transient", /HTTP 502 without an SCM error body/],
    ["connection resets", { resetRate: 1 }, "transient", /network error/],
    ["5xx with the SCM internal-error body", { fail5xxRate: 1, status5xx: 500 }, "transient", /code -2/],
    ["429 with a long Retry-After", { rate429Rate: 1, retryAfter: "120" }, "rateLimited", /429/],
  ];
  it.each(CASES)("%s → %s", async (_why, fault, kind, message) => {
    const scm = clientFor(sim, { maxAttempts: 2, maxResponseBytes: 1024 * 1024 });
    sim.faults.set({ ...fault, pathPattern: "^GET /api/ssl/v1/types" });
    const started = Date.now();
    const res = await outcome(scm.ssl.listProfiles());
    expect(res).not.toBe("ok");
    const err = res as VendorError;
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(sim.credentials.password);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a slow server beyond the client's timeout → transient timeout, not a hang", async () => {
    const scm = clientFor(sim, { timeoutMs: 150, maxAttempts: 1 });
    sim.faults.set({ latencyMs: 1_000, pathPattern: "^GET /api/organization/v1$" });
    const err = (await outcome(scm.organizations.list())) as VendorError;
    expect([err.kind, err.message]).toEqual(["transient", expect.stringMatching(/timed out after 150 ms/)]);
  });

  it("a one-off fault on an idempotent GET is absorbed by the transport retry", async () => {
    const scm = clientFor(sim);
    sim.faults.set({ malformedJsonRate: 1, count: 1, pathPattern: "^GET /api/organization/v1$" });
    expect(await scm.organizations.list()).toHaveLength(1);
    expect(sim.state().requests["GET /api/organization/v1"]).toBe(2);
  });

  it("a truncated collect body is transient (collect again), not a crash", async () => {
    const scm = clientFor(sim, { maxAttempts: 1 });
    const { sslId } = await enroll(scm);
    sim.faults.set({ malformedJsonRate: 1, count: 1, pathPattern: "^GET /api/ssl/v1/collect/" });
    const err = (await outcome(scm.ssl.collect(sslId, "x509"))) as VendorError;
    expect([err.kind, err.message]).toEqual(["transient", expect.stringMatching(/not a x509 certificate|no end-entity/)]);
    expect(await outcome(scm.ssl.collect(sslId, "x509"))).toBe("ok");
  });

  it("an oversized collect is refused by the byte cap", async () => {
    const scm = clientFor(sim, { maxAttempts: 1, maxResponseBytes: 256 * 1024 });
    const { sslId } = await enroll(scm);
    sim.faults.set({ oversizedRate: 1, oversizeBytes: 1024 * 1024, pathPattern: "^GET /api/ssl/v1/collect/" });
    expect(((await outcome(scm.ssl.collect(sslId))) as VendorError).kind).toBe("permanent");
  });

  it("a garbled enroll answer is not retried (it costs money); the order is found again by its marker", async () => {
    const scm = clientFor(sim);
    const marker = { uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", revision: 7 };
    sim.faults.set({ malformedJsonRate: 1, count: 1, pathPattern: "^POST /api/ssl/v1/enroll" });
    const err = (await outcome(enroll(scm, marker))) as VendorError;
    expect(err.kind).toBe("transient");
    expect(sim.state().enrolls.ssl).toBe(1); // created on the vendor side, answer lost
    const found = await scm.ssl.findOrders("hostile.example.com", marker);
    expect(found).toHaveLength(1);
    expect(sim.state().enrolls.ssl).toBe(1);
  });

  it("an HTML 200 where JSON was expected → transient", async () => {
    const scm = clientFor(sim, { maxAttempts: 1 });
    sim.faults.set({ htmlErrorRate: 1, pathPattern: "^GET /api/ssl/v1/types" });
    expect(((await outcome(scm.ssl.listProfiles())) as VendorError).kind).toBe("transient");
  });
});

describe("rate limits", () => {
  it("the simulator's per-credential limit answers 429 + Retry-After; the client surfaces rateLimited and the violation is counted", async () => {
    const limited = await startSectigoSimulator({ rateLimit: { limit: 2, windowMs: 120_000 } });
    try {
      const scm = clientFor(limited, { maxAttempts: 1 });
      await scm.organizations.list();
      await scm.organizations.list();
      const err = (await outcome(scm.organizations.list())) as VendorError;
      expect([err.kind, err.httpStatus]).toEqual(["rateLimited", 429]);
      expect(err.retryAfterMs).toBeGreaterThan(100_000);
      expect(limited.state().rateLimitViolations).toBe(1);
    } finally {
      await limited.close();
    }
  });

  // Two sliding windows that are not aligned can each see one window of the other's grants, so the
  // server is given twice the client's budget: without the client limiter, 9 calls would break it.
  it("the client's own limiter (4/s per credential) keeps a burst of 9 under an 8/s server limit", async () => {
    const limited = await startSectigoSimulator({ rateLimit: { limit: 8, windowMs: 1_000 } });
    try {
      const key = sectigoCredentialKey({ baseUrl: limited.url, customerUri: limited.customerUri, login: limited.credentials.login });
      const limiter = new RateLimiterRegistry().forCredential(key, SECTIGO_RATE_RULES);
      const scm = clientFor(limited, { limiter, maxAttempts: 1 });
      await Promise.all(Array.from({ length: 9 }, () => scm.organizations.list()));
      expect(limited.state().rateLimitViolations).toBe(0);
    } finally {
      await limited.close();
    }
  });
});
