// Deletion. First the orders that never reached the Secret: the pending one is cancelled (declined
// while it awaits approval, revoked once issued) and, if its paid call went unanswered, looked up until
// its settle deadline so a late commit is cancelled too; stray orders of swept revisions likewise. Such
// an order is useless whatever revocationPolicy says: its key is deleted with the resource. The wait is
// bounded (CANCEL_WAIT_MS after deletion, or the last settle deadline if later) and visible (Ready
// False, reason Deleting, and an Event if cleanup gives up). Then revoke per revocationPolicy.onDelete
// (and anything still waiting to be revoked), unpublish, delete the TLS Secret per
// secretPolicy.onDelete and always the key Secret, and release the finalizer. Only Secrets we own are
// deleted, guarded by their UID. The connection is resolved with purpose "cleanup" (C1).
import type { Logger } from "pino";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import type { ManagedCertificate } from "../../api/v1alpha1/managedcertificate.ts";
import { type CertificateAuthority, orderOptionsOf } from "../../ports/certificate-authority.ts";
import { zpaMicrotenantOf } from "../../ports/connection.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { classifySecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { keySecretName } from "./keys.ts";
import { CANCEL_WAIT_MS, type CertificateVendor, iso, knownVendorRefs, orderIntentOf, outcomePending, settleDeadlineOf } from "./ordering.ts";
import { type ManagedCertificateReconciler, removeFinalizer } from "./reconciler.ts";
import { cancelOrder, runSweeps } from "./sweep.ts";
import { type CertificateObject, withConditions } from "./status.ts";

export interface FinalizeInput {
  readonly obj: CertificateObject;
  readonly mc: ManagedCertificate;
  readonly owner: SecretOwner;
  readonly key: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly now: Date;
  readonly ca?: CertificateAuthority;
  readonly vendor: CertificateVendor;
}

export async function finalize(r: ManagedCertificateReconciler, f: FinalizeInput): Promise<Result> {
  if (!(f.obj.metadata.finalizers ?? []).includes(finalizers.cleanup)) return {};
  // A cache that lags our finalizer removal must not revoke again.
  if (r.finishedCleanups.has(f.owner.uid)) return {};
  const status = f.obj.status ?? {};
  const unsettled = status.pendingIssuance !== undefined || (status.orderSweeps ?? []).length > 0;
  if (unsettled && f.ca === undefined) {
    r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "CancelSkipped", action: "Delete", note: `Could not cancel the order in flight${status.pendingIssuance?.vendorRef ? ` (${status.pendingIssuance.vendorRef})` : ""}: the connection is unavailable. Check the vendor for an order of this resource.` });
  } else if (unsettled && f.ca !== undefined) {
    const waiting = await settleOrders(r, f, f.ca);
    if (waiting.length > 0) {
      const giveUpAt = giveUpTime(r, f);
      if (f.now.getTime() < giveUpAt.getTime()) {
        const message = `Deleting: waiting until ${iso(giveUpAt)} at the latest to cancel the order that never reached the Secret (${waiting[0]}).`;
        await r.save(f.obj, withConditions(status, f.obj.metadata.generation, f.now, { status: "False", reason: Reason.Deleting, message }, { status: "False", reason: Reason.Deleting, message }), f.signal);
        return { requeueAfterMs: Math.min(60_000, Math.max(5_000, Math.floor((giveUpAt.getTime() - f.now.getTime()) / 4))) };
      }
      r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "CleanupIncomplete", action: "Delete", note: `Gave up waiting to cancel: ${waiting.join("; ").slice(0, 600)}. Cancel or revoke it at the vendor.` });
    }
  }
  const toRevoke = (status.pendingRevocations ?? []).map((p) => ({ vendorRef: p.vendorRef, reason: p.reason === "Superseded" ? ("superseded" as const) : ("cessationOfOperation" as const) }));
  if (f.mc.spec.revocationPolicy.onDelete === "Revoke" && status.vendorRef !== undefined) toRevoke.push({ vendorRef: status.vendorRef, reason: "cessationOfOperation" });
  if (toRevoke.length > 0 && f.ca === undefined) {
    // Without a usable connection nothing can be revoked; holding the object forever would not help.
    r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "RevocationSkipped", action: "Delete", note: `Could not revoke ${toRevoke.length} certificate(s): the connection is unavailable.` });
  }
  const ca = f.ca;
  for (const item of ca === undefined ? [] : toRevoke) {
    try {
      await ca!.revoke(item.vendorRef, item.reason, f.signal);
      r.deps.metrics?.vendorCalls.inc({ vendor: f.vendor, operation: "revoke" });
      f.log.info({ vendorRef: item.vendorRef, reason: item.reason }, "revoked on delete");
    } catch (error) {
      if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials")) throw error;
      f.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: item.vendorRef }, "revocation on delete refused; continuing");
    }
  }
  await unpublish(r, f);
  if (f.mc.spec.secretPolicy.onDelete === "Delete") await deleteIfOurs(r, f, f.mc.spec.secretName);
  await deleteIfOurs(r, f, keySecretName(f.owner.name));
  await removeFinalizer(r.deps.client, f.obj, f.signal);
  if (r.finishedCleanups.size > 10_000) r.finishedCleanups.clear();
  r.finishedCleanups.add(f.owner.uid);
  r.fresh.forget(f.key);
  r.deps.metrics?.forget(f.owner.namespace, f.owner.name);
  return {};
}

