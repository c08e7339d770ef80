// spec.publish.zpa: the certificate and its key as a ZPA browser-access certificate, served by the
// application segments the spec names. ZPA cannot replace a certificate in place, so every revision
// is a new upload (`<name>-r<revision>`), then the rotation the vendor's own SDK follows (DIGEST §1.4):
//
//   1. upload the new revision — looked up by name first, so a copy uploaded before a crash is reused;
//   2. re-point the selected segments' browser-access apps the certificate covers to it (idempotent);
//   3. read each segment back to confirm;
//   4. delete each earlier copy once no segment serves it (segmentsUsing empty) — never before;
//   5. one status write records it all (the copy, the segments, earlier copies still held).
//
// Until 5 the status still names the earlier copy, so a crash between any two steps, or inside one,
// is recovered by running the pass again: every step is a look-up or a repeatable write. Decisions
// are in publish-plan.ts; segments in publish-segments.ts; deletion in publish-retire.ts; removal
// (spec gone, connection changed, resource deleted) in publish-unpublish.ts. ADR 0015.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { iso } from "../ordering/record.ts";
import type { CertificateContext, Status } from "./context.ts";
import { copiesOf, publishedCondition, type PublishReport, publishStep, type RetiredCopy, selectorsHash, skippedRevisions } from "./publish-plan.ts";
import { HELD_RECHECK_MS, linkZpa, PUBLISH_RETRY_MS, type PublishPorts, readPublishable, zpaCertificateName, type ZpaLink } from "./publish-ports.ts";
import { retireCopies } from "./publish-retire.ts";
import { pointSegments } from "./publish-segments.ts";
import { unpublishRecorded } from "./publish-unpublish.ts";
import { type ConditionValue, withPublished } from "./readiness.ts";

export { HELD_RECHECK_MS, PUBLISH_RETRY_MS, type PublishPorts, publishPortsOf, zpaCertificateName } from "./publish-ports.ts";
export { unpublishOnDelete } from "./publish-unpublish.ts";

type Want = NonNullable<NonNullable<CertificateContext["mc"]["spec"]["publish"]>["zpa"]>;
export interface PublishOutcome {
  readonly status: Status;
  /** When to look again: a failure time may fix, or a copy segments still hold. */
  readonly retryMs?: number;
}

/**
 * Brings the ZPA copies in line with the current certificate and spec.publish.zpa. Returns the
 * status to write. No vendor call when everything is in line.
 */
export async function publishZpa(ctx: CertificateContext, ports: PublishPorts, status: Status, generation: number | undefined): Promise<PublishOutcome> {
  const want = ctx.mc.spec.publish?.zpa;
  const current =
    status.serialNumber === undefined || status.revision === undefined
      ? undefined
      : { serialNumber: status.serialNumber, name: zpaCertificateName(want?.name, ctx.owner.namespace, ctx.owner.name, status.revision) };
  const step = publishStep({ want, have: status.publish?.zpa, current });
  switch (step.kind) {
    case "idle":
      return { status };
    case "inLine": {
      const have = status.publish?.zpa;
      const report = emptyReport(have?.name ?? "", have?.certificateId ?? "", have?.segments ?? []);
      return { status: withPublished(status, generation, ctx.now, publishedCondition(report)) };
    }
    case "unpublish": {
      const out = await unpublishRecorded(ctx, ports, status, generation);
      // Moved to another connection: publish there at once, now that nothing is left behind the old one.
      if (!out.done || want === undefined || current === undefined) return out;
      return publishCurrent(ctx, ports, out.status, generation, want, current.name);
    }
    case "publish":
      return publishCurrent(ctx, ports, status, generation, want!, current!.name);
  }
}

