// THE reader of "the intent in flight" of a ManagedCertificate, and the one write that records a first
// intent together with the cleanup finalizer (ADR 0020). Pure: the codec, the liveness rule, the patch.
//
// The intent usually lives in status.pendingIssuance. A resource without the cleanup finalizer (a
// first issuance) records its first intent instead in the annotation certbridge.dev/order-intent, in
// the same guarded merge patch that adds the finalizer: one write where there were two. The
// annotation is write-once (clearing it would cost the request saved), so it has a liveness rule:
//
//   LIVE iff it is readable, it was written for this object (its marker's UID), names no vendor
//   order, status holds no pendingIssuance, and status.orderIntentTaken is not its id.
//
// Unlike status, an annotation is anyone's to write who may edit the resource, so nothing in it is
// trusted beyond what it can prove: the operator writes it before any paid call (it never names a
// vendor order: one that does was written by hand); its fingerprint is dropped on reading (a Cloudflare
// look-up by fingerprint could be pointed at another tenant's certificate, and the key is evidence
// enough); and its key must be one this resource holds before anything it names is looked up,
// collected, swept or cancelled (intent-trust.ts, the one I/O check).
//
// Every status write that writes pendingIssuance or ends the intent (issued, failed, abandoned) sets
// orderIntentTaken to the live annotation's id (`takenOver`); every other status write keeps the field
// as it is (all of them start from the status read). The annotation, the finalizer and status are one
// object with one resourceVersion, and every write is guarded by it: a decision made on a snapshot
// older than any of these writes fails at its own first write, before any paid call.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { annotations, finalizers } from "../../api/v1alpha1/labels.ts";
import { PendingIssuance } from "../../api/v1alpha1/managedcertificate.ts";
import type { PendingOrder } from "../ordering/record.ts";
import type { CertificateObject, Status } from "./context.ts";

export const ORDER_INTENT_ANNOTATION = annotations.orderIntent;

/** The record of an intent in flight, with why it was started (status.pendingIssuance's shape). */
export type IntentRecord = NonNullable<Status["pendingIssuance"]>;

export type IntentInFlight =
  | { readonly from: "status"; readonly record: IntentRecord }
  | { readonly from: "annotation"; readonly id: string; readonly record: IntentRecord; readonly seal?: string | undefined };

const Stored = z.object({ id: z.string().min(1).max(64), order: PendingIssuance, seal: z.string().max(128).optional() });

/** Why the annotation's intent is, or is not, the intent in flight (each a row of the case table in intent.test.ts). */
export type AnnotationLiveness =
  | { readonly live: true; readonly id: string; readonly record: IntentRecord; readonly seal?: string | undefined }
  | { readonly live: false; readonly why: "absent" | "unreadable" | "otherObject" | "namesAnOrder" | "statusHolds" | "taken" };

/** The liveness rule (module comment). */
export function annotationLiveness(obj: CertificateObject): AnnotationLiveness {
  const text = obj.metadata.annotations?.[ORDER_INTENT_ANNOTATION];
  if (text === undefined || text === "") return { live: false, why: "absent" };
  const stored = parse(text);
  // Edited by hand: not ours any more. (Only a person can do that; the intent it held, if any, is theirs.)
  if (stored === undefined) return { live: false, why: "unreadable" };
  // Copied with the object's manifest to a new object (a restore, a re-create from `get -o yaml`): not its intent.
  if (markerUid(stored.order.marker) !== obj.metadata.uid) return { live: false, why: "otherObject" };
  // Written before any paid call, so never with a vendor order: a name there could be anyone's order.
  if (stored.order.vendorRef !== undefined) return { live: false, why: "namesAnOrder" };
  if (obj.status?.pendingIssuance !== undefined) return { live: false, why: "statusHolds" };
  if (obj.status?.orderIntentTaken === stored.id) return { live: false, why: "taken" };
  const record = recordAsRead(stored.order);
  return { live: true, id: stored.id, record, ...(stored.seal === undefined ? {} : { seal: stored.seal }) };
}

