// How long things take at the vendor, and when to ask again (ADR 0005). Pure time arithmetic.
//
// A paid call records its time and a settle deadline before it leaves; until that deadline the
// vendor may still commit it, so "not found" means "look again later", never "order again".

export type OrderVendor = "cloudflare" | "sectigo";

/**
 * How long after a paid call was sent the vendor may still commit it (an answer we never saw).
 * - Cloudflare: its edge gives up on an origin after 100 s (HTTP 524) while the origin may still
 *   finish; 3 min covers that, our 30 s client timeout and a minute of clock skew.
 * - Sectigo: SCM publishes no figure; enrolls run synchronously behind load balancers and are known to
 *   take minutes when the CA backend is slow (public clients wait 5–10 min for issuance). 10 min.
 * A longer window only delays a re-order after a real loss; a shorter one risks paying twice.
 */
export const SETTLE_WINDOW_MS: Readonly<Record<OrderVendor, number>> = { cloudflare: 3 * 60_000, sectigo: 10 * 60_000 };

/** First look-up after an unanswered call, doubling up to LOOKUP_MAX_MS; the last lands on the deadline. */
export const LOOKUP_FIRST_MS = 5_000;
export const LOOKUP_MAX_MS = 2 * 60_000;

/** An order the vendor is still processing at delete time is waited for this long (then an Event says so). */
export const CANCEL_WAIT_MS = 30 * 60_000;

/** A stray order still in progress when its sweep ends is looked at for this long before giving up (Event). */
export const STRAY_WAIT_MS = 7 * 24 * 3_600_000;

export function settleWindowMs(vendor: OrderVendor, overrides?: Partial<Record<OrderVendor, number>>): number {
  return overrides?.[vendor] ?? SETTLE_WINDOW_MS[vendor];
}

/** When to look up next: LOOKUP_FIRST_MS doubling per look, capped, never beyond the deadline. */
export function nextLookupAt(now: Date, deadline: Date, lookups: number, firstMs = LOOKUP_FIRST_MS, maxMs = LOOKUP_MAX_MS): Date {
  const step = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, lookups), 30));
  const at = now.getTime() + step;
  return new Date(at > deadline.getTime() && now.getTime() < deadline.getTime() ? deadline.getTime() : at);
}

/** Sweep passes every half window; one always lands at (or after) `until`. */
export function nextSweepAt(now: Date, until: Date, windowMs: number): Date {
  const at = now.getTime() + Math.max(5_000, Math.floor(windowMs / 2));
  return new Date(now.getTime() < until.getTime() ? Math.min(at, until.getTime()) : at);
}

// ---------------------------------------------------------------------------------------------------
// Polling an order the vendor has: doubling, slower when a person must act.

export type PollBackoff = Readonly<Record<"Pending" | "AwaitingApproval" | "AwaitingValidation", { readonly firstMs: number; readonly maxMs: number }>>;

/** 5 s doubling to 30 min: a one-hour Sectigo issuance takes at most 8 collects (TARGETS P5). */
export const POLL_BACKOFF: PollBackoff = {
  Pending: { firstMs: 5_000, maxMs: 30 * 60_000 },
  AwaitingApproval: { firstMs: 60_000, maxMs: 3_600_000 },
  AwaitingValidation: { firstMs: 60_000, maxMs: 3_600_000 },
};

export function pollDelayMs(state: keyof PollBackoff, pollCount: number, vendorHintMs?: number, table: PollBackoff = POLL_BACKOFF): number {
  const b = table[state];
  const doubling = Math.min(b.maxMs, b.firstMs * 2 ** Math.min(Math.max(0, pollCount), 30));
  return Math.max(doubling, vendorHintMs ?? 0);
}

/** The timing one front end runs the engine with (tests and `--debug-order-settle-ms` shorten it). */
export interface OrderTiming {
  /** Settle window of this vendor. */
  readonly windowMs: number;
  readonly lookupFirstMs: number;
  readonly pollBackoff?: PollBackoff | undefined;
}
