// Words for conditions while an order moves: the vendor's own reason, then what happens next. The
// reason and the vendor's words come from the one error table (ports/error-policy.ts). What happens
// next is the engine's own: after an order exists every error keeps it and asks again (ADR 0005),
// even where the table would stop, so the table's next step would say the wrong thing here.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { meaningOf, vendorReason } from "../../ports/error-policy.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import type { OrderVendor } from "./timing.ts";

export function vendorDisplayName(vendor: OrderVendor): string {
  return vendor === "cloudflare" ? "Cloudflare" : "Sectigo";
}

/** The failed call in one clause: vendor, operation, kind, vendor code, HTTP status and the vendor's message. */
export function causeOf(vendor: OrderVendor, error: unknown): string {
  if (error instanceof VendorError) return vendorReason(error);
  return `${vendor} call failed unexpectedly: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`;
}

/**
 * Reasons of the error table the ordering path shows as they are. The order's own states (Pending,
 * OutcomeUnknown, Rejected) are the engine's to say, so the table's Pending, NotFound, Conflict and
 * InvalidSpec read as VendorError here, with the vendor's kind and words in the message.
 */
const SHOWN_AS_IS: ReadonlySet<string> = new Set([Reason.CredentialsInvalid, Reason.RateLimited, Reason.AwaitingApproval, Reason.AwaitingValidation]);

/** The condition reason for an error met while ordering or collecting. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof VendorError)) return Reason.VendorError;
  const reason = meaningOf(error).reason;
  return SHOWN_AS_IS.has(reason) ? reason : Reason.VendorError;
}

/** What a person can do about it, if anything (ends with a space so it reads into the next clause). */
export function nextStepOf(error: VendorError): string {
  switch (error.kind) {
    case "credentials":
      return "fix the connection's credentials; ";
    case "blocked":
      return "a person must act at the vendor (approve the request, complete domain control validation); ";
    case "invalid":
    case "permanent":
    case "notFound":
    case "conflict":
      return "if this persists, check the order at the vendor; ";
    default:
      return "";
  }
}
