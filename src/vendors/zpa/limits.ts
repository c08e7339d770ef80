// ZPA publishes 20 GET and 10 POST/PUT/DELETE per 10 s per organisation and source IP, the window
// starting at the first call. We keep 80 % of the count, and measure it over a window 20 % longer:
// requests leave the client in a burst but reach ZPA spread out by network jitter, and without the
// longer window the tail of one burst and the head of the next can land in the same server window.
import { scaledRule, type RateLimitRule } from "../shared/rate-limiter.ts";

export const ZPA_WINDOW_MS = 10_000;
export const ZPA_PUBLISHED_LIMITS = { read: 20, write: 10 } as const;
export const WINDOW_PADDING = 1.2;

/** The client budget for a server window of `windowMs` (tests shorten it; the ratios stay). */
export function zpaRules(windowMs: number = ZPA_WINDOW_MS): Record<"read" | "write" | "default", RateLimitRule> {
  const w = Math.round(windowMs * WINDOW_PADDING);
  return {
    read: scaledRule(ZPA_PUBLISHED_LIMITS.read, w),
    write: scaledRule(ZPA_PUBLISHED_LIMITS.write, w),
    default: scaledRule(ZPA_PUBLISHED_LIMITS.write, w),
  };
}

export const zpaRateLimitRules = zpaRules();

/**
 * ZPA counts per organisation (and source IP), not per API key: two keys of one tenant share one
 * budget, so the limiter is keyed by the tenant and the cloud, never by the client id.
 */
export function zpaLimiterKey(apiBaseUrl: string, customerId: string): string {
  return `zpa|${new URL(apiBaseUrl).host}|${customerId}`;
}
