// DIGEST §4, Cloudflare items 17–24: one named test per checklist line, on the raw wire.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../vendors/shared/manual-clock.ts";
import { CLOUDFLARE_SIM_CREDENTIALS as CREDS } from "./credentials.ts";
import { startCloudflareSimulator, type CloudflareSimulator } from "./index.ts";
import { call, sampleCsr, zonePath, type RawResult } from "./test-support.ts";

const clock = new ManualClock(Date.now());
let sim: CloudflareSimulator;
let csr: string;
beforeAll(async () => {
  sim = await startCloudflareSimulator({ clock, transitionDelayMs: 10_000 });
  csr = await sampleCsr();
});
afterAll(() => sim.close());
afterEach(() => sim.reset());

const create = async (): Promise<Record<string, unknown>> => {
  const r = await call(sim.url, "POST", zonePath(), { json: { csr, validity_days: 30 } });
  expect(r.status).toBe(200);
  return r.body.result as Record<string, unknown>;
};

function expectEnvelope(r: RawResult): void {
  expect(Object.keys(r.body)).toEqual(expect.arrayContaining(["success", "errors", "messages", "result"]));
  expect(Array.isArray(r.body.errors) && Array.isArray(r.body["messages"])).toBe(true);
  for (const m of [...(r.body.errors ?? []), ...((r.body["messages"] as Array<{ code: number; message: string }>) ?? [])]) {
    expect(Number.isInteger(m.code) && m.code >= 900).toBe(true); // 971 sits below the schema's 1000 [TF #6502]
    expect(typeof m.message).toBe("string");
  }
}

