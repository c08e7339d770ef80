// A request deleted while its order is in flight (cert-manager replaces the request of a Certificate
// whose spec changed; a namespace is torn down; someone deletes it): the order can never be delivered,
// so it is cancelled (declined while it awaits approval, revoked once issued), an unanswered call is
// looked up until its settle deadline so a late commit is cancelled too, and a sweep gets its last pass
// (ordering/teardown.ts). The wait is bounded; then the finalizer goes with a Warning Event naming
// what is left. An issued request's certificate was delivered: it is never cancelled here. The record
// comes from a user-editable annotation (ADR 0022): only its proven parts reach here, and its vendorRef
// is cancelled only when the request's own look-up returns it — another tenant's order never is.
import type { Result } from "../../runtime/reconcile.ts";
import type { PendingOrder } from "../ordering/record.ts";
import type { SweepContext } from "../ordering/sweeps.ts";
import { type OrdersInFlight, cancelOrdersInFlight, giveUpTime } from "../ordering/teardown.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { lookUpIssuer, vendorAccess } from "./access.ts";
import type { CertificateRequestDeps, RequestContext } from "./context.ts";
import { CLEANUP_FINALIZER, ORDER_ANNOTATION, holdsAnything } from "./order-annotation.ts";
import { confirmRecordedRef, sweepContextOf, withFingerprintsChecked } from "./own-orders.ts";
import { phaseOf } from "./phase.ts";

/** While orders settle, the deletion is looked at again this often. */
export const DELETION_RECHECK_MS = 15_000;

export async function whileDeleting(deps: CertificateRequestDeps, c: RequestContext, ref: { kind: IssuerKind; name: string }): Promise<Result> {
  const obj = c.port.obj;
  if (!(obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return {};
  const phase = phaseOf(obj.status);
  const delivered = phase.kind === "finished" && phase.outcome === "issued";
  if (!holdsAnything({ order: delivered ? undefined : c.port.record.order, sweep: c.port.record.sweep })) return release(c, []);
  const namespace = obj.metadata.namespace ?? "";
  const found = lookUpIssuer(deps, ref.kind, namespace, ref.name, c.issuerLabel);
  const access = found.ok ? await vendorAccess(deps, found.issuer, namespace, "cleanup", c.signal) : undefined;
  if (access === undefined || !access.ok) {
    const why = access === undefined ? (found.ok ? "" : found.message) : access.message;
    return release(c, [`the order could not be cancelled: ${why}`]);
  }
  const { timing } = access.access;
  const sweepContext = sweepContextOf(deps, c, access.access);
  const record = await withFingerprintsChecked(c.port.record, c, access.access);
  const inFlight: OrdersInFlight = {
    record: delivered ? undefined : await ownOrder(sweepContext, c, record.order),
    sweeps: record.sweep === undefined ? [] : [record.sweep],
    known: delivered && record.order?.vendorRef !== undefined ? [record.order.vendorRef] : [],
  };
  const waiting = await cancelOrdersInFlight(sweepContext, inFlight);
  const deletedAt = new Date(obj.metadata.deletionTimestamp ?? c.now.toISOString());
  if (waiting.length > 0 && c.now.getTime() < giveUpTime(deletedAt, inFlight, timing.windowMs).getTime()) {
    c.log.info({ waiting }, "the deleted request's order is still settling");
    return { requeueAfterMs: DELETION_RECHECK_MS };
  }
  return release(c, waiting);
}

/**
 * The recorded order, when it may be cancelled: without a vendorRef (only looked up, by its proven
 * identity), or with one the request's own look-up returns. A ref it does not return is not this
 * request's (or cannot be found as its): left alone, with a Warning, and nothing waits for it.
 */
async function ownOrder(s: SweepContext, c: RequestContext, order: PendingOrder | undefined): Promise<PendingOrder | undefined> {
  const vendorRef = order?.vendorRef;
  if (order === undefined || vendorRef === undefined) return order;
  const own = await confirmRecordedRef(s, s.owner, { ...order, vendorRef });
  if (own.notOurs.length === 0) return order;
  c.log.warn({ vendorRef }, "the recorded order is not among this request's orders at the vendor; not cancelled");
  c.record({
    type: "Warning",
    reason: "OrderNotConfirmed",
    action: "Cancel",
    note: `Order ${vendorRef} named in the annotation ${ORDER_ANNOTATION} is not among this CertificateRequest's orders at ${s.vendor} (the look-up by this request's own marker and key does not return it), so it was not cancelled. If an order was placed for this request, cancel it at the vendor.`,
  });
  return undefined;
}

async function release(c: RequestContext, left: readonly string[]): Promise<Result> {
  if (left.length > 0) {
    c.record({
      type: "Warning",
      reason: "CleanupIncomplete",
      action: "Cancel",
      note: `The CertificateRequest was deleted with its order in flight; ${left.join("; ")}. Cancel it at the vendor.`,
    });
  }
  await c.port.saveRecord({});
  await c.step("released");
  return {};
}