/** The intent in flight: status.pendingIssuance, else a live annotation intent, else none. */
export function intentOf(obj: CertificateObject): IntentInFlight | undefined {
  const held = obj.status?.pendingIssuance;
  if (held !== undefined) return { from: "status", record: held };
  const a = annotationLiveness(obj);
  return a.live ? { from: "annotation", id: a.id, record: a.record, ...(a.seal === undefined ? {} : { seal: a.seal }) } : undefined;
}

/**
 * The informer's copy of `obj` without an annotation intent that can never be live again: taken over
 * by status (every resource issued since ADR 0020), unreadable, or another object's. Nothing reads it
 * again, and it is ~0.5 KB a resource in the cache (issue 13). Dropping it changes no answer of
 * `intentOf`; a live one, or one status merely holds for now, stays.
 */
export function withoutDeadIntent(obj: CertificateObject): CertificateObject {
  const annotations = obj.metadata.annotations;
  if (annotations?.[ORDER_INTENT_ANNOTATION] === undefined) return obj;
  const liveness = annotationLiveness(obj);
  if (liveness.live || liveness.why === "statusHolds") return obj;
  const { [ORDER_INTENT_ANNOTATION]: _dead, ...rest } = annotations;
  return { ...obj, metadata: { ...obj.metadata, annotations: rest } };
}

/**
 * `next` (a status computed from `obj`'s) marked as having taken over the annotation's intent, when
 * that intent is live: for every status write that records the intent in pendingIssuance or ends it.
 */
export function takenOver(next: Status, obj: CertificateObject): Status {
  const a = annotationLiveness(obj);
  return a.live ? { ...next, orderIntentTaken: a.id } : next;
}

/**
 * The one merge patch that records a first intent and adds the cleanup finalizer, conditional on the
 * resourceVersion `obj` was read at (409 when anything changed since: the caller retries on fresh
 * data). The finalizer list is written whole (merge patch replaces lists), safe under the same guard.
 * A new id every time: a later first intent (the finalizer removed by hand) is never mistaken for one
 * status has taken over.
 */
export function firstIntentPatch(obj: CertificateObject, record: IntentRecord, id = newIntentId(), seal?: string): Record<string, unknown> {
  const current = obj.metadata.finalizers ?? [];
  return {
    metadata: {
      resourceVersion: obj.metadata.resourceVersion,
      finalizers: current.includes(finalizers.cleanup) ? current : [...current, finalizers.cleanup],
      annotations: { [ORDER_INTENT_ANNOTATION]: JSON.stringify({ id, order: record, ...(seal === undefined ? {} : { seal }) }) },
    },
  };
}

/** The record as `intentOf` reads it back from the annotation (the fingerprint is never read): what a seal covers. */
export function recordAsRead(record: IntentRecord): IntentRecord {
  const { fingerprint: _untrusted, ...rest } = record;
  return rest;
}

/**
 * The cleanup finalizer alone, guarded like firstIntentPatch: for a first intent whose record already
 * names a vendor order (found by its look-up), which goes to status instead of the annotation.
 */
export function cleanupFinalizerPatch(obj: CertificateObject): Record<string, unknown> {
  const current = obj.metadata.finalizers ?? [];
  return {
    metadata: {
      resourceVersion: obj.metadata.resourceVersion,
      finalizers: current.includes(finalizers.cleanup) ? current : [...current, finalizers.cleanup],
    },
  };
}

export const newIntentId = (): string => randomBytes(8).toString("hex");

function parse(text: string): { id: string; order: IntentRecord; seal?: string | undefined } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = Stored.safeParse(json);
  return parsed.success ? (parsed.data as { id: string; order: IntentRecord; seal?: string | undefined }) : undefined;
}

/** The UID in an intent's marker (`uid=… rev=… spec=…`). */
function markerUid(marker: PendingOrder["marker"]): string | undefined {
  return /(?:^|\s)uid=(\S+)/.exec(marker ?? "")?.[1];
}
