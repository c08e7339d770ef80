import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCsr } from "../../pki/csr.ts";
import { inspectCertificate, keyMatchesCertificate, verifyChain } from "../../pki/inspect.ts";
import { generateKey } from "../../pki/keys.ts";
import { startCloudflareSimulator, type CloudflareSimulator } from "../../sim/cloudflare/index.ts";
import { VendorError } from "../shared/errors.ts";
import { ManualClock } from "../shared/manual-clock.ts";
import { RateLimiterRegistry } from "../shared/rate-limiter.ts";
import { CloudflareClient, type CloudflareAuth, type CloudflareClientOptions } from "./client.ts";

let sim: CloudflareSimulator;
const clock = new ManualClock(Date.now());
let csrPem: string;
let privateKey: Awaited<ReturnType<typeof generateKey>>["privateKey"];

beforeAll(async () => {
  sim = await startCloudflareSimulator({ clock, transitionDelayMs: 30_000 });
  ({ privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 }));
  csrPem = await createCsr({ privateKey, subject: { commonName: "device-1", organizations: ["Example"], countries: ["US"] } });
});
afterAll(() => sim.close());
afterEach(() => sim.reset());

const token: CloudflareAuth = { kind: "apiToken", token: "certbridge-sim-cloudflare-api-token-0001" };

function client(extra: Partial<CloudflareClientOptions> = {}): CloudflareClient {
  return new CloudflareClient({ zoneId: sim.credentials.zoneId, auth: token, baseUrl: sim.apiBaseUrl, maxAttempts: 3, ...extra });
}

async function failure(p: Promise<unknown>): Promise<VendorError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VendorError);
  return e as VendorError;
}

