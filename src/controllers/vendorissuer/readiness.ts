// An issuer is Ready when the connection it names can be ordered through: it exists, is of the issuer's
// vendor, admits the issuer's namespace (a ClusterVendorConnection), is not being deleted, has its
// credentials Secret, and its own controller verified it (its Ready condition). Pure; case table in
// readiness.test.ts. cert-manager reads this condition as an issuer's health (and requests wait on it).
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { ConditionInput } from "../../runtime/conditions.ts";
import type { ConnectionLookup } from "../shared/connections.ts";

export interface ConnectionHealth {
  /** The connection's own Ready condition (from the informer cache), if it has one. */
  readonly ready?: { readonly status: string; readonly reason?: string; readonly message?: string } | undefined;
}

/** "VendorConnection web/sectigo" or "ClusterVendorConnection shared". */
export type ConnectionLabel = string;

export function issuerReadiness(lookup: ConnectionLookup, health: ConnectionHealth, connection: ConnectionLabel, vendor: string): ConditionInput {
  if (!lookup.ok) return { type: "Ready", status: "False", reason: lookup.reason, message: lookup.message };
  const ready = health.ready;
  if (ready === undefined) return { type: "Ready", status: "False", reason: Reason.ConnectionNotReady, message: `${connection} has not been verified yet` };
  if (ready.status !== "True") {
    const why = [ready.reason, ready.message].filter((s) => s !== undefined && s !== "").join(": ");
    return { type: "Ready", status: "False", reason: Reason.ConnectionNotReady, message: `${connection} is not Ready${why === "" ? "" : ` (${why})`}` };
  }
  return {
    type: "Ready",
    status: "True",
    reason: Reason.Verified,
    message: `${connection} is Ready; CertificateRequests are ordered from ${vendor} through it`,
  };
}
