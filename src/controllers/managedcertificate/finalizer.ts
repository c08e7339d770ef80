// Deletion: revoke per revocationPolicy.onDelete (and anything still waiting to be revoked), delete
// the TLS Secret per secretPolicy.onDelete and always the key Secret, then release the finalizer.
// Only Secrets we own are deleted, guarded by their UID.
import type { Logger } from "pino";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import type { ManagedCertificate } from "../../api/v1alpha1/managedcertificate.ts";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { classifySecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { keySecretName } from "./keys.ts";
import { type ManagedCertificateReconciler, removeFinalizer } from "./reconciler.ts";
import type { CertificateObject } from "./status.ts";

export interface FinalizeInput {
  readonly obj: CertificateObject;
  readonly mc: ManagedCertificate;
  readonly owner: SecretOwner;
  readonly key: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly ca?: CertificateAuthority;
  readonly vendor?: string;
}

export async function finalize(r: ManagedCertificateReconciler, f: FinalizeInput): Promise<Result> {
  if (!(f.obj.metadata.finalizers ?? []).includes(finalizers.cleanup)) return {};
  // A cache that lags our finalizer removal must not revoke again.
  if (r.finishedCleanups.has(f.owner.uid)) return {};
  const status = f.obj.status ?? {};
  const toRevoke = (status.pendingRevocations ?? []).map((p) => ({ vendorRef: p.vendorRef, reason: p.reason === "Superseded" ? ("superseded" as const) : ("cessationOfOperation" as const) }));
  if (f.mc.spec.revocationPolicy.onDelete === "Revoke" && status.vendorRef !== undefined) toRevoke.push({ vendorRef: status.vendorRef, reason: "cessationOfOperation" });
  if (toRevoke.length > 0 && f.ca === undefined) {
    // Without a usable connection nothing can be revoked; holding the object forever would not help.
    r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "RevocationSkipped", action: "Delete", note: `Could not revoke ${toRevoke.length} certificate(s): the connection is unavailable.` });
  }
  const ca = f.ca;
  for (const item of ca === undefined ? [] : toRevoke) {
    try {
      await ca!.revoke(item.vendorRef, item.reason, f.signal);
      r.deps.metrics?.vendorCalls.inc({ vendor: f.vendor ?? "unknown", operation: "revoke" });
      f.log.info({ vendorRef: item.vendorRef, reason: item.reason }, "revoked on delete");
    } catch (error) {
      if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials")) throw error;
      f.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef: item.vendorRef }, "revocation on delete refused; continuing");
    }
  }
  await unpublish(r, f);
  if (f.mc.spec.secretPolicy.onDelete === "Delete") await deleteIfOurs(r, f, f.mc.spec.secretName);
  await deleteIfOurs(r, f, keySecretName(f.owner.name));
  await removeFinalizer(r.deps.client, f.obj, f.signal);
  if (r.finishedCleanups.size > 10_000) r.finishedCleanups.clear();
  r.finishedCleanups.add(f.owner.uid);
  r.fresh.forget(f.key);
  r.deps.metrics?.forget(f.owner.namespace, f.owner.name);
  return {};
}

async function deleteIfOurs(r: ManagedCertificateReconciler, f: FinalizeInput, name: string): Promise<void> {
  let secret: Secret | undefined;
  try {
    secret = await r.deps.client.get<Secret>(core.secrets, f.owner.namespace, name, f.signal);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (classifySecret(secret, f.owner) !== "ours") return;
  try {
    await r.deps.client.delete(core.secrets, f.owner.namespace, name, { signal: f.signal, ...(secret.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}) });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The ZPA copy holds the private key: it goes with the resource. */
async function unpublish(r: ManagedCertificateReconciler, f: FinalizeInput): Promise<void> {
  const id = f.obj.status?.publish?.zpa?.certificateId;
  const ref = f.mc.spec.publish?.zpa?.connectionRef;
  if (id === undefined || ref === undefined) return;
  const lookup = await r.deps.connections.resolve(ref, f.owner.namespace, "zpa", f.signal);
  const store = lookup.ok ? r.deps.ports.browserCertificates?.(lookup.connection) : undefined;
  if (!lookup.ok || store === undefined) {
    r.deps.events?.record({ type: resourceTypes.managedCertificates, object: f.obj }, { type: "Warning", reason: "UnpublishSkipped", action: "Delete", note: `Could not delete ZPA certificate ${id}: the ZPA connection is unavailable.` });
    return;
  }
  const microtenantId = typeof lookup.connection.settings["microtenantId"] === "string" ? (lookup.connection.settings["microtenantId"] as string) : undefined;
  try {
    await store.delete(id, microtenantId, f.signal);
  } catch (error) {
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials")) throw error;
    f.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), zpaCertificateId: id }, "ZPA delete refused; continuing");
  }
}
