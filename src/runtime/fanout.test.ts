import { describe, expect, test } from "vitest";
import { bothSides, mapToRequests } from "./fanout.ts";
import { type Widget, widget } from "./testing.ts";

describe("mapToRequests", () => {
  test("each key once per change, however many ways it was reached; empty keys skipped", () => {
    const woken: string[] = [];
    const counts: number[] = [];
    const listener = mapToRequests<Widget>(
      () => ["team/x", "team/y", "team/x", undefined, ""],
      (k) => woken.push(k),
      { onFanOut: (n) => counts.push(n) },
    );
    listener("team/a", widget("a"), undefined);
    expect(woken).toEqual(["team/x", "team/y"]);
    expect(counts).toEqual([2]);
  });

  test("a change that does not matter wakes nobody", () => {
    const woken: string[] = [];
    const listener = mapToRequests<Widget>(
      bothSides((w) => [w.spec?.ref]),
      (k) => woken.push(k),
      {
        when: (cur, prev) => cur?.spec?.ref !== prev?.spec?.ref,
      },
    );
    listener("team/a", widget("a", { spec: { ref: "team/x" }, status: { phase: "Ready" } }), widget("a", { spec: { ref: "team/x" } }));
    expect(woken).toEqual([]);
    listener("team/a", widget("a", { spec: { ref: "team/y" } }), widget("a", { spec: { ref: "team/x" } }));
    expect(woken).toEqual(["team/y", "team/x"]); // the new referent and the one it left
  });

  test("bothSides sees a deletion through the previous object", () => {
    const woken: string[] = [];
    mapToRequests<Widget>(
      bothSides((w) => [w.spec?.ref]),
      (k) => woken.push(k),
    )("team/a", undefined, widget("a", { spec: { ref: "team/x" } }));
    expect(woken).toEqual(["team/x"]);
  });
});
