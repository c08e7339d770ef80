import { type Clock, millisOf, systemClock } from "./clock.ts";
import { type Backoff, backoffDelay, clampDelay } from "./timers.ts";

export interface WorkQueueOptions {
  /** Per-key failure backoff for `addRateLimited`. */
  readonly backoff?: Backoff;
  readonly onDepthChange?: (depth: number) => void;
  /** Orders delayed adds ("the earlier wake-up wins"); the timers themselves are Node's. */
  readonly clock?: Clock;
}

export interface WorkQueueStats {
  readonly depth: number;
  readonly processing: number;
  readonly waiting: number;
  readonly adds: number;
  readonly retries: number;
}

const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 5 * 60_000 };

/**
 * A work queue with client-go semantics: a key is queued at most once (a burst of adds collapses),
 * never handed to two workers at once (an add while it is processing is replayed after `done`),
 * per-key exponential backoff, delayed adds, and a draining shutdown.
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  readonly #backoff: Backoff;
  readonly #onDepthChange: ((depth: number) => void) | undefined;
  readonly #clock: Clock;
  #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;
  #adds = 0;
  #retries = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#onDepthChange = options.onDepthChange;
    this.#clock = options.clock ?? systemClock;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  stats(): WorkQueueStats {
    return { depth: this.#queue.length, processing: this.#processing.size, waiting: this.#delayed.size, adds: this.#adds, retries: this.#retries };
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#adds++;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter(key);
    else this.#queue.push(key);
    this.#onDepthChange?.(this.#queue.length);
  }

  /** Adds the key after `ms`; an earlier pending wake-up for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    const delay = clampDelay(ms);
    if (delay === 0) {
      this.add(key);
      return;
    }
    const at = millisOf(this.#clock) + delay;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delay);
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** Re-adds after this key's next backoff step; returns the delay chosen. */
  addRateLimited(key: string, atLeastMs = 0): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#retries++;
    const delay = Math.max(backoffDelay(this.#backoff, failures), atLeastMs);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure history: call after a successful reconcile. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves with the next key, or undefined once the queue is shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiters.push((k) => resolve(k === undefined ? undefined : this.#take(k)));
    });
  }

  #take(key: string): string {
    this.#processing.add(key);
    this.#dirty.delete(key);
    this.#onDepthChange?.(this.#queue.length);
    return key;
  }

  /** Marks the key finished; if it was added again meanwhile, it goes back on the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(key);
      else this.#queue.push(key);
    }
    if (this.#processing.size === 0) {
      for (const resolve of this.#drainWaiters) resolve();
      this.#drainWaiters = [];
    }
  }

  /** Stops handing out keys, cancels delayed adds, and waits for keys in flight to finish. */
  async shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    if (this.#processing.size === 0) return;
    await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }
}
