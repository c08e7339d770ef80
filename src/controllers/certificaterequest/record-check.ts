// The order annotation is user-editable (anyone who may patch CertificateRequests in the namespace),
// yet the operator acts on it with a connection other namespaces may share. So nothing in it is
// trusted: a record or sweep is acted on only when its identity is the one the request itself proves
// (revision 1, the marker of its UID and immutable spec, its CSR's key: order.ts requestIdentity);
// otherwise it is rejected — never acted on, dropped, and shown (OrderRecordRejected). What passes is
// still bounded: its times start no earlier than the request, its deadlines end within what the engine
// could have written, and a fingerprint is used only when it is the one we compute now. A vendorRef is
// not identity: before it is cancelled the intent's own look-up must return it (deletion.ts). Pure;
// case tables in record-check.test.ts (ADR 0022).
import { type IdentityVerdict, identityVerdict, trustedFingerprint } from "../ordering/ownership.ts";
import { type OrderSweep, type PendingOrder, iso } from "../ordering/record.ts";
import type { RequestIdentity } from "./order.ts";
import { ORDER_ANNOTATION, type OrderAnnotation, type ReadAnnotation } from "./order-annotation.ts";

export interface Rejection {
  /** What is rejected: the order record, the sweep, or the whole annotation (unreadable). */
  readonly part: "order" | "sweep" | "annotation";
  readonly message: string;
}

export interface CheckedAnnotation {
  /** What may be acted on: only parts proven to be this request's. */
  readonly record: OrderAnnotation;
  /** Parts that are not this request's: never acted on, dropped at the next write. */
  readonly rejected: readonly Rejection[];
  /** Times brought within what this request allows (for a log line: the engine never writes these). */
  readonly adjusted: readonly string[];
}

export interface CheckBasis {
  /** What the request proves (undefined: not computed, so nothing can be shown to be its). */
  readonly identity: RequestIdentity | undefined;
  /** The time deadlines are bounded from: now, or the deletion time once the request is being deleted. */
  readonly anchor: Date;
  /** The longest settle window an order of this request may have had. */
  readonly windowMs: number;
}

/** The engine writes a settle deadline one window after a call, and a sweep's end two windows after; one more window covers clock skew. */
const SETTLE_DEADLINE_WINDOWS = 2;
const SWEEP_UNTIL_WINDOWS = 3;

export function checkOrderAnnotation(read: ReadAnnotation, basis: CheckBasis): CheckedAnnotation {
  if (!read.ok) return { record: {}, rejected: [{ part: "annotation", message: read.problem }], adjusted: [] };
  const { order, sweep } = read.value;
  if (order === undefined && sweep === undefined) return { record: {}, rejected: [], adjusted: [] };
  const id = basis.identity ?? { ok: false, message: "the request's CSR was not read" };
  if (!id.ok) {
    const message = `${id.message}, so no order record can be shown to be this request's`;
    return {
      record: {},
      rejected: [...(order ? [{ part: "order" as const, message }] : []), ...(sweep ? [{ part: "sweep" as const, message }] : [])],
      adjusted: [],
    };
  }
  const rejected: Rejection[] = [];
  const adjusted: string[] = [];
  let record: OrderAnnotation = {};
  if (order !== undefined) {
    const verdict = identityVerdict(order, id);
    if (verdict.ours) record = { ...record, order: boundOrder(order, id.createdAt, basis, adjusted) };
    else rejected.push(rejection("order", verdict));
  }
  if (sweep !== undefined) {
    const verdict = identityVerdict(sweep, id);
    if (verdict.ours) record = { ...record, sweep: boundSweep(sweep, id.createdAt, basis, adjusted) };
    else rejected.push(rejection("sweep", verdict));
  }
  return { record, rejected, adjusted };
}

function rejection(part: "order" | "sweep", verdict: Extract<IdentityVerdict, { ours: false }>): Rejection {
  return { part, message: `its ${part === "order" ? "order record" : "sweep"} is not this request's: ${verdict.message}` };
}

const laterOf = (a: string, b: Date): string => (Date.parse(a) < b.getTime() ? iso(b) : a);
const earlierOf = (a: string, b: Date): string => (Date.parse(a) > b.getTime() ? iso(b) : a);

function boundOrder(p: PendingOrder, createdAt: Date | undefined, basis: CheckBasis, adjusted: string[]): PendingOrder {
  let next = p;
  if (createdAt !== undefined && laterOf(p.startedTime, createdAt) !== p.startedTime) {
    next = { ...next, startedTime: iso(createdAt) };
    adjusted.push("the order record's start was earlier than the request");
  }
  const latest = new Date(basis.anchor.getTime() + SETTLE_DEADLINE_WINDOWS * basis.windowMs);
  if (p.settleDeadline !== undefined && earlierOf(p.settleDeadline, latest) !== p.settleDeadline) {
    next = { ...next, settleDeadline: iso(latest) };
    adjusted.push("the order record's settle deadline was later than any call could have set");
  }
  return next;
}

function boundSweep(s: OrderSweep, createdAt: Date | undefined, basis: CheckBasis, adjusted: string[]): OrderSweep {
  let next = s;
  if (createdAt !== undefined && laterOf(s.since, createdAt) !== s.since) {
    next = { ...next, since: iso(createdAt) };
    adjusted.push("the sweep's start was earlier than the request");
  }
  const latest = new Date(basis.anchor.getTime() + SWEEP_UNTIL_WINDOWS * basis.windowMs);
  if (earlierOf(s.until, latest) !== s.until) {
    next = { ...next, until: iso(latest), ...(s.nextTime !== undefined && Date.parse(s.nextTime) > latest.getTime() ? { nextTime: iso(latest) } : {}) };
    adjusted.push("the sweep's end was later than any sweep could have set");
  }
  return next;
}

/**
 * The record with only fingerprints we compute ourselves for this request's CSR and issuer now
 * (`expected`; undefined: the vendor has none, or it cannot be computed): any other is dropped, and
 * the vendor's look-up matches by the CSR's key instead. Returns whether anything was dropped.
 */
export function withTrustedFingerprints(record: OrderAnnotation, expected: string | undefined): { record: OrderAnnotation; dropped: boolean } {
  const order = record.order === undefined ? undefined : keepTrusted(record.order, expected);
  const sweep = record.sweep === undefined ? undefined : keepTrusted(record.sweep, expected);
  const dropped = order !== record.order || sweep !== record.sweep;
  return { record: { ...(order === undefined ? {} : { order }), ...(sweep === undefined ? {} : { sweep }) }, dropped };
}

function keepTrusted<T extends { readonly fingerprint?: string | undefined }>(r: T, expected: string | undefined): T {
  if (r.fingerprint === undefined || trustedFingerprint(r.fingerprint, expected) !== undefined) return r;
  const { fingerprint: _f, ...rest } = r;
  return rest as T;
}

/** The note of the Warning OrderRecordRejected: what was ignored, that nothing was done on it, what to do. */
export function rejectionNote(rejected: readonly Rejection[], nextStep: string): string {
  const what = rejected.map((r) => r.message).join("; ");
  return `The annotation ${ORDER_ANNOTATION} was edited outside certbridge (${what}). It is ignored: nothing is ordered, collected or cancelled on its strength. ${nextStep}`;
}
