// Client-side sliding-window limiter, one per credential: we stay under the vendor's budget instead
// of discovering it through 429s (Cloudflare punishes a 429 with five minutes of silence).
//
// A new limiter knows nothing of the process before it: that one may have spent its whole budget just
// before it died. So a limiter can start warming up: during its first window it grants at most
// `share × limit × elapsed / window` (no burst at all at the start, evenly spaced after), which keeps
// any vendor window that spans one or many restarts within limit + share × limit. With the rules at
// 80 % of the published limit and share 0.25 that is the published limit itself. The registry (one
// limiter per credential, what the operator uses) warms up by default.
import { createHash } from "node:crypto";
import { abortReason, systemClock, type Clock } from "./clock.ts";

/** A budget already scaled to at most 80% of what the vendor publishes. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * The start-up budget: during each bucket's first window after the limiter is made, at most `share` of
 * the rule's limit, granted evenly over that window (the first grant after window / (share × limit)).
 */
export interface WarmUp {
  readonly share: number;
}

/** The headroom between our 80 % budgets and the published limits: sound across any restarts. */
export const DEFAULT_WARM_UP: WarmUp = { share: 0.25 };

export interface RateLimiterOptions {
  readonly rules: Record<string, RateLimitRule>;
  readonly clock?: Clock;
  /** Omitted: the full limit from the first call (a limiter that outlives no process, e.g. in tests). */
  readonly warmUp?: WarmUp;
}

export interface BucketStats {
  readonly limit: number;
  readonly windowMs: number;
  readonly inWindow: number;
  readonly queued: number;
  readonly granted: number;
  /** Epoch ms until which the bucket is still warming up, if it is. */
  readonly warmingUpUntil?: number;
}

export interface RateLimiterStats {
  readonly buckets: Record<string, BucketStats>;
  /** Epoch ms until which every bucket waits (after a vendor-imposed pause), if in the future. */
  readonly pausedUntil?: number;
}

