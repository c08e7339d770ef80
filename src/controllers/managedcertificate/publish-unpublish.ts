// Unpublishing: when spec.publish.zpa goes or names another connection, and when the resource is
// deleted, every ZPA copy this resource holds is deleted — except a copy an application segment still
// serves: deleting it would take the app's certificate away (ZPA refuses it anyway). Such a copy is
// kept and said so (UnpublishBlocked, naming the segments) until a person points the segments at
// another certificate. A deletion waits for that for a bounded grace, then lets go with a Warning
// Event naming what it left. Copies a crash uploaded without recording are looked up by name first.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { vendorRefused } from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { clampDelay } from "../../runtime/timers.ts";
import { cleanupGraceOver, DEFAULT_CLEANUP_GRACE_MS } from "../managed/decide.ts";
import { iso } from "../ordering/record.ts";
import type { ConnectionRef } from "../shared/connections.ts";
import type { CertificateContext, ResourcePort, Status } from "./context.ts";
import { copiesOf, heldWords, type RetiredCopy, skippedRevisions } from "./publish-plan.ts";
import { HELD_RECHECK_MS, linkZpa, PUBLISH_RETRY_MS, type PublishPorts, zpaCertificateName, zpaNameBase } from "./publish-ports.ts";
import { retireCopies } from "./publish-retire.ts";
import { notIssuing, withConditions, withPublished } from "./readiness.ts";

type RemoveOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "held"; readonly held: RetiredCopy[] }
  | { readonly kind: "unreachable"; readonly reason: string; readonly message: string };

/** The connection the copies live behind: as recorded, else (statuses written before it was) the spec's. */
function recordedConnection(ctx: CertificateContext, status: Status): ConnectionRef | undefined {
  return status.publish?.zpa?.connectionRef ?? ctx.mc.spec.publish?.zpa?.connectionRef;
}

/** Deletes every copy of this resource no segment serves, through `ref`. Throws VendorError. */
async function removeCopies(ctx: CertificateContext, ports: PublishPorts, status: Status, ref: ConnectionRef): Promise<RemoveOutcome> {
  const link = await linkZpa(ctx, ports, ref, "cleanup");
  if (!link.ok) return { kind: "unreachable", reason: link.reason, message: link.message };
  const have = status.publish?.zpa;
  const onCall = (operation: string) => ctx.countCall("zpa", operation);
  const copies = copiesOf(have);
  // An upload a crash never recorded: the current revision's (and skipped ones') by name.
  const base = zpaNameBase(have?.name) ?? ctx.mc.spec.publish?.zpa?.name ?? `${ctx.owner.namespace}-${ctx.owner.name}`;
  const revisions =
    status.revision === undefined ? [] : have?.revision === undefined ? [status.revision] : skippedRevisions(have.revision, status.revision + 1);
  for (const revision of revisions) {
    const found = await link.store.findByName(zpaCertificateName(base, "", "", revision), link.microtenantId, ctx.signal);
    onCall("findCertificate");
    if (found !== undefined && !copies.some((c) => c.certificateId === found.id)) copies.push({ certificateId: found.id, name: found.name });
  }
  if (copies.length === 0) return { kind: "done" };
  const pass = await retireCopies({ store: link.store, segments: link.segments, microtenantId: link.microtenantId, signal: ctx.signal, onCall }, copies);
  for (const copy of pass.deleted) ctx.log.info({ zpaCertificateId: copy.certificateId, name: copy.name }, "deleted ZPA copy");
  return pass.held.length === 0 ? { kind: "done" } : { kind: "held", held: pass.held };
}

/** What is left to delete, and up to which revision unrecorded uploads were looked for. */
function heldRecord(ref: ConnectionRef, status: Status, held: RetiredCopy[]) {
  return { connectionRef: ref, ...(status.revision === undefined ? {} : { revision: status.revision }), retired: held };
}

/** `status` without anything about ZPA: no record, no Published condition. */
export function withoutPublication(status: Status): Status {
  const { publish: _, ...rest } = status;
  const conditions = status.conditions?.filter((c) => c.type !== "Published");
  return conditions === undefined ? rest : { ...rest, conditions };
}

/**
 * spec.publish.zpa was removed, or names another connection: the copies behind the recorded
 * connection go. `done`: nothing of this resource is left in ZPA (publishing elsewhere may start).
 */
