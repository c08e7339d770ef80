// The managed resource's deletion (ADR 0006 §3): under Manage + Delete, delete the external objects
// this resource holds, through its connection resolved for cleanup (contract C1); then release the
// finalizer. A cleanup that truly cannot happen — connection or credentials gone, the vendor refuses
// for good — says so (CleanupBlocked, with the way out) and holds the finalizer for a bounded grace,
// then lets go with a Warning Event naming what was left behind. Transient trouble keeps retrying, and
// so does an answer that was not a refusal (ADR 0005): a garbled 200 may have deleted the object.
import { Reason } from "../../api/v1alpha1/index.ts";
import { meaningOf, vendorReason } from "../../ports/error-policy.ts";
import { type VendorError, isVendorError, vendorRefused } from "../../ports/vendor-error.ts";
import { hasFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { ReconcileContext, Result } from "../../runtime/reconcile.ts";
import { clampDelay } from "../../runtime/timers.ts";
import { cleanupExternal } from "./cleanup.ts";
import { cleanupGraceOver, cleanupRetryMs, deletesExternal, needsCleanup } from "./decide.ts";
import type { AnyClient, ManagedKind } from "./kind.ts";
import type { ManagedTools } from "./tools.ts";
import type { ConnectionLookupPort, ManagedObject, ManagedView, Tracked } from "./types.ts";

export interface FinalizeInput<T extends ManagedObject, P, C extends AnyClient, D> {
  readonly ctx: ReconcileContext;
  readonly t: Tracked<T>;
  readonly resource: P;
  readonly view: ManagedView;
  readonly kind: ManagedKind<T, P, C, D>;
  readonly tools: ManagedTools<T>;
  readonly api: KubeApi;
  readonly connections: ConnectionLookupPort;
  readonly cleanupGraceMs: number;
}

/** `released`: the finalizer is off; the reconciler forgets the resource. */
export async function finalizeManaged<T extends ManagedObject, P, C extends AnyClient, D>(
  input: FinalizeInput<T, P, C, D>,
): Promise<{ readonly result: Result; readonly released: boolean }> {
  const { ctx, t, resource, view, kind, tools } = input;
  if (!hasFinalizer(t.object, kind.finalizer)) return { result: {}, released: true };
  if (deletesExternal(view.management, view.deletion)) {
    // Only what this resource holds: the object it recorded, and one it created but did not record
    // (its create intent). Never an object found by name alone: that may be anyone's.
    const claims = kind.claims(resource);
    const holds = {
      holdsRecorded: view.recordedId !== undefined && claims.holdsRecorded(),
      holdsIntent: view.intent !== undefined && claims.holdsIntent(),
    };
    if (needsCleanup({ management: view.management, deletion: view.deletion, ...holds })) {
      const lookup = await input.connections.resolve(kind.connectionRef(resource), t.object.metadata.namespace ?? "", kind.vendor, ctx.signal, {
        purpose: "cleanup",
      });
      if (!lookup.ok) return blocked(input, lookup.message, RESTORE_CONNECTION);
      try {
        const client = kind.connect(lookup.connection, resource, view);
        const outcome = await cleanupExternal({ view, client, claims, ...holds, sameName: kind.sameName, now: tools.now(), signal: ctx.signal });
        if (outcome.kind === "wait") return { result: { requeueAfterMs: outcome.retryAfterMs }, released: false };
      } catch (e) {
        if (!isVendorError(e)) throw e;
        const step = cleanupErrorStep(e);
        if (step === "blocked") return blocked(input, vendorReason(e), nextStepAfter(e, kind.words.system));
        if (step === "retry") return await askAgain(input, e);
        return { result: await tools.vendorFailure(ctx, t, e), released: false };
      }
      // What was delivered names an object that no longer exists; do not leave it for workloads to trip over.
      await kind.publisher.unpublish(ctx, t, resource);
      tools.event(t, "Normal", "Deleted", "Delete", kind.words.deleted);
    }
  }
  await removeFinalizer(input.api, kind.type, t.object, kind.finalizer, ctx.signal);
  return { result: {}, released: true };
}

/**
 * What a vendor error on the deletion path leads to. Only the vendor's own refusal (`vendorRefused`: a
 * 4xx other than 408/429, or our client refusing to send) or refused credentials make the cleanup
 * impossible (`blocked`). An error the policy would stop on that is not a refusal — a 2xx garbled or
 * too large to read — may have come with the object deleted: asked again (`retry`), never taken as
 * deleted nor as impossible, so the finalizer keeps the object tracked. Anything else goes as the
 * error policy says (`policy`: retry with backoff, or wait for a person).
 */
export function cleanupErrorStep(error: VendorError): "blocked" | "retry" | "policy" {
  const action = meaningOf(error).action;
  if (action === "credentials") return "blocked";
  if (action === "stop") return vendorRefused(error) ? "blocked" : "retry";
  return "policy";
}

const RESTORE_CONNECTION = "Restore the connection or its credentials";

function nextStepAfter(error: VendorError, system: string): string {
  if (meaningOf(error).action === "credentials") return RESTORE_CONNECTION;
  return `${system} refused the delete: remove what it objects to (or the object) in the ${system} console`;
}

/** An answer that was no refusal: Synced says so, and the error goes back to the queue, which backs off. */
async function askAgain<T extends ManagedObject, P, C extends AnyClient, D>(input: FinalizeInput<T, P, C, D>, error: VendorError): Promise<never> {
  const { ctx, t, kind, tools } = input;
  const message = `${vendorReason(error)}; not a refusal, so the ${kind.words.noun} may be deleted already: asking again with backoff, the finalizer stays until ${kind.words.system} answers.`;
  const changed = await tools.fail(t, { reason: Reason.VendorError, message, keepReady: true }, ctx.signal);
  if (changed) tools.event(t, "Warning", Reason.VendorError, "Delete", message);
  ctx.log.warn({ err: error.toJSON() }, `${kind.words.system} answer to a cleanup call not understood; asking again`);
  throw error;
}

/**
 * The object cannot be deleted. Say so, with the way out; after the grace, release the resource and
 * leave the object, said in a Warning Event.
 */
async function blocked<T extends ManagedObject, P, C extends AnyClient, D>(
  input: FinalizeInput<T, P, C, D>,
  why: string,
  nextStep: string,
): Promise<{ readonly result: Result; readonly released: boolean }> {
  const { ctx, t, kind, tools } = input;
  const words = kind.words;
  const deletionTimestamp = t.object.metadata.deletionTimestamp;
  const what = words.recorded(t.object.status ?? {});
  if (cleanupGraceOver(deletionTimestamp, tools.now(), input.cleanupGraceMs)) {
    tools.event(
      t,
      "Warning",
      words.orphanedReason,
      "Delete",
      `released without deleting ${what}: ${why}. Delete it in the ${words.system} console if it is no longer used`,
    );
    ctx.log.warn({ id: t.object.status?.id }, `cleanup impossible within the grace; finalizer released, ${words.system} ${words.noun} left`);
    await removeFinalizer(input.api, kind.type, t.object, kind.finalizer, ctx.signal);
    return { result: {}, released: true };
  }
  const until = new Date(Date.parse(deletionTimestamp ?? "") + input.cleanupGraceMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  const message = `cannot delete ${what}: ${why}. ${nextStep}, or set spec.deletionPolicy: Orphan to release this resource now; at ${until} it is released and the ${words.noun} left in ${words.system}`;
  const changed = await tools.fail(t, { reason: Reason.CleanupBlocked, message, keepReady: false }, ctx.signal);
  if (changed) tools.event(t, "Warning", Reason.CleanupBlocked, "Delete", message);
  return { result: { requeueAfterMs: clampDelay(cleanupRetryMs(deletionTimestamp, tools.now(), input.cleanupGraceMs)) }, released: false };
}
