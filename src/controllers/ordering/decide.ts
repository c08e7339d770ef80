// The ordering engine's decisions, pure: given the recorded intent, the vendor's answer (or the
// error instead of one) and the clock, what is recorded next, what the user reads, and when to ask
// again. The engine (engine.ts) does the calls and writes; everything it decides is here, tested
// alone (decide.test.ts). ADR 0005 explains the states.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { type FoundOrder, type IssueOutcome, submitMayHavePlaced } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { type OrderNote, type OrderSweep, type PendingOrder, type PlacedState, iso } from "./record.ts";
import { type OrderTiming, type OrderVendor, nextLookupAt, nextSweepAt, pollDelayMs } from "./timing.ts";
import { causeOf, nextStepOf, reasonOf, vendorDisplayName } from "./words.ts";

// ---------------------------------------------------------------------------------------------------
// What the record says

/**
 * The latest paid call of this intent may have placed an order we have not seen: it was sent (or
 * about to be) and no answer recorded. Intents written before settle deadlines existed count as such,
 * with their start time as the send time.
 */
export function outcomePending(p: PendingOrder): boolean {
  if (p.vendorRef !== undefined) return false;
  return p.settleDeadline !== undefined || p.submits === undefined;
}

/** Until when the vendor may still commit this intent's latest call. */
export function settleDeadlineOf(p: PendingOrder, windowMs: number): Date {
  if (p.settleDeadline !== undefined) return new Date(p.settleDeadline);
  return new Date(Date.parse(p.submittedTime ?? p.startedTime) + windowMs);
}

/** A revision had an unanswered or repeated paid call: extra orders may exist and must be swept. */
export function needsSweep(p: PendingOrder): boolean {
  return (p.unknownOutcomes ?? 0) > 0 || (p.submits ?? 1) > 1 || p.submits === undefined;
}

export type NextStep =
  /** Woken early (our own write, a resync): keep the planned poll or look-up. */
  | { readonly do: "wait"; readonly requeueAfterMs: number }
  | { readonly do: "collect"; readonly vendorRef: string }
  | { readonly do: "lookUp" }
  | { readonly do: "submit" };

export function nextStep(p: PendingOrder, now: Date): NextStep {
  if (p.nextPollTime !== undefined && Date.parse(p.nextPollTime) > now.getTime())
    return { do: "wait", requeueAfterMs: Date.parse(p.nextPollTime) - now.getTime() };
  if (p.vendorRef !== undefined) return { do: "collect", vendorRef: p.vendorRef };
  if (outcomePending(p)) return { do: "lookUp" };
  return { do: "submit" };
}

// ---------------------------------------------------------------------------------------------------
// Records written around a paid call

/** The attempt about to be sent: its time and settle deadline, recorded before the call leaves. */
export function attemptOf(p: PendingOrder, now: Date, windowMs: number): PendingOrder {
  const { nextPollTime: _n, ...rest } = p;
  return { ...rest, state: "Submitting", submits: (p.submits ?? 0) + 1, submittedTime: iso(now), settleDeadline: iso(new Date(now.getTime() + windowMs)) };
}

/** What the front end knows of an earlier pass's lost intent: since when its orders could exist, and what they are found by. */
export interface EarlierIntent {
  readonly since: Date;
  /** The marker its orders carry (its spec may differ from today's), when known. */
  readonly marker?: string;
  /** The name the vendor lists its orders under, when known. */
  readonly lookupName?: string;
}

/**
 * An intent whose paid call an earlier pass may have sent without a record of it surviving (the front
 * end knows why): treated as a call with no answer, sent as late as now, found by what the earlier pass
 * sent (its marker and name, when known). It is looked up until one settle window from now before
 * anything is ordered, and swept after. Should it be sent after all, a marker of another spec makes the
 * front end abandon it for a new intent (its sweep on record) instead.
 */
export function possiblySent(intent: PendingOrder, earlier: EarlierIntent, now: Date, windowMs: number): PendingOrder {
  return {
    ...intent,
    ...(earlier.marker === undefined ? {} : { marker: earlier.marker }),
    ...(earlier.lookupName === undefined ? {} : { lookupName: earlier.lookupName }),
    startedTime: iso(earlier.since),
    state: "OutcomeUnknown",
    submits: Math.max(1, intent.submits ?? 0),
    submittedTime: iso(now),
    settleDeadline: iso(new Date(now.getTime() + windowMs)),
    unknownOutcomes: (intent.unknownOutcomes ?? 0) + 1,
  };
}

/** The vendor has the order: its reference, recorded right after the answer (or the look-up). */
export function placedOrder(p: PendingOrder, vendorRef: string, state: PlacedState): PendingOrder {
  const { settleDeadline: _d, nextPollTime: _n, ...rest } = p;
  return { ...rest, vendorRef, state, pollCount: 0 };
}

