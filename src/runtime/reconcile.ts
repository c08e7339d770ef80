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
}

export interface Reconciler {
  readonly name: string;
  reconcile(ctx: ReconcileContext, key: Key): Promise<Result>;
}

/**
 * Thrown when retrying cannot help (invalid spec, a person must act). The reconciler has already
 * recorded why in a condition; the key waits for the next change instead of backing off forever.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}

/** An error that knows the earliest sensible retry (a vendor's Retry-After, an API server's). */
export interface RetryHint {
  readonly retryAfterMs?: number;
}

export function retryAfterOf(error: unknown): number {
  const hint = (error as RetryHint | null)?.retryAfterMs;
  return typeof hint === "number" && Number.isFinite(hint) && hint > 0 ? hint : 0;
}
