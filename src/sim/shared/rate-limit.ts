// Server-side rate limits as vendors enforce them: a sliding window per credential and bucket,
// optionally followed by a penalty during which every call is refused (Cloudflare: 5 minutes).
import { systemClock, type Clock } from "../../vendors/shared/clock.ts";

export interface EnforcedRule {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitEnforcerOptions {
  readonly rules: Record<string, EnforcedRule>;
  /** After a violation, refuse every bucket of that credential for this long. */
  readonly penaltyMs?: number;
  /** Retry-After to advertise when no penalty applies; default: until the window frees a slot. */
  readonly fixedRetryAfterMs?: number;
  readonly clock?: Clock;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

export class RateLimitEnforcer {
  #rules: Record<string, EnforcedRule>;
  #penaltyMs: number | undefined;
  readonly #fixedRetryAfterMs: number | undefined;
  readonly #clock: Clock;
  readonly #windows = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();
  violations = 0;
  readonly violationsByBucket: Record<string, number> = {};

  constructor(opts: RateLimitEnforcerOptions) {
    this.#rules = { ...opts.rules };
    this.#penaltyMs = opts.penaltyMs;
    this.#fixedRetryAfterMs = opts.fixedRetryAfterMs;
    this.#clock = opts.clock ?? systemClock;
  }

  /** Change limits at runtime (tests shrink them to reach a 429 quickly). */
  configure(opts: { rules?: Record<string, EnforcedRule>; penaltyMs?: number }): void {
    if (opts.rules !== undefined) this.#rules = { ...this.#rules, ...opts.rules };
    if (opts.penaltyMs !== undefined) this.#penaltyMs = opts.penaltyMs;
  }

  get rules(): Record<string, EnforcedRule> {
    return { ...this.#rules };
  }

  /** Count one call by `credential` in `bucket`; refused calls do not use up the window. */
  check(credential: string, bucket: string): RateDecision {
    const rule = this.#rules[bucket] ?? this.#rules["default"];
    if (rule === undefined) return { ok: true };
    const now = this.#clock.now();
    const blocked = this.#blockedUntil.get(credential);
    if (blocked !== undefined && blocked > now) return this.#violate(bucket, blocked - now);
    const key = `${credential}\u0000${bucket}`;
    const times = (this.#windows.get(key) ?? []).filter((t) => t > now - rule.windowMs);
    if (times.length >= rule.limit) {
      this.#windows.set(key, times);
      if (this.#penaltyMs !== undefined) {
        this.#blockedUntil.set(credential, now + this.#penaltyMs);
        return this.#violate(bucket, this.#penaltyMs);
      }
      return this.#violate(bucket, this.#fixedRetryAfterMs ?? times[0]! + rule.windowMs - now);
    }
    times.push(now);
    this.#windows.set(key, times);
    return { ok: true };
  }

  reset(): void {
    this.#windows.clear();
    this.#blockedUntil.clear();
    this.violations = 0;
    for (const k of Object.keys(this.violationsByBucket)) delete this.violationsByBucket[k];
  }

  #violate(bucket: string, retryAfterMs: number): RateDecision {
    this.violations++;
    this.violationsByBucket[bucket] = (this.violationsByBucket[bucket] ?? 0) + 1;
    return { ok: false, retryAfterMs: Math.max(0, retryAfterMs) };
  }
}
