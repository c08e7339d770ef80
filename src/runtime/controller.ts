import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { TerminalError, failureFacts, retryAfterOf } from "./errors.ts";
import type { Reconciler } from "./reconcile.ts";
import { deadline } from "./timers.ts";
import { WorkQueue, type WorkQueueOptions } from "./workqueue.ts";

export interface ControllerMetrics {
  observeReconcile(controller: string, result: "success" | "requeue" | "error" | "terminal", seconds: number): void;
}

export interface ControllerOptions {
  readonly reconciler: Reconciler;
  readonly log: Logger;
  readonly concurrency?: number;
  /** A reconcile that takes longer is aborted (its signal fires) and retried with backoff. */
  readonly reconcileTimeoutMs?: number;
  readonly queue?: WorkQueueOptions;
  readonly metrics?: ControllerMetrics;
}

/**
 * Runs a level-based reconciler over a work queue: N workers, a key never in two at once.
 * Contract: return → forget failures (and plan `requeueAfterMs`); throw → per-key backoff
 * (at least the error's retry-after); throw TerminalError → stop until the next change.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #workers: Promise<void>[] = [];
  #reconciles = 0;
  /** Reconcile ids are this prefix (one per controller instance) and a counter: unique, short, sortable. */
  readonly #idPrefix = randomBytes(3).toString("hex");

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.name = options.reconciler.name;
    this.#log = options.log.child({ controller: this.name });
    this.queue = new WorkQueue(options.queue);
  }

  get reconcileCount(): number {
    return this.#reconciles;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    if (this.#workers.length > 0) return;
    const n = Math.max(1, this.#o.concurrency ?? 4);
    for (let i = 0; i < n; i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys and waits for reconciles in flight (their signals are aborted after graceMs). */
  async stop(graceMs = 10_000): Promise<void> {
    const timer = setTimeout(() => this.#stop.abort(new Error("shutting down")), graceMs);
    await this.queue.shutDown();
    await Promise.all(this.#workers);
    clearTimeout(timer);
    this.#stop.abort(new Error("stopped"));
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string): Promise<void> {
    const reconcileId = `${this.#idPrefix}-${(this.#reconciles + 1).toString(36)}`;
    const log = this.#log.child({ key, reconcileId });
    // Released when the reconcile ends: no timer outlives it, no dependant piles up on the stop signal.
    const limit = deadline(this.#stop.signal, this.#o.reconcileTimeoutMs ?? 120_000, "reconcile");
    const signal = limit.signal;
    const started = performance.now();
    this.#reconciles++;
    const observe = (result: "success" | "requeue" | "error" | "terminal") =>
      this.#o.metrics?.observeReconcile(this.name, result, (performance.now() - started) / 1000);
    try {
      const result = await this.#o.reconciler.reconcile({ log, signal, reconcileId }, key);
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
        this.queue.addAfter(key, result.requeueAfterMs);
        observe("requeue");
      } else {
        observe("success");
      }
    } catch (error) {
      if (error instanceof TerminalError) {
        this.queue.forget(key);
        log.info({ ...failureFacts(error), reason: error.message }, "reconcile stopped: terminal error");
        observe("terminal");
        return;
      }
      if (this.queue.shuttingDown) return;
      const delay = this.queue.addRateLimited(key, retryAfterOf(error));
      // What the error knows (kind, vendor code, request id, code), so one log line leads to the vendor's records.
      const facts = failureFacts(error);
      log.warn({ ...facts, err: facts.message, retryInMs: Math.round(delay) }, "reconcile failed; will retry");
      observe("error");
    } finally {
      limit.dispose();
    }
  }
}
