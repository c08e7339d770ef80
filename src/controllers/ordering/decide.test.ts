import { describe, expect, it } from "vitest";
import { needsSweep, outcomePending, settleDeadlineOf, sweepFor } from "./decide.ts";
import { type PendingOrder, intentMatchesSpec, iso } from "./record.ts";
import { SETTLE_WINDOW_MS, nextLookupAt, nextSweepAt, settleWindowMs } from "./timing.ts";

type Pending = PendingOrder;
const T0 = Date.parse("2026-03-01T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const intent = (over: Partial<Pending> = {}): Pending => ({
  revision: 2, state: "Submitting", startedTime: iso(at(0)), publicKeySha256: "a".repeat(64), marker: "uid=u rev=2 spec=0123456789abcdef", pollCount: 0, ...over,
});

describe("ordering under unknown outcomes", () => {
  it.each([
    { why: "a call recorded with a deadline and no answer", p: intent({ submits: 1, submittedTime: iso(at(0)), settleDeadline: iso(at(180)) }), pending: true },
    { why: "an intent from before deadlines existed (no submits field): it may have been sent", p: intent(), pending: true },
    { why: "a refusal cleared the deadline: nothing in flight", p: intent({ submits: 0 }), pending: false },
    { why: "the vendor answered: the order is known", p: intent({ submits: 1, settleDeadline: iso(at(180)), vendorRef: "ref" }), pending: false },
  ])("outcomePending: $why → $pending", ({ p, pending }) => {
    expect(outcomePending(p)).toBe(pending);
  });

  it.each([
    { why: "the recorded deadline wins", p: intent({ settleDeadline: iso(at(90)) }), deadline: at(90) },
    { why: "legacy intent: start time plus the window", p: intent(), deadline: at(180) },
    { why: "a later call: its own send time plus the window", p: intent({ submittedTime: iso(at(600)) }), deadline: at(780) },
  ])("settleDeadlineOf: $why", ({ p, deadline }) => {
    expect(settleDeadlineOf(p, 180_000)).toEqual(deadline);
  });

  it.each([
    { lookups: 0, now: 0, next: 5, why: "first look soon after the unanswered call" },
    { lookups: 3, now: 40, next: 80, why: "doubling" },
    { lookups: 10, now: 10, next: 130, why: "capped at two minutes" },
    { lookups: 4, now: 170, next: 180, why: "never beyond the deadline: the last look lands on it" },
  ])("nextLookupAt: $why", ({ lookups, now, next }) => {
    expect(nextLookupAt(at(now), at(180), lookups)).toEqual(at(next));
  });

  it.each([
    { marker: "uid=u rev=2 spec=0123456789abcdef", spec: "0123456789abcdef0011223344556677", same: true, why: "the intent's spec" },
    { marker: "uid=u rev=2 spec=0123456789abcdef", spec: "ffff456789abcdef0011223344556677", same: false, why: "the spec was edited since" },
    { marker: undefined, spec: "ffff456789abcdef0011223344556677", same: true, why: "no marker (legacy): nothing to compare" },
  ])("intentMatchesSpec: $why", ({ marker, spec, same }) => {
    expect(intentMatchesSpec(marker === undefined ? {} : { marker }, spec)).toBe(same);
  });

  it.each([
    { why: "one answered call", p: intent({ submits: 1 }), sweep: false },
    { why: "a call without an answer", p: intent({ submits: 1, unknownOutcomes: 1 }), sweep: true },
    { why: "a second call", p: intent({ submits: 2 }), sweep: true },
    { why: "legacy intent (calls unknown)", p: intent(), sweep: true },
  ])("needsSweep: $why → $sweep", ({ p, sweep }) => {
    expect(needsSweep(p)).toBe(sweep);
  });

  it("a sweep runs until the last call plus two windows, first pass half a window on, keeping the order in use", () => {
    const s = sweepFor(intent({ submits: 2, submittedTime: iso(at(300)), fingerprint: "f".repeat(64), lookupName: "web.example.com" }), ["ref-used"], at(320), 180_000)!;
    expect(s).toMatchObject({ revision: 2, since: iso(at(0)), until: iso(at(660)), nextTime: iso(at(410)), keep: ["ref-used"], lookupName: "web.example.com" });
    expect(nextSweepAt(at(650), at(660), 180_000)).toEqual(at(660));
    expect(nextSweepAt(at(700), at(660), 180_000)).toEqual(at(790));
  });

  it("settle windows per vendor, Sectigo longer; overridable (tests, --debug-order-settle-ms)", () => {
    expect(SETTLE_WINDOW_MS.sectigo).toBeGreaterThan(SETTLE_WINDOW_MS.cloudflare);
    expect(settleWindowMs("cloudflare")).toBe(180_000);
    expect(settleWindowMs("sectigo", { sectigo: 3_000 })).toBe(3_000);
  });
});
