// spec.publish.zpa, the decisions: what this reconcile does about the ZPA copies (nothing, confirm it
// is in line, publish, or unpublish), which application segments a certificate may be pointed at, and
// what the Published condition says. Pure functions, each with a case table beside it; the I/O is in
// publish.ts (orchestration), publish-segments.ts and publish-retire.ts.
import { createHash, X509Certificate } from "node:crypto";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { ZpaSegmentSelector } from "../../api/v1alpha1/managedcertificate.ts";
import type { BrowserAccessSegment, SegmentSelector } from "../../ports/application-segments.ts";
import type { Status } from "./context.ts";

type ZpaStatus = NonNullable<NonNullable<Status["publish"]>["zpa"]>;
export type RetiredCopy = NonNullable<ZpaStatus["retired"]>[number];
export type PublishedSegmentRef = NonNullable<ZpaStatus["segments"]>[number];
type ConnectionRef = { readonly kind: string; readonly name: string };

// ---------------------------------------------------------------------------------------------------
// The step

export type PublishStep =
  | { readonly kind: "idle"; readonly why: string }
  | { readonly kind: "inLine"; readonly why: string }
  | { readonly kind: "publish"; readonly why: string }
  | { readonly kind: "unpublish"; readonly why: string };

export interface PublishFacts {
  /** spec.publish.zpa, if set. */
  readonly want: { readonly connectionRef: ConnectionRef; readonly applicationSegments?: readonly ZpaSegmentSelector[] | undefined } | undefined;
  readonly have: ZpaStatus | undefined;
  /** The current certificate (status.serialNumber) and the ZPA name its revision is uploaded under; undefined before the first issuance. */
  readonly current: { readonly serialNumber: string; readonly name: string } | undefined;
}

/** Copies this resource holds in ZPA: the current upload and every earlier one not deleted yet. */
export function copiesOf(have: ZpaStatus | undefined): RetiredCopy[] {
  const copies: RetiredCopy[] = [];
  if (have?.certificateId !== undefined) copies.push({ certificateId: have.certificateId, ...(have.name === undefined ? {} : { name: have.name }) });
  for (const r of have?.retired ?? []) if (!copies.some((c) => c.certificateId === r.certificateId)) copies.push(r);
  return copies;
}

const sameRef = (a: ConnectionRef, b: ConnectionRef | undefined): boolean => b === undefined || (a.kind === b.kind && a.name === b.name);

/** What to do about the ZPA copies this reconcile. */
export function publishStep(f: PublishFacts): PublishStep {
  const holding = copiesOf(f.have).length > 0;
  if (f.want === undefined)
    return holding
      ? { kind: "unpublish", why: "spec.publish.zpa was removed: the copies go, except those a segment still serves" }
      : { kind: "idle", why: "nothing to publish and nothing published" };
  if (holding && !sameRef(f.want.connectionRef, f.have?.connectionRef))
    return { kind: "unpublish", why: "the connection changed: the copies behind the old one go first" };
  if (f.current === undefined) return { kind: "idle", why: "no certificate issued yet" };
  const have = f.have;
  if (have?.certificateId === undefined || have.serialNumber !== f.current.serialNumber || have.name !== f.current.name)
    return { kind: "publish", why: "the current certificate is not uploaded under its revision's name" };
  if ((have.retired ?? []).length > 0) return { kind: "publish", why: "earlier copies wait to be deleted" };
  if (have.connectionRef === undefined) return { kind: "publish", why: "published before the connection was recorded" };
  if (have.segmentSelectorsHash !== selectorsHash(f.want.applicationSegments))
    return { kind: "publish", why: "the selected segments were not all confirmed serving this certificate" };
  return { kind: "inLine", why: "uploaded, segments confirmed, nothing left to delete" };
}

/** A stable hash of the selectors as written (their order matters to nobody, so it is sorted away). */
export function selectorsHash(selectors: readonly ZpaSegmentSelector[] | undefined): string {
  const canonical = (selectors ?? []).map((s) => JSON.stringify([s.id ?? null, s.name ?? null, s.domain?.toLowerCase() ?? null])).sort();
  return createHash("sha256").update(canonical.join("\n")).digest("hex").slice(0, 32);
}

/** The port's selector for an API selector (exactly one field is set: the schema says so). */
export function toPortSelector(s: ZpaSegmentSelector): SegmentSelector {
  if (s.id !== undefined) return { id: s.id };
  if (s.name !== undefined) return { name: s.name };
  return { domain: s.domain ?? "" };
}

export function describeSelector(s: SegmentSelector): string {
  if ("id" in s) return `id ${s.id}`;
  if ("name" in s) return `name "${s.name}"`;
  return `domain ${s.domain}`;
}

/**
 * ZPA certificate names of the revisions between the one recorded and the current one: copies a
 * crash may have uploaded without recording (an upload, then a renewal before the status write).
 * The nearest few only; older gaps mean many crashes in a row, and a copy found later is retired too.
 */
