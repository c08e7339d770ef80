// Readiness and conditions, pure: what Ready and Issuing say for a status, what the status becomes
// when a certificate is issued, and when it is due for renewal. Every other piece computes its
// conditions here; nothing in this module reads or writes anything.
import { X509Certificate } from "node:crypto";
import { ConditionType, Reason } from "../../api/v1alpha1/conditions.ts";
import type { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { type Condition, setCondition } from "../../runtime/conditions.ts";
import { withSweep } from "../ordering/decide.ts";
import { type OrderNote, type OrderSweep, type PendingOrder, iso, markerSpecHash } from "../ordering/record.ts";
import type { Status } from "./context.ts";
import { renewalTime } from "./trigger.ts";

export interface ConditionValue {
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/** The status with Ready and Issuing set (lastTransitionTime moves only on flips). */
export function withConditions(status: Status, generation: number | undefined, now: Date, ready: ConditionValue, issuing: ConditionValue): Status {
  let conditions = setCondition(status.conditions as Condition[] | undefined, { type: ConditionType.Ready, ...ready }, generation, now);
  conditions = setCondition(conditions, { type: ConditionType.Issuing, ...issuing }, generation, now);
  return { ...status, conditions: conditions as Status["conditions"], ...(generation === undefined ? {} : { observedGeneration: generation }) };
}

/** The status with Published set (spec.publish.zpa). */
export function withPublished(status: Status, generation: number | undefined, now: Date, value: ConditionValue): Status {
  const conditions = setCondition(status.conditions as Condition[] | undefined, { type: ConditionType.Published, ...value }, generation, now);
  return { ...status, conditions: conditions as Status["conditions"] };
}

export function readyOf(status: Status | undefined): ConditionValue | undefined {
  const c = status?.conditions?.find((x) => x.type === ConditionType.Ready);
  return c === undefined ? undefined : { status: c.status, reason: c.reason, message: c.message };
}

export const notIssuing = (message = "No issuance in progress."): ConditionValue => ({ status: "False", reason: "Idle", message });

/** Ready while an issuance runs: a valid certificate already in place stays Ready. */
export function readyWhileIssuing(status: Status, now: Date, fallback: ConditionValue): ConditionValue {
  const current = readyOf(status);
  const valid = status.notAfter !== undefined && Date.parse(status.notAfter) > now.getTime();
  return current?.status === "True" && valid ? current : fallback;
}

/**
 * Ready and Issuing while an order moves (`note`: what the ordering engine says). Issuing is True,
 * with why the order was started on its first write; Ready keeps a valid certificate in place unless
 * the Secret is broken (then nothing is ready).
 */
export function whileOrdering(status: Status, generation: number | undefined, now: Date, note: OrderNote, opts: { secretBroken?: boolean } = {}): Status {
  const notReady: ConditionValue = { status: "False", reason: note.reason, message: note.message };
  const ready = opts.secretBroken === true ? notReady : readyWhileIssuing(status, now, notReady);
  return withConditions(status, generation, now, ready, { status: "True", reason: note.startedBecause ?? note.reason, message: note.message });
}

/** Ready=True for the certificate on record. */
export function issuedCondition(status: Status, spec: ManagedCertificateSpec): ConditionValue {
  return { status: "True", reason: Reason.Issued, message: readyMessage(status, spec.secretName) };
}

export function readyMessage(status: Status, secretName: string): string {
  return `Certificate (serial ${status.serialNumber ?? "unknown"}) is in Secret ${secretName}, valid until ${status.notAfter ?? "unknown"}; renewal at ${status.renewalTime ?? "unknown"}.`;
}

/** renewalTime follows spec.renewBefore, which may change without a new certificate. */
export function withRenewalTime(status: Status, renewBefore: string | undefined): Status {
  if (status.notBefore === undefined || status.notAfter === undefined) return status;
  const at = iso(renewalTime(new Date(status.notBefore), new Date(status.notAfter), renewBefore));
  return at === status.renewalTime ? status : { ...status, renewalTime: at };
}

export interface Issuance {
  readonly spec: ManagedCertificateSpec;
  /** The spec hash now (the intent's may be older: a spec edited meanwhile still triggers a re-issue). */
  readonly specHash: string;
  readonly record: PendingOrder;
  /** Why the intent was started (its recorded reason, wherever it lived: intent.ts); status.pendingIssuance's otherwise. */
  readonly startedBecause?: string | undefined;
  readonly vendorRef: string;
  readonly leafPem: string;
  readonly sweep?: OrderSweep | undefined;
  /** The renew-request annotation now, when set. */
  readonly renewRequest: string | undefined;
  /** When the certificate was written to the Secret (lastIssuance.time). */
  readonly issuedAt: Date;
}

/**
 * The status once the certificate of `i.record` is in the Secret: revision, serial, times, the
 * intent cleared, failures forgotten, the superseded certificate queued for revocation when the
 * policy says so, the revision's sweep when its calls may have left extra orders, and lastIssuance
 * (revision, serial, why — the reason the intent carried — and when).
 */
export function issuedStatus(status: Status, i: Issuance): Status {
  const cert = new X509Certificate(i.leafPem);
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  const revocations = [...(status.pendingRevocations ?? [])];
  if (
    status.vendorRef !== undefined &&
    status.vendorRef !== i.vendorRef &&
    i.spec.revocationPolicy.superseded === "Revoke" &&
    !revocations.some((x) => x.vendorRef === status.vendorRef)
  ) {
    revocations.push({
      vendorRef: status.vendorRef,
      ...(status.serialNumber === undefined ? {} : { serialNumber: status.serialNumber }),
      reason: "Superseded",
    });
  }
  const intentHash = markerSpecHash(i.record.marker);
  const { pendingIssuance: _p, failedIssuanceAttempts: _f, lastFailureTime: _l, lastFailureMessage: _m, pendingRevocations: _r, ...rest } = status;
  return {
    ...(i.sweep === undefined ? rest : { ...rest, orderSweeps: withSweep(rest.orderSweeps, i.sweep) }),
    revision: i.record.revision,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: iso(notBefore),
    notAfter: iso(notAfter),
    renewalTime: iso(renewalTime(notBefore, notAfter, i.spec.renewBefore)),
    vendorRef: i.vendorRef,
    issuedSpecHash: intentHash === undefined || i.specHash.startsWith(intentHash) ? i.specHash : intentHash,
    // The Secret written before stays on record until its cleanup (secret-cleanup.ts, in the steady pass).
    secretName: status.secretName ?? i.spec.secretName,
    lastIssuance: {
      revision: i.record.revision,
      serialNumber: cert.serialNumber.toLowerCase(),
      reason: i.startedBecause ?? status.pendingIssuance?.reason ?? (status.revision === undefined ? "NotIssued" : "Unknown"),
      time: iso(i.issuedAt),
    },
    ...(i.renewRequest !== undefined
      ? { observedRenewRequest: i.renewRequest }
      : status.observedRenewRequest !== undefined
        ? { observedRenewRequest: status.observedRenewRequest }
        : {}),
    ...(revocations.length > 0 ? { pendingRevocations: revocations.slice(-32) } : {}),
  };
}
