import { describe, expect, test } from "vitest";
import { CLOCK_SKEW_MS, CREATE_SETTLE_MS, createIntentFor, createRefused, createSettlingMs, nextSettleLookMs, originOf } from "./create-intent.ts";

/** A system that compares names without blanks at either end (as ZPA's search does). */
const trimmed = (a: string, b: string) => a.trim() === b.trim();

describe("originOf", () => {
  const since = "2030-01-01T00:00:00Z";
  const t = Date.parse(since);
  const intent = { name: "edge", since };
  const cases: Array<{ reason: string; found: { id: string; name: string; createdAt?: number }; recorded?: string; intent?: typeof intent; want: string }> = [
    { reason: "the recorded key", found: { id: "9", name: "edge" }, recorded: "9", intent, want: "recorded" },
    { reason: "no intent: someone else made it", found: { id: "9", name: "edge", createdAt: t }, want: "preExisting" },
    { reason: "our intent, made just after it: the create we sent", found: { id: "9", name: "edge", createdAt: t + 2000 }, intent, want: "createdByUs" },
    { reason: "our intent, ZPA gives no creation time: trusted", found: { id: "9", name: "edge" }, intent, want: "createdByUs" },
    { reason: "made long before the intent: it was there already", found: { id: "9", name: "edge", createdAt: t - 3_600_000 }, intent, want: "preExisting" },
    {
      reason: "made long after the intent: not what we sent",
      found: { id: "9", name: "edge", createdAt: t + CREATE_SETTLE_MS + CLOCK_SKEW_MS + 1000 },
      intent,
      want: "preExisting",
    },
    { reason: "the intent named another key", found: { id: "9", name: "other", createdAt: t }, intent, want: "preExisting" },
    { reason: "blank-padded in ZPA is the same name", found: { id: "9", name: " edge ", createdAt: t }, intent, want: "createdByUs" },
  ];
  test.each(cases)("$reason", ({ found, recorded, intent: i, want }) => expect(originOf(found, recorded, i, trimmed)).toBe(want));
});

describe("createSettlingMs", () => {
  const intent = { name: "edge", since: "2030-01-01T00:00:00Z" };
  const t = Date.parse(intent.since);
  const cases = [
    { reason: "no intent: create now", intent: undefined, now: t, want: undefined },
    { reason: "a create announced a moment ago may still land: keep looking", intent, now: t + 30_000, want: CREATE_SETTLE_MS - 30_000 },
    { reason: "past the settle window it would have landed: create again", intent, now: t + CREATE_SETTLE_MS, want: undefined },
    { reason: "an intent for another name says nothing about this one", intent: { ...intent, name: "other" }, now: t, want: undefined },
  ];
  test.each(cases)("$reason", ({ intent: i, now, want }) => expect(createSettlingMs(i, "edge", now)).toBe(want));
});

describe("createIntentFor", () => {
  const now = new Date("2030-01-01T00:01:00.123Z");
  test("a fresh intent is stamped now (seconds, as status timestamps are)", () => {
    expect(createIntentFor(undefined, "edge", now)).toEqual({ name: "edge", since: "2030-01-01T00:01:00Z" });
  });
  test("a recent intent for the same name keeps its time: its create may still land", () => {
    const earlier = { name: "edge", since: "2030-01-01T00:00:30Z" };
    expect(createIntentFor(earlier, "edge", now)).toBe(earlier);
  });
  test("a stale or other-named intent is replaced", () => {
    expect(createIntentFor({ name: "edge", since: "2029-12-31T00:00:00Z" }, "edge", now).since).toBe("2030-01-01T00:01:00Z");
    expect(createIntentFor({ name: "old", since: "2030-01-01T00:00:50Z" }, "edge", now).name).toBe("edge");
  });
});

describe("nextSettleLookMs", () => {
  const cases = [
    { reason: "early in the window: every 15 s", settling: 90_000, want: 15_000 },
    { reason: "near its end: once more when it ends", settling: 4_000, want: 4_000 },
    { reason: "never a busy loop", settling: 10, want: 1_000 },
  ];
  test.each(cases)("$reason", ({ settling, want }) => expect(nextSettleLookMs(settling)).toBe(want));
});

describe("createRefused", () => {
  const cases = [
    { reason: "rate-limited: the vendor answered, nothing was made", kind: "rateLimited", want: true },
    { reason: "invalid: refused", kind: "invalid", want: true },
    { reason: "credentials: refused", kind: "credentials", want: true },
    { reason: "conflict: refused", kind: "conflict", want: true },
    { reason: "transient (timeout, 5xx): no answer, the create may still land", kind: "transient", want: false },
    { reason: "permanent: not an answer about this create", kind: "permanent", want: false },
  ];
  test.each(cases)("$reason", ({ kind, want }) => expect(createRefused(kind)).toBe(want));
});
