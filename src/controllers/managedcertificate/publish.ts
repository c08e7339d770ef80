// spec.publish.zpa: upload the certificate and its key to ZPA as a Browser Access certificate.
// ZPA cannot replace a certificate in place, so a new revision is uploaded under its own name
// (`<name>-r<revision>`), then the previous one is deleted, then status records the new id. A crash
// between those steps is recovered by looking the revision's name up before uploading again.
import { ConditionType, Reason } from "../../api/v1alpha1/conditions.ts";
import { zpaMicrotenantOf } from "../../ports/connection.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { type Condition, setCondition } from "../../runtime/conditions.ts";
import type { ManagedCertificateReconciler, Work } from "./reconciler.ts";
import type { Status } from "./status.ts";

const RETRY_MS = 10 * 60_000;

export function zpaCertificateName(base: string | undefined, namespace: string, name: string, revision: number): string {
  const prefix = (base ?? `${namespace}-${name}`).slice(0, 240);
  return `${prefix}-r${revision}`;
}

function withPublished(status: Status, w: Work, value: { status: "True" | "False"; reason: string; message: string }): Status {
  const conditions = setCondition(status.conditions as Condition[] | undefined, { type: ConditionType.Published, ...value }, w.obj.metadata.generation, w.now);
  return { ...status, conditions: conditions as Status["conditions"] };
}

/**
 * Brings the ZPA copy in line with the current certificate. Returns the status to write and, when
 * publishing failed for a reason time may fix, when to look again. No vendor call when in line.
 */
export async function publishZpa(r: ManagedCertificateReconciler, w: Work, status: Status): Promise<{ status: Status; retryMs?: number }> {
  const want = w.mc.spec.publish?.zpa;
  if (want === undefined || status.serialNumber === undefined || status.revision === undefined) return { status };
  const have = status.publish?.zpa;
  const name = zpaCertificateName(want.name, w.owner.namespace, w.owner.name, status.revision);
  if (have?.certificateId !== undefined && have.serialNumber === status.serialNumber && have.name === name) {
    return { status: withPublished(status, w, { status: "True", reason: Reason.Published, message: `Published to ZPA as "${name}" (id ${have.certificateId}).` }) };
  }
  const failed = (reason: string, message: string) => ({ status: withPublished(status, w, { status: "False", reason, message }), retryMs: RETRY_MS });
  const lookup = await r.deps.connections.resolve(want.connectionRef, w.owner.namespace, "zpa", w.signal);
  if (!lookup.ok) return failed(lookup.reason, lookup.message);
  const store = r.deps.ports.browserCertificates?.(lookup.connection);
  if (store === undefined) return failed(Reason.PublishFailed, "Publishing to ZPA is not available in this operator build.");
  const secret = (await r.targetSecret(w, false)).secret;
  const certificatePem = secret?.data?.["tls.crt"] === undefined ? undefined : Buffer.from(secret.data["tls.crt"], "base64").toString("utf8");
  const privateKeyPem = secret?.data?.["tls.key"] === undefined ? undefined : Buffer.from(secret.data["tls.key"], "base64").toString("utf8");
  if (certificatePem === undefined || privateKeyPem === undefined) return failed(Reason.PublishFailed, `Secret ${w.mc.spec.secretName} has no certificate and key to publish yet.`);
  const microtenantId = zpaMicrotenantOf(lookup.connection);
  try {
    // Uploaded before a crash but not recorded: find it instead of uploading a second copy.
    const ref = (await store.findByName(name, microtenantId, w.signal)) ?? (await store.upload({ name, ...(want.description === undefined ? {} : { description: want.description }), certificatePem, privateKeyPem, ...(microtenantId === undefined ? {} : { microtenantId }) }, w.signal));
    r.deps.metrics?.vendorCalls.inc({ vendor: "zpa", operation: "publish" });
    if (have?.certificateId !== undefined && have.certificateId !== ref.id) await store.delete(have.certificateId, microtenantId, w.signal);
    const next: Status = { ...status, publish: { zpa: { certificateId: ref.id, name: ref.name, serialNumber: status.serialNumber, lastPublishTime: w.now.toISOString().replace(/\.\d{3}Z$/, "Z") } } };
    w.log.info({ zpaCertificateId: ref.id, name: ref.name }, "published to ZPA");
    return { status: withPublished(next, w, { status: "True", reason: Reason.Published, message: `Published to ZPA as "${ref.name}" (id ${ref.id}).` }) };
  } catch (error) {
    if (!(error instanceof VendorError) || isRetryable(error.kind)) throw error;
    return failed(Reason.PublishFailed, `ZPA ${error.operation} failed (${error.kind}): ${error.detail.slice(0, 300)}`);
  }
}
