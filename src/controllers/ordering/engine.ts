// The ordering engine: one intent, from its first paid call to a certificate, safe under any fault
// (ADR 0005). It knows nothing of the kind that asked: a front end (the ManagedCertificate's request
// manager; later a cert-manager CertificateRequest) hands it an order, a place to persist the intent
// (IntentStore, guarded writes) and its ports, and gets back an explicit outcome to act on:
//
//   intent + this call's time and settle deadline (one guarded write)  → "intent-recorded"
//   the paid submit, taken from the budget                             → "submitted"
//   vendorRef recorded right after (unless issued at once)             → "vendor-ref-recorded"
//   collect on the doubling poll backoff                               → "collected"
//   → issued (the front end writes its Secret and clears the record) | failed | waiting
//
// A call whose answer was not seen leaves the outcome unknown: the intent's orders are looked up
// ("found") until the settle deadline, and only then, with nothing found, is it sent again. Once a
// vendorRef exists, only the vendor's explicit verdict on that order ends it; every other error keeps
// it and backs off, visibly. The decisions are pure (decide.ts); this module calls and writes.
import { X509Certificate, createHash } from "node:crypto";
import type { Logger } from "pino";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { CertificateAuthority, CertificateOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { splitCertificates } from "../../pki/pem.ts";
import type { BudgetAnswer } from "./budget.ts";
import {
  afterCollect,
  afterCollectError,
  afterLookup,
  afterSubmitError,
  attemptOf,
  type EarlierIntent,
  failureReason,
  nextStep,
  placedOrder,
  possiblySent,
  settleDeadlineOf,
  sweepWhenEnded,
} from "./decide.ts";
import {
  type IntentStore,
  type OrderNote,
  type OrderOwner,
  type OrderSweep,
  type PendingOrder,
  type PlacedState,
  iso,
  newIntent,
  orderIntentOf,
} from "./record.ts";
import type { OrderTiming, OrderVendor } from "./timing.ts";
import { causeOf } from "./words.ts";

/** Points on the ordering path where a test may inject a crash (throw) or observe progress. */
export type OrderingStep = "intent-recorded" | "found" | "submitted" | "vendor-ref-recorded" | "collected";

/** The order of a recorded intent could not be made again (its key is gone, the spec moved on). */
export interface Abandon {
  readonly abandon: string;
  /** Counts as a failed attempt (the next one is a new revision). */
  readonly failed: boolean;
}

/** Everything one pass of the engine works with; the front end builds it per reconcile. */
export interface OrderJob {
  readonly vendor: OrderVendor;
  readonly owner: OrderOwner;
  readonly ca: CertificateAuthority;
  readonly store: IntentStore;
  readonly timing: OrderTiming;
  /** The vendor block the intent's orders are found by. */
  readonly vendorOptions: CertificateOrder["vendorOptions"];
  /** Vendor references the front end already accounts for: a look-up never "finds" them. */
  readonly knownVendorRefs: readonly string[];
  /** The order of the recorded intent (same key, same names), or why it can no longer be sent or collected. */
  order(record: PendingOrder, purpose: "submit" | "collect"): Promise<CertificateOrder | Abandon>;
  /** One paid issuance from the connection's budget, taken right before each paid call. */
  spend(): BudgetAnswer;
  readonly now: Date;
  /**
   * The time now, read after a vendor call: a poll is planned from the vendor's answer, not from the
   * reconcile's start (a slow submit would otherwise leave the first planned poll already due). Absent: `now`.
   */
  readonly clock?: () => Date;
  readonly signal: AbortSignal;
  readonly log: Logger;
  step?(step: OrderingStep): void | Promise<void>;
  onCall?(operation: "submit" | "collect" | "find"): void;
}

export interface IssuedOrder {
  readonly vendorRef: string;
  /** Leaf first, then intermediates (PEM); the leaf carries the order's public key. */
  readonly chainPem: string;
  readonly caPem?: string;
}

export type OrderingOutcome =
  /** The record (and a note for the user) is written; ask again after this long. */
  | { readonly kind: "waiting"; readonly requeueAfterMs: number }
  /** The certificate: the front end delivers it, then clears the record (the record is still there). */
  | { readonly kind: "issued"; readonly record: PendingOrder; readonly issued: IssuedOrder; readonly order: CertificateOrder; readonly sweep?: OrderSweep }
  /** A failed attempt: refused for good, or ended by the vendor (`reason` Rejected). */
  | {
      readonly kind: "failed";
      readonly record: PendingOrder;
      readonly reason: string;
      readonly cause: string;
      readonly error: unknown;
      readonly sweep?: OrderSweep;
    }
  /** The intent cannot be completed; what it may have placed is to be swept. */
  | { readonly kind: "abandoned"; readonly record: PendingOrder; readonly why: string; readonly failed: boolean; readonly sweep?: OrderSweep }
  /** No paid call left: the connection's budget is spent (nothing was written). */
  | { readonly kind: "budgetSpent"; readonly retryAfterMs: number; readonly limit: number };

/**
 * A new intent for `order`: recorded with this call's time and deadline (one guarded write), then sent.
 * `earlier`: an earlier pass may have sent it and lost the record (the front end says since when, and
 * what its orders are found by): it is looked up first, as after a call with no answer (decide.ts possiblySent).
 */
export async function startOrder(job: OrderJob, order: CertificateOrder, note: OrderNote, earlier?: EarlierIntent): Promise<OrderingOutcome> {
  const fingerprint = await job.ca.fingerprint?.(order);
  const intent = newIntent(order, job.now, fingerprint);
  if (earlier === undefined) return submit(job, intent, order, note);
  job.log.info({ revision: intent.revision, since: iso(earlier.since) }, "an earlier pass may have ordered this revision; looking it up before ordering");
  return advanceOrder(job, possiblySent(intent, earlier, job.now, job.timing.windowMs));
}

/** Moves a recorded intent on: keeps its planned time, collects, looks up an unanswered call, or sends it (again). */
export async function advanceOrder(job: OrderJob, record: PendingOrder): Promise<OrderingOutcome> {
  const next = nextStep(record, job.now);
  if (next.do === "wait") return { kind: "waiting", requeueAfterMs: next.requeueAfterMs };
  if (next.do === "collect") return collect(job, record);
  let intent = record;
  if (next.do === "lookUp") {
    const looked = await lookUp(job, record);
    if ("kind" in looked) return looked;
    intent = looked.notPlaced;
  }
  const order = await orderOf(job, intent, "submit");
  if ("abandon" in order) return abandoned(job, intent, order);
  const message = `Ordering revision ${intent.revision} from ${job.vendor} (attempt ${(intent.submits ?? 0) + 1}).`;
  return submit(job, intent, order, { reason: Reason.Pending, message });
}

/** One paid call: budget, then the attempt recorded (guarded: a stale copy fails instead of ordering twice), then the call. */
async function submit(job: OrderJob, p: PendingOrder, order: CertificateOrder, note: OrderNote): Promise<OrderingOutcome> {
  const budget = job.spend();
  if (!budget.ok) return { kind: "budgetSpent", retryAfterMs: budget.retryAfterMs, limit: budget.limit };
  const attempt = attemptOf(p, job.now, job.timing.windowMs);
  await job.store.write(attempt, note);
  await job.step?.("intent-recorded");
  let placed: IssueOutcome;
  try {
    placed = await job.ca.submit(order, job.signal);
  } catch (error) {
    return submitFailed(job, attempt, error);
  }
  job.onCall?.("submit");
  await job.step?.("submitted");
  // Issued at once: the front end's next writes (the certificate delivered, then the record cleared with
  // the vendorRef kept) follow straight away, so recording the vendorRef first would only add a write
  // per issuance (issue 13). A crash in between leaves the intent with its settle deadline, and the
  // next pass finds the order by it, exactly as after a lost answer: never a second order.
  if (placed.state === "issued") return issued(job, placedOrder(attempt, placed.vendorRef, "Pending"), placed, order);
  const recorded = await recordVendorRef(job, attempt, placed.vendorRef, placed.state === "pending" ? placed.reason : "Pending");
  if (placed.state === "failed") return ended(job, recorded, placed.message);
  return collect(job, recorded);
}

async function recordVendorRef(job: OrderJob, p: PendingOrder, vendorRef: string, state: PlacedState): Promise<PendingOrder> {
  const next = placedOrder(p, vendorRef, state);
  await job.store.write(next);
  await job.step?.("vendor-ref-recorded");
  return next;
}

/** A submit failed: refused (nothing placed) or unanswered (outcome unknown until the deadline). */
async function submitFailed(job: OrderJob, attempt: PendingOrder, error: unknown): Promise<OrderingOutcome> {
  // Shutting down: nothing can be written now; the recorded deadline makes the next run look it up.
  if (job.signal.aborted) throw error;
  const verdict = afterSubmitError(attempt, error, job.now, job.vendor, job.timing);
  if (verdict.kind === "refused")
    return { kind: "failed", record: verdict.record, reason: verdict.reason, cause: verdict.cause, error, ...sweepOf(job, verdict.record) };
  if (verdict.kind === "unknown") {
    job.log.warn(
      { err: error instanceof VendorError ? error.toJSON() : String(error), revision: attempt.revision, settleDeadline: iso(verdict.deadline) },
      "order outcome unknown; looking it up before ordering again",
    );
  }
  await job.store.write(verdict.record, verdict.note);
  return { kind: "waiting", requeueAfterMs: verdict.requeueAfterMs };
}

/**
 * The latest paid call of the intent may have placed an order: look it up. Found: record it and go on
 * collecting. Not found before the deadline: look again later. After the deadline: nothing was placed.
 */
async function lookUp(job: OrderJob, p: PendingOrder): Promise<OrderingOutcome | { readonly notPlaced: PendingOrder }> {
  const intent = orderIntentOf(job.owner, { ...p, since: p.startedTime }, job.vendorOptions, job.knownVendorRefs);
  const found = await job.ca.findOrders(intent, job.signal);
  job.onCall?.("find");
  await job.step?.("found");
  const verdict = afterLookup(p, found, job.now, job.vendor, job.timing);
  switch (verdict.kind) {
    case "found": {
      job.log.info({ vendorRef: verdict.vendorRef, revision: p.revision, found: found.length }, "found the order whose answer was lost; not ordering again");
      return collect(job, await recordVendorRef(job, p, verdict.vendorRef, "Pending"));
    }
    case "ended":
      return ended(job, { ...p, vendorRef: verdict.vendorRef }, verdict.message);
    case "lookAgain":
      await job.store.write(verdict.record, verdict.note);
      return { kind: "waiting", requeueAfterMs: verdict.requeueAfterMs };
    case "notPlaced":
      job.log.info(
        { revision: p.revision, settleDeadline: iso(settleDeadlineOf(p, job.timing.windowMs)) },
        "the unanswered order was never placed (not found after its settle deadline)",
      );
      return { notPlaced: verdict.record };
  }
}

/**
 * The order of a recorded intent, from the front end. Its key must be the one the intent recorded: an
 * order sent with another key could not be found again by the intent after a lost answer (and would be
 * paid for twice), and a certificate collected for it would not match.
 */
async function orderOf(job: OrderJob, p: PendingOrder, purpose: "submit" | "collect"): Promise<CertificateOrder | Abandon> {
  const order = await job.order(p, purpose);
  if ("abandon" in order || p.publicKeySha256 === undefined || order.publicKeySha256 === p.publicKeySha256) return order;
  return { abandon: "the private key for the pending order was lost", failed: true };
}

/** An order exists (vendorRef): collect it. Only the vendor's explicit verdict ends it. */
async function collect(job: OrderJob, p: PendingOrder): Promise<OrderingOutcome> {
  const order = await orderOf(job, p, "collect");
  if ("abandon" in order) return abandoned(job, p, order);
  let out: IssueOutcome;
  try {
    out = await job.ca.collect(p.vendorRef ?? "", order, job.signal);
  } catch (error) {
    return collectFailed(job, p, error);
  }
  job.onCall?.("collect");
  await job.step?.("collected");
  const verdict = afterCollect(p, out, answeredAt(job), job.timing);
  if (verdict.kind === "issued") return issued(job, p, verdict.outcome, order);
  if (verdict.kind === "ended") return ended(job, p, verdict.message);
  await job.store.write(verdict.record, verdict.note);
  return { kind: "waiting", requeueAfterMs: verdict.requeueAfterMs };
}

const answeredAt = (job: OrderJob): Date => job.clock?.() ?? job.now;

/** Any error while an order exists keeps the order: say why, and ask again later. */
async function collectFailed(job: OrderJob, p: PendingOrder, error: unknown): Promise<OrderingOutcome> {
  if (job.signal.aborted) throw error;
  const plan = afterCollectError(p, error, answeredAt(job), job.vendor, job.timing);
  job.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: p.vendorRef ?? "" }, "collecting the order failed; keeping it");
  await job.store.write(plan.record, plan.note);
  return { kind: "waiting", requeueAfterMs: plan.requeueAfterMs };
}

