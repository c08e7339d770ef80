import { describe, expect, it } from "vitest";
import { z } from "zod";
import { arrayOrEmpty, booleanish, epochSeconds, idString, integerish, isoDate, numberish, optionalOmitted } from "./wire.ts";

describe("numberish", () => {
  const cases: Array<{ input: unknown; want: number | "error"; reason: string }> = [
    { input: 15, want: 15, reason: "a JSON number" },
    { input: "15", want: 15, reason: "ZPA sends counts as strings" },
    { input: "1.5", want: 1.5, reason: "decimals in strings" },
    { input: "-3", want: -3, reason: "negative strings (Sectigo codes)" },
    { input: "", want: "error", reason: "empty string is not zero" },
    { input: "12a", want: "error", reason: "partial numbers rejected" },
    { input: null, want: "error", reason: "null is not a number" },
  ];
  it.each(cases)("$input → $want ($reason)", ({ input, want }) => {
    const r = numberish.safeParse(input);
    if (want === "error") expect(r.success).toBe(false);
    else expect(r.data).toBe(want);
  });
  it("integerish rejects fractions", () => {
    expect(integerish.safeParse("2.5").success).toBe(false);
    expect(integerish.parse("2")).toBe(2);
  });
});

describe("idString", () => {
  const cases: Array<{ input: unknown; want: string | "error"; reason: string }> = [
    { input: "217246660302995456", want: "217246660302995456", reason: "64-bit ZPA ids stay strings" },
    { input: 1234, want: "1234", reason: "Sectigo int ids become strings" },
    { input: 217246660302995456, want: "error", reason: "an unsafe number already lost digits" },
    { input: 1.5, want: "error", reason: "fractions are not ids" },
    { input: "", want: "error", reason: "empty id" },
  ];
  it.each(cases)("$input → $want ($reason)", ({ input, want }) => {
    const r = idString.safeParse(input);
    if (want === "error") expect(r.success).toBe(false);
    else expect(r.data).toBe(want);
  });
});

describe("epochSeconds", () => {
  const cases: Array<{ input: unknown; want: string; reason: string }> = [
    { input: "1563925306", want: "2019-07-23T23:41:46.000Z", reason: "string seconds (ZPA)" },
    { input: 1563925306, want: "2019-07-23T23:41:46.000Z", reason: "number seconds" },
    { input: "1563925306000", want: "2019-07-23T23:41:46.000Z", reason: "13-digit values are milliseconds" },
  ];
  it.each(cases)("$input ($reason)", ({ input, want }) => {
    expect(epochSeconds.parse(input).toISOString()).toBe(want);
  });
  it("rejects text", () => expect(epochSeconds.safeParse("yesterday").success).toBe(false));
});

describe("other helpers", () => {
  it("booleanish accepts booleans and their strings only", () => {
    expect(booleanish.parse("true")).toBe(true);
    expect(booleanish.parse(false)).toBe(false);
    expect(booleanish.safeParse("yes").success).toBe(false);
  });
  it("isoDate parses RFC 3339 and rejects garbage", () => {
    expect(isoDate.parse("2033-02-20T23:18:00Z").toISOString()).toBe("2033-02-20T23:18:00.000Z");
    expect(isoDate.safeParse("not a date").success).toBe(false);
  });
  it("optionalOmitted treats missing, null and empty string as absent", () => {
    const s = z.object({ d: optionalOmitted(z.string().min(2)) });
    expect(s.parse({}).d).toBeUndefined();
    expect(s.parse({ d: null }).d).toBeUndefined();
    expect(s.parse({ d: "" }).d).toBeUndefined();
    expect(s.parse({ d: "ok" }).d).toBe("ok");
    expect(s.safeParse({ d: "x" }).success).toBe(false);
  });
  it("arrayOrEmpty reads null and missing as []", () => {
    const s = z.object({ l: arrayOrEmpty(z.number()) });
    expect(s.parse({ l: null }).l).toEqual([]);
    expect(s.parse({}).l).toEqual([]);
    expect(s.parse({ l: [1] }).l).toEqual([1]);
  });
});
