import { describe, expect, it } from "vitest";
import { DAY_MS, describeDays, judgeLifetime } from "./lifetime.ts";

const h = 3_600_000;
const sectigo = { offered: 'terms of 365, 730 days (profile "OV SSL")', vendor: "Sectigo" };
const cloudflare = { offered: "whole days", vendor: "Cloudflare" };

describe("judgeLifetime", () => {
  it.each([
    { why: "no lifetime asked for: the vendor's default", q: { requestedMs: undefined, offeredDays: 365, ...sectigo }, kind: "vendorDefault", days: undefined },
    { why: "a term asked for exactly (8760h = 365 days)", q: { requestedMs: 8760 * h, offeredDays: 365, ...sectigo }, kind: "exact", days: 365 },
    { why: "Cloudflare days asked for exactly", q: { requestedMs: 30 * DAY_MS, offeredDays: 30, ...cloudflare }, kind: "exact", days: 30 },
    {
      why: "Cloudflare rounds 36h up to 2 whole days: within a day, said",
      q: { requestedMs: 36 * h, offeredDays: 2, ...cloudflare },
      kind: "rounded",
      days: 2,
    },
    {
      why: "Sectigo rounds 8000h (333.3 days) up to the 365-day term: 9.5 % longer, said",
      q: { requestedMs: 8000 * h, offeredDays: 365, ...sectigo },
      kind: "rounded",
      days: 365,
    },
    {
      why: "longer than every term: the longest, 365, is 8 % shorter than 397 days, said",
      q: { requestedMs: 397 * DAY_MS, offeredDays: 365, offered: "terms of 365 days", vendor: "Sectigo" },
      kind: "rounded",
      days: 365,
    },
    {
      why: "90 days against a 365-day term: four times as long, refused",
      q: { requestedMs: 2160 * h, offeredDays: 365, ...sectigo },
      kind: "refused",
      days: undefined,
    },
    {
      why: "400 days rounds up to 730: 82 % longer, refused (the 365 below is not what the vendor would issue)",
      q: { requestedMs: 400 * DAY_MS, offeredDays: 730, ...sectigo },
      kind: "refused",
      days: undefined,
    },
    {
      why: "the tolerance is 10 %: 11 % longer is refused",
      q: { requestedMs: 300 * DAY_MS, offeredDays: 333, ...sectigo },
      kind: "refused",
      days: undefined,
    },
    {
      why: "a short lifetime still gets a day's slack (whole days cannot do better)",
      q: { requestedMs: 2 * h, offeredDays: 1, ...cloudflare },
      kind: "rounded",
      days: 1,
    },
  ])("$why", ({ q, kind, days }) => {
    const verdict = judgeLifetime({ asked: "spec.duration", ...q });
    expect(verdict.kind).toBe(kind);
    if (days !== undefined) expect(verdict).toMatchObject({ days });
  });

  it("a refusal names what was asked, what the vendor offers, the tolerance and the next step", () => {
    const verdict = judgeLifetime({ requestedMs: 2160 * h, asked: "spec.duration 2160h", offeredDays: 365, ...sectigo });
    expect(verdict.kind).toBe("refused");
    if (verdict.kind !== "refused") return;
    expect(verdict.message).toBe(
      'Sectigo cannot issue spec.duration 2160h (90 days): it offers terms of 365, 730 days (profile "OV SSL"), and the nearest, 365 days, differs by more than 10 %. Set spec.duration to an offered lifetime (e.g. 8760h) or use the vendor\'s own days; nothing was ordered.',
    );
  });

  it("a rounding says how much and which way", () => {
    const verdict = judgeLifetime({ requestedMs: 8000 * h, asked: "spec.duration 8000h", offeredDays: 365, ...sectigo });
    expect(verdict).toMatchObject({
      kind: "rounded",
      message: expect.stringMatching(/^Sectigo issues 365 days for spec.duration 8000h \(333.3 days\), 31.7 days longer/),
    });
  });

  it.each([
    { ms: 12 * h, text: "12 hours" },
    { ms: DAY_MS, text: "1 day" },
    { ms: 36 * h, text: "1.5 days" },
  ])("describeDays($ms) = $text", ({ ms, text }) => {
    expect(describeDays(ms)).toBe(text);
  });
});