async function publishCurrent(
  ctx: CertificateContext,
  ports: PublishPorts,
  status: Status,
  generation: number | undefined,
  want: Want,
  name: string,
): Promise<PublishOutcome> {
  const failed = (reason: string, message: string, retryMs = PUBLISH_RETRY_MS): PublishOutcome => ({
    status: withPublished(status, generation, ctx.now, { status: "False", reason, message }),
    retryMs,
  });
  const link = await linkZpa(ctx, ports, want.connectionRef, "provision");
  if (!link.ok) return failed(link.reason, link.message);
  const selectors = want.applicationSegments ?? [];
  if (selectors.length > 0 && link.segments === undefined)
    return failed(Reason.PublishFailed, "Re-pointing application segments is not available in this operator build.");
  const serialNumber = status.serialNumber!;
  const publishable = await readPublishable(ctx, ports.io, serialNumber);
  if (publishable === undefined)
    return failed(Reason.PublishFailed, `Secret ${ctx.mc.spec.secretName} does not hold the current certificate and key yet.`, HELD_RECHECK_MS);
  try {
    const copy = await uploaded(ctx, link, status, want, name, publishable);
    const onCall = (operation: string) => ctx.countCall("zpa", operation);
    const target = { certificateId: copy.certificateId, certificate: publishable.certificate, shared: link.shared, microtenantId: link.microtenantId };
    const segments = await pointSegments(link.segments, selectors, target, ctx.signal, onCall);
    // Only after the segments were read back on the new copy: earlier copies no segment serves go.
    const retire = await retireCopies(
      { store: link.store, segments: link.segments, microtenantId: link.microtenantId, signal: ctx.signal, onCall },
      copy.retired,
    );
    for (const c of retire.deleted) ctx.log.info({ zpaCertificateId: c.certificateId, name: c.name }, "deleted earlier ZPA copy");
    const report: PublishReport = { ...emptyReport(copy.name, copy.certificateId, segments.serving), ...segments, held: retire.held };
    const confirmedAll = segments.unmatched.length === 0 && segments.refused.length === 0 && segments.unconfirmed.length === 0;
    const zpa = {
      certificateId: copy.certificateId,
      name: copy.name,
      serialNumber,
      ...(status.revision === undefined ? {} : { revision: status.revision }),
      ...(copy.lastPublishTime === undefined ? {} : { lastPublishTime: copy.lastPublishTime }),
      connectionRef: want.connectionRef,
      ...(segments.serving.length > 0 ? { segments: segments.serving } : {}),
      ...(confirmedAll ? { segmentSelectorsHash: selectorsHash(selectors) } : {}),
      ...(retire.held.length > 0 ? { retired: retire.held } : {}),
    };
    const condition: ConditionValue = publishedCondition(report);
    const retryMs = segments.unconfirmed.length > 0 || retire.held.length > 0 ? HELD_RECHECK_MS : confirmedAll ? undefined : PUBLISH_RETRY_MS;
    const next = withPublished({ ...status, publish: { ...status.publish, zpa } }, generation, ctx.now, condition);
    return retryMs === undefined ? { status: next } : { status: next, retryMs };
  } catch (error) {
    if (!(error instanceof VendorError) || isRetryable(error.kind)) throw error;
    return failed(Reason.PublishFailed, `ZPA ${error.operation} failed (${error.kind}): ${error.detail.slice(0, 300)}`);
  }
}

interface Copy {
  readonly certificateId: string;
  readonly name: string;
  readonly lastPublishTime: string | undefined;
  /** Earlier copies to delete once no segment serves them. */
  readonly retired: RetiredCopy[];
}

/** Step 1: the current revision's copy in ZPA, uploaded unless it is there already. */
async function uploaded(
  ctx: CertificateContext,
  link: ZpaLink,
  status: Status,
  want: Want,
  name: string,
  publishable: { certificatePem: string; privateKeyPem: string },
): Promise<Copy> {
  const have = status.publish?.zpa;
  if (have?.certificateId !== undefined && have.serialNumber === status.serialNumber && have.name === name)
    return { certificateId: have.certificateId, name, lastPublishTime: have.lastPublishTime, retired: [...(have.retired ?? [])] };
  const mt = link.microtenantId;
  // Uploaded before a crash but not recorded: found by name instead of uploaded a second time.
  let ref = await link.store.findByName(name, mt, ctx.signal);
  ctx.countCall("zpa", "findCertificate");
  if (ref === undefined) {
    ref = await link.store.upload(
      {
        name,
        ...(want.description === undefined ? {} : { description: want.description }),
        certificatePem: publishable.certificatePem,
        privateKeyPem: publishable.privateKeyPem,
        ...(mt === undefined ? {} : { microtenantId: mt }),
      },
      ctx.signal,
    );
    ctx.countCall("zpa", "publish");
    ctx.log.info({ zpaCertificateId: ref.id, name: ref.name }, "uploaded to ZPA");
  }
  // The copy recorded so far, and any a crash uploaded for a skipped revision: all retire once unused.
  const earlier = copiesOf(have);
  for (const revision of skippedRevisions(have?.revision, status.revision ?? 0)) {
    const found = await link.store.findByName(zpaCertificateName(want.name, ctx.owner.namespace, ctx.owner.name, revision), mt, ctx.signal);
    ctx.countCall("zpa", "findCertificate");
    if (found !== undefined) earlier.push({ certificateId: found.id, name: found.name });
  }
  const retired = earlier.filter((c, i) => c.certificateId !== ref.id && earlier.findIndex((o) => o.certificateId === c.certificateId) === i);
  return { certificateId: ref.id, name: ref.name, lastPublishTime: iso(ctx.now), retired };
}

function emptyReport(name: string, certificateId: string, serving: PublishReport["serving"]): PublishReport {
  return { name, certificateId, serving, unmatched: [], refused: [], unconfirmed: [], held: [] };
}