export function skippedRevisions(recorded: number | undefined, current: number, max = 3): number[] {
  if (recorded === undefined) return [];
  const out: number[] = [];
  for (let r = current - 1; r > recorded && out.length < max; r--) out.push(r);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Which segments a certificate may be pointed at

/** What decides where a certificate may serve: its DNS SANs, and whether it is for TLS servers at all. */
export interface CertificateFacts {
  /** subjectAltName dNSName entries, lower-case (browsers ignore the CN, so it is not used). */
  readonly dnsNames: readonly string[];
  /** extendedKeyUsage allows serverAuth (or the extension is absent: any use, RFC 5280 §4.2.1.12). */
  readonly serverAuth: boolean;
}

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export function certificateFacts(certPem: string): CertificateFacts {
  const cert = new X509Certificate(certPem);
  const dnsNames = (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((e) => e.startsWith("DNS:"))
    .map((e) => normalise(e.slice(4)));
  const eku = cert.keyUsage as string[] | undefined;
  return { dnsNames, serverAuth: eku === undefined || eku.length === 0 || eku.includes(SERVER_AUTH) || eku.includes("2.5.29.37.0") };
}

const normalise = (name: string): string => name.trim().toLowerCase().replace(/\.$/, "");

/**
 * Whether a certificate with these names is valid for `name` (RFC 6125 §6.4.3: a wildcard stands for
 * exactly one left-most label). A wildcard `name` (a segment's domain pattern) is covered only by the
 * same wildcard.
 */
export function certificateCovers(certNames: readonly string[], name: string): boolean {
  const n = normalise(name);
  return certNames.some((c) => {
    if (c === n) return true;
    if (!c.startsWith("*.") || n.startsWith("*.")) return false;
    const dot = n.indexOf(".");
    return dot > 0 && n.slice(dot) === c.slice(1);
  });
}

export type SegmentVerdict = { readonly kind: "repoint"; readonly domains: readonly string[] } | { readonly kind: "refused"; readonly why: string };

/**
 * May this certificate be pointed at this segment, and which of its browser-access apps move?
 * Only a server certificate, and only apps whose domain it covers, ever move (an app given a
 * client certificate, or one for other names, breaks). Through a shared ClusterVendorConnection the namespace must also cover every name
 * the segment serves: it may not take over a segment that serves someone else's names.
 */
export function judgeSegment(segment: BrowserAccessSegment, cert: CertificateFacts, shared: boolean): SegmentVerdict {
  // A client certificate (Cloudflare mTLS) cannot serve browsers, and its names were never validated.
  if (!cert.serverAuth) return { kind: "refused", why: "the certificate is not for TLS servers (its extendedKeyUsage lacks serverAuth)" };
  const certNames = cert.dnsNames;
  if (certNames.length === 0) return { kind: "refused", why: "the certificate has no DNS names (spec.dnsNames)" };
  const covered = segment.apps.filter((a) => certificateCovers(certNames, a.domain)).map((a) => a.domain);
  if (covered.length === 0) return { kind: "refused", why: "the certificate covers none of its browser-access apps' names" };
  if (shared) {
    const names = [...segment.domainNames, ...segment.apps.map((a) => a.domain)];
    const outside = [...new Set(names.filter((n) => !certificateCovers(certNames, n)).map(normalise))];
    if (outside.length > 0)
      return {
        kind: "refused",
        why: `it also serves ${outside.slice(0, 3).join(", ")}${outside.length > 3 ? ", …" : ""}, which the certificate does not cover (a shared ClusterVendorConnection re-points only segments whose every name the certificate covers)`,
      };
  }
  return { kind: "repoint", domains: covered };
}

// ---------------------------------------------------------------------------------------------------
// The Published condition

export interface PublishReport {
  readonly name: string;
  readonly certificateId: string;
  readonly serving: readonly PublishedSegmentRef[];
  readonly unmatched: readonly string[];
  readonly refused: readonly { readonly segment: string; readonly why: string }[];
  /** Segments re-pointed whose chosen apps were not all on the certificate when read back. */
  readonly unconfirmed: readonly string[];
  /** Earlier copies kept because segments still serve them. */
  readonly held: readonly RetiredCopy[];
}

export interface PublishedValue {
  readonly status: "True" | "False";
  readonly reason: string;
  readonly message: string;
}

const quoted = (xs: readonly string[], max = 3): string =>
  xs
    .slice(0, max)
    .map((x) => `"${x}"`)
    .join(", ") + (xs.length > max ? `, and ${xs.length - max} more` : "");

export function heldWords(copy: RetiredCopy): string {
  const by = copy.heldBy ?? [];
  return `${copy.name === undefined ? "" : `"${copy.name}" `}(id ${copy.certificateId}) is still served by ${by.length > 0 ? `segment ${quoted(by)}` : "an application segment"}`;
}

/**
 * The Published condition after a publish pass. The first problem in this order names the reason
 * (the one most likely to need a person); the message lists them all.
 */
export function publishedCondition(r: PublishReport): PublishedValue {
  const parts: string[] = [`Uploaded to ZPA as "${r.name}" (id ${r.certificateId})`];
  if (r.serving.length > 0) parts.push(`served by segment ${quoted(r.serving.map((s) => `${s.name}`))}`);
  const problems: Array<{ reason: string; status: "True" | "False"; text: string }> = [];
  if (r.refused.length > 0)
    problems.push({
      reason: Reason.SegmentNotPermitted,
      status: "False",
      text: r.refused.map((x) => `segment "${x.segment}" is left alone: ${x.why}`).join("; "),
    });
  if (r.unmatched.length > 0)
    problems.push({ reason: Reason.SegmentNotFound, status: "False", text: `no browser-access application segment matches ${r.unmatched.join(", ")}` });
  if (r.unconfirmed.length > 0)
    problems.push({
      reason: Reason.PublishFailed,
      status: "False",
      text: `segment ${quoted(r.unconfirmed)} did not read back serving the certificate after re-pointing (changed concurrently?); trying again`,
    });
  if (r.held.length > 0)
    problems.push({
      reason: Reason.UnpublishBlocked,
      status: "True",
      text: `the earlier copy ${r.held.map(heldWords).join("; ")}, so it is kept until none does`,
    });
  const first = problems[0];
  const message = [parts.join(", "), ...problems.map((p) => p.text)].join(". ") + ".";
  return first === undefined ? { status: "True", reason: Reason.Published, message } : { status: first.status, reason: first.reason, message };
}
