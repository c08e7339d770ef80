// Client-side sliding-window limiter, one per credential: we stay under the vendor's budget instead
// of discovering it through 429s (Cloudflare punishes a 429 with five minutes of silence).
import { createHash } from "node:crypto";
import { abortReason, systemClock, type Clock } from "./clock.ts";

/** A budget already scaled to at most 80% of what the vendor publishes. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimiterOptions {
  readonly rules: Record<string, RateLimitRule>;
  readonly clock?: Clock;
}

export interface BucketStats {
  readonly limit: number;
  readonly windowMs: number;
  readonly inWindow: number;
  readonly queued: number;
  readonly granted: number;
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
  constructor(rule: RateLimitRule) {
    this.rule = rule;
  }

  prune(now: number): void {
    while (this.grants.length > 0 && this.grants[0]! <= now - this.rule.windowMs) this.grants.shift();
  }
}

export class RateLimiter {
  readonly #rules: Record<string, RateLimitRule>;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  #pausedUntil = 0;

  constructor(opts: RateLimiterOptions) {
    for (const [name, rule] of Object.entries(opts.rules)) {
      if (!(rule.limit >= 1) || !(rule.windowMs > 0)) throw new Error(`rate limit rule ${name} needs limit >= 1 and windowMs > 0`);
    }
    this.#rules = { ...opts.rules };
    this.#clock = opts.clock ?? systemClock;
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
    if (b.queue.length === 0 && now >= this.#pausedUntil && b.grants.length < b.rule.limit) {
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
      buckets[name] = { limit: b.rule.limit, windowMs: b.rule.windowMs, inWindow: b.grants.length, queued: b.queue.length, granted: b.granted };
    }
    return this.#pausedUntil > now ? { buckets, pausedUntil: this.#pausedUntil } : { buckets };
  }

  #bucket(name: string): Bucket {
    let b = this.#buckets.get(name);
    if (b !== undefined) return b;
    const rule = this.#rules[name] ?? this.#rules["default"];
    if (rule === undefined) throw new Error(`rate limiter has no rule for bucket "${name}" and no "default" rule`);
    b = new Bucket(rule);
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
          if (now >= this.#pausedUntil && b.grants.length < b.rule.limit) {
            const w = b.queue.shift()!;
            w.signal?.removeEventListener("abort", w.onAbort);
            b.grants.push(now);
            b.granted++;
            w.resolve();
            continue;
          }
          const slotAt = b.grants.length < b.rule.limit ? now : b.grants[0]! + b.rule.windowMs;
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

  constructor(opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock;
  }

  forCredential(key: string, rules: Record<string, RateLimitRule>): RateLimiter {
    const hashed = credentialKey(key);
    let limiter = this.#limiters.get(hashed);
    if (limiter === undefined) {
      limiter = new RateLimiter(this.#clock === undefined ? { rules } : { rules, clock: this.#clock });
      this.#limiters.set(hashed, limiter);
    }
    return limiter;
  }

  get size(): number {
    return this.#limiters.size;
  }
}
