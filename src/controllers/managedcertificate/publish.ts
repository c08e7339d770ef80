// spec.publish.zpa: upload the certificate and its key to ZPA as a Browser Access certificate.
// ZPA cannot replace a certificate in place, so a new revision is uploaded under its own name
// (`<name>-r<revision>`), then the previous one is deleted, then status records the new id. A crash
// between those steps is recovered by looking the revision's name up before uploading again. The ZPA
// copy holds the private key: it goes with the resource (unpublishZpa, on delete).
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { zpaMicrotenantOf } from "../../ports/connection.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { BrowserCertificateStore } from "../../ports/provisioning-keys.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { iso } from "../ordering/record.ts";
import type { OrderEvent } from "../ordering/sweeps.ts";
import type { CertificateContext, Connections, SecretAccess, Status } from "./context.ts";
import { type ConditionValue, withPublished } from "./readiness.ts";
import { readTargetSecret } from "./secret.ts";

/** A publish that failed for a reason time may fix is tried again this often. */
export const PUBLISH_RETRY_MS = 10 * 60_000;

export interface PublishPorts {
  readonly connections: Connections;
  /** Absent in builds without ZPA publishing. */
  readonly browserCertificates?: ((connection: ResolvedConnection) => BrowserCertificateStore) | undefined;
  readonly io: SecretAccess;
}

export function zpaCertificateName(base: string | undefined, namespace: string, name: string, revision: number): string {
  const prefix = (base ?? `${namespace}-${name}`).slice(0, 240);
  return `${prefix}-r${revision}`;
}

/**
 * Brings the ZPA copy in line with the current certificate. Returns the status to write and, when
 * publishing failed for a reason time may fix, when to look again. No vendor call when in line.
 */
export async function publishZpa(
  ctx: CertificateContext,
  ports: PublishPorts,
  status: Status,
  generation: number | undefined,
): Promise<{ status: Status; retryMs?: number }> {
  const want = ctx.mc.spec.publish?.zpa;
  if (want === undefined || status.serialNumber === undefined || status.revision === undefined) return { status };
  const published = (s: Status, value: ConditionValue) => withPublished(s, generation, ctx.now, value);
  const have = status.publish?.zpa;
  const name = zpaCertificateName(want.name, ctx.owner.namespace, ctx.owner.name, status.revision);
  if (have?.certificateId !== undefined && have.serialNumber === status.serialNumber && have.name === name) {
    return { status: published(status, { status: "True", reason: Reason.Published, message: `Published to ZPA as "${name}" (id ${have.certificateId}).` }) };
  }
  const failed = (reason: string, message: string) => ({ status: published(status, { status: "False", reason, message }), retryMs: PUBLISH_RETRY_MS });
  const lookup = await ports.connections.resolve(want.connectionRef, ctx.owner.namespace, "zpa", ctx.signal);
  if (!lookup.ok) return failed(lookup.reason, lookup.message);
  const store = ports.browserCertificates?.(lookup.connection);
  if (store === undefined) return failed(Reason.PublishFailed, "Publishing to ZPA is not available in this operator build.");
  const secret = (await readTargetSecret(ports.io, ctx.owner, ctx.mc.spec.secretName, false, ctx.signal)).secret;
  const certificatePem = secret?.data?.["tls.crt"] === undefined ? undefined : Buffer.from(secret.data["tls.crt"], "base64").toString("utf8");
  const privateKeyPem = secret?.data?.["tls.key"] === undefined ? undefined : Buffer.from(secret.data["tls.key"], "base64").toString("utf8");
  if (certificatePem === undefined || privateKeyPem === undefined)
    return failed(Reason.PublishFailed, `Secret ${ctx.mc.spec.secretName} has no certificate and key to publish yet.`);
  const microtenantId = zpaMicrotenantOf(lookup.connection);
  try {
    // Uploaded before a crash but not recorded: find it instead of uploading a second copy.
    const ref =
      (await store.findByName(name, microtenantId, ctx.signal)) ??
      (await store.upload(
        {
          name,
          ...(want.description === undefined ? {} : { description: want.description }),
          certificatePem,
          privateKeyPem,
          ...(microtenantId === undefined ? {} : { microtenantId }),
        },
        ctx.signal,
      ));
    ctx.countCall("zpa", "publish");
    if (have?.certificateId !== undefined && have.certificateId !== ref.id) await store.delete(have.certificateId, microtenantId, ctx.signal);
    const next: Status = {
      ...status,
      publish: { zpa: { certificateId: ref.id, name: ref.name, serialNumber: status.serialNumber, lastPublishTime: iso(ctx.now) } },
    };
    ctx.log.info({ zpaCertificateId: ref.id, name: ref.name }, "published to ZPA");
    return { status: published(next, { status: "True", reason: Reason.Published, message: `Published to ZPA as "${ref.name}" (id ${ref.id}).` }) };
  } catch (error) {
    if (!(error instanceof VendorError) || isRetryable(error.kind)) throw error;
    return failed(Reason.PublishFailed, `ZPA ${error.operation} failed (${error.kind}): ${error.detail.slice(0, 300)}`);
  }
}

/** Deletes the ZPA copy (purpose cleanup); without a usable ZPA connection an Event says what is left. */
export async function unpublishZpa(ctx: CertificateContext, ports: PublishPorts, status: Status, notify: (event: OrderEvent) => void): Promise<void> {
  const id = status.publish?.zpa?.certificateId;
  const ref = ctx.mc.spec.publish?.zpa?.connectionRef;
  if (id === undefined || ref === undefined) return;
  const lookup = await ports.connections.resolve(ref, ctx.owner.namespace, "zpa", ctx.signal, { purpose: "cleanup" });
  const store = lookup.ok ? ports.browserCertificates?.(lookup.connection) : undefined;
  if (!lookup.ok || store === undefined) {
    notify({
      type: "Warning",
      reason: "UnpublishSkipped",
      action: "Delete",
      note: `Could not delete ZPA certificate ${id}: the ZPA connection is unavailable.`,
    });
    return;
  }
  try {
    await store.delete(id, zpaMicrotenantOf(lookup.connection), ctx.signal);
  } catch (error) {
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials")) throw error;
    ctx.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), zpaCertificateId: id }, "ZPA delete refused; continuing");
  }
}
