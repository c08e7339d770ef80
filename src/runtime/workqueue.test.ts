import { describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { FakeClock } from "./clock.ts";
import { WorkQueue } from "./workqueue.ts";

describe("WorkQueue", () => {
  it("collapses a burst of adds for one key into one item", async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 100; i++) q.add("ns/a");
    q.add("ns/b");
    expect(q.stats().depth).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
  });

  it("never hands one key to two workers; an add during processing replays after done", async () => {
    const q = new WorkQueue();
    q.add("k");
    const first = await q.get();
    q.add("k"); // changed while being reconciled
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await sleep(10);
    expect(second).toBeUndefined(); // held back: "k" is still processing
    q.done(first ?? "");
    await sleep(0);
    expect(second).toBe("k");
  });

  it("keeps the earliest of two delayed adds for a key", async () => {
    const q = new WorkQueue();
    q.addAfter("k", 10_000);
    q.addAfter("k", 20);
    q.addAfter("k", 5_000);
    expect(q.stats().waiting).toBe(1);
    const started = Date.now();
    const key = await q.get();
    expect(key).toBe("k");
    expect(Date.now() - started).toBeLessThan(1_000);
    q.done("k");
    await q.shutDown();
  });

  it("clamps delays beyond Node's 2^31-1 ms timer limit instead of firing at once", async () => {
    const q = new WorkQueue();
    q.addAfter("far", 90 * 24 * 3600 * 1000); // 90 days: unclamped, Node would fire in 1 ms
    await sleep(30);
    expect(q.stats().depth).toBe(0);
    expect(q.stats().waiting).toBe(1);
    await q.shutDown();
  });

  it.each([
    { failures: 1, expected: 10, why: "first retry waits the base delay" },
    { failures: 2, expected: 20, why: "doubles" },
    { failures: 4, expected: 80, why: "keeps doubling" },
    { failures: 10, expected: 100, why: "capped at the maximum" },
  ])("backs off per key: $why", ({ failures, expected }) => {
    const q = new WorkQueue({ backoff: { baseMs: 10, maxMs: 100 } });
    let last = 0;
    for (let i = 0; i < failures; i++) last = q.addRateLimited("k");
    expect(last).toBe(expected);
    expect(q.addRateLimited("other")).toBe(10);
    q.forget("k");
    expect(q.failures("k")).toBe(0);
    void q.shutDown();
  });

  it("honours a retry-after longer than the backoff step", () => {
    const q = new WorkQueue({ backoff: { baseMs: 10, maxMs: 100 } });
    expect(q.addRateLimited("k", 5_000)).toBe(5_000);
    void q.shutDown();
  });

  it("drains: shutdown waits for keys in flight and releases idle workers", async () => {
    const q = new WorkQueue();
    q.add("busy");
    const key = await q.get();
    const idle = q.get();
    let drained = false;
    const shutdown = q.shutDown().then(() => {
      drained = true;
    });
    expect(await idle).toBeUndefined();
    await sleep(10);
    expect(drained).toBe(false);
    q.done(key ?? "");
    await shutdown;
    expect(drained).toBe(true);
    q.add("late");
    expect(q.stats().depth).toBe(0);
  });

  it("judges which delayed add is earlier by the injected clock", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const started = Date.now();
    q.addAfter("k", 300); // due at t+300 ms
    clock.advance(3_600_000); // an hour later by the injected clock...
    q.addAfter("k", 10); // ...this one is due later, so the first wake-up stays
    expect(await q.get()).toBe("k");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    q.done("k");
    await q.shutDown();
  });
});
