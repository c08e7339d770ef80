import { describe, expect, it } from "vitest";
import { LONGEST_VENDOR_WINDOW_MS, shouldWarmUp, type WarmUpFacts } from "./warm-up.ts";

const now = Date.parse("2026-12-05T12:00:00Z");
const base: WarmUpFacts = { policy: "auto", leaderElect: true, leaseRenewedAt: null, now };

describe("shouldWarmUp", () => {
  const cases: Array<[string, Partial<WarmUpFacts>, boolean]> = [
    ["a fresh install has no Lease: nobody spent the budget", {}, false],
    ["a leader renewed seconds ago (restart, failover, standby taking over) may have spent it", { leaseRenewedAt: now - 5_000 }, true],
    ["a leader renewed just inside the longest vendor window", { leaseRenewedAt: now - LONGEST_VENDOR_WINDOW_MS + 1 }, true],
    ["the last leader stopped longer ago than any vendor window", { leaseRenewedAt: now - LONGEST_VENDOR_WINDOW_MS }, false],
    ["without leader election nothing tells: assume a predecessor", { leaderElect: false }, true],
    ["always warms up whatever the Lease says", { policy: "always" }, true],
    ["never skips the warm-up even right after a predecessor", { policy: "never", leaseRenewedAt: now - 1_000 }, false],
  ];
  it.each(cases)("%s", (_reason, facts, expected) => {
    expect(shouldWarmUp({ ...base, ...facts })).toBe(expected);
  });
});
