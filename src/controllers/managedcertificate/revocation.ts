// Revocations waiting in status (superseded certificates per revocationPolicy.superseded). Each is
// tried once per pass; success or a final vendor answer removes it, a retryable error keeps it.
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import type { ManagedCertificateReconciler, Work } from "./reconciler.ts";
import type { Status } from "./status.ts";

export async function processRevocations(r: ManagedCertificateReconciler, w: Work): Promise<Status> {
  const status = w.obj.status ?? {};
  const remaining: NonNullable<Status["pendingRevocations"]> = [];
  for (const item of status.pendingRevocations ?? []) {
    try {
      await w.ca.revoke(item.vendorRef, item.reason === "Superseded" ? "superseded" : "cessationOfOperation", w.signal);
      r.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "revoke" });
      w.log.info({ vendorRef: item.vendorRef, reason: item.reason }, "revoked");
      r.deps.events?.record({ type: resourceTypes.managedCertificates, object: w.obj }, { type: "Normal", reason: "Revoked", action: "Revoke", note: `Revoked ${item.reason.toLowerCase()} certificate ${item.vendorRef}${item.serialNumber ? ` (serial ${item.serialNumber})` : ""}.` });
    } catch (error) {
      if (error instanceof VendorError && !isRetryable(error.kind) && error.kind !== "credentials") {
        // The vendor says it can never be revoked (gone, wrong state): nothing left to do.
        w.log.warn({ err: error.toJSON(), vendorRef: item.vendorRef }, "revocation refused; dropping it");
        continue;
      }
      w.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: item.vendorRef }, "revocation failed; will retry");
      remaining.push(item);
    }
  }
  const { pendingRevocations: _, ...rest } = status;
  return remaining.length > 0 ? { ...rest, pendingRevocations: remaining } : rest;
}
