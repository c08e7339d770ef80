import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../vendors/shared/manual-clock.ts";
import { FaultInjector } from "./faults.ts";
import { RateLimitEnforcer } from "./rate-limit.ts";
import { jsonResponse, startSimServer, type SimServer, type SimState } from "./server.ts";
import { createSimTls } from "./tls.ts";

const servers: SimServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function fakeState(): SimState & { widgets: number; knobs: Record<string, unknown> } {
  const st = {
    widgets: 0,
    knobs: {} as Record<string, unknown>,
    snapshot: () => ({ widgets: st.widgets, knobs: st.knobs }),
    reset: () => {
      st.widgets = 0;
    },
    configure: (k: Record<string, unknown>) => {
      if ("bad" in k) throw new Error("unknown knob bad");
      Object.assign(st.knobs, k);
      return st.knobs;
    },
  };
  return st;
}

async function start(extra: Partial<Parameters<typeof startSimServer>[0]> = {}): Promise<{ sim: SimServer; state: ReturnType<typeof fakeState> }> {
  const state = fakeState();
  const sim = await startSimServer({
    name: "test",
    state,
    routes: [
      { method: "GET", path: "/things/:id", handler: (r) => jsonResponse(200, { id: r.params["id"], q: r.query.get("q") }) },
      {
        method: "POST",
        path: "/things",
        handler: (r) => {
          state.widgets++;
          r.count("created.thing");
          return jsonResponse(200, { got: r.body, ct: r.headers["content-type"] });
        },
      },
      { method: "DELETE", path: "/things/:id", handler: () => ({ status: 204 }) },
    ],
    ...extra,
  });
  servers.push(sim);
  return { sim, state };
}

