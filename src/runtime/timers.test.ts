import { describe, expect, it } from "vitest";
import { MAX_TIMER_MS, backoffDelay, clampDelay, deadline, jitter } from "./timers.ts";

describe("timers", () => {
  it.each([
    { ms: -5, expected: 0, why: "negative means now" },
    { ms: Number.NaN, expected: 0, why: "NaN means now" },
    { ms: 1.2, expected: 2, why: "rounded up so a timer never fires early" },
    { ms: 2 ** 40, expected: MAX_TIMER_MS, why: "clamped below Node's overflow to 1 ms" },
    { ms: Infinity, expected: 0, why: "infinite is not a plan" },
  ])("clampDelay: $why", ({ ms, expected }) => expect(clampDelay(ms)).toBe(expected));

  it("jitter stays within the fraction", () => {
    expect(jitter(1000, 0.2, () => 0)).toBe(1000);
    expect(jitter(1000, 0.2, () => 1)).toBe(800);
  });

  it("backoff grows and caps", () => {
    expect([0, 1, 2, 3, 60].map((n) => backoffDelay({ baseMs: 100, maxMs: 500 }, n))).toEqual([100, 200, 400, 500, 500]);
  });

  describe("deadline", () => {
    it("aborts with the parent's reason, and with a TimeoutError when time runs out", async () => {
      const parent = new AbortController();
      const linked = deadline(parent.signal, 60_000);
      parent.abort(new Error("stopping"));
      expect(linked.signal.reason).toEqual(new Error("stopping"));
      linked.dispose();
      const timed = deadline(undefined, 5, "reconcile");
      await new Promise((r) => setTimeout(r, 30));
      expect((timed.signal.reason as DOMException).name).toBe("TimeoutError");
      timed.dispose();
    });

    it("once disposed, neither the parent nor the timer reaches it (nothing is left behind)", async () => {
      const parent = new AbortController();
      const linked = deadline(parent.signal, 5);
      linked.dispose();
      parent.abort();
      await new Promise((r) => setTimeout(r, 30));
      expect(linked.signal.aborted).toBe(false);
    });

    it("starts aborted under an aborted parent", () => {
      const parent = new AbortController();
      parent.abort(new Error("gone"));
      expect(deadline(parent.signal, 1000).signal.aborted).toBe(true);
    });
  });
});
