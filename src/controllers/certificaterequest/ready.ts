// The status this issuer writes on a CertificateRequest, computed (pure): its Ready condition in
// cert-manager's reasons, and on the way out the certificate, the CA and the failure time. Only these
// fields are ours (server-side apply owns them and nothing else; Approved/Denied stay the approver's).
import { iso } from "../ordering/record.ts";
import { type CertificateRequest, type CrCondition, CrConditionType, type CrReason, conditionOf, toBase64 } from "./cert-manager.ts";

export interface ReadyValue {
  readonly status: "True" | "False";
  readonly reason: CrReason;
  readonly message: string;
}

export interface StatusWrite {
  readonly ready: ReadyValue;
  /** Leaf then intermediates (PEM): Issued only. */
  readonly certificatePem?: string | undefined;
  /** The root, when the vendor names it. */
  readonly caPem?: string | undefined;
  /** Failed and Denied: when, so cert-manager's backoff before the next request counts from it. */
  readonly failed?: boolean;
}

const MAX_MESSAGE = 1024;

/** The Ready condition; its transition time moves only when the status flips. */
export function readyCondition(previous: CrCondition | undefined, value: ReadyValue, now: Date): CrCondition {
  const flipped = previous === undefined || previous.status !== value.status || previous.lastTransitionTime === undefined;
  return {
    type: CrConditionType.Ready,
    status: value.status,
    reason: value.reason,
    message: value.message.slice(0, MAX_MESSAGE),
    lastTransitionTime: flipped ? iso(now) : (previous.lastTransitionTime as string),
  };
}

/** The status body to apply: only our fields (a list-map merge keeps everyone else's conditions). */
export function statusBody(cr: CertificateRequest, write: StatusWrite, now: Date): Record<string, unknown> {
  const previous = conditionOf(cr.status, CrConditionType.Ready);
  return {
    conditions: [readyCondition(previous, write.ready, now)],
    ...(write.certificatePem === undefined ? {} : { certificate: toBase64(write.certificatePem) }),
    ...(write.caPem === undefined ? {} : { ca: toBase64(write.caPem) }),
    ...(write.failed === true ? { failureTime: cr.status?.failureTime ?? iso(now) } : {}),
  };
}

/** Does the request already say this (no write needed)? A certificate or a failure is always written once. */
export function alreadyShows(cr: CertificateRequest, write: StatusWrite): boolean {
  if (write.certificatePem !== undefined || write.failed === true) return false;
  const ready = conditionOf(cr.status, CrConditionType.Ready);
  return ready?.status === write.ready.status && ready.reason === write.ready.reason && ready.message === write.ready.message.slice(0, MAX_MESSAGE);
}
