// Deletion. First the orders that never reached the Secret (ordering/teardown.ts): the pending one is
// cancelled and, if its paid call went unanswered, looked up until its settle deadline so a late
// commit is cancelled too; stray orders of swept revisions likewise. Such an order is useless
// whatever revocationPolicy says: its key is deleted with the resource. The wait is bounded
// (CANCEL_WAIT_MS after deletion, or the last settle deadline if later) and visible (Ready False,
// reason Deleting, and an Event if cleanup gives up). Then revoke per revocationPolicy.onDelete (and
// anything still waiting to be revoked), unpublish, delete the TLS Secret per secretPolicy.onDelete
// and always the key Secret, and release the finalizer. Only Secrets we own are deleted, guarded by
// their UID. The connection is resolved with purpose "cleanup" (C1) by the caller.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import { orderOptionsOf, type CertificateAuthority } from "../../ports/certificate-authority.ts";
import { removeFinalizer } from "../../runtime/finalizers.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { iso } from "../ordering/record.ts";
import { cancelOrdersInFlight, giveUpTime } from "../ordering/teardown.ts";
import { classifySecret, type Secret } from "../shared/owned-secret.ts";
import type { CertificateContext, CertificateObject, ResourcePort, SecretAccess } from "./context.ts";
import { intentOf } from "./intent.ts";
import { keySecretName } from "./keys.ts";
import { knownVendorRefs } from "./order.ts";
import { type PublishPorts, unpublishOnDelete } from "./publish.ts";
import { withConditions } from "./readiness.ts";
import { revocationsOnDelete, revokeOnDelete } from "./revocation.ts";

export interface DeletionPorts {
  readonly io: SecretAccess;
  readonly publish: PublishPorts;
  /** The vendor's settle window (ordering/timing.ts). */
  readonly windowMs: number;
}

/** What deletion did: `released` once the finalizer is gone (the caller forgets the resource). */
export interface DeletionOutcome {
  readonly result: Result;
  readonly released: boolean;
}

/** Runs the cleanup of deleted resources; remembers which it finished (a cache that lags the finalizer removal must not revoke again). */
export class CertificateDeletion {
  readonly #finished = new Set<string>();

  /** `ca`: undefined when the connection is unavailable (nothing can be cancelled or revoked: Events say so). */
  async run(ctx: CertificateContext, port: ResourcePort, ports: DeletionPorts, ca: CertificateAuthority | undefined): Promise<DeletionOutcome> {
    const idle: DeletionOutcome = { result: {}, released: false };
    if (!(port.obj.metadata.finalizers ?? []).includes(finalizers.cleanup)) return idle;
    if (this.#finished.has(ctx.owner.uid)) return idle;
    const status = port.status;
    // The intent in flight wherever it is (status, or a first intent still in its annotation: intent.ts).
    const record = intentOf(port.obj)?.record;
    const inFlight = { record, sweeps: status.orderSweeps ?? [], known: knownVendorRefs(port.obj) };
    const unsettled = inFlight.record !== undefined || inFlight.sweeps.length > 0;
    if (unsettled && ca === undefined) {
      port.record({
        type: "Warning",
        reason: "CancelSkipped",
        action: "Delete",
        note: `Could not cancel the order in flight${record?.vendorRef ? ` (${record.vendorRef})` : ""}: the connection is unavailable. Check the vendor for an order of this resource.`,
      });
    } else if (unsettled && ca !== undefined) {
      const waiting = await cancelOrdersInFlight(
        {
          owner: ctx.owner,
          ca,
          vendorOptions: orderOptionsOf(ctx.mc.spec),
          vendor: ctx.vendor,
          now: ctx.now,
          windowMs: ports.windowMs,
          signal: ctx.signal,
          log: ctx.log,
          notify: (e) => port.record(e),
          onCall: (operation) => ctx.countCall(ctx.vendor, operation),
        },
        inFlight,
      );
      if (waiting.length > 0) {
        const giveUpAt = giveUpTime(new Date(Date.parse(port.obj.metadata.deletionTimestamp ?? "") || ctx.now.getTime()), inFlight, ports.windowMs);
        if (ctx.now.getTime() < giveUpAt.getTime()) {
          const message = `Deleting: waiting until ${iso(giveUpAt)} at the latest to cancel the order that never reached the Secret (${waiting[0]}).`;
          await port.save(
            withConditions(
              status,
              port.obj.metadata.generation,
              ctx.now,
              { status: "False", reason: Reason.Deleting, message },
              { status: "False", reason: Reason.Deleting, message },
            ),
          );
          return { result: { requeueAfterMs: Math.min(60_000, Math.max(5_000, Math.floor((giveUpAt.getTime() - ctx.now.getTime()) / 4))) }, released: false };
        }
        port.record({
          type: "Warning",
          reason: "CleanupIncomplete",
          action: "Delete",
          note: `Gave up waiting to cancel: ${waiting.join("; ").slice(0, 600)}. Cancel or revoke it at the vendor.`,
        });
      }
    }
    // A ZPA copy an application segment still serves is neither deleted nor revoked yet: a bounded wait (publish-unpublish.ts).
    const heldInZpa = await unpublishOnDelete(ctx, port, ports.publish, status);
    if (heldInZpa !== undefined) return { result: heldInZpa, released: false };
    const toRevoke = revocationsOnDelete(status, ctx.mc.spec.revocationPolicy.onDelete);
    if (toRevoke.length > 0 && ca === undefined) {
      // Without a usable connection nothing can be revoked; holding the object forever would not help.
      port.record({
        type: "Warning",
        reason: "RevocationSkipped",
        action: "Delete",
        note: `Could not revoke ${toRevoke.length} certificate(s): the connection is unavailable.`,
      });
    }
    if (ca !== undefined) await revokeOnDelete(ctx, ca, toRevoke);
    if (ctx.mc.spec.secretPolicy.onDelete === "Delete") await deleteIfOurs(ctx, ports.io, ctx.mc.spec.secretName);
    await deleteIfOurs(ctx, ports.io, keySecretName(ctx.owner.name));
    await removeFinalizer(ports.io.client, resourceTypes.managedCertificates, port.obj, finalizers.cleanup, ctx.signal);
    if (this.#finished.size > 10_000) this.#finished.clear();
    this.#finished.add(ctx.owner.uid);
    return { result: {}, released: true };
  }
}

async function deleteIfOurs(ctx: CertificateContext, io: SecretAccess, name: string): Promise<void> {
  let secret: Secret | undefined;
  try {
    secret = await io.client.get<Secret>(core.secrets, ctx.owner.namespace, name, ctx.signal);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (classifySecret(secret, ctx.owner) !== "ours") return;
  try {
    await io.client.delete(core.secrets, ctx.owner.namespace, name, {
      signal: ctx.signal,
      ...(secret.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}),
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Whether deletion would have anything to undo that garbage collection does not (the key Secret and a
 * secretPolicy Delete TLS Secret carry ownerReferences): an intent or order in flight, stray orders
 * to sweep, a certificate to revoke, a ZPA copy. Until then a resource needs no cleanup finalizer: a
 * first issuance adds it with its first intent, in one write (intent.ts, ADR 0020).
 */
export function needsCleanupFinalizer(obj: CertificateObject): boolean {
  const s = obj.status ?? {};
  return (
    intentOf(obj) !== undefined ||
    s.revision !== undefined ||
    s.vendorRef !== undefined ||
    (s.pendingRevocations ?? []).length > 0 ||
    (s.orderSweeps ?? []).length > 0 ||
    s.publish?.zpa !== undefined
  );
}
