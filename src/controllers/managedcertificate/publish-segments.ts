// spec.publish.zpa.applicationSegments, the I/O: select the segments, judge each (publish-plan.ts),
// re-point the browser-access apps the certificate covers to the current upload, and read each
// segment back to confirm. Every call is safe to repeat: a re-point of apps already on the target
// writes nothing, so a crash anywhere here is recovered by running it again.
import type { ZpaSegmentSelector } from "../../api/v1alpha1/managedcertificate.ts";
import type { ApplicationSegmentService } from "../../ports/application-segments.ts";
import { type CertificateFacts, describeSelector, judgeSegment, type PublishedSegmentRef, toPortSelector } from "./publish-plan.ts";

export interface SegmentPass {
  readonly serving: PublishedSegmentRef[];
  readonly unmatched: string[];
  readonly refused: { segment: string; why: string }[];
  readonly unconfirmed: string[];
}

export interface SegmentTarget {
  readonly certificateId: string;
  /** The certificate's names and usage (publish-plan.ts certificateFacts). */
  readonly certificate: CertificateFacts;
  /** Through a ClusterVendorConnection (tenancy: publish-plan.ts judgeSegment). */
  readonly shared: boolean;
  readonly microtenantId: string | undefined;
}

/** Points every selected, permitted segment at the target and confirms it. Throws VendorError. */
export async function pointSegments(
  service: ApplicationSegmentService | undefined,
  selectors: readonly ZpaSegmentSelector[],
  target: SegmentTarget,
  signal: AbortSignal,
  onCall: (operation: string) => void,
): Promise<SegmentPass> {
  const pass: SegmentPass = { serving: [], unmatched: [], refused: [], unconfirmed: [] };
  if (selectors.length === 0 || service === undefined) return pass;
  const selection = await service.select(selectors.map(toPortSelector), target.microtenantId, signal);
  onCall("listSegments");
  pass.unmatched.push(...selection.unmatched.map(describeSelector));
  for (const segment of selection.segments) {
    const verdict = judgeSegment(segment, target.certificate, target.shared);
    if (verdict.kind === "refused") {
      pass.refused.push({ segment: segment.name, why: verdict.why });
      continue;
    }
    const request = {
      segmentId: segment.id,
      toCertificateId: target.certificateId,
      domains: verdict.domains,
      ...(target.microtenantId === undefined ? {} : { microtenantId: target.microtenantId }),
    };
    const moved = await service.repoint(request, signal);
    onCall(moved.written ? "repointSegment" : "readSegment");
    const confirmed = await service.confirm(request, signal);
    onCall("readSegment");
    if (confirmed.confirmed) pass.serving.push({ id: segment.id, name: segment.name, apps: confirmed.serving.length });
    else pass.unconfirmed.push(segment.name);
  }
  return pass;
}
