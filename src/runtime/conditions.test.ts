import { describe, expect, it } from "vitest";
import { setCondition } from "./conditions.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-02T00:00:00Z");

describe("setCondition", () => {
  const base = setCondition([], { type: "Ready", status: "False", reason: "Pending", message: "waiting" }, 1, t0);

  it.each([
    { next: { status: "False", reason: "Pending", message: "still waiting" }, moves: false, why: "a message change is not a transition" },
    { next: { status: "False", reason: "VendorError", message: "x" }, moves: false, why: "a reason change is not a transition" },
    { next: { status: "True", reason: "Issued", message: "ok" }, moves: true, why: "a status flip is a transition" },
  ] as const)("lastTransitionTime: $why", ({ next, moves }) => {
    const updated = setCondition(base, { type: "Ready", ...next }, 2, t1);
    expect(updated).toHaveLength(1);
    expect(updated[0]?.lastTransitionTime).toBe(moves ? "2026-01-02T00:00:00Z" : "2026-01-01T00:00:00Z");
    expect(updated[0]?.observedGeneration).toBe(2);
    expect(updated[0]?.reason).toBe(next.reason);
  });

  it("adds a new type beside existing ones without touching them", () => {
    const updated = setCondition(base, { type: "Issuing", status: "True", reason: "Pending", message: "m" }, 1, t1);
    expect(updated.map((c) => c.type)).toEqual(["Ready", "Issuing"]);
    expect(updated[0]).toEqual(base[0]);
  });
});