/** A plan for after a call: the record to write, what the user reads, when to come back. */
export interface Plan {
  readonly record: PendingOrder;
  readonly note: OrderNote;
  readonly requeueAfterMs: number;
}

export type AfterSubmitError =
  /** Refused for now (throttled, a person must act): nothing was placed; the call is tried again later. */
  | ({ readonly kind: "retryLater" } & Plan)
  /** Refused for good: a failed attempt (the record is the intent without the call that was refused). */
  | { readonly kind: "refused"; readonly record: PendingOrder; readonly reason: string; readonly cause: string }
  /** No answer: the vendor may still place it; look it up until the deadline before ordering again. */
  | ({ readonly kind: "unknown"; readonly deadline: Date } & Plan);

export function afterSubmitError(attempt: PendingOrder, error: unknown, now: Date, vendor: OrderVendor, t: OrderTiming): AfterSubmitError {
  const cause = causeOf(vendor, error);
  if (!submitMayHavePlaced(error)) {
    const { settleDeadline: _d, ...rest } = attempt;
    const cleared: PendingOrder = { ...rest, submits: Math.max(0, (attempt.submits ?? 1) - 1) };
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "blocked")) {
      const next = new Date(
        now.getTime() + pollDelayMs(error.kind === "blocked" ? "AwaitingValidation" : "Pending", attempt.pollCount ?? 0, error.retryAfterMs, t.pollBackoff),
      );
      const message = `${cause}. Nothing was ordered; ${nextStepOf(error)}the order is tried again at ${iso(next)}.`;
      return {
        kind: "retryLater",
        record: { ...cleared, pollCount: (attempt.pollCount ?? 0) + 1, nextPollTime: iso(next) },
        note: { reason: reasonOf(error), message },
        requeueAfterMs: Math.max(1_000, next.getTime() - now.getTime()),
      };
    }
    return { kind: "refused", record: cleared, reason: failureReason(error), cause };
  }
  const deadline = settleDeadlineOf(attempt, t.windowMs);
  const next = nextLookupAt(now, deadline, 0, t.lookupFirstMs);
  const message = `The order for revision ${attempt.revision} (sent ${attempt.submittedTime}) got no answer: ${cause}. ${vendorDisplayName(vendor)} may still place it, so it is looked up until ${iso(deadline)} before anything is ordered again.`;
  return {
    kind: "unknown",
    deadline,
    record: { ...attempt, state: "OutcomeUnknown", unknownOutcomes: (attempt.unknownOutcomes ?? 0) + 1, pollCount: 0, nextPollTime: iso(next) },
    note: { reason: Reason.OutcomeUnknown, message },
    requeueAfterMs: Math.max(1_000, next.getTime() - now.getTime()),
  };
}

/** The reason a failed attempt shows (the vendor ending an order itself is Rejected, decided by the caller). */
export function failureReason(error: unknown): string {
  return error instanceof VendorError && error.kind === "credentials" ? Reason.CredentialsInvalid : Reason.VendorError;
}

// ---------------------------------------------------------------------------------------------------
// Looking up an unanswered call

export type AfterLookup =
  | { readonly kind: "found"; readonly vendorRef: string }
  /** Placed, and already ended by the vendor (declined, revoked): that attempt failed. */
  | { readonly kind: "ended"; readonly vendorRef: string; readonly message: string }
  | ({ readonly kind: "lookAgain" } & Plan)
  /** Nothing after the deadline: the call placed nothing, and may be sent again. */
  | { readonly kind: "notPlaced"; readonly record: PendingOrder };

export function afterLookup(p: PendingOrder, found: readonly FoundOrder[], now: Date, vendor: OrderVendor, t: OrderTiming): AfterLookup {
  const live = found.filter((f) => f.state !== "failed");
  if (live.length > 0) return { kind: "found", vendorRef: live[0]!.vendorRef };
  if (found.length > 0)
    return { kind: "ended", vendorRef: found[0]!.vendorRef, message: `the order ${found[0]!.vendorRef} was placed and ended by the vendor` };
  const deadline = settleDeadlineOf(p, t.windowMs);
  if (now.getTime() < deadline.getTime()) {
    const lookups = (p.pollCount ?? 0) + 1;
    const next = nextLookupAt(now, deadline, lookups, t.lookupFirstMs);
    const message = `The order for revision ${p.revision} (sent ${p.submittedTime ?? p.startedTime}) got no answer and is not at ${vendorDisplayName(vendor)} yet; it is looked up until ${iso(deadline)} (next ${iso(next)}) before anything is ordered again.`;
    return {
      kind: "lookAgain",
      record: { ...p, state: "OutcomeUnknown", pollCount: lookups, nextPollTime: iso(next) },
      note: { reason: Reason.OutcomeUnknown, message },
      requeueAfterMs: Math.max(1_000, next.getTime() - now.getTime()),
    };
  }
  const { settleDeadline: _d, nextPollTime: _n, ...rest } = p;
  return { kind: "notPlaced", record: { ...rest, state: "Submitting", submits: rest.submits ?? 1, pollCount: 0 } };
}

