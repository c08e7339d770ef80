// A request deleted while its order is in flight (cert-manager replaces the request of a Certificate
// whose spec changed; a namespace is torn down; someone deletes it): the order can never be delivered,
// so it is cancelled (declined while it awaits approval, revoked once issued), an unanswered call is
// looked up until its settle deadline so a late commit is cancelled too, and a sweep gets its last pass
// (ordering/teardown.ts). The wait is bounded; then the finalizer goes with a Warning Event naming
// what is left. An issued request's certificate was delivered: it is never cancelled here.
import type { Result } from "../../runtime/reconcile.ts";
import { type OrdersInFlight, cancelOrdersInFlight, giveUpTime } from "../ordering/teardown.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { lookUpIssuer, vendorAccess } from "./access.ts";
import type { CertificateRequestDeps, RequestContext } from "./context.ts";
import { ownerOf } from "./order.ts";
import { CLEANUP_FINALIZER, holdsAnything } from "./order-annotation.ts";
import { phaseOf } from "./phase.ts";

/** While orders settle, the deletion is looked at again this often. */
export const DELETION_RECHECK_MS = 15_000;

export async function whileDeleting(deps: CertificateRequestDeps, c: RequestContext, ref: { kind: IssuerKind; name: string }): Promise<Result> {
  const obj = c.port.obj;
  if (!(obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return {};
  const record = c.port.record;
  const phase = phaseOf(obj.status);
  const delivered = phase.kind === "finished" && phase.outcome === "issued";
  const inFlight: OrdersInFlight = {
    record: delivered ? undefined : record.order,
    sweeps: record.sweep === undefined ? [] : [record.sweep],
    known: delivered && record.order?.vendorRef !== undefined ? [record.order.vendorRef] : [],
  };
  if (!holdsAnything({ order: inFlight.record, sweep: record.sweep })) return release(c, []);
  const namespace = obj.metadata.namespace ?? "";
  const found = lookUpIssuer(deps, ref.kind, namespace, ref.name, c.issuerLabel);
  const access = found.ok ? await vendorAccess(deps, found.issuer, namespace, "cleanup", c.signal) : undefined;
  if (access === undefined || !access.ok) {
    const why = access === undefined ? (found.ok ? "" : found.message) : access.message;
    return release(c, [`the order could not be cancelled: ${why}`]);
  }
  const { ca, timing, issuer } = access.access;
  const waiting = await cancelOrdersInFlight(
    {
      owner: ownerOf(obj),
      ca,
      vendorOptions: issuer.options,
      vendor: issuer.options.vendor,
      now: c.now,
      windowMs: timing.windowMs,
      signal: c.signal,
      log: c.log,
      notify: c.record,
      onCall: (operation) => deps.countCall?.(issuer.options.vendor, operation),
    },
    inFlight,
  );
  const deletedAt = new Date(obj.metadata.deletionTimestamp ?? c.now.toISOString());
  if (waiting.length > 0 && c.now.getTime() < giveUpTime(deletedAt, inFlight, timing.windowMs).getTime()) {
    c.log.info({ waiting }, "the deleted request's order is still settling");
    return { requeueAfterMs: DELETION_RECHECK_MS };
  }
  return release(c, waiting);
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
