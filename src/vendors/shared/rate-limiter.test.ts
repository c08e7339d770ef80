import { describe, expect, it } from "vitest";
import { systemClock } from "./clock.ts";
import { ManualClock } from "./manual-clock.ts";
import { credentialKey, DEFAULT_WARM_UP, RateLimiter, RateLimiterRegistry, scaledRule, type WarmUp } from "./rate-limiter.ts";

function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

describe("RateLimiter", () => {
  it("grants up to the limit immediately, then waits for the window to slide", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 3, windowMs: 1000 } }, clock });
    const granted: number[] = [];
    const all = Array.from({ length: 7 }, () => limiter.acquire("default").then(() => granted.push(clock.now())));
    await clock.advance(0);
    expect(granted).toHaveLength(3);
    await clock.advance(999);
    expect(granted).toHaveLength(3);
    await clock.advance(1);
    expect(granted).toHaveLength(6);
    await clock.advance(1000);
    await Promise.all(all);
    expect(granted).toHaveLength(7);
    expect(maxInAnyWindow(granted, 1000)).toBeLessThanOrEqual(3);
  });

  it("never exceeds the window under real concurrency", async () => {
    const limiter = new RateLimiter({ rules: { default: { limit: 5, windowMs: 200 } } });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await limiter.acquire("default");
        times.push(systemClock.now());
      }),
    );
    times.sort((a, b) => a - b);
    expect(times).toHaveLength(20);
    // Times are read just after each grant, so allow a few ms of measurement skew at window edges.
    expect(maxInAnyWindow(times, 200 - 5)).toBeLessThanOrEqual(5);
    // 20 grants at 5 per 200 ms need at least three full windows
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(590);
  });

  it("serves waiters first come, first served", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 1, windowMs: 100 } }, clock });
    const order: number[] = [];
    const ps = [0, 1, 2, 3].map((i) => limiter.acquire("default").then(() => order.push(i)));
    for (let i = 0; i < 4; i++) await clock.advance(100);
    await Promise.all(ps);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("keeps buckets independent", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { read: { limit: 1, windowMs: 1000 }, write: { limit: 1, windowMs: 1000 } }, clock });
    await limiter.acquire("read");
    await limiter.acquire("write"); // would hang if buckets were shared
    expect(limiter.stats().buckets["read"]).toMatchObject({ inWindow: 1, granted: 1 });
  });

  it("aborting a waiter removes it from the queue with the signal's reason", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 1, windowMs: 1000 } }, clock });
    await limiter.acquire("default");
    const ac = new AbortController();
    const waiting = limiter.acquire("default", ac.signal);
    const next = limiter.acquire("default");
    ac.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    expect(limiter.stats().buckets["default"]!.queued).toBe(1);
    await clock.advance(1000);
    await next;
    expect(limiter.stats().buckets["default"]!.granted).toBe(2);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const limiter = new RateLimiter({ rules: { default: { limit: 1, windowMs: 1000 } } });
    await expect(limiter.acquire("default", AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
  });

  it("pauseFor holds every bucket, even one with budget left", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 100, windowMs: 1000 } }, clock });
    limiter.pauseFor(300_000);
    expect(limiter.stats().pausedUntil).toBe(clock.now() + 300_000);
    let done = false;
    const p = limiter.acquire("default").then(() => (done = true));
    await clock.advance(299_999);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
    expect(limiter.stats().pausedUntil).toBeUndefined();
  });

  it("a pause that starts while waiters sleep pushes them out", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 1, windowMs: 100 } }, clock });
    await limiter.acquire("default");
    let done = false;
    const p = limiter.acquire("default").then(() => (done = true));
    await clock.advance(10);
    limiter.pauseFor(1000);
    await clock.advance(200);
    expect(done).toBe(false);
    await clock.advance(800);
    await p;
    expect(done).toBe(true);
  });

  it("falls back to the default rule and refuses buckets with no rule", async () => {
    await expect(new RateLimiter({ rules: { a: { limit: 1, windowMs: 1 } } }).acquire("b")).rejects.toThrow(/no rule/);
    await new RateLimiter({ rules: { default: { limit: 1, windowMs: 1 } } }).acquire("anything");
    expect(() => new RateLimiter({ rules: { a: { limit: 0, windowMs: 1 } } })).toThrow(/limit/);
  });

  it("scaledRule keeps to 80% of the published limit", () => {
    expect(scaledRule(1200, 300_000)).toEqual({ limit: 960, windowMs: 300_000 });
    expect(scaledRule(1, 1000)).toEqual({ limit: 1, windowMs: 1000 });
  });
});