describe("DIGEST §4 Cloudflare checklist", () => {
  it("17: every response uses the envelope {success, errors, messages, result, result_info?}", async () => {
    const c = await create();
    const rs = await Promise.all([
      call(sim.url, "GET", zonePath()),
      call(sim.url, "GET", `${zonePath()}/${String(c["id"])}`),
      call(sim.url, "GET", `${zonePath()}/${"0".repeat(32)}`),
      call(sim.url, "POST", zonePath(), { json: {} }),
      call(sim.url, "GET", zonePath(), { headers: { authorization: `Bearer ${"x".repeat(40)}` } }),
    ]);
    for (const r of rs) expectEnvelope(r);
    expect(rs.map((r) => r.body.success)).toEqual([true, true, false, false, false]);
    expect(rs[0]!.body.result_info).toBeDefined();
  });

  it("18: list per_page default 20, min 5, max 50; page >= 1; result_info; status filter", async () => {
    for (let i = 0; i < 23; i++) await create();
    const d = await call(sim.url, "GET", zonePath());
    expect(d.body.result_info).toEqual({ count: 20, page: 1, per_page: 20, total_count: 23 });
    expect((await call(sim.url, "GET", `${zonePath()}?per_page=5&page=5`)).body.result_info).toEqual({ count: 3, page: 5, per_page: 5, total_count: 23 });
    expect((await call(sim.url, "GET", `${zonePath()}?per_page=4`)).status).toBe(400);
    expect((await call(sim.url, "GET", `${zonePath()}?per_page=51`)).status).toBe(400);
    expect((await call(sim.url, "GET", `${zonePath()}?page=0`)).status).toBe(400);
    expect((await call(sim.url, "GET", `${zonePath()}?status=revoked`)).body.result).toEqual([]);
    expect((await call(sim.url, "GET", `${zonePath()}?status=nonsense`)).status).toBe(400);
  });

  it("19: POST {csr, validity_days} → 200 with PEM, echoed csr and validity_days, expires_on = issued_on + days", async () => {
    const r = await call(sim.url, "POST", zonePath(), { json: { csr, validity_days: 3650 } });
    expect(r.status).toBe(200);
    const c = r.body.result as Record<string, string | number>;
    expect(String(c["certificate"])).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
    expect([c["csr"], c["validity_days"], c["status"]]).toEqual([csr, 3650, "active"]);
    expect(Date.parse(String(c["expires_on"])) - Date.parse(String(c["issued_on"]))).toBe(3650 * 86_400_000);
    for (const missing of [{ csr }, { validity_days: 1 }]) {
      const bad = await call(sim.url, "POST", zonePath(), { json: missing });
      expect([bad.status, bad.body.success]).toEqual([400, false]);
    }
  });

  it("20: DELETE → 200 pending_revocation, later revoked; revoked certs stay in list and GET", async () => {
    const c = await create();
    const del = await call(sim.url, "DELETE", `${zonePath()}/${String(c["id"])}`);
    expect([del.status, (del.body.result as { status: string }).status]).toEqual([200, "pending_revocation"]);
    await clock.advance(10_000);
    const got = await call(sim.url, "GET", `${zonePath()}/${String(c["id"])}`);
    expect((got.body.result as { status: string }).status).toBe("revoked");
    expect(((await call(sim.url, "GET", `${zonePath()}?status=revoked`)).body.result as Array<{ id: string }>).map((x) => x.id)).toEqual([c["id"]]);
    expect(sim.state()["revocations"]).toBe(1);
  });

  it("21: PATCH {reactivate:true} only from pending_revocation → pending_reactivation → active; other states 4xx", async () => {
    const c = await create();
    const path = `${zonePath()}/${String(c["id"])}`;
    const onActive = await call(sim.url, "PATCH", path, { json: { reactivate: true } });
    expect([onActive.status, onActive.body.success]).toEqual([400, false]);
    await call(sim.url, "DELETE", path);
    const re = await call(sim.url, "PATCH", path, { json: { reactivate: true } });
    expect((re.body.result as { status: string }).status).toBe("pending_reactivation");
    await clock.advance(10_000);
    expect(((await call(sim.url, "GET", path)).body.result as { status: string }).status).toBe("active");
    await call(sim.url, "DELETE", path);
    await clock.advance(10_000);
    const onRevoked = await call(sim.url, "PATCH", path, { json: { reactivate: true } });
    expect([onRevoked.status, onRevoked.body.success]).toEqual([400, false]);
    const deleteRevoked = await call(sim.url, "DELETE", path);
    expect([deleteRevoked.status, deleteRevoked.body.success]).toEqual([400, false]);
  });

  it("22: 4xx bodies are {success:false, errors:[≥1], messages:[], result:null}; unknown route → 7003", async () => {
    const r = await call(sim.url, "GET", "/client/v4/nowhere");
    expect(r.body).toEqual({ success: false, errors: [{ code: 7003, message: "No route for the URI" }], messages: [], result: null });
    const nf = await call(sim.url, "GET", `${zonePath()}/${"0".repeat(32)}`);
    expect([nf.status, nf.body.success, nf.body.result, nf.body["messages"], (nf.body.errors ?? []).length]).toEqual([404, false, null, [], 1]);
  });

  const auth: Array<{ headers: Record<string, string>; status: number; code: number; chain?: number; reason: string }> = [
    { headers: { authorization: `Bearer ${"q".repeat(40)}` }, status: 403, code: 10000, reason: "unknown token" },
    { headers: { authorization: "Bearer bad token" }, status: 400, code: 6003, chain: 6111, reason: "malformed Authorization" },
    { headers: { authorization: "Basic abc" }, status: 400, code: 6003, chain: 6111, reason: "wrong scheme" },
    { headers: { "x-auth-email": CREDS.email, "x-auth-key": "xyz" }, status: 400, code: 6003, chain: 6103, reason: "malformed X-Auth-Key" },
    { headers: { "x-auth-email": "other@example.com", "x-auth-key": CREDS.globalApiKey }, status: 403, code: 10000, reason: "key of another user" },
  ];
  it.each(auth)("23: $reason → $status $code", async ({ headers, status, code, chain }) => {
    const r = await call(sim.url, "GET", zonePath(), { headers });
    expect(r.status).toBe(status);
    expect(r.body.errors![0]!.code).toBe(code);
    if (chain !== undefined) expect(r.body.errors![0]!.error_chain?.[0]?.code).toBe(chain);
  });

  it("23: an insufficient (read-only) token cannot write → 403 10000", async () => {
    const r = await call(sim.url, "POST", zonePath(), { headers: { authorization: `Bearer ${CREDS.readOnlyApiToken}` }, json: { csr, validity_days: 1 } });
    expect([r.status, r.body.errors![0]!.code]).toEqual([403, 10000]);
  });

  it("24: past the limit every call gets 429 for 5 minutes with integer retry-after; Ratelimit headers always", async () => {
    sim.config({ rateLimit: { limit: 5, windowMs: 300_000 } });
    const first = await call(sim.url, "GET", zonePath());
    expect(first.headers.get("ratelimit")).toMatch(/^"default";r=\d+;t=\d+$/);
    expect(first.headers.get("ratelimit-policy")).toMatch(/^"default";q=\d+;w=\d+$/);
    expect(first.headers.get("retry-after")).toBeNull(); // only on 429
    for (let i = 0; i < 4; i++) expect((await call(sim.url, "GET", zonePath())).status).toBe(200);
    const limited = await call(sim.url, "GET", zonePath());
    expect([limited.status, limited.headers.get("retry-after"), limited.body.errors![0]!.code]).toEqual([429, "300", 971]);
    expect(limited.headers.get("ratelimit")).not.toBeNull();
    await clock.advance(60_000);
    const stillBlocked = await call(sim.url, "POST", zonePath(), { json: { csr, validity_days: 1 } }); // every call, writes too
    expect([stillBlocked.status, stillBlocked.headers.get("retry-after")]).toEqual([429, "240"]);
    await clock.advance(240_000);
    expect((await call(sim.url, "GET", zonePath())).status).toBe(200);
    expect(sim.state()["rateLimitViolations"]).toBe(2);
  });

  it("24 (per IP): the 201st call within a second from one address gets 429 971, whatever token it carries; the next second is free", async () => {
    // Every token of the family is its own per-token budget: only the per-IP limit can refuse these.
    const token = (i: number) => ({ authorization: `Bearer certbridge-sim-cloudflare-api-token-${String(2 + (i % 50)).padStart(4, "0")}` });
    for (let batch = 0; batch < 4; batch++) {
      const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => call(sim.url, "GET", zonePath(), { headers: token(batch * 50 + i) })));
      expect(rs.map((r) => r.status)).toEqual(Array(50).fill(200));
    }
    const overToken = await call(sim.url, "GET", zonePath(), { headers: token(7) });
    const overNoAuth = await call(sim.url, "GET", zonePath(), { headers: {} });
    for (const r of [overToken, overNoAuth]) {
      expectEnvelope(r);
      expect([r.status, r.headers.get("retry-after"), r.body.errors![0]!.code, r.body.errors![0]!.message]).toEqual([
        429,
        "1",
        971,
        "Please wait and consider throttling your request speed",
      ]);
    }
    expect(sim.state()["rateLimitViolations"]).toBe(0);
    await clock.advance(1_000);
    expect((await call(sim.url, "GET", zonePath())).status).toBe(200);
    expect(sim.state()).toMatchObject({ counters: { ipRateLimitViolations: 2 }, ipRateLimitViolations: 2 });
  });
});

