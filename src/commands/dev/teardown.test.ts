import { describe, expect, it } from "vitest";
import { createTeardown } from "./teardown.ts";

describe("teardown", () => {
  it("undoes in reverse order and keeps going past a failing step", async () => {
    const order: string[] = [];
    const t = createTeardown();
    t.push("control plane", async () => void order.push("control plane"));
    t.push("simulators", async () => {
      order.push("simulators");
      throw new Error("boom");
    });
    t.push("operator", async () => void order.push("operator"));
    const report: string[] = [];
    expect(await t.run((l) => report.push(l))).toBe(false);
    expect(order).toEqual(["operator", "simulators", "control plane"]);
    expect(report).toContain("could not stop simulators: boom");
    expect(await t.run(() => {})).toBe(true);
  });
});