describe("CloudflareClient against the simulator", () => {
  it("create issues a real certificate for the CSR with the requested validity", async () => {
    const cert = await client().create({ csr: csrPem, validityDays: 365 });
    expect(cert.status).toBe("active");
    expect(cert.id).toMatch(/^[0-9a-f]{32}$/);
    expect(cert.validityDays).toBe(365);
    expect(cert.csr).toBe(csrPem);
    expect(cert.commonName).toBe("device-1");
    expect(cert.expiresOn!.getTime() - cert.issuedOn!.getTime()).toBe(365 * 86_400_000);
    const pem = cert.certificatePem!;
    expect(keyMatchesCertificate(privateKey, pem)).toBe(true);
    expect(verifyChain(pem, sim.ca.intermediate.certPem, sim.ca.root.certPem, new Date(clock.now()))).toMatchObject({ ok: true });
    const info = await inspectCertificate(pem);
    expect(info.serialHex).toBe(cert.serialNumber);
    expect(info.skiHex).toBe(cert.ski);
    expect(info.fingerprintSha256).toBe(cert.fingerprintSha256);
    expect(info.notAfter.getTime()).toBe(cert.expiresOn!.getTime());
  });

  it("get returns the stored certificate", async () => {
    const c = client();
    const created = await c.create({ csr: csrPem, validityDays: 30 });
    const got = await c.get(created.id);
    expect(got).toEqual(created);
  });

  it("global API key auth (X-Auth-Email + X-Auth-Key) works", async () => {
    const c = client({ auth: { kind: "globalKey", email: sim.credentials.email, key: sim.credentials.globalApiKey } });
    expect((await c.create({ csr: csrPem, validityDays: 1 })).status).toBe("active");
  });

  it("list filters by status and pages; listAll walks every page", async () => {
    const c = client();
    const ids: string[] = [];
    for (let i = 0; i < 57; i++) ids.push((await c.create({ csr: csrPem, validityDays: 10 })).id);
    await c.revoke(ids[0]!);
    const page2 = await c.list({ status: "active", page: 2, perPage: 10 });
    expect(page2.items).toHaveLength(10);
    expect(page2.info).toEqual({ count: 10, page: 2, perPage: 10, totalCount: 56 });
    expect((await c.list({ status: "pending_revocation" })).items.map((x) => x.id)).toEqual([ids[0]]);
    const all = await c.listAll({ status: "all" });
    expect(all.map((x) => x.id)).toEqual(ids);
    await expect(c.list({ perPage: 51 })).rejects.toThrow(/5\.\.50/);
  });

  it("revoke → pending_revocation → revoked; reactivate from pending_revocation → active", async () => {
    const c = client();
    const a = await c.create({ csr: csrPem, validityDays: 10 });
    expect((await c.revoke(a.id)).status).toBe("pending_revocation");
    expect((await c.revoke(a.id)).status).toBe("pending_revocation"); // repeating is harmless
    expect((await c.reactivate(a.id)).status).toBe("pending_reactivation");
    await clock.advance(30_000);
    expect((await c.get(a.id)).status).toBe("active");
    await c.revoke(a.id);
    await clock.advance(30_000);
    expect((await c.get(a.id)).status).toBe("revoked");
    expect((await c.list({ status: "revoked" })).items.map((x) => x.id)).toEqual([a.id]); // revoked stays listed
  });

  it("findByCsr recovers the certificate we created, preferring a live one", async () => {
    const c = client();
    const other = await createCsr({ privateKey: (await generateKey({ algorithm: "ECDSA", size: 256 })).privateKey, subject: { commonName: "other" } });
    const old = await c.create({ csr: csrPem, validityDays: 10 });
    await c.revoke(old.id);
    const live = await c.create({ csr: csrPem, validityDays: 10 });
    await c.create({ csr: other, validityDays: 10 });
    expect((await c.findByCsr(csrPem))?.id).toBe(live.id);
    expect(await c.findByCsr(await createCsr({ privateKey, subject: { commonName: "never-sent" } }))).toBeUndefined();
  });

  describe("error classes", () => {
    const cases: Array<{ name: string; run: () => Promise<unknown>; kind: VendorError["kind"]; status: number; code?: string; reason: string }> = [
      {
        name: "unknown token",
        run: () => client({ auth: { kind: "apiToken", token: "x".repeat(40) } }).list(),
        kind: "credentials",
        status: 403,
        code: "10000",
        reason: "10000 Authentication error [P9]",
      },
      {
        name: "malformed token",
        run: () => client({ auth: { kind: "apiToken", token: "short" } }).list(),
        kind: "credentials",
        status: 400,
        code: "6003",
        reason: "6003 with chain 6111 [P9]",
      },
      {
        name: "malformed global key",
        run: () => client({ auth: { kind: "globalKey", email: "sim@certbridge.test", key: "nothex" } }).list(),
        kind: "credentials",
        status: 400,
        code: "6003",
        reason: "6003 with chain 6103 [P9]",
      },
      {
        name: "wrong global key",
        run: () => client({ auth: { kind: "globalKey", email: "sim@certbridge.test", key: "f".repeat(37) } }).list(),
        kind: "credentials",
        status: 403,
        code: "10000",
        reason: "well-formed but unknown",
      },
      {
        name: "read-only token writes",
        run: () => client({ auth: { kind: "apiToken", token: "certbridge-sim-cloudflare-readonly-00001" } }).create({ csr: csrPem, validityDays: 1 }),
        kind: "credentials",
        status: 403,
        code: "10000",
        reason: "create needs #ssl:edit",
      },
      { name: "unknown certificate id", run: () => client().get("0".repeat(32)), kind: "notFound", status: 404, reason: "unknown id" },
      {
        name: "unknown zone",
        run: () => client({ zoneId: "f".repeat(32) }).list(),
        kind: "invalid",
        status: 404,
        code: "7003",
        reason: "the URI does not route: configuration error",
      },
      {
        name: "invalid CSR",
        run: () => client().create({ csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", validityDays: 1 }),
        kind: "invalid",
        status: 400,
        reason: "our request is wrong",
      },
      {
        name: "validity too long",
        run: () => client().create({ csr: csrPem, validityDays: 99_999 }),
        kind: "invalid",
        status: 400,
        reason: "out of range (inf)",
      },
      {
        name: "reactivate an active certificate",
        run: async () => {
          const c = client();
          return c.reactivate((await c.create({ csr: csrPem, validityDays: 1 })).id);
        },
        kind: "invalid",
        status: 400,
        reason: "PATCH only from pending_revocation [P7]",
      },
    ];
    it.each(cases)("$name → $kind ($reason)", async ({ run, kind, status, code }) => {
      const e = await failure(run());
      expect(e.kind).toBe(kind);
      expect(e.httpStatus).toBe(status);
      if (code !== undefined) expect(e.vendorCode).toBe(code);
      expect(e.requestId).toMatch(/-SIM$/); // cf-ray
      expect(e.message).not.toMatch(/BEGIN|certbridge-sim-cloudflare/);
    });
  });

  it("a 429 pauses the whole credential for five minutes and never reaches the server again meanwhile", async () => {
    sim.config({ rateLimit: { limit: 3, windowMs: 60_000 } });
    const registry = new RateLimiterRegistry();
    const a = client({ limiters: registry });
    const b = client({ limiters: registry }); // same token: same budget
    expect(a.limiter).toBe(b.limiter);
    for (let i = 0; i < 3; i++) await a.list();
    const e = await failure(a.list());
    expect(e).toMatchObject({ kind: "rateLimited", httpStatus: 429, vendorCode: "971", retryAfterMs: 300_000 });
    expect(b.limiter.stats().pausedUntil).toBeGreaterThan(Date.now() + 290_000);
    const before = (sim.state()["requests"] as Record<string, number>)["GET /client/v4/zones/:zone/client_certificates"];
    const held = await failure(b.list()); // fails fast on the client side: the pause outlasts any in-process wait
    expect(held.kind).toBe("rateLimited");
    expect(held.httpStatus).toBeUndefined();
    expect(held.retryAfterMs).toBeGreaterThan(290_000);
    expect((sim.state()["requests"] as Record<string, number>)["GET /client/v4/zones/:zone/client_certificates"]).toBe(before);
    expect(sim.state()["rateLimitViolations"]).toBe(1);
  });

  describe("transport behaviour with injected faults", () => {
    it("GET retries through 5xx; POST does not", async () => {
      const c = client();
      const created = await c.create({ csr: csrPem, validityDays: 1 });
      sim.faults.set({ fail5xxRate: 1, count: 2, pathPattern: "^GET ", retryAfter: "0" });
      expect((await c.get(created.id)).id).toBe(created.id);
      sim.faults.set({ fail5xxRate: 1, count: 1, pathPattern: "^POST ", retryAfter: "0" });
      const e = await failure(c.create({ csr: csrPem, validityDays: 1 }));
      expect(e).toMatchObject({ kind: "transient", httpStatus: 503, vendorCode: "1000" });
      expect(sim.state()["objects"]).toEqual({ client_certificate: 1 });
    });

    const hostile: Array<{ spec: Record<string, unknown>; kind: VendorError["kind"]; message: RegExp; reason: string }> = [
      { spec: { htmlErrorRate: 1 }, kind: "transient", message: /HTTP 502/, reason: "an HTML 502 from a proxy" },
      { spec: { malformedJsonRate: 1 }, kind: "transient", message: /not valid JSON/, reason: "a truncated body" },
      { spec: { oversizedRate: 1, oversizeBytes: 6 * 1024 * 1024 }, kind: "permanent", message: /byte limit/, reason: "more than 4 MiB" },
      { spec: { resetRate: 1 }, kind: "transient", message: /network error/, reason: "connection reset" },
    ];
    it.each(hostile)("$reason → typed $kind", async ({ spec, kind, message }) => {
      sim.faults.set(spec);
      const e = await failure(client({ maxAttempts: 1 }).list());
      expect(e.kind).toBe(kind);
      expect(e.message).toMatch(message);
    });

    it("a timeout is a transient error", async () => {
      sim.faults.set({ latencyMs: 500 });
      const e = await failure(client({ maxAttempts: 1, timeoutMs: 50 }).list());
      expect(e.kind).toBe("transient");
    });
  });
});

describe("CloudflareClient input checks (no request is sent)", () => {
  const cases: Array<{ run: () => unknown; message: RegExp; reason: string }> = [
    { run: () => new CloudflareClient({ zoneId: "../x", auth: token }), message: /zoneId/, reason: "zone id could escape the path" },
    {
      run: () => new CloudflareClient({ zoneId: "abc", auth: token }).get("a/../b"),
      message: /invalid format/,
      reason: "certificate id could escape the path",
    },
    {
      run: () => new CloudflareClient({ zoneId: "abc", auth: token }).create({ csr: "x", validityDays: 0 }),
      message: /validityDays/,
      reason: "validity must be positive",
    },
    { run: () => new CloudflareClient({ zoneId: "abc", auth: token }).list({ perPage: 4 }), message: /5\.\.50/, reason: "documented per_page bounds" },
  ];
  it.each(cases)("$reason → VendorError invalid", async ({ run, message }) => {
    const e = await (async () => run())().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(VendorError);
    expect(e).toMatchObject({ kind: "invalid", vendor: "cloudflare" });
    expect((e as Error).message).toMatch(message);
  });
});