describe("simulator admin", () => {
  it("state counts objects, revocations and requests per endpoint; reset clears them", async () => {
    const c = await create();
    await call(sim.url, "DELETE", `${zonePath()}/${String(c["id"])}`);
    const st = (await (await fetch(`${sim.url}/__sim/state`)).json()) as Record<string, unknown>;
    expect(st).toMatchObject({
      vendor: "cloudflare",
      objects: { client_certificate: 1 },
      revocations: 1,
      clientCertificatesByStatus: { pending_revocation: 1 },
      requests: { "POST /client/v4/zones/:zone/client_certificates": 1, "DELETE /client/v4/zones/:zone/client_certificates/:id": 1 },
      counters: { "created.client_certificate": 1, revocations: 1 },
    });
    await fetch(`${sim.url}/__sim/reset`, { method: "POST" });
    expect(sim.state()).toMatchObject({ objects: { client_certificate: 0 }, requests: {} });
  });

  it("config rejects unknown knobs and accepts transition delay, zones and the per-IP limit", async () => {
    expect((await fetch(`${sim.url}/__sim/config`, { method: "POST", body: JSON.stringify({ nope: 1 }) })).status).toBe(400);
    expect(sim.config({ ipRateLimit: { limit: 2, windowMs: 60_000 } })).toMatchObject({ ipRateLimit: { limit: 2, windowMs: 60_000 } });
    await call(sim.url, "GET", zonePath());
    await call(sim.url, "GET", zonePath());
    expect((await call(sim.url, "GET", zonePath())).status).toBe(429);
    sim.reset();
    const res = await fetch(`${sim.url}/__sim/config`, { method: "POST", body: JSON.stringify({ transitionDelayMs: 5, zones: ["abc"] }) });
    expect(await res.json()).toMatchObject({ transitionDelayMs: 5, zones: [CREDS.zoneId, "abc"] });
    expect((await call(sim.url, "GET", zonePath("abc"))).status).toBe(200);
  });
});
