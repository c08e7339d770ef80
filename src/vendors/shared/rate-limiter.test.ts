import { describe, expect, it } from "vitest";
import { systemClock } from "./clock.ts";
import { ManualClock } from "./manual-clock.ts";
import { credentialKey, RateLimiter, RateLimiterRegistry, scaledRule } from "./rate-limiter.ts";

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