/** Scale a published limit to the share we allow ourselves (default 80%, at least 1). */
export function scaledRule(publishedLimit: number, windowMs: number, share = 0.8): RateLimitRule {
  return { limit: Math.max(1, Math.floor(publishedLimit * share)), windowMs };
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

class Bucket {
  readonly grants: number[] = []; // grant times, oldest first
  readonly queue: Waiter[] = [];
  granted = 0;
  pumping = false;
  wake: AbortController | undefined;
  readonly rule: RateLimitRule;
  /** Grants allowed per ms while warming up (0: no warm-up), and when the warm-up started. */
  readonly #warmRate: number;
  readonly #startedAt: number;
  constructor(rule: RateLimitRule, startedAt: number, warmUp: WarmUp | undefined) {
    this.rule = rule;
    this.#startedAt = startedAt;
    this.#warmRate = warmUp === undefined ? 0 : (warmUp.share * rule.limit) / rule.windowMs;
  }

  prune(now: number): void {
    while (this.grants.length > 0 && this.grants[0]! <= now - this.rule.windowMs) this.grants.shift();
  }

  get warmUpEndsAt(): number | undefined {
    return this.#warmRate > 0 ? this.#startedAt + this.rule.windowMs : undefined;
  }

  /** When the next grant is allowed by the window and the warm-up together (may be `now`). */
  nextSlotAt(now: number): number {
    const windowSlot = this.grants.length < this.rule.limit ? now : this.grants[0]! + this.rule.windowMs;
    return Math.max(windowSlot, this.#warmUpSlot(now));
  }

  #warmUpSlot(now: number): number {
    const end = this.warmUpEndsAt;
    if (end === undefined || now >= end) return now;
    // The (granted + 1)-th grant is due once that many have accrued; never later than the window's end.
    const due = this.#startedAt + Math.ceil((this.granted + 1) / this.#warmRate);
    return Math.max(now, Math.min(due, end));
  }
}

export class RateLimiter {
  readonly #rules: Record<string, RateLimitRule>;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #warmUp: WarmUp | undefined;
  readonly #startedAt: number;
  #pausedUntil = 0;

  constructor(opts: RateLimiterOptions) {
    for (const [name, rule] of Object.entries(opts.rules)) {
      if (!(rule.limit >= 1) || !(rule.windowMs > 0)) throw new Error(`rate limit rule ${name} needs limit >= 1 and windowMs > 0`);
    }
    if (opts.warmUp !== undefined && !(opts.warmUp.share > 0 && opts.warmUp.share <= 1)) throw new Error("warm-up share must be in (0, 1]");
    this.#rules = { ...opts.rules };
    this.#clock = opts.clock ?? systemClock;
    this.#warmUp = opts.warmUp;
    this.#startedAt = this.#clock.now();
  }

  /**
   * Wait for a slot in `bucket`. Unknown buckets fall back to the "default" rule; a bucket with no
   * rule at all is a programming error. Waiters are served first come, first served.
   */
  acquire(bucket: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let b: Bucket;
    try {
      b = this.#bucket(bucket);
    } catch (e) {
      return Promise.reject(e);
    }
    const now = this.#clock.now();
    b.prune(now);
    if (b.queue.length === 0 && now >= this.#pausedUntil && b.nextSlotAt(now) <= now) {
      b.grants.push(now);
      b.granted++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = b.queue.indexOf(waiter);
          if (i >= 0) b.queue.splice(i, 1);
          reject(abortReason(signal!));
          if (b.queue.length === 0) b.wake?.abort();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      b.queue.push(waiter);
      this.#pump(b);
    });
  }

  /** Hold every bucket for `ms` (for example Cloudflare's five-minute block after a 429). */
  pauseFor(ms: number): void {
    const until = this.#clock.now() + Math.max(0, ms);
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    for (const b of this.#buckets.values()) b.wake?.abort(); // re-plan sleeps with the new horizon
  }

  /** How long every bucket is still held by `pauseFor` (0 when not paused). */
  pausedForMs(): number {
    return Math.max(0, this.#pausedUntil - this.#clock.now());
  }

  stats(): RateLimiterStats {
    const now = this.#clock.now();
    const buckets: Record<string, BucketStats> = {};
    for (const [name, b] of this.#buckets) {
      b.prune(now);
      const warm = b.warmUpEndsAt;
      buckets[name] = {
        limit: b.rule.limit,
        windowMs: b.rule.windowMs,
        inWindow: b.grants.length,
        queued: b.queue.length,
        granted: b.granted,
        ...(warm !== undefined && warm > now ? { warmingUpUntil: warm } : {}),
      };
    }
    return this.#pausedUntil > now ? { buckets, pausedUntil: this.#pausedUntil } : { buckets };
  }

  #bucket(name: string): Bucket {
    let b = this.#buckets.get(name);
    if (b !== undefined) return b;
    const rule = this.#rules[name] ?? this.#rules["default"];
    if (rule === undefined) throw new Error(`rate limiter has no rule for bucket "${name}" and no "default" rule`);
    // Every bucket warms up from the limiter's start: the previous process spent from all of them.
    b = new Bucket(rule, this.#startedAt, this.#warmUp);
    this.#buckets.set(name, b);
    return b;
  }

  // One sleeper per bucket hands out slots in FIFO order as the window slides; no busy looping.
  #pump(b: Bucket): void {
    if (b.pumping) return;
    b.pumping = true;
    void (async () => {
      try {
        while (b.queue.length > 0) {
          const now = this.#clock.now();
          b.prune(now);
          const slotAt = b.nextSlotAt(now);
          if (now >= this.#pausedUntil && slotAt <= now) {
            const w = b.queue.shift()!;
            w.signal?.removeEventListener("abort", w.onAbort);
            b.grants.push(now);
            b.granted++;
            w.resolve();
            continue;
          }
          const wait = Math.max(1, Math.max(slotAt, this.#pausedUntil) - now);
          b.wake = new AbortController();
          try {
            await this.#clock.sleep(wait, b.wake.signal);
          } catch {
            // woken early: re-plan
          }
          b.wake = undefined;
        }
      } finally {
        b.pumping = false;
      }
    })();
  }
}

/** Hash a credential identity (never the secret) into a stable, log-safe key. */
export function credentialKey(...identity: readonly string[]): string {
  return createHash("sha256").update(identity.join("\u0000")).digest("hex").slice(0, 32);
}

/**
 * One limiter per credential identity, so two connections using the same vendor account share one
 * budget. Keys are hashed on the way in: the registry never holds the identity itself.
 */
export class RateLimiterRegistry {
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #clock: Clock | undefined;
  readonly #warmUp: WarmUp | undefined;

  /**
   * `warmUp` defaults to DEFAULT_WARM_UP: the registry lives as long as the process, and a process
   * restarted after a crash must not spend, on top of what its predecessor spent, a second full budget.
   * `false` turns it off (tests that measure the steady budget).
   */
  constructor(opts: { clock?: Clock; warmUp?: WarmUp | false } = {}) {
    this.#clock = opts.clock;
    this.#warmUp = opts.warmUp === false ? undefined : (opts.warmUp ?? DEFAULT_WARM_UP);
  }

  forCredential(key: string, rules: Record<string, RateLimitRule>): RateLimiter {
    const hashed = credentialKey(key);
    let limiter = this.#limiters.get(hashed);
    if (limiter === undefined) {
      limiter = new RateLimiter({
        rules,
        ...(this.#clock === undefined ? {} : { clock: this.#clock }),
        ...(this.#warmUp === undefined ? {} : { warmUp: this.#warmUp }),
      });
      this.#limiters.set(hashed, limiter);
    }
    return limiter;
  }

  get size(): number {
    return this.#limiters.size;
  }
}
