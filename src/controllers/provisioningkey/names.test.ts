import { describe, expect, test } from "vitest";
import { defaultKeyName, MAX_KEY_NAME, reservedNameProblem, sameKeyName } from "./names.ts";

describe("defaultKeyName", () => {
  const cases = [
    { reason: "short names read as certbridge.<namespace>.<name>", ns: "team", name: "edge", want: "certbridge.team.edge" },
    { reason: "dashes cannot make two resources collide (namespaces hold no dots)", ns: "a-b", name: "c", want: "certbridge.a-b.c" },
    { reason: "…the other side of that pair", ns: "a", name: "b-c", want: "certbridge.a.b-c" },
    { reason: "the same inputs always give the same name (crash recovery finds it)", ns: "team", name: "edge", want: defaultKeyName("team", "edge") },
  ];
  test.each(cases)("$reason", ({ ns, name, want }) => expect(defaultKeyName(ns, name)).toBe(want));

  test("over-long names are cut to ZPA's limit and stay distinct through a hash", () => {
    const a = defaultKeyName("n".repeat(63), "x".repeat(253));
    const b = defaultKeyName("n".repeat(63), `${"x".repeat(252)}y`);
    expect(a.length).toBe(MAX_KEY_NAME);
    expect(a).not.toBe(b);
    expect(a.startsWith("certbridge.nnn")).toBe(true);
  });
});

describe("reservedNameProblem", () => {
  const cases = [
    { reason: "no spec.name: the default name is the namespace's own", name: undefined, ok: true },
    { reason: "any other name", name: "edge-connectors", ok: true },
    { reason: "the namespace's own default-name form", name: "certbridge.team.other", ok: true },
    { reason: "another namespace's default-name form would squat its keys", name: "certbridge.victim.edge", ok: false },
    { reason: "…also behind blanks", name: " certbridge.victim.edge", ok: false },
    { reason: "certbridge.<x> without a resource part is nobody's default", name: "certbridge.victim", ok: true },
  ];
  test.each(cases)("$reason", ({ name, ok }) => expect(reservedNameProblem(name, "team") === undefined).toBe(ok));
});

describe("sameKeyName", () => {
  const cases = [
    { reason: "identical names", a: "edge", b: "edge", want: true },
    { reason: "blanks at either end are ignored (ZPA's search trims them)", a: " edge\u00a0", b: "edge", want: true },
    { reason: "inner blanks are not", a: "ed ge", b: "edge", want: false },
  ];
  test.each(cases)("$reason", ({ a, b, want }) => expect(sameKeyName(a, b)).toBe(want));
});
