import type { Logger } from "pino";

export type Key = string;

/** `{}` = done until something changes; `requeueAfterMs` = a planned poll, not a failure. */
export interface Result {
  readonly requeueAfterMs?: number;
}

export interface ReconcileContext {
  readonly log: Logger;
  /** Aborted when the operator shuts down or the reconcile exceeds its time limit. */
  readonly signal: AbortSignal;
  /** Names this one reconcile in logs (also bound on `log`); absent where a test or the simulation runs the reconciler itself. */
  readonly reconcileId?: string;
}

export interface Reconciler {
  readonly name: string;
  reconcile(ctx: ReconcileContext, key: Key): Promise<Result>;
}

// The error classes moved to errors.ts (one module with every stable `code`); re-exported here so
// callers that take TerminalError from this module keep working.
export { TerminalError, type RetryHint, retryAfterOf } from "./errors.ts";
