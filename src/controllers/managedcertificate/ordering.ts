// Ordering under unknown outcomes (ADR 0005): pure decisions about paid calls whose answer we did not
// see. A submit records its time and a settle deadline before it leaves; until that deadline the
// vendor may still commit it, so "not found" means "look again later", never "order again". After
// issuance, a revision that had an unanswered or repeated submit is swept for extra orders until the
// deadline plus a margin, and those are cancelled or revoked.
import type { CertificateOrder, OrderIntent } from "../../ports/certificate-authority.ts";
import type { Status } from "./status.ts";

type Pending = NonNullable<Status["pendingIssuance"]>;
type Sweep = NonNullable<Status["orderSweeps"]>[number];
export type CertificateVendor = "cloudflare" | "sectigo";

/**
 * How long after a paid call was sent the vendor may still commit it (an answer we never saw).
 * - Cloudflare: its edge gives up on an origin after 100 s (HTTP 524) while the origin may still
 *   finish; 3 min covers that, our 30 s client timeout and a minute of clock skew.
 * - Sectigo: SCM publishes no figure; enrolls run synchronously behind load balancers and are known to
 *   take minutes when the CA backend is slow (public clients wait 5–10 min for issuance). 10 min.
 * A longer window only delays a re-order after a real loss; a shorter one risks paying twice.
 */
export const SETTLE_WINDOW_MS: Readonly<Record<CertificateVendor, number>> = { cloudflare: 3 * 60_000, sectigo: 10 * 60_000 };

/** First look-up after an unanswered call, doubling up to LOOKUP_MAX_MS; the last lands on the deadline. */
export const LOOKUP_FIRST_MS = 5_000;
export const LOOKUP_MAX_MS = 2 * 60_000;

/** An order the vendor is still processing at delete time is waited for this long (then an Event says so). */
export const CANCEL_WAIT_MS = 30 * 60_000;

/** A stray order still in progress when its sweep ends is looked at for this long before giving up (Event). */
export const STRAY_WAIT_MS = 7 * 24 * 3_600_000;

export function settleWindowMs(vendor: CertificateVendor, overrides?: Partial<Record<CertificateVendor, number>>): number {
  return overrides?.[vendor] ?? SETTLE_WINDOW_MS[vendor];
}

/** The first 16 hex digits of the spec hash in a marker (`uid=… rev=… spec=…`). */
export function markerSpecHash(marker: string | undefined): string | undefined {
  return /spec=([0-9a-f]{16})/.exec(marker ?? "")?.[1];
}

export function markerOf(uid: string, revision: number, specHash: string): string {
  return `uid=${uid} rev=${revision} spec=${specHash.slice(0, 16)}`;
}

/** The intent was recorded for this spec (a spec edited since then needs a new intent before any new order). */
export function intentMatchesSpec(p: Pick<Pending, "marker">, specHash: string): boolean {
  const h = markerSpecHash(p.marker);
  return h === undefined || specHash.startsWith(h);
}

/**
 * The latest paid call of this intent may have placed an order we have not seen: it was sent (or
 * about to be) and no answer recorded. Intents written before settle deadlines existed count as such,
 * with their start time as the send time.
 */
export function outcomePending(p: Pending): boolean {
  if (p.vendorRef !== undefined) return false;
  return p.settleDeadline !== undefined || p.submits === undefined;
}

/** Until when the vendor may still commit this intent's latest call. */
export function settleDeadlineOf(p: Pending, windowMs: number): Date {
  if (p.settleDeadline !== undefined) return new Date(p.settleDeadline);
  return new Date(Date.parse(p.submittedTime ?? p.startedTime) + windowMs);
}

/** When to look up next: LOOKUP_FIRST_MS doubling per look, capped, never beyond the deadline. */
export function nextLookupAt(now: Date, deadline: Date, lookups: number, firstMs = LOOKUP_FIRST_MS, maxMs = LOOKUP_MAX_MS): Date {
  const step = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, lookups), 30));
  const at = now.getTime() + step;
  return new Date(at > deadline.getTime() && now.getTime() < deadline.getTime() ? deadline.getTime() : at);
}

/** Vendor references the resource accounts for: a lookup never "finds" them, a sweep never cancels them. */
export function knownVendorRefs(status: Status): string[] {
  const refs = new Set<string>();
  if (status.vendorRef !== undefined) refs.add(status.vendorRef);
  if (status.pendingIssuance?.vendorRef !== undefined) refs.add(status.pendingIssuance.vendorRef);
  for (const r of status.pendingRevocations ?? []) refs.add(r.vendorRef);
  for (const s of status.orderSweeps ?? []) for (const k of s.keep) refs.add(k);
  return [...refs];
}

/** The port's view of a recorded intent (or of a swept revision). */
export function orderIntentOf(
  owner: { uid: string; namespace: string; name: string },
  source: { revision: number; marker?: string | undefined; publicKeySha256?: string | undefined; fingerprint?: string | undefined; lookupName?: string | undefined; since: string },
  vendorOptions: CertificateOrder["vendorOptions"],
  known: readonly string[],
): OrderIntent {
  return {
    owner: { ...owner, revision: source.revision },
    specHash: markerSpecHash(source.marker) ?? "",
    publicKeySha256: source.publicKeySha256 ?? "",
    ...(source.fingerprint === undefined ? {} : { fingerprint: source.fingerprint }),
    ...(source.lookupName === undefined ? {} : { lookupName: source.lookupName }),
    vendorOptions,
    recordedAt: new Date(source.since),
    knownVendorRefs: known,
  };
}

/** A revision had an unanswered or repeated paid call: extra orders may exist and must be swept. */
export function needsSweep(p: Pending): boolean {
  return (p.unknownOutcomes ?? 0) > 0 || (p.submits ?? 1) > 1 || p.submits === undefined;
}

/** The sweep record for a revision, ending one settle window after its last call could still commit. */
export function sweepFor(p: Pending, keep: readonly string[], now: Date, windowMs: number): Sweep | undefined {
  if (p.publicKeySha256 === undefined || p.marker === undefined) return undefined;
  const lastCall = Date.parse(p.submittedTime ?? p.startedTime);
  const until = new Date(Math.max(lastCall + 2 * windowMs, now.getTime()));
  return {
    revision: p.revision,
    marker: p.marker,
    publicKeySha256: p.publicKeySha256,
    ...(p.fingerprint === undefined ? {} : { fingerprint: p.fingerprint }),
    ...(p.lookupName === undefined ? {} : { lookupName: p.lookupName }),
    since: p.startedTime,
    until: iso(until),
    nextTime: iso(nextSweepAt(now, until, windowMs)),
    keep: [...new Set(keep)].slice(0, 8),
  };
}

/** Passes every half window; one always lands at (or after) `until`. */
export function nextSweepAt(now: Date, until: Date, windowMs: number): Date {
  const at = now.getTime() + Math.max(5_000, Math.floor(windowMs / 2));
  return new Date(now.getTime() < until.getTime() ? Math.min(at, until.getTime()) : at);
}

export const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");