describe("startSimServer", () => {
  it("routes by method and :params, parses query, JSON and form bodies", async () => {
    const { sim } = await start();
    expect(await (await fetch(`${sim.url}/things/a%20b?q=1`)).json()).toEqual({ id: "a b", q: "1" });
    const j = await fetch(`${sim.url}/things`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
    expect(await j.json()).toEqual({ got: { x: 1 }, ct: "application/json" });
    const f = await fetch(`${sim.url}/things`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1&b=two" });
    expect(((await f.json()) as { got: unknown }).got).toEqual({ a: "1", b: "two" });
    expect((await fetch(`${sim.url}/things/x`, { method: "DELETE" })).status).toBe(204);
  });

  it("answers HEAD from the GET route without a body", async () => {
    const { sim } = await start();
    const res = await fetch(`${sim.url}/things/a`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(sim.state().requests["HEAD /things/:id"]).toBe(1);
  });

  const misses: Array<{ method: string; path: string; status: number; reason: string }> = [
    { method: "GET", path: "/nope", status: 404, reason: "no route" },
    { method: "PUT", path: "/things/1", status: 405, reason: "path exists, method does not" },
  ];
  it.each(misses)("$method $path → $status ($reason)", async ({ method, path, status }) => {
    const { sim } = await start();
    expect((await fetch(`${sim.url}${path}`, { method })).status).toBe(status);
  });

  it("uses the vendor's renderers for not found and bad bodies", async () => {
    const { sim } = await start({
      render: {
        notFound: () => jsonResponse(404, { vendor: "no route" }),
        badRequest: (_r, reason) => jsonResponse(400, { vendor: reason }),
      },
    });
    expect(await (await fetch(`${sim.url}/zzz`)).json()).toEqual({ vendor: "no route" });
    const bad = await fetch(`${sim.url}/things`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect([bad.status, await bad.json()]).toEqual([400, { vendor: "malformed JSON body" }]);
  });

  it("caps request bodies", async () => {
    const { sim } = await start({ maxBodyBytes: 100 });
    const res = await fetch(`${sim.url}/things`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ x: "y".repeat(500) }),
    });
    expect(res.status).toBe(413);
  });

  it("exposes state, counters, reset and config over /__sim/ and in-process", async () => {
    const { sim } = await start();
    await fetch(`${sim.url}/things`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await fetch(`${sim.url}/things/1`);
    const st = await (await fetch(`${sim.url}/__sim/state`)).json();
    expect(st).toMatchObject({
      widgets: 1,
      requests: { "POST /things": 1, "GET /things/:id": 1 },
      counters: { "created.thing": 1 },
      responses: { "POST /things → 200": 1 },
    });
    expect(sim.state().widgets).toBe(1);
    const cfg = await fetch(`${sim.url}/__sim/config`, { method: "POST", body: JSON.stringify({ issuanceDelayMs: 50 }) });
    expect(await cfg.json()).toEqual({ issuanceDelayMs: 50 });
    expect((await fetch(`${sim.url}/__sim/config`, { method: "POST", body: JSON.stringify({ bad: 1 }) })).status).toBe(400);
    expect(sim.config({ more: true })).toEqual({ issuanceDelayMs: 50, more: true });
    await fetch(`${sim.url}/__sim/reset`, { method: "POST" });
    expect(sim.state()).toMatchObject({ widgets: 0, requests: {}, counters: {} });
  });

  describe("faults", () => {
    it("injects 5xx for a path pattern and a count, then retires", async () => {
      const { sim } = await start();
      const res = await fetch(`${sim.url}/__sim/faults`, {
        method: "POST",
        body: JSON.stringify({ fail5xxRate: 1, pathPattern: "^GET /things/", count: 2, retryAfter: "3" }),
      });
      expect(res.status).toBe(200);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${sim.url}/things/1`)).status);
      expect(statuses).toEqual([503, 503, 200]);
      expect((await fetch(`${sim.url}/things`, { method: "POST", body: "{}" })).status).toBe(200);
      expect(sim.state().faultsInjected).toEqual({ "5xx": 2 });
    });

    it("rejects invalid fault specs", async () => {
      const { sim } = await start();
      expect((await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ fail5xxRate: 2 }) })).status).toBe(400);
      expect((await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ typo: 1 }) })).status).toBe(400);
    });

    const kinds: Array<{ spec: Record<string, unknown>; check: (r: Response) => Promise<void>; reason: string }> = [
      { spec: { rate429Rate: 1 }, check: async (r) => expect([r.status, r.headers.get("retry-after")]).toEqual([429, "1"]), reason: "429 with retry-after" },
      {
        spec: { htmlErrorRate: 1 },
        check: async (r) => expect([r.status, (await r.text()).startsWith("<!DOCTYPE html>")]).toEqual([502, true]),
        reason: "proxy HTML page",
      },
      {
        spec: { malformedJsonRate: 1 },
        check: async (r) => expect([r.status, r.headers.get("content-type")]).toEqual([200, "application/json"]),
        reason: "truncated JSON keeps status and type",
      },
      {
        spec: { oversizedRate: 1, oversizeBytes: 300_000 },
        check: async (r) => expect((await r.text()).length).toBeGreaterThan(300_000),
        reason: "oversized body",
      },
      { spec: { latencyMs: 120 }, check: async (r) => expect(r.status).toBe(200), reason: "latency only" },
    ];
    it.each(kinds)("$reason", async ({ spec, check }) => {
      const { sim } = await start();
      sim.faults.set(spec);
      const t0 = Date.now();
      await check(await fetch(`${sim.url}/things/1`));
      if (spec["latencyMs"] !== undefined) expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    });

    it("malformed JSON really does not parse", async () => {
      const { sim } = await start();
      sim.faults.set({ malformedJsonRate: 1 });
      const text = await (await fetch(`${sim.url}/things/1`)).text();
      expect(() => JSON.parse(text) as unknown).toThrow();
    });

    it("resets the connection", async () => {
      const { sim } = await start();
      sim.faults.set({ resetRate: 1, count: 1 });
      await expect(fetch(`${sim.url}/things/1`)).rejects.toThrow();
      expect((await fetch(`${sim.url}/things/1`)).status).toBe(200);
    });

    it("a seed makes the sequence of decisions repeatable", () => {
      const run = (): string[] => {
        const f = new FaultInjector();
        f.set({ fail5xxRate: 0.5, seed: 42 });
        return Array.from({ length: 20 }, () => f.decide("GET", "/x").action?.kind ?? "ok");
      };
      const a = run();
      expect(run()).toEqual(a);
      expect(a).toContain("5xx");
      expect(a).toContain("ok");
    });
  });

  it("serves HTTPS with a sim CA", async () => {
    const tls = await createSimTls();
    const { sim } = await start({ tls: { certPem: tls.certPem, keyPem: tls.keyPem } });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { Agent } = await import("undici");
    const res = await fetch(`${sim.url}/things/1`, { dispatcher: new Agent({ connect: { ca: tls.caPem } }) } as RequestInit);
    expect(res.status).toBe(200);
  });
});

describe("RateLimitEnforcer", () => {
  it("refuses beyond the window per credential and bucket, and counts violations", async () => {
    const clock = new ManualClock();
    const e = new RateLimitEnforcer({ rules: { read: { limit: 2, windowMs: 10_000 } }, clock });
    expect([e.check("a", "read").ok, e.check("a", "read").ok]).toEqual([true, true]);
    expect(e.check("a", "read")).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(e.check("b", "read").ok).toBe(true);
    expect(e.check("a", "write").ok).toBe(true); // no rule, no limit
    await clock.advance(10_000);
    expect(e.check("a", "read").ok).toBe(true);
    expect(e.violations).toBe(1);
  });

  it("a penalty blocks every bucket of the credential until it ends", async () => {
    const clock = new ManualClock();
    const e = new RateLimitEnforcer({ rules: { default: { limit: 1, windowMs: 1000 } }, penaltyMs: 300_000, clock });
    e.check("k", "default");
    expect(e.check("k", "default")).toEqual({ ok: false, retryAfterMs: 300_000 });
    await clock.advance(200_000);
    expect(e.check("k", "other")).toEqual({ ok: false, retryAfterMs: 100_000 });
    await clock.advance(100_000);
    expect(e.check("k", "default").ok).toBe(true);
    expect(e.violations).toBe(2);
  });
});