/** The certificate, when its leaf carries the order's key; otherwise the order is real and paid for: keep it, say so. */
async function issued(job: OrderJob, p: PendingOrder, out: Extract<IssueOutcome, { state: "issued" }>, order: CertificateOrder): Promise<OrderingOutcome> {
  if (!leafCarriesKey(out.chainPem, order.publicKeySha256)) {
    const message = `order ${out.vendorRef} returned a certificate that does not belong to this resource's key; check the order at the vendor`;
    return collectFailed(job, { ...p, vendorRef: out.vendorRef }, new VendorError({ kind: "permanent", vendor: job.vendor, operation: "collect", message }));
  }
  const sweep = sweepWhenEnded(p, [out.vendorRef], job.now, job.timing.windowMs);
  return {
    kind: "issued",
    record: p,
    issued: { vendorRef: out.vendorRef, chainPem: out.chainPem, ...(out.caPem === undefined ? {} : { caPem: out.caPem }) },
    order,
    ...(sweep === undefined ? {} : { sweep }),
  };
}

/** The vendor ended the order itself (declined, rejected, revoked): a failed attempt; the next one is a new revision. */
function ended(job: OrderJob, p: PendingOrder, message: string): OrderingOutcome {
  const error = new VendorError({ kind: "permanent", vendor: job.vendor, operation: "collect", message });
  return { kind: "failed", record: p, reason: Reason.Rejected, cause: causeOf(job.vendor, error), error, ...sweepOf(job, p) };
}

function abandoned(job: OrderJob, p: PendingOrder, why: Abandon): OrderingOutcome {
  job.log.warn({ revision: p.revision, vendorRef: p.vendorRef }, `abandoning the pending issuance: ${why.abandon}`);
  return { kind: "abandoned", record: p, why: why.abandon, failed: why.failed, ...sweepOf(job, p) };
}

function sweepOf(job: OrderJob, p: PendingOrder): { sweep?: OrderSweep } {
  const sweep = sweepWhenEnded(p, [], job.now, job.timing.windowMs);
  return sweep === undefined ? {} : { sweep };
}

/** The first certificate of the chain holds the public key the order was made for (SPKI SHA-256). */
export function leafCarriesKey(chainPem: string, publicKeySha256: string): boolean {
  try {
    const leaf = splitCertificates(chainPem)[0];
    if (leaf === undefined) return false;
    const spki = new X509Certificate(leaf).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(spki).digest("hex") === publicKeySha256;
  } catch {
    return false;
  }
}