/**
 * Cancels what can be cancelled now; returns why it must wait for the rest (empty: all settled). The
 * pending order is not in use by the resource (it never reached the Secret), so it is cancelled even
 * though status knows it.
 */
async function settleOrders(r: ManagedCertificateReconciler, f: FinalizeInput, ca: CertificateAuthority): Promise<string[]> {
  const status = f.obj.status ?? {};
  const waiting: string[] = [];
  const c = { ca, signal: f.signal, log: f.log, obj: f.obj, vendor: f.vendor, ...(r.deps.events ? { events: r.deps.events } : {}), onCall: (operation: "find" | "cancel") => r.deps.metrics?.vendorCalls.inc({ vendor: f.vendor, operation }) };
  const p = status.pendingIssuance;
  const vendorOptions = orderOptionsOf(f.mc.spec);
  const known = knownVendorRefs(status).filter((ref) => ref !== p?.vendorRef);
  if (p?.vendorRef !== undefined) {
    const outcome = await cancelOrder(c, p.vendorRef);
    if (!outcome.done) waiting.push(outcome.message);
  } else if (p !== undefined && outcomePending(p)) {
    const deadline = settleDeadlineOf(p, r.settleWindowMs(f.vendor));
    const found = await ca.findOrders(orderIntentOf(f.owner, { ...p, since: p.startedTime }, vendorOptions, known), f.signal);
    c.onCall("find");
    for (const order of found.filter((o) => o.state !== "failed")) {
      const outcome = await cancelOrder(c, order.vendorRef);
      if (!outcome.done) waiting.push(outcome.message);
    }
    if (found.length === 0 && f.now.getTime() < deadline.getTime()) {
      waiting.push(`the order request sent ${p.submittedTime ?? p.startedTime} got no answer; ${f.vendor} may still place it until ${iso(deadline)}`);
    }
  }
  const swept = await runSweeps({ obj: f.obj, owner: f.owner, ca, vendorOptions, vendor: f.vendor, now: f.now, windowMs: r.settleWindowMs(f.vendor), signal: f.signal, log: f.log, ...(r.deps.events ? { events: r.deps.events } : {}), onCall: c.onCall }, status, { force: true });
  if ((swept.status.orderSweeps ?? []).length > 0) waiting.push("extra orders of an unanswered request may still appear");
  return waiting;
}

/** How long deletion waits for orders to settle: CANCEL_WAIT_MS after deletion, or later deadlines. */
function giveUpTime(r: ManagedCertificateReconciler, f: FinalizeInput): Date {
  const status = f.obj.status ?? {};
  const deleted = Date.parse(f.obj.metadata.deletionTimestamp ?? "") || f.now.getTime();
  const times = [deleted + CANCEL_WAIT_MS];
  const p = status.pendingIssuance;
  if (p !== undefined && outcomePending(p)) times.push(settleDeadlineOf(p, r.settleWindowMs(f.vendor)).getTime());
  for (const s of status.orderSweeps ?? []) times.push(Date.parse(s.until));
  return new Date(Math.max(...times.filter(Number.isFinite)));
}

async function deleteIfOurs(r: ManagedCertificateReconciler, f: FinalizeInput, name: string): Promise<void> {
  let secret: Secret | undefined;
  try {
    secret = await r.deps.client.get<Secret>(core.secrets, f.owner.namespace, name, f.signal);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (classifySecret(secret, f.owner) !== "ours") return;
  try {
    await r.deps.client.delete(core.secrets, f.owner.namespace, name, { signal: f.signal, ...(secret.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}) });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The ZPA copy holds the private key: it goes with the resource. */
async function unpublish(r: ManagedCertificateReconciler, f: FinalizeInput): Promise<void> {
  const id = f.obj.status?.publish?.zpa?.certificateId;
  const ref = f.mc.spec.publish?.zpa?.connectionRef;
  if (id === undefined || ref === undefined) return;
  const lookup = await r.deps.connections.resolve(ref, f.owner.namespace, "zpa", f.signal, { purpose: "cleanup" });
  const store = lookup.ok ? r.deps.ports.browserCertificates?.(lookup.connection) : undefined;
  if (!lookup.ok || store === undefined) {
    r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "UnpublishSkipped", action: "Delete", note: `Could not delete ZPA certificate ${id}: the ZPA connection is unavailable.` });
    return;
  }
  const microtenantId = zpaMicrotenantOf(lookup.connection);
  try {
    await store.delete(id, microtenantId, f.signal);
  } catch (error) {
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials")) throw error;
    f.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), zpaCertificateId: id }, "ZPA delete refused; continuing");
  }
}
