// What a vendor error means for a controller — ONE table, used by every controller (issue 10). Vendors
// classify their failures once, at their client edge, into a VendorError kind; this table turns the
// kind into what the controller does and what the resource's condition says:
//
//   retry          write the condition AND return the error: the queue backs off (at least the
//                  vendor's Retry-After). Trouble that passes, or that the next attempt may see past.
//   waitForPerson  write the condition naming the vendor's reason; poll slowly (a person acts at the
//                  vendor, outside Kubernetes: nothing would wake us). Not a failure of ours.
//   credentials    write CredentialsInvalid; wait for the connection to change (its controller wakes
//                  us) with a slow recheck; never hammer a vendor with credentials it refused.
//   stop           write the condition; stop (a terminal error): the same request will never pass,
//                  the next spec change brings the resource back.
//
// As cert-manager's issuer-lib does: pending is a value, permanent errors stop, everything else
// retries with backoff, and a retried error is visible in a condition, not only in the log.
import { Reason } from "../api/v1alpha1/conditions.ts";
import type { VendorError, VendorErrorKind } from "./vendor-error.ts";

export type VendorErrorAction = "retry" | "waitForPerson" | "credentials" | "stop";

export interface VendorErrorMeaning {
  readonly action: VendorErrorAction;
  /** The condition reason (PascalCase, from api/v1alpha1/conditions.ts). */
  readonly reason: string;
  /** What happens next or what a person can do, as a clause that reads after the vendor's own words. */
  readonly nextStep: string;
}

/** Kind → meaning. A row per kind; the reason for each choice beside it. */
export const VENDOR_ERROR_POLICY: Readonly<Record<VendorErrorKind, VendorErrorMeaning & { readonly why: string }>> = {
  transient: { action: "retry", reason: Reason.VendorError, nextStep: "retrying with backoff", why: "network trouble, 5xx, timeouts pass on their own" },
  rateLimited: { action: "retry", reason: Reason.RateLimited, nextStep: "retrying after the vendor's Retry-After", why: "the vendor said when to come back" },
  pending: {
    action: "retry",
    reason: Reason.Pending,
    nextStep: "asking again shortly",
    why: "the vendor is still working; polling is the only way to learn it finished",
  },
  blocked: {
    action: "waitForPerson",
    reason: Reason.AwaitingApproval,
    nextStep: "a person must act at the vendor (approve the request, complete domain control validation); checking again periodically",
    why: "an approval or a validation is outside our reach; hammering cannot help",
  },
  credentials: {
    action: "credentials",
    reason: Reason.CredentialsInvalid,
    nextStep: "fix the connection's credentials; the resource retries when the connection changes",
    why: "refused credentials stay refused until someone rotates them",
  },
  notFound: {
    action: "retry",
    reason: Reason.NotFound,
    nextStep: "retrying with backoff; if this persists, check the object at the vendor",
    why: "the next attempt observes afresh (a vanished object is re-created or looked up)",
  },
  conflict: {
    action: "retry",
    reason: Reason.Conflict,
    nextStep: "retrying with backoff; if this persists, resolve the conflict at the vendor",
    why: "a conflict at the vendor often clears (a concurrent change, a name freed)",
  },
  invalid: {
    action: "stop",
    reason: Reason.InvalidSpec,
    nextStep: "fix the spec; nothing is retried until it changes",
    why: "the same request will be refused the same way",
  },
  permanent: {
    action: "stop",
    reason: Reason.VendorError,
    nextStep: "check at the vendor; nothing is retried until the spec changes",
    why: "the vendor said it will never succeed",
  },
};

/** Domain control validation, as opposed to an approval, in a blocked error's words. */
const VALIDATION = /domain|dcv|validation/i;

/** The meaning of one error: its kind's row, with the reason refined where the vendor's words say more. */
export function meaningOf(error: VendorError): VendorErrorMeaning {
  const row = VENDOR_ERROR_POLICY[error.kind];
  if (error.kind === "blocked" && VALIDATION.test(error.detail)) return { action: row.action, reason: Reason.AwaitingValidation, nextStep: row.nextStep };
  return { action: row.action, reason: row.reason, nextStep: row.nextStep };
}

const MAX_DETAIL = 300;

/**
 * The vendor's reason as a sentence for a condition: operation, kind, vendor code, HTTP status and the
 * vendor's own (bounded) words. VendorError messages carry no payloads, so nothing secret can leak.
 */
export function vendorReason(error: VendorError): string {
  const code = error.vendorCode ? ` ${error.vendorCode}` : "";
  const status = error.httpStatus ? `, HTTP ${error.httpStatus}` : "";
  return `${error.vendor} ${error.operation} failed (${error.kind}${code}${status}): ${error.detail.slice(0, MAX_DETAIL)}`;
}

/** The whole condition message: the vendor's reason, then what happens next. */
export function vendorConditionMessage(error: VendorError, meaning: VendorErrorMeaning = meaningOf(error)): string {
  return `${vendorReason(error)}; ${meaning.nextStep}.`;
}