describe("RateLimiterRegistry", () => {
  it("shares one limiter per credential identity and keys it by hash", () => {
    const reg = new RateLimiterRegistry();
    const rules = { default: { limit: 1, windowMs: 1000 } };
    const a = reg.forCredential("cloudflare:token-id-1", rules);
    expect(reg.forCredential("cloudflare:token-id-1", rules)).toBe(a);
    expect(reg.forCredential("cloudflare:token-id-2", rules)).not.toBe(a);
    expect(reg.size).toBe(2);
    expect(credentialKey("x")).toMatch(/^[0-9a-f]{32}$/);
    expect(credentialKey("a", "b")).not.toBe(credentialKey("ab"));
  });
});

describe("warm-up after a restart", () => {
  it("grants no burst at the start: share × limit spread evenly over the first window, then the full limit", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 8, windowMs: 1000 } }, clock, warmUp: { share: 0.25 } });
    const granted: number[] = [];
    const start = clock.now();
    const all = Array.from({ length: 10 }, () => limiter.acquire("default").then(() => granted.push(clock.now() - start)));
    await clock.advance(0);
    expect(granted, "nothing at once: the previous process may have just spent the window").toEqual([]);
    expect(limiter.stats().buckets["default"]?.warmingUpUntil).toBe(start + 1000);
    await clock.advance(999);
    expect(granted, "0.25 × 8 = 2 per first window, evenly spaced: the first at 500 ms").toEqual([500]);
    await clock.advance(1);
    // At the window's end the sliding window alone rules: the limit of 8, counting the one at 500.
    expect(granted).toEqual([500, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    await clock.advance(2000);
    await Promise.all(all);
    expect(maxInAnyWindow(granted, 1000)).toBeLessThanOrEqual(8);
    expect(limiter.stats().buckets["default"]?.warmingUpUntil).toBeUndefined();
  });

  it("a limit too small for one warm-up grant waits out the first window instead", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rules: { default: { limit: 2, windowMs: 1000 } }, clock, warmUp: { share: 0.25 } });
    let at: number | undefined;
    const start = clock.now();
    const p = limiter.acquire("default").then(() => (at = clock.now() - start));
    await clock.advance(999);
    expect(at).toBeUndefined();
    await clock.advance(1);
    await p;
    expect(at).toBe(1000);
  });

  it("the registry warms up by default; false turns it off", async () => {
    const clock = new ManualClock();
    const rules = { default: { limit: 4, windowMs: 1000 } };
    let warm = 0;
    void new RateLimiterRegistry({ clock })
      .forCredential("a", rules)
      .acquire("default")
      .then(() => warm++);
    await new RateLimiterRegistry({ clock, warmUp: false }).forCredential("a", rules).acquire("default");
    await clock.advance(0);
    expect(warm).toBe(0);
    await clock.advance(1000);
    expect(warm).toBe(1);
    expect(DEFAULT_WARM_UP.share).toBe(0.25);
  });

  /**
   * ZPA's read budget (20 GET per 10 s, the window starting at the first call; we keep 16 per 12 s).
   * A long-running process spends its whole budget just before it dies; then the operator restarts
   * every `lifeMs`, each new process asking for as much as it can get before it dies in turn.
   */
  async function restartStorm(warmUp: WarmUp | undefined, lifeMs: number): Promise<number[]> {
    const clock = new ManualClock();
    const rules = { read: scaledRule(20, 12_000) };
    const grants: number[] = [];
    const old = new RateLimiter({ rules, clock, ...(warmUp === undefined ? {} : { warmUp }) });
    await clock.advance(60_000); // long past its own warm-up
    await Promise.all(Array.from({ length: rules.read.limit }, () => old.acquire("read").then(() => grants.push(clock.now()))));
    for (let restart = 0; restart < 30; restart++) {
      const life = new AbortController();
      const limiter = new RateLimiter({ rules, clock, ...(warmUp === undefined ? {} : { warmUp }) });
      for (let i = 0; i < 40; i++)
        limiter.acquire("read", life.signal).then(
          () => grants.push(clock.now()),
          () => undefined,
        );
      await clock.advance(lifeMs);
      life.abort(new Error("killed"));
    }
    return grants.sort((a, b) => a - b);
  }

  const storms = [
    { reason: "a crash loop faster than the first warm-up grant (3 s) gets no call at all", lifeMs: 700 },
    { reason: "restarts every 4 s each get their one warm-up call", lifeMs: 4_000 },
    { reason: "restarts every 9 s (just under ZPA's window) get three each", lifeMs: 9_000 },
  ];
  it.each(storms)("very fast restarts stay within ZPA's 20 GET per 10 s: $reason", async ({ lifeMs }) => {
    const without = await restartStorm(undefined, lifeMs);
    expect(maxInAnyWindow(without, 10_000), "each restart used to start with a full burst").toBeGreaterThan(20);
    const withWarmUp = await restartStorm(DEFAULT_WARM_UP, lifeMs);
    expect(maxInAnyWindow(withWarmUp, 10_000)).toBeLessThanOrEqual(20);
    expect(withWarmUp.length - 16, "calls the restarted processes made").toBe(30 * Math.floor(lifeMs / 3_000));
  });
});
