// Can the vendor honour the lifetime the spec asks for? Vendors issue in their own units: Cloudflare
// in whole days, Sectigo in the discrete terms of a profile (DIGEST §3.3: `term` must be one of the
// profile's `terms`, else -36). The vendor's adapter says what it would issue (the shortest term that
// covers the request, else the longest); this judges it, before anything is paid. Pure.
//
// The rule (ADR 0016): what the vendor would issue is accepted when it differs from the request by at
// most 10 % of the request, and never less than a day (whole days cannot do better); otherwise the
// request is refused with the vendor's offer in the message and nothing is ordered. Within the
// tolerance a difference is shown (Issuing's message and a DurationRounded Event), not hidden.

export const DAY_MS = 86_400_000;
/** How far the issued lifetime may be from the requested one, as a share of the request. */
export const LIFETIME_TOLERANCE = 0.1;

export type LifetimeVerdict =
  /** No lifetime asked for: the vendor's default, nothing to judge. */
  | { readonly kind: "vendorDefault" }
  | { readonly kind: "exact"; readonly days: number }
  /** Within the tolerance but not what was asked: said, not hidden. */
  | { readonly kind: "rounded"; readonly days: number; readonly message: string }
  | { readonly kind: "refused"; readonly message: string };

export interface LifetimeQuestion {
  /** What the spec asks for, in ms (requestedLifetimeMs); undefined = the vendor's default. */
  readonly requestedMs: number | undefined;
  /** How the spec said it, for messages ("spec.duration 2160h", "spec.sectigo.term 400"). */
  readonly asked: string;
  /** What the vendor would issue, in days. */
  readonly offeredDays: number;
  /** What the vendor offers, in words (the adapter's). */
  readonly offered: string;
  readonly vendor: string;
}

export function judgeLifetime(q: LifetimeQuestion): LifetimeVerdict {
  if (q.requestedMs === undefined || q.requestedMs <= 0) return { kind: "vendorDefault" };
  const offeredMs = q.offeredDays * DAY_MS;
  const diff = Math.abs(offeredMs - q.requestedMs);
  if (diff === 0) return { kind: "exact", days: q.offeredDays };
  const tolerance = Math.max(DAY_MS, q.requestedMs * LIFETIME_TOLERANCE);
  const requested = describeDays(q.requestedMs);
  if (diff <= tolerance) {
    const way = offeredMs > q.requestedMs ? "longer" : "shorter";
    return {
      kind: "rounded",
      days: q.offeredDays,
      message: `${q.vendor} issues ${q.offeredDays} days for ${q.asked} (${requested}), ${describeDays(diff)} ${way}: it offers ${q.offered}.`,
    };
  }
  return {
    kind: "refused",
    message:
      `${q.vendor} cannot issue ${q.asked} (${requested}): it offers ${q.offered}, and the nearest, ${q.offeredDays} days, ` +
      `differs by more than ${Math.round(LIFETIME_TOLERANCE * 100)} %. Set spec.duration to an offered lifetime ` +
      `(e.g. ${q.offeredDays * 24}h) or use the vendor's own days; nothing was ordered.`,
  };
}

/** "90 days", "1.5 days", "12 hours". */
export function describeDays(ms: number): string {
  if (ms < DAY_MS) return `${Math.round((ms / 3_600_000) * 10) / 10} hours`;
  const days = Math.round((ms / DAY_MS) * 10) / 10;
  return `${days} ${days === 1 ? "day" : "days"}`;
}
