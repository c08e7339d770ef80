// ApplicationSegmentService over the ZPA client. Re-pointing follows the official SDK's update
// workflow (zscaler/zscaler-sdk-go, zscaler/zpa/services/applicationsegmentbrowseraccess, Update):
// read the segment, change it, and PUT the whole object back, with every clientlessApps entry keeping
// its `id` (an entry sent without one would be a new app) and its `appId`. We go one step further and
// send back the segment exactly as ZPA sent it, unknown fields included, changing only `certificateId`
// (and dropping `certificateName`, which ZPA derives from the id) on the chosen entries.
import type {
  ApplicationSegmentService,
  BrowserAccessApp,
  BrowserAccessSegment,
  RepointRequest,
  RepointResult,
  SegmentConfirmation,
  SegmentSelection,
  SegmentSelector,
} from "../../ports/application-segments.ts";
import { VendorError } from "../shared/errors.ts";
import type { CallOptions, ZpaClient } from "./client.ts";
import type { ApplicationSegment, ClientlessApp, JsonObject } from "./wire.ts";

/** DNS names compare case-insensitively; "*.example.com" matches names under example.com only. */
export function domainMatches(pattern: string, name: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/\.$/, "");
  const n = name.trim().toLowerCase().replace(/\.$/, "");
  if (p.startsWith("*.")) return n.endsWith(p.slice(1)) && n.length > p.length - 1;
  return p === n;
}

function toApp(c: ClientlessApp): BrowserAccessApp {
  return {
    id: c.id,
    name: c.name,
    domain: c.domain,
    ...(c.applicationProtocol === undefined ? {} : { applicationProtocol: c.applicationProtocol }),
    ...(c.applicationPort === undefined ? {} : { applicationPort: c.applicationPort }),
    ...(c.certificateId === undefined ? {} : { certificateId: c.certificateId }),
    ...(c.certificateName === undefined ? {} : { certificateName: c.certificateName }),
  };
}

function toSegment(s: ApplicationSegment): BrowserAccessSegment {
  return {
    id: s.id,
    name: s.name,
    enabled: s.enabled,
    domainNames: [...s.domainNames],
    apps: s.clientlessApps.map(toApp),
    ...(s.microtenantId === undefined ? {} : { microtenantId: s.microtenantId }),
  };
}

function selects(selector: SegmentSelector, s: BrowserAccessSegment): boolean {
  if ("id" in selector) return s.id === selector.id;
  if ("name" in selector) return s.name === selector.name;
  return s.domainNames.some((d) => domainMatches(selector.domain, d)) || s.apps.some((a) => domainMatches(selector.domain, a.domain));
}

/** The apps a request is about: the domain filter only (confirm) or with the from-certificate filter too (repoint). */
function chosen(apps: readonly BrowserAccessApp[], r: RepointRequest, withFrom: boolean): BrowserAccessApp[] {
  return apps.filter(
    (a) =>
      (r.domains === undefined || r.domains.some((d) => domainMatches(d, a.domain))) &&
      (!withFrom || r.fromCertificateIds === undefined || (a.certificateId !== undefined && r.fromCertificateIds.includes(a.certificateId))),
  );
}

function callOptions(signal: AbortSignal, microtenantId: string | undefined): CallOptions {
  return microtenantId === undefined ? { signal } : { signal, microtenantId };
}

export class ZpaApplicationSegments implements ApplicationSegmentService {
  readonly #client: ZpaClient;

  constructor(client: ZpaClient) {
    this.#client = client;
  }

  async listBrowserAccess(microtenantId: string | undefined, signal: AbortSignal): Promise<BrowserAccessSegment[]> {
    // As the SDK's GetAll for browser access: every segment, keeping those with clientlessApps.
    const all = await this.#client.listApplications(callOptions(signal, microtenantId));
    return all.filter((s) => s.clientlessApps.length > 0).map(toSegment);
  }

  async select(selectors: readonly SegmentSelector[], microtenantId: string | undefined, signal: AbortSignal): Promise<SegmentSelection> {
    if (selectors.length === 0) return { segments: [], unmatched: [] };
    const all = await this.listBrowserAccess(microtenantId, signal);
    const segments = all.filter((s) => selectors.some((sel) => selects(sel, s)));
    const unmatched = selectors.filter((sel) => !all.some((s) => selects(sel, s)));
    return { segments, unmatched };
  }

  async repoint(r: RepointRequest, signal: AbortSignal): Promise<RepointResult> {
    const o = callOptions(signal, r.microtenantId);
    const { json, segment } = await this.#client.getApplicationJson(r.segmentId, o);
    if (segment.clientlessApps.length === 0) throw noBrowserAccess(r.segmentId, segment.name);
    const picked = chosen(segment.clientlessApps.map(toApp), r, true);
    const moved = picked.filter((a) => a.certificateId !== r.toCertificateId);
    const alreadyCurrent = picked.filter((a) => a.certificateId === r.toCertificateId);
    if (moved.length === 0) return { segmentId: segment.id, segmentName: segment.name, moved, alreadyCurrent, written: false };
    await this.#client.updateApplication(r.segmentId, repointed(json, new Set(moved.map((a) => a.id)), r.segmentId, r.toCertificateId), o);
    return { segmentId: segment.id, segmentName: segment.name, moved, alreadyCurrent, written: true };
  }

  async confirm(r: RepointRequest, signal: AbortSignal): Promise<SegmentConfirmation> {
    const segment = await this.#client.getApplication(r.segmentId, callOptions(signal, r.microtenantId));
    const apps = chosen(segment.clientlessApps.map(toApp), r, false);
    const serving = apps.filter((a) => a.certificateId === r.toCertificateId);
    const stale = apps.filter((a) =>
      r.fromCertificateIds === undefined
        ? a.certificateId !== r.toCertificateId
        : a.certificateId !== undefined && r.fromCertificateIds.includes(a.certificateId),
    );
    return { segmentId: segment.id, segmentName: segment.name, serving, stale, confirmed: stale.length === 0 && serving.length > 0 };
  }

  async segmentsUsing(certificateId: string, microtenantId: string | undefined, signal: AbortSignal): Promise<BrowserAccessSegment[]> {
    const all = await this.listBrowserAccess(microtenantId, signal);
    return all.filter((s) => s.apps.some((a) => a.certificateId === certificateId));
  }
}

/**
 * The segment as read, with the chosen clientlessApps entries pointing at the new certificate. Every
 * other field, and every other entry, is sent back untouched.
 */
export function repointed(json: JsonObject, entryIds: ReadonlySet<string>, segmentId: string, toCertificateId: string): JsonObject {
  const copy = structuredClone(json);
  const apps = copy["clientlessApps"];
  if (!Array.isArray(apps)) return copy;
  copy["clientlessApps"] = apps.map((entry: unknown) => {
    if (entry === null || typeof entry !== "object") return entry;
    const e = { ...(entry as JsonObject) };
    if (!entryIds.has(String(e["id"]))) return e;
    e["certificateId"] = toCertificateId;
    delete e["certificateName"];
    e["appId"] ??= segmentId;
    return e;
  });
  return copy;
}

function noBrowserAccess(segmentId: string, name: string): VendorError {
  return new VendorError({
    kind: "invalid",
    vendor: "zpa",
    operation: "repointApplication",
    message: `segment ${segmentId} (${name}) has no browser-access apps`,
  });
}
