// The controller work queue in virtual time, with runtime/workqueue.ts semantics: a key is queued at
// most once, never handed out twice at once (an add while processing is replayed after `done`),
// per-key exponential failure backoff, delayed adds where the earlier wake-up wins.
import { backoffDelay, clampDelay, type Backoff } from "../../../src/runtime/timers.ts";
import type { Scheduler, TimedEvent } from "../scheduler.ts";

const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 5 * 60_000 };

export class SimWorkQueue {
  readonly name: string;
  readonly #scheduler: Scheduler;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, TimedEvent>();
  #stopped = false;

  constructor(name: string, scheduler: Scheduler) {
    this.name = name;
    this.#scheduler = scheduler;
  }

  add(key: string): void {
    if (this.#stopped || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#processing.has(key)) this.#queue.push(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const delay = clampDelay(ms);
    if (delay === 0) return this.add(key);
    const at = this.#scheduler.clock.now() + delay;
    const existing = this.#delayed.get(key);
    if (existing !== undefined && !existing.cancelled && existing.at <= at) return;
    if (existing !== undefined) existing.cancelled = true;
    const event = this.#scheduler.at(at, `${this.name} wake-up ${key}`, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, event);
  }

  addRateLimited(key: string, atLeastMs = 0): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = Math.max(backoffDelay(DEFAULT_BACKOFF, failures), atLeastMs);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  get ready(): number {
    return this.#queue.length;
  }

  take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#processing.add(key);
    this.#dirty.delete(key);
    return key;
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#stopped) this.#queue.push(key);
  }

  /** The process died: nothing more is handed out or planned. */
  stop(): void {
    this.#stopped = true;
    for (const e of this.#delayed.values()) e.cancelled = true;
    this.#delayed.clear();
    this.#queue.length = 0;
  }
}
