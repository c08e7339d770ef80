// Whether a first order may have been placed by an earlier pass whose record is lost, and what to
// look its orders up by (ADR 0020 amendment, FINDINGS F5). Pure: request.ts asks only when the
// revision's key was found already stored, by another process or before an intent was recorded
// (unsent-keys.ts). Case table: lost-intent.test.ts.
import { finalizers } from "../../api/v1alpha1/labels.ts";
import { hasFinalizer } from "../../runtime/finalizers.ts";
import type { EarlierIntent } from "../ordering/decide.ts";
import { markerOf } from "../ordering/record.ts";
import type { CertificateObject } from "./context.ts";
import type { OrderedAs } from "./keys.ts";

/**
 * The revision's key was stored by an earlier pass (not this process with nothing sent since:
 * unsent-keys.ts). A renewal of a resource that keeps its finalizer records every intent in status,
 * so that pass died before recording one, and before any paid call. Otherwise the pass may have
 * recorded its intent, sent the order, and lost the record: a first intent lives in the annotation,
 * which a `kubectl replace` or a GitOps replace-sync drops together with the finalizer (status stays);
 * and a first intent whose look-up found its order adds the finalizer before status records the order.
 * Then the revision's orders are looked up before anything is ordered, unless a sweep of the revision
 * is on record (the earlier intent ended there). None of them can be older than the resource, nor than
 * the certificate it holds.
 */
export function lostFirstIntent(obj: CertificateObject, revision: number, orderedAs: OrderedAs | undefined): EarlierIntent | undefined {
  if (hasFinalizer(obj, finalizers.cleanup) && obj.status?.revision !== undefined) return undefined;
  // The earlier intent of this revision ended on record (abandoned, its orders swept): nothing is lost.
  if ((obj.status?.orderSweeps ?? []).some((s) => s.revision === revision)) return undefined;
  const bounds = [obj.metadata.creationTimestamp, obj.status?.notBefore].map((t) => Date.parse(t ?? "")).filter((t) => Number.isFinite(t));
  // Found by what the key was stored for (the spec may have changed since, with the names a vendor lists them under).
  return {
    since: new Date(bounds.length === 0 ? 0 : Math.max(...bounds)),
    ...(orderedAs === undefined ? {} : { marker: markerOf(obj.metadata.uid ?? "", revision, orderedAs.spec) }),
    ...(orderedAs?.lookupName === undefined ? {} : { lookupName: orderedAs.lookupName }),
  };
}
