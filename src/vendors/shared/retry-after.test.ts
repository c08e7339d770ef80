import { describe, expect, it } from "vitest";
import { parseRetryAfterMs } from "./retry-after.ts";

const now = new Date("2025-03-01T12:00:00Z");

describe("parseRetryAfterMs", () => {
  const cases: Array<{ value: string | null | undefined; want: number | undefined; reason: string }> = [
    { value: "13s", want: 13_000, reason: "ZPA sends seconds with an s suffix" },
    { value: "13", want: 13_000, reason: "RFC 9110 delta-seconds (Cloudflare)" },
    { value: " 7 ", want: 7_000, reason: "surrounding whitespace is tolerated" },
    { value: "1.5", want: 1_500, reason: "fractional seconds" },
    { value: "0", want: 0, reason: "zero means retry now" },
    { value: "-5", want: 0, reason: "negatives clamp to zero" },
    { value: "Sat, 01 Mar 2025 12:00:30 GMT", want: 30_000, reason: "HTTP-date in the future" },
    { value: "Sat, 01 Mar 2025 11:59:00 GMT", want: 0, reason: "HTTP-date in the past clamps to zero" },
    { value: "", want: undefined, reason: "empty header" },
    { value: null, want: undefined, reason: "absent header (Headers.get)" },
    { value: undefined, want: undefined, reason: "absent header (record lookup)" },
    { value: "soon", want: undefined, reason: "garbage is ignored, not guessed" },
    { value: "12abc", want: undefined, reason: "partial numbers are rejected" },
  ];
  it.each(cases)("$value → $want ($reason)", ({ value, want }) => {
    expect(parseRetryAfterMs(value, now)).toBe(want);
  });
});
