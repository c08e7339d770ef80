// Revocation: superseded certificates waiting in status.pendingRevocations (revocationPolicy
// .superseded), and, on delete, those plus the current one when revocationPolicy.onDelete says so.
import { type CertificateAuthority, vendorRefused } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import type { OrderEvent } from "../ordering/sweeps.ts";
import type { CertificateContext, Status } from "./context.ts";

type PendingRevocation = NonNullable<Status["pendingRevocations"]>[number];
type RevocationReason = "superseded" | "cessationOfOperation";

const reasonOf = (item: PendingRevocation): RevocationReason => (item.reason === "Superseded" ? "superseded" : "cessationOfOperation");

/**
 * Tries each waiting revocation once. Success or a final vendor answer removes it (nothing left to
 * do); a retryable error or refused credentials keep it for the next pass. Returns what remains.
 */
export async function processRevocations(
  ctx: CertificateContext,
  ca: CertificateAuthority,
  pending: readonly PendingRevocation[],
  notify: (event: OrderEvent) => void,
): Promise<PendingRevocation[]> {
  const remaining: PendingRevocation[] = [];
  for (const item of pending) {
    try {
      await ca.revoke(item.vendorRef, reasonOf(item), ctx.signal);
      ctx.countCall(ctx.vendor, "revoke");
      ctx.log.info({ vendorRef: item.vendorRef, reason: item.reason }, "revoked");
      notify({
        type: "Normal",
        reason: "Revoked",
        action: "Revoke",
        note: `Revoked ${item.reason.toLowerCase()} certificate ${item.vendorRef}${item.serialNumber ? ` (serial ${item.serialNumber})` : ""}.`,
      });
    } catch (error) {
      if (error instanceof VendorError && !isRetryable(error.kind) && error.kind !== "credentials" && vendorRefused(error)) {
        // The vendor says it can never be revoked (gone, wrong state): nothing left to do.
        ctx.log.warn({ err: error.toJSON(), vendorRef: item.vendorRef }, "revocation refused; dropping it");
        continue;
      }
      ctx.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: item.vendorRef }, "revocation failed; will retry");
      remaining.push(item);
    }
  }
  return remaining;
}

/** `status` with the revocations that remain (the field dropped when none do). */
export function withRevocations(status: Status, remaining: readonly PendingRevocation[]): Status {
  const { pendingRevocations: _, ...rest } = status;
  return remaining.length > 0 ? { ...rest, pendingRevocations: [...remaining] } : rest;
}

/** What deletion revokes: everything still waiting, and the current certificate when onDelete is Revoke. */
export function revocationsOnDelete(status: Status, onDelete: "Revoke" | "Retain"): { vendorRef: string; reason: RevocationReason }[] {
  const items = (status.pendingRevocations ?? []).map((p) => ({ vendorRef: p.vendorRef, reason: reasonOf(p) }));
  if (onDelete === "Revoke" && status.vendorRef !== undefined) items.push({ vendorRef: status.vendorRef, reason: "cessationOfOperation" });
  return items;
}

/**
 * Revokes on delete. A retryable error or refused credentials throw (deletion is retried); any other
 * refusal is logged and deletion goes on (the vendor will not revoke it, holding the object cannot help).
 */
export async function revokeOnDelete(
  ctx: CertificateContext,
  ca: CertificateAuthority,
  items: readonly { vendorRef: string; reason: RevocationReason }[],
): Promise<void> {
  for (const item of items) {
    try {
      await ca.revoke(item.vendorRef, item.reason, ctx.signal);
      ctx.countCall(ctx.vendor, "revoke");
      ctx.log.info({ vendorRef: item.vendorRef, reason: item.reason }, "revoked on delete");
    } catch (error) {
      if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials" || !vendorRefused(error))) throw error;
      ctx.log.warn(
        { err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: item.vendorRef },
        "revocation on delete refused; continuing",
      );
    }
  }
}