// ---------------------------------------------------------------------------------------------------
// Collecting an order the vendor has: only the vendor's explicit verdict ends it

export type AfterCollect =
  | { readonly kind: "issued"; readonly outcome: Extract<IssueOutcome, { state: "issued" }> }
  | { readonly kind: "ended"; readonly message: string }
  | ({ readonly kind: "poll" } & Plan);

export function afterCollect(p: PendingOrder, out: IssueOutcome, now: Date, t: OrderTiming): AfterCollect {
  if (out.state === "issued") return { kind: "issued", outcome: out };
  if (out.state === "failed") return { kind: "ended", message: out.message };
  // Planned from now, rounded up to the second status keeps.
  const nextPoll = Math.ceil((now.getTime() + pollDelayMs(out.reason, p.pollCount ?? 0, out.retryAfterMs, t.pollBackoff)) / 1000) * 1000;
  return {
    kind: "poll",
    record: { ...p, vendorRef: out.vendorRef, state: out.reason, pollCount: (p.pollCount ?? 0) + 1, nextPollTime: iso(new Date(nextPoll)) },
    note: { reason: out.reason, message: out.message },
    requeueAfterMs: Math.max(0, nextPoll - now.getTime()),
  };
}

/** Any error while an order exists keeps the order: say why, and ask again later. */
export function afterCollectError(p: PendingOrder, error: unknown, now: Date, vendor: OrderVendor, t: OrderTiming): Plan {
  const kind = error instanceof VendorError ? error.kind : "unexpected";
  const hint = error instanceof VendorError ? error.retryAfterMs : undefined;
  const next = new Date(
    Math.ceil((now.getTime() + pollDelayMs(kind === "blocked" ? "AwaitingApproval" : "Pending", p.pollCount ?? 0, hint, t.pollBackoff)) / 1000) * 1000,
  );
  const reason = reasonOf(error);
  const message = `${causeOf(vendor, error)}. Order ${p.vendorRef ?? ""} is kept (only the vendor declining, rejecting or revoking it ends it); ${error instanceof VendorError ? nextStepOf(error) : ""}asking again at ${iso(next)}.`;
  return {
    record: { ...p, pollCount: (p.pollCount ?? 0) + 1, nextPollTime: iso(next) },
    note: { reason, message },
    requeueAfterMs: Math.max(1_000, next.getTime() - now.getTime()),
  };
}

// ---------------------------------------------------------------------------------------------------
// Sweeps: what an ended intent leaves to look for

/** The sweep record for a revision, ending one settle window after its last call could still commit. */
export function sweepFor(p: PendingOrder, keep: readonly string[], now: Date, windowMs: number): OrderSweep | undefined {
  if (p.publicKeySha256 === undefined || p.marker === undefined) return undefined;
  const lastCall = Date.parse(p.submittedTime ?? p.startedTime);
  const until = new Date(Math.max(lastCall + 2 * windowMs, now.getTime()));
  return {
    revision: p.revision,
    marker: p.marker,
    publicKeySha256: p.publicKeySha256,
    ...(p.fingerprint === undefined ? {} : { fingerprint: p.fingerprint }),
    ...(p.lookupName === undefined ? {} : { lookupName: p.lookupName }),
    since: p.startedTime,
    until: iso(until),
    nextTime: iso(nextSweepAt(now, until, windowMs)),
    keep: [...new Set(keep)].slice(0, 8),
  };
}

/**
 * The sweep an intent leaves when it ends now: with an order in use (`keep`), only if a call went
 * unanswered or was repeated; without one (failed, abandoned), whenever anything may have been placed.
 */
export function sweepWhenEnded(p: PendingOrder, keep: readonly string[], now: Date, windowMs: number): OrderSweep | undefined {
  const mayHaveOrders = needsSweep(p) || (keep.length === 0 && (p.vendorRef !== undefined || outcomePending(p) || (p.submits ?? 0) > 0));
  return mayHaveOrders ? sweepFor(p, keep, now, windowMs) : undefined;
}

/** `list` with `sweep` in place of an older sweep of the same intent (at most 8, the newest kept). */
export function withSweep<S extends OrderSweep>(list: readonly S[] | undefined, sweep: S): S[] {
  const others = (list ?? []).filter((s) => !(s.revision === sweep.revision && s.marker === sweep.marker));
  return [...others, sweep].slice(-8);
}