export async function unpublishRecorded(
  ctx: CertificateContext,
  ports: PublishPorts,
  status: Status,
  generation: number | undefined,
): Promise<{ status: Status; retryMs?: number; done: boolean }> {
  const ref = recordedConnection(ctx, status);
  if (ref === undefined) {
    ctx.log.warn({ zpaCertificateId: status.publish?.zpa?.certificateId }, "no ZPA connection recorded for the published copy; record dropped");
    return { status: withoutPublication(status), done: true };
  }
  const published = (value: { status: "True" | "False"; reason: string; message: string }, next: Status, retryMs: number) => ({
    status: withPublished(next, generation, ctx.now, value),
    retryMs,
    done: false,
  });
  let out: RemoveOutcome;
  try {
    out = await removeCopies(ctx, ports, status, ref);
  } catch (error) {
    if (!(error instanceof VendorError) || isRetryable(error.kind)) throw error;
    const message = `Cannot remove the ZPA copies: ZPA ${error.operation} failed (${error.kind}): ${error.detail.slice(0, 300)}`;
    return published({ status: "False", reason: Reason.PublishFailed, message }, status, PUBLISH_RETRY_MS);
  }
  if (out.kind === "done") {
    ctx.log.info({ connection: ref.name }, "unpublished from ZPA");
    return { status: withoutPublication(status), done: true };
  }
  if (out.kind === "unreachable")
    return published({ status: "False", reason: out.reason, message: `Cannot remove the ZPA copies: ${out.message}` }, status, PUBLISH_RETRY_MS);
  const message = `Removing the ZPA copies: ${out.held.map(heldWords).join("; ")}. Each is deleted once no application segment serves it.`;
  const next: Status = { ...status, publish: { zpa: heldRecord(ref, status, out.held) } };
  return published({ status: "False", reason: Reason.UnpublishBlocked, message }, next, HELD_RECHECK_MS);
}

/**
 * The deletion path's unpublish (finalizer.ts). Returns a Result while copies are held by segments
 * (the finalizer waits, Ready says why); undefined once the deletion may go on.
 */
export async function unpublishOnDelete(
  ctx: CertificateContext,
  port: ResourcePort,
  ports: PublishPorts,
  status: Status,
  graceMs = DEFAULT_CLEANUP_GRACE_MS,
): Promise<Result | undefined> {
  const ref = recordedConnection(ctx, status);
  if (ref === undefined) return undefined;
  let out: RemoveOutcome;
  try {
    out = await removeCopies(ctx, ports, status, ref);
  } catch (error) {
    // Only ZPA's own refusal lets the resource go without its copies; a garbled answer is asked again.
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "credentials" || !vendorRefused(error))) throw error;
    ctx.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error) }, "ZPA delete refused; continuing");
    return undefined;
  }
  if (out.kind === "done") return undefined;
  if (out.kind === "unreachable") {
    const ids = copiesOf(status.publish?.zpa).map((c) => c.certificateId);
    port.record({
      type: "Warning",
      reason: "UnpublishSkipped",
      action: "Delete",
      note: `Could not delete ZPA certificate ${ids.join(", ") || "copies"}: the ZPA connection is unavailable (${out.message}).`.slice(0, 1000),
    });
    return undefined;
  }
  const deletionTimestamp = port.obj.metadata.deletionTimestamp;
  const words = out.held.map(heldWords).join("; ");
  if (cleanupGraceOver(deletionTimestamp, ctx.now.getTime(), graceMs)) {
    port.record({
      type: "Warning",
      reason: "UnpublishIncomplete",
      action: "Delete",
      note: `Released without deleting the ZPA copy ${words}. Delete it in ZPA once no segment serves it.`.slice(0, 1000),
    });
    return undefined;
  }
  const until = iso(new Date(Date.parse(deletionTimestamp ?? "") + graceMs));
  const message = `Deleting: the ZPA copy ${words}; point the segments at another certificate and it is deleted. At ${until} the resource is released and the copy left in ZPA.`;
  const held: Status = { ...status, publish: { zpa: heldRecord(ref, status, out.held) } };
  const value = { status: "False" as const, reason: Reason.UnpublishBlocked, message };
  await port.save(
    withPublished(withConditions(held, port.obj.metadata.generation, ctx.now, value, notIssuing()), port.obj.metadata.generation, ctx.now, value),
  );
  const graceLeft = Date.parse(deletionTimestamp ?? "") + graceMs - ctx.now.getTime();
  return { requeueAfterMs: clampDelay(Math.max(1_000, Math.min(HELD_RECHECK_MS, graceLeft))) };
}
