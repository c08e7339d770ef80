import { describe, expect, it } from "vitest";
import type { FoundOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { notPlaced } from "../../ports/certificate-authority.ts";
import { VendorError, type VendorErrorKind } from "../../ports/vendor-error.ts";
import {
  afterCollect,
  afterCollectError,
  afterLookup,
  afterSubmitError,
  attemptOf,
  needsSweep,
  nextStep,
  outcomePending,
  placedOrder,
  settleDeadlineOf,
  sweepFor,
  sweepWhenEnded,
  withSweep,
} from "./decide.ts";
import { type PendingOrder, intentMatchesSpec, iso } from "./record.ts";
import { type OrderTiming, SETTLE_WINDOW_MS, nextLookupAt, nextSweepAt, settleWindowMs } from "./timing.ts";

type Pending = PendingOrder;
const T0 = Date.parse("2026-03-01T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const intent = (over: Partial<Pending> = {}): Pending => ({
  revision: 2,
  state: "Submitting",
  startedTime: iso(at(0)),
  publicKeySha256: "a".repeat(64),
  marker: "uid=u rev=2 spec=0123456789abcdef",
  pollCount: 0,
  ...over,
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
    const s = sweepFor(
      intent({ submits: 2, submittedTime: iso(at(300)), fingerprint: "f".repeat(64), lookupName: "web.example.com" }),
      ["ref-used"],
      at(320),
      180_000,
    )!;
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

// ---------------------------------------------------------------------------------------------------
// What to do next, given the record, the vendor's answer and the clock

const timing: OrderTiming = { windowMs: 180_000, lookupFirstMs: 5_000 };
const err = (kind: VendorErrorKind, over: { httpStatus?: number; retryAfterMs?: number; message?: string } = {}) =>
  new VendorError({
    kind,
    vendor: "sectigo",
    operation: "ssl.enroll",
    message: over.message ?? "refused",
    ...(over.httpStatus === undefined ? {} : { httpStatus: over.httpStatus }),
    ...(over.retryAfterMs === undefined ? {} : { retryAfterMs: over.retryAfterMs }),
  });
/** The record as the engine writes it just before a call leaves (sent at t=0). */
const sent = (over: Partial<Pending> = {}) => attemptOf(intent({ submits: 0, ...over }), at(0), 180_000);

describe("nextStep", () => {
  it.each([
    {
      why: "a planned poll in the future is kept (woken by our own write)",
      p: intent({ vendorRef: "r", nextPollTime: iso(at(30)) }),
      now: 10,
      step: { do: "wait", requeueAfterMs: 20_000 },
    },
    { why: "an order exists: collect it", p: intent({ vendorRef: "r", nextPollTime: iso(at(30)) }), now: 30, step: { do: "collect", vendorRef: "r" } },
    { why: "a call without an answer: look it up, never send again", p: intent({ submits: 1, settleDeadline: iso(at(180)) }), now: 5, step: { do: "lookUp" } },
    { why: "an intent from before deadlines: treated as sent, looked up", p: intent(), now: 5, step: { do: "lookUp" } },
    {
      why: "nothing in flight (a refusal for now cleared the deadline): send",
      p: intent({ submits: 0, nextPollTime: iso(at(60)) }),
      now: 60,
      step: { do: "submit" },
    },
  ])("$why", ({ p, now, step }) => {
    expect(nextStep(p, at(now))).toEqual(step);
  });
});

describe("records around a paid call", () => {
  it("the attempt carries its send time and settle deadline, counts the call, and forgets the planned poll", () => {
    const a = attemptOf(intent({ submits: 1, nextPollTime: iso(at(5)), state: "OutcomeUnknown" }), at(10), 180_000);
    expect(a).toMatchObject({ state: "Submitting", submits: 2, submittedTime: iso(at(10)), settleDeadline: iso(at(190)) });
    expect(a.nextPollTime).toBeUndefined();
  });

  it("the vendor's reference ends the unknown: no deadline, no planned poll, polls counted afresh", () => {
    const p = placedOrder(sent({ pollCount: 3, nextPollTime: iso(at(1)) }), "ssl:7", "AwaitingApproval");
    expect(p).toMatchObject({ vendorRef: "ssl:7", state: "AwaitingApproval", pollCount: 0, submits: 1 });
    expect(p.settleDeadline).toBeUndefined();
    expect(p.nextPollTime).toBeUndefined();
  });
});

describe("afterSubmitError: refused, refused for now, or unknown", () => {
  it.each([
    {
      why: "a 4xx refusal placed nothing: a failed attempt, the call uncounted",
      error: err("invalid", { httpStatus: 400 }),
      kind: "refused",
      reason: "VendorError",
    },
    {
      why: "refused credentials: a failed attempt that says so",
      error: err("credentials", { httpStatus: 401 }),
      kind: "refused",
      reason: "CredentialsInvalid",
    },
    {
      why: "a person must act (DCV): nothing placed; the same intent is tried again later",
      error: err("blocked", { httpStatus: 400, message: "Domain Control Validation is either incomplete or expired for a.test" }),
      kind: "retryLater",
      reason: "AwaitingValidation",
    },
    {
      why: "an approval is missing: nothing placed, tried again later",
      error: err("blocked", { httpStatus: 400, message: "EV: a different person must approve" }),
      kind: "retryLater",
      reason: "AwaitingApproval",
    },
    {
      why: "our own limiter held the call: nothing left, tried again later",
      error: notPlaced(err("rateLimited", { retryAfterMs: 2_000 })),
      kind: "retryLater",
      reason: "RateLimited",
    },
    {
      why: "a transient refusal with a 4xx answer: nothing placed, tried again later",
      error: err("transient", { httpStatus: 400 }),
      kind: "retryLater",
      reason: "VendorError",
    },
    {
      why: "a 429 may come from a proxy in front of a vendor that processed it: unknown",
      error: err("rateLimited", { httpStatus: 429 }),
      kind: "unknown",
      reason: "OutcomeUnknown",
    },
    { why: "a 503 may have been processed: unknown", error: err("transient", { httpStatus: 503 }), kind: "unknown", reason: "OutcomeUnknown" },
    { why: "a timeout (no answer at all): unknown", error: err("transient"), kind: "unknown", reason: "OutcomeUnknown" },
    { why: "anything unexpected: unknown", error: new TypeError("boom"), kind: "unknown", reason: "OutcomeUnknown" },
  ])("$why", ({ error, kind, reason }) => {
    const v = afterSubmitError(sent(), error, at(1), "sectigo", timing);
    expect(v.kind).toBe(kind);
    if (v.kind === "refused") {
      expect(v.reason).toBe(reason);
      expect(v.record).toMatchObject({ submits: 0 });
      expect(v.record.settleDeadline).toBeUndefined();
    } else {
      expect(v.note.reason).toBe(reason);
    }
  });

  it("refused for now: the vendor's words, nothing was ordered, and when it is tried again (slower when a person must act)", () => {
    const v = afterSubmitError(
      sent(),
      err("blocked", { httpStatus: 400, message: "Domain Control Validation is either incomplete or expired for a.test" }),
      at(1),
      "sectigo",
      timing,
    );
    if (v.kind !== "retryLater") throw new Error(v.kind);
    expect(v.note.message).toMatch(
      /^sectigo ssl.enroll failed \(blocked, HTTP 400\): Domain Control Validation is either incomplete.*Nothing was ordered; a person must act at the vendor.*tried again at 2026-03-01T10:01:01Z\.$/,
    );
    expect(v.record).toMatchObject({ submits: 0, pollCount: 1, nextPollTime: iso(at(61)) });
    expect(v.record.settleDeadline).toBeUndefined();
    expect(v.requeueAfterMs).toBe(60_000);
  });

  it("a vendor's Retry-After longer than the backoff is honoured", () => {
    const v = afterSubmitError(sent(), notPlaced(err("rateLimited", { retryAfterMs: 90_000 })), at(1), "sectigo", timing);
    expect(v).toMatchObject({ kind: "retryLater", requeueAfterMs: 90_000 });
  });

  it("unknown: looked up first after lookupFirstMs, never beyond the deadline; the unanswered call is counted", () => {
    const v = afterSubmitError(sent({ unknownOutcomes: 1 }), err("transient", { httpStatus: 503 }), at(1), "sectigo", timing);
    if (v.kind !== "unknown") throw new Error(v.kind);
    expect(v.deadline).toEqual(at(180));
    expect(v.record).toMatchObject({ state: "OutcomeUnknown", unknownOutcomes: 2, pollCount: 0, nextPollTime: iso(at(6)), settleDeadline: iso(at(180)) });
    expect(v.note.message).toMatch(
      /got no answer: sectigo ssl.enroll failed \(transient, HTTP 503\).*Sectigo may still place it, so it is looked up until 2026-03-01T10:03:00Z/,
    );
  });
});

describe("afterLookup: an unanswered call looked up", () => {
  const unanswered = () => ({ ...sent(), state: "OutcomeUnknown" as const, pollCount: 2 });
  it.each([
    { why: "found and alive: that is our order (record it, collect it)", found: [{ vendorRef: "r1", state: "pending" }], now: 30, kind: "found" },
    {
      why: "an ended one and a live one: the live one",
      found: [
        { vendorRef: "r0", state: "failed" },
        { vendorRef: "r1", state: "issued" },
      ],
      now: 30,
      kind: "found",
    },
    { why: "only ended orders: placed and ended by the vendor, a failed attempt", found: [{ vendorRef: "r0", state: "failed" }], now: 30, kind: "ended" },
    { why: "nothing yet, before the deadline: the vendor may still commit it; look again", found: [], now: 30, kind: "lookAgain" },
    { why: "nothing at the deadline: the call placed nothing; it may be sent again", found: [], now: 180, kind: "notPlaced" },
  ] as { why: string; found: FoundOrder[]; now: number; kind: string }[])("$why", ({ found, now, kind }) => {
    expect(afterLookup(unanswered(), found, at(now), "sectigo", timing).kind).toBe(kind);
  });

  it("look again: doubling from the first look, the last one on the deadline", () => {
    const v = afterLookup(unanswered(), [], at(170), "cloudflare", timing);
    expect(v).toMatchObject({
      kind: "lookAgain",
      record: { pollCount: 3, nextPollTime: iso(at(180)) },
      requeueAfterMs: 10_000,
      note: { reason: "OutcomeUnknown" },
    });
  });

  it("not placed: the deadline goes, the call stays counted (a second call means a sweep later)", () => {
    const v = afterLookup(unanswered(), [], at(200), "sectigo", timing);
    if (v.kind !== "notPlaced") throw new Error(v.kind);
    expect(v.record).toMatchObject({ state: "Submitting", submits: 1, pollCount: 0 });
    expect(v.record.settleDeadline).toBeUndefined();
  });
});

describe("afterCollect: only the vendor's verdict ends an order", () => {
  const placed = () => placedOrder(sent(), "ssl:7", "Pending");
  it.each([
    { why: "issued: deliver it", out: { state: "issued", vendorRef: "ssl:7", chainPem: "x" }, kind: "issued" },
    { why: "declined, rejected, revoked: a failed attempt", out: { state: "failed", vendorRef: "ssl:7", message: "declined" }, kind: "ended" },
    { why: "still working: poll again", out: { state: "pending", vendorRef: "ssl:7", reason: "Pending", message: "being processed" }, kind: "poll" },
    {
      why: "a person must approve: poll slowly",
      out: { state: "pending", vendorRef: "ssl:7", reason: "AwaitingApproval", message: "awaiting approval" },
      kind: "poll",
    },
  ] as { why: string; out: IssueOutcome; kind: string }[])("$why", ({ out, kind }) => {
    expect(afterCollect(placed(), out, at(10), timing).kind).toBe(kind);
  });

  it("pending: the vendor's state and words, the next poll rounded up to the second", () => {
    const v = afterCollect(
      { ...placed(), pollCount: 1 },
      { state: "pending", vendorRef: "ssl:7", reason: "AwaitingApproval", message: "awaiting approval" },
      new Date(at(10).getTime() + 300),
      timing,
    );
    expect(v).toMatchObject({
      kind: "poll",
      record: { state: "AwaitingApproval", pollCount: 2, nextPollTime: iso(at(131)) },
      note: { reason: "AwaitingApproval", message: "awaiting approval" },
    });
  });

  it.each([
    {
      why: "an oversized body: kept, VendorError",
      error: err("permanent", { httpStatus: 200, message: "response body exceeds the limit" }),
      reason: "VendorError",
      delay: 5,
    },
    { why: "credentials refused meanwhile: kept, CredentialsInvalid", error: err("credentials", { httpStatus: 401 }), reason: "CredentialsInvalid", delay: 5 },
    {
      why: "throttled with a hint: kept, RateLimited, the hint honoured",
      error: err("rateLimited", { httpStatus: 429, retryAfterMs: 30_000 }),
      reason: "RateLimited",
      delay: 30,
    },
    {
      why: "blocked: kept, a person must act, slow",
      error: err("blocked", { httpStatus: 400, message: "awaiting approval" }),
      reason: "AwaitingApproval",
      delay: 60,
    },
    { why: "a bug: kept, VendorError", error: new TypeError("undefined"), reason: "VendorError", delay: 5 },
  ])("afterCollectError: $why", ({ error, reason, delay }) => {
    const v = afterCollectError(placed(), error, at(10), "sectigo", timing);
    expect(v.note.reason).toBe(reason);
    expect(v.note.message).toMatch(/Order ssl:7 is kept \(only the vendor declining, rejecting or revoking it ends it\)/);
    expect(v.record).toMatchObject({ vendorRef: "ssl:7", pollCount: 1, nextPollTime: iso(at(10 + delay)) });
  });
});

describe("sweeps an ended intent leaves", () => {
  it.each([
    {
      why: "issued on the first answered call: nothing to sweep (the normal path costs nothing)",
      p: intent({ submits: 1, vendorRef: "r" }),
      keep: ["r"],
      sweep: false,
    },
    {
      why: "issued after an unanswered call: sweep, keeping the one in use",
      p: intent({ submits: 1, unknownOutcomes: 1, vendorRef: "r" }),
      keep: ["r"],
      sweep: true,
    },
    { why: "failed after its order existed: sweep (a late duplicate may exist)", p: intent({ submits: 1, vendorRef: "r" }), keep: [], sweep: true },
    { why: "refused before anything was placed: nothing to sweep", p: intent({ submits: 0 }), keep: [], sweep: false },
    { why: "abandoned while its call was unanswered: sweep", p: intent({ submits: 1, settleDeadline: iso(at(180)) }), keep: [], sweep: true },
    { why: "no marker (cannot be looked for): none", p: intent({ submits: 2, marker: undefined }), keep: [], sweep: false },
  ])("$why", ({ p, keep, sweep }) => {
    expect(sweepWhenEnded(p, keep, at(10), 180_000) !== undefined).toBe(sweep);
  });

  it("withSweep replaces an older sweep of the same intent and keeps at most eight", () => {
    const s = (revision: number, until = 1) => ({
      revision,
      marker: `m${revision}`,
      publicKeySha256: "a".repeat(64),
      since: iso(at(0)),
      until: iso(at(until)),
      keep: [],
    });
    const list = [1, 2, 3, 4, 5, 6, 7, 8].map((r) => s(r));
    const next = withSweep(list, s(8, 99));
    expect(next).toHaveLength(8);
    expect(next.at(-1)).toMatchObject({ revision: 8, until: iso(at(99)) });
    expect(withSweep(list, s(9)).map((x) => x.revision)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
