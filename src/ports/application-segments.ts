// ZPA browser-access application segments as a publishing controller needs them: find the segments
// that serve a certificate, move their browser-access entries from the old certificate to the new one,
// and check that they did, so the old certificate can be deleted safely (ZPA refuses to delete a
// certificate a segment still uses). Implemented by src/vendors/zpa/application-segments.ts.

/**
 * Which segments to act on. `id` and `name` are exact. `domain` matches a segment when one of its
 * domain names or browser-access app domains equals it (DNS names, so case-insensitively);
 * "*.example.com" matches every name under example.com (not example.com itself).
 */
export type SegmentSelector = { readonly id: string } | { readonly name: string } | { readonly domain: string };

/** One browser-access app (`clientlessApps[]` entry) of a segment. */
export interface BrowserAccessApp {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly applicationProtocol?: string;
  readonly applicationPort?: string;
  /** The certificate the app serves now. */
  readonly certificateId?: string;
  readonly certificateName?: string;
}

export interface BrowserAccessSegment {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly domainNames: readonly string[];
  readonly apps: readonly BrowserAccessApp[];
  readonly microtenantId?: string;
}

export interface SegmentSelection {
  /** Each matching segment once, in the order ZPA lists them. */
  readonly segments: readonly BrowserAccessSegment[];
  /** Selectors that matched no browser-access segment (a typo, a deleted segment, one without browser access). */
  readonly unmatched: readonly SegmentSelector[];
}

export interface RepointRequest {
  readonly segmentId: string;
  /** The certificate the chosen apps serve afterwards. */
  readonly toCertificateId: string;
  /**
   * Only apps serving one of these certificates move (normally the previous revision's). Absent:
   * every app the domain filter keeps, whatever it serves (first publication).
   */
  readonly fromCertificateIds?: readonly string[];
  /** Only apps for these domains move (same matching as SegmentSelector.domain). Absent: all. */
  readonly domains?: readonly string[];
  readonly microtenantId?: string;
}

export interface RepointResult {
  readonly segmentId: string;
  readonly segmentName: string;
  /** Apps this call moved, with the certificate each served before. */
  readonly moved: readonly BrowserAccessApp[];
  /** Chosen apps that already served the target (a repeat after a crash, or a concurrent publisher). */
  readonly alreadyCurrent: readonly BrowserAccessApp[];
  /** Whether a write was sent (none when nothing had to move). */
  readonly written: boolean;
}

export interface SegmentConfirmation {
  readonly segmentId: string;
  readonly segmentName: string;
  /** Chosen apps (domain filter) that serve the target certificate now. */
  readonly serving: readonly BrowserAccessApp[];
  /** Chosen apps still on one of `fromCertificateIds` (or, without it, on anything but the target). */
  readonly stale: readonly BrowserAccessApp[];
  /** Nothing stale and at least one app serving the target. */
  readonly confirmed: boolean;
}

/** Throws VendorError. A segment that does not exist is a notFound VendorError. */
export interface ApplicationSegmentService {
  /** Every segment with at least one browser-access app. */
  listBrowserAccess(microtenantId: string | undefined, signal: AbortSignal): Promise<BrowserAccessSegment[]>;
  select(selectors: readonly SegmentSelector[], microtenantId: string | undefined, signal: AbortSignal): Promise<SegmentSelection>;
  /**
   * Read the segment, point the chosen apps at the new certificate and write the whole segment back
   * (ZPA's PUT replaces the object: every other field is sent as read). Idempotent.
   */
  repoint(request: RepointRequest, signal: AbortSignal): Promise<RepointResult>;
  /** Re-read the segment and report whether the chosen apps serve the target and none the old. */
  confirm(request: RepointRequest, signal: AbortSignal): Promise<SegmentConfirmation>;
  /** The segments whose browser-access apps serve this certificate (what keeps it from being deleted). */
  segmentsUsing(certificateId: string, microtenantId: string | undefined, signal: AbortSignal): Promise<BrowserAccessSegment[]>;
}
