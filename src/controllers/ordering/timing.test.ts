import { describe, expect, it } from "vitest";
import { pollDelayMs } from "./timing.ts";

describe("poll backoff", () => {
  it.each([
    { state: "Pending" as const, n: 0, ms: 5_000, why: "first poll soon" },
    { state: "Pending" as const, n: 3, ms: 40_000, why: "doubling" },
    { state: "Pending" as const, n: 20, ms: 30 * 60_000, why: "capped" },
    { state: "AwaitingApproval" as const, n: 0, ms: 60_000, why: "a person must act: slower" },
  ])("$state #$n → $ms ($why)", ({ state, n, ms }) => {
    expect(pollDelayMs(state, n)).toBe(ms);
  });
  it("a vendor hint longer than the backoff wins", () => {
    expect(pollDelayMs("Pending", 0, 90_000)).toBe(90_000);
  });
});
