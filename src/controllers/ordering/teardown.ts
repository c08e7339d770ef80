// When the owner is deleted: orders that never reached it are useless (their key goes with the
// owner), whatever its revocation policy says. The pending order is cancelled (declined while it
// awaits approval, revoked once issued); an unanswered call is looked up until its settle deadline so
// a late commit is cancelled too; swept revisions get a last pass. Nothing here submits.
import { outcomePending, settleDeadlineOf } from "./decide.ts";
import { type OrderSweep, type PendingOrder, iso, orderIntentOf } from "./record.ts";
import { type SweepContext, cancelOrder, runSweeps } from "./sweeps.ts";
import { CANCEL_WAIT_MS } from "./timing.ts";

export interface OrdersInFlight {
  readonly record: PendingOrder | undefined;
  readonly sweeps: readonly OrderSweep[];
  /** Every vendor reference the owner accounts for (the pending one included). */
  readonly known: readonly string[];
}

/**
 * Cancels what can be cancelled now; returns why it must wait for the rest (empty: all settled). The
 * pending order is not in use (it never reached the owner), so it is cancelled even though it is known.
 */
export async function cancelOrdersInFlight(c: SweepContext, inFlight: OrdersInFlight): Promise<string[]> {
  const waiting: string[] = [];
  const p = inFlight.record;
  if (p?.vendorRef !== undefined) {
    const outcome = await cancelOrder(c, p.vendorRef);
    if (!outcome.done) waiting.push(outcome.message);
  } else if (p !== undefined && outcomePending(p)) {
    const deadline = settleDeadlineOf(p, c.windowMs);
    const known = inFlight.known.filter((ref) => ref !== p.vendorRef);
    const found = await c.ca.findOrders(orderIntentOf(c.owner, { ...p, since: p.startedTime }, c.vendorOptions, known), c.signal);
    c.onCall?.("find");
    for (const order of found.filter((o) => o.state !== "failed")) {
      const outcome = await cancelOrder(c, order.vendorRef);
      if (!outcome.done) waiting.push(outcome.message);
    }
    if (found.length === 0 && c.now.getTime() < deadline.getTime()) {
      waiting.push(`the order request sent ${p.submittedTime ?? p.startedTime} got no answer; ${c.vendor} may still place it until ${iso(deadline)}`);
    }
  }
  if (inFlight.sweeps.length > 0) {
    const swept = await runSweeps(c, inFlight.sweeps, inFlight.known, { force: true });
    if (swept.remaining.length > 0) waiting.push("extra orders of an unanswered request may still appear");
  }
  return waiting;
}

/** How long deletion waits for orders to settle: CANCEL_WAIT_MS after deletion, or later deadlines. */
export function giveUpTime(deletedAt: Date, inFlight: Pick<OrdersInFlight, "record" | "sweeps">, windowMs: number): Date {
  const times = [deletedAt.getTime() + CANCEL_WAIT_MS];
  const p = inFlight.record;
  if (p !== undefined && outcomePending(p)) times.push(settleDeadlineOf(p, windowMs).getTime());
  for (const s of inFlight.sweeps) times.push(Date.parse(s.until));
  return new Date(Math.max(...times.filter(Number.isFinite)));
}
