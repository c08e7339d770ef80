// Where the ordering engine's intent is written for a ManagedCertificate (ADR 0020, intent.ts): a first
// intent in the annotation, in the one guarded patch that adds the cleanup finalizer; every later record
// in status.pendingIssuance, taking over a live annotation intent. And what a write means for the keys
// this process knows unsent (unsent-keys.ts): from here a paid call may follow.
import { finalizers } from "../../api/v1alpha1/labels.ts";
import { hasFinalizer } from "../../runtime/finalizers.ts";
import { isConflict } from "../../runtime/kube/errors.ts";
import type { IntentStore } from "../ordering/record.ts";
import type { CertificateContext, ResourcePort } from "./context.ts";
import { cleanupFinalizerPatch, firstIntentPatch, intentOf, newIntentId, recordAsRead, takenOver } from "./intent.ts";
import { canSeal, sealOf } from "./intent-seal.ts";
import { whileOrdering } from "./readiness.ts";
import type { UnsentKeys } from "./unsent-keys.ts";

/**
 * `credentials`: the connection's, to seal a first intent with (intent-seal.ts); absent, it is written
 * unsealed and trusted only while its key is held.
 */
export function intentStore(
  ctx: CertificateContext,
  port: ResourcePort,
  unsent: UnsentKeys | undefined,
  opts: { secretBroken?: boolean; credentials?: Readonly<Record<string, string>> },
): IntentStore {
  const persist: IntentStore["write"] = async (record, note) => {
    // Why this revision is issued rides with its intent, so the issuance reports it even after a restart.
    const current = intentOf(port.obj)?.record;
    const reason = note?.startedBecause ?? (current?.revision === record.revision ? current.reason : undefined);
    const stored = reason === undefined ? record : { ...record, reason };
    if (!hasFinalizer(port.obj, finalizers.cleanup)) {
      // The reconciler adds the finalizer up front whenever an intent is in flight (finalizer.ts): none is here.
      if (current !== undefined) throw new Error("an intent in flight without the cleanup finalizer; not ordering");
      // A record naming a vendor order (found by a first intent's look-up) never goes to the annotation,
      // where a name could be anyone's (intent.ts): the finalizer first, then status.
      const seal = opts.credentials === undefined || !canSeal(opts.credentials) ? undefined : sealOf(opts.credentials, ctx.owner.uid, recordAsRead(stored));
      await port.patch(stored.vendorRef === undefined ? firstIntentPatch(port.obj, stored, newIntentId(), seal) : cleanupFinalizerPatch(port.obj));
      // Guarded, so a deletion since our read is a conflict; checked again all the same: nothing is ordered for a deleting object.
      if (port.obj.metadata.deletionTimestamp !== undefined) throw new Error("the resource is being deleted; not ordering");
      if (stored.vendorRef === undefined) return;
    }
    const status = takenOver({ ...port.status, pendingIssuance: stored }, port.obj);
    await port.save(note === undefined ? status : whileOrdering(status, port.obj.metadata.generation, ctx.now, note, opts));
  };
  return {
    read: () => intentOf(port.obj)?.record,
    write: async (record, note) => {
      // A paid call may follow from here: the key of a first order is no longer known unsent (unsent-keys.ts),
      // unless the write is refused (a conflict writes nothing, and nothing is sent).
      const wasUnsent = unsent?.neverSent(ctx.owner.uid, record.revision) === true;
      unsent?.recording(ctx.owner.uid, record.revision);
      try {
        await persist(record, note);
      } catch (error) {
        if (wasUnsent && isConflict(error)) unsent?.stored(ctx.owner.uid, record.revision);
        throw error;
      }
    },
  };
}
