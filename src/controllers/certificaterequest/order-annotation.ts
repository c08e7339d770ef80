// Where a CertificateRequest's order intent lives (ADR 0017). cert-manager's status has only conditions,
// certificate, ca and failureTime, so the engine's record (the same fields a ManagedCertificate keeps in
// status.pendingIssuance) and its sweep are kept, as JSON, in the annotation certbridge.dev/order,
// beside the finalizer certbridge.dev/cleanup while either exists (a request deleted with its order in
// flight has that order cancelled). Pure: the codec and the merge patch that writes both at once.
import { z } from "zod";
import { annotations, finalizers } from "../../api/v1alpha1/labels.ts";
import { OrderSweep as OrderSweepSchema, PendingIssuance } from "../../api/v1alpha1/managedcertificate.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { OrderSweep, PendingOrder } from "../ordering/record.ts";

export const ORDER_ANNOTATION = annotations.order;
export const CLEANUP_FINALIZER = finalizers.cleanup;

/** What the annotation holds: the order in flight, and the sweep its revision left (ADR 0005). */
export interface OrderAnnotation {
  readonly order?: PendingOrder | undefined;
  readonly sweep?: OrderSweep | undefined;
}

const Stored = z.object({ order: PendingIssuance.optional(), sweep: OrderSweepSchema.optional() });

export type ReadAnnotation = { readonly ok: true; readonly value: OrderAnnotation } | { readonly ok: false; readonly problem: string };

/** The recorded order of a request; an annotation that is not ours any more (edited by hand) is a problem, never "no order". */
export function readOrderAnnotation(object: KubeObject): ReadAnnotation {
  const text = object.metadata.annotations?.[ORDER_ANNOTATION];
  if (text === undefined || text === "") return { ok: true, value: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: `annotation ${ORDER_ANNOTATION} is not JSON` };
  }
  const parsed = Stored.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `annotation ${ORDER_ANNOTATION} does not hold an order record` };
  return { ok: true, value: withoutUndefined(parsed.data) };
}

function withoutUndefined(a: { order?: PendingOrder | undefined; sweep?: OrderSweep | undefined }): OrderAnnotation {
  return { ...(a.order === undefined ? {} : { order: a.order }), ...(a.sweep === undefined ? {} : { sweep: a.sweep }) };
}

export const holdsAnything = (a: OrderAnnotation): boolean => a.order !== undefined || a.sweep !== undefined;

/**
 * One JSON merge patch for the record and the finalizer, conditional on the resourceVersion the
 * decision was made on (a stale copy fails with 409 instead of erasing a recorded intent). The
 * finalizer list is written whole (merge patch replaces lists): safe under the same guard.
 */
export function recordPatch(object: KubeObject, next: OrderAnnotation): Record<string, unknown> {
  const current = object.metadata.finalizers ?? [];
  const hold = holdsAnything(next);
  const finalizerList = hold
    ? current.includes(CLEANUP_FINALIZER)
      ? current
      : [...current, CLEANUP_FINALIZER]
    : current.filter((f) => f !== CLEANUP_FINALIZER);
  const changedFinalizers = finalizerList.length !== current.length;
  return {
    metadata: {
      resourceVersion: object.metadata.resourceVersion,
      annotations: { [ORDER_ANNOTATION]: hold ? JSON.stringify(withoutUndefined(next)) : null },
      ...(changedFinalizers ? { finalizers: finalizerList } : {}),
    },
  };
}
