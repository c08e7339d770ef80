// ZPA publishes 20 GET and 10 POST/PUT/DELETE per 10 s per organisation and source IP. We keep 80 %.
import { scaledRule, type RateLimitRule } from "../shared/rate-limiter.ts";

export const ZPA_WINDOW_MS = 10_000;
export const ZPA_PUBLISHED_LIMITS = { read: 20, write: 10 } as const;

export const zpaRateLimitRules: Record<"read" | "write" | "default", RateLimitRule> = {
  read: scaledRule(ZPA_PUBLISHED_LIMITS.read, ZPA_WINDOW_MS),
  write: scaledRule(ZPA_PUBLISHED_LIMITS.write, ZPA_WINDOW_MS),
  default: scaledRule(ZPA_PUBLISHED_LIMITS.write, ZPA_WINDOW_MS),
};

/**
 * ZPA counts per organisation (and source IP), not per API key: two keys of one tenant share one
 * budget, so the limiter is keyed by the tenant and the cloud, never by the client id.
 */
export function zpaLimiterKey(apiBaseUrl: string, customerId: string): string {
  return `zpa|${new URL(apiBaseUrl).host}|${customerId}`;
}
