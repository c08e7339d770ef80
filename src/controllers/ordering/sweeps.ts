// Stray orders: a revision whose paid call went unanswered (or was repeated) may have left a second
// order that the vendor committed late. Its sweep looks for orders carrying that revision's intent
// until the last settle deadline plus a margin, and cancels (declines, or revokes once issued) every
// one the owner does not use, so no vendor object is left untracked. Passes are planned in the sweep
// records (`nextTime`); nothing is called when none is due.
import type { Logger } from "pino";
import { type CancelOutcome, type CertificateAuthority, type CertificateOrder, vendorRefused } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { type OrderOwner, type OrderSweep, iso, orderIntentOf } from "./record.ts";
import { STRAY_WAIT_MS, nextSweepAt } from "./timing.ts";

/** An Event about the owner (the front end knows which object it is about). */
export interface OrderEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

export interface SweepContext {
  readonly owner: OrderOwner;
  readonly ca: CertificateAuthority;
  readonly vendorOptions: CertificateOrder["vendorOptions"];
  readonly vendor: string;
  readonly now: Date;
  readonly windowMs: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly notify?: (event: OrderEvent) => void;
  readonly onCall?: (operation: "find" | "cancel") => void;
}

/** When the next sweep pass is due (undefined: none planned). */
export function nextSweepDue(sweeps: readonly OrderSweep[] | undefined): Date | undefined {
  const times = (sweeps ?? []).map((s) => Date.parse(s.nextTime ?? s.until));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

/**
 * Runs the due passes (all of them with `force`, as deletion does) and returns the sweeps that
 * remain, plus whether any found order is still on its way (cannot be cancelled yet). `known`: the
 * vendor references the owner uses (never cancelled).
 */
export async function runSweeps<S extends OrderSweep>(
  c: SweepContext,
  sweeps: readonly S[],
  known: readonly string[],
  opts: { force?: boolean } = {},
): Promise<{ remaining: S[]; waiting: boolean }> {
  const remaining: S[] = [];
  let waiting = false;
  for (const sweep of sweeps) {
    const due = opts.force === true || Date.parse(sweep.nextTime ?? sweep.until) <= c.now.getTime();
    if (!due) {
      remaining.push(sweep);
      continue;
    }
    const pass = await sweepOnce(c, sweep, known);
    const until = Date.parse(sweep.until);
    if (c.now.getTime() >= until && !pass.strayInProgress) continue; // the last pass after `until` found nothing left to do
    if (pass.strayInProgress && c.now.getTime() >= until + STRAY_WAIT_MS) {
      c.notify?.({
        type: "Warning",
        reason: "StrayOrderLeft",
        action: "Sweep",
        note: `An extra ${c.vendor} order of revision ${sweep.revision} is still being processed after ${STRAY_WAIT_MS / 86_400_000} days; cancel or revoke it at the vendor.`,
      });
      continue;
    }
    waiting ||= pass.strayInProgress;
    remaining.push({ ...sweep, nextTime: iso(nextSweepAt(c.now, new Date(until), c.windowMs)) });
  }
  return { remaining, waiting };
}

async function sweepOnce(c: SweepContext, sweep: OrderSweep, known: readonly string[]): Promise<{ strayInProgress: boolean }> {
  const keep = new Set([...known, ...sweep.keep]);
  const intent = orderIntentOf(c.owner, sweep, c.vendorOptions, [...keep]);
  const found = await c.ca.findOrders(intent, c.signal);
  c.onCall?.("find");
  let strayInProgress = false;
  for (const order of found) {
    if (order.state === "failed" || keep.has(order.vendorRef)) continue;
    const outcome = await cancelOrder(c, order.vendorRef);
    if (!outcome.done) strayInProgress = true;
  }
  return { strayInProgress };
}

/** Cancels one order nobody uses; a final refusal counts as done (nothing more the API can do). */
export async function cancelOrder(c: Pick<SweepContext, "ca" | "signal" | "log" | "notify" | "vendor" | "onCall">, vendorRef: string): Promise<CancelOutcome> {
  let outcome: CancelOutcome;
  try {
    outcome = await c.ca.cancel(vendorRef, c.signal);
    c.onCall?.("cancel");
  } catch (error) {
    if (!(error instanceof VendorError) || isRetryable(error.kind) || error.kind === "credentials" || !vendorRefused(error)) throw error;
    c.log.warn({ err: error.toJSON(), vendorRef }, "the vendor refused to cancel an order nobody uses");
    c.notify?.({
      type: "Warning",
      reason: "CancelRefused",
      action: "Cancel",
      note: `${c.vendor} refused to cancel order ${vendorRef} (${error.kind}): ${error.detail.slice(0, 200)}. Cancel or revoke it at the vendor.`,
    });
    return { done: true, how: "alreadyFinal" };
  }
  if (outcome.done && outcome.how !== "alreadyFinal" && outcome.how !== "gone") {
    c.log.info({ vendorRef, how: outcome.how }, "cancelled an order nobody uses");
    c.notify?.({
      type: "Normal",
      reason: "OrderCancelled",
      action: "Cancel",
      note: `Order ${vendorRef} at ${c.vendor} is not used by this resource; it was ${outcome.how}.`,
    });
  }
  return outcome;
}
