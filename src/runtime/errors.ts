// Error classes with a stable `code` (as undici's errors carry one): logs, metrics and tests branch on
// the code, never on message text. What a controller does with each:
//   TerminalError  → stop; the key waits for the next change (the reason is already in a condition)
//   RetryableError → rate-limited retry, at least `retryAfterMs`
//   ConflictError  → an optimistic write lost to a newer object: retry on fresh data
// Vendor errors (ports/vendor-error.ts) and API errors (kube/errors.ts) carry codes of their own.

export const ErrorCode = {
  Terminal: "ERR_TERMINAL",
  Retryable: "ERR_RETRYABLE",
  Conflict: "ERR_CONFLICT",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Thrown when retrying cannot help (invalid spec, a person must act). The reconciler has already
 * recorded why in a condition; the key waits for the next change instead of backing off forever.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  readonly code = ErrorCode.Terminal;
}

/** Try again after backoff; `retryAfterMs` is the earliest sensible retry (the queue's backoff may be longer). */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  readonly code = ErrorCode.Retryable;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A resourceVersion-guarded write lost (and a re-read did not settle it): retry on a fresher object. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  readonly code = ErrorCode.Conflict;
  /** "Kind namespace/name" of the object whose write lost. */
  readonly object: string;

  constructor(object: string, options: { cause?: unknown } = {}) {
    super(`${object} changed while we were writing it; retrying on a fresh copy`, options.cause === undefined ? undefined : { cause: options.cause });
    this.object = object;
  }
}

/** An error that knows the earliest sensible retry (a vendor's Retry-After, an API server's). */
export interface RetryHint {
  readonly retryAfterMs?: number;
}

export function retryAfterOf(error: unknown): number {
  const hint = (error as RetryHint | null)?.retryAfterMs;
  return typeof hint === "number" && Number.isFinite(hint) && hint > 0 ? hint : 0;
}

/**
 * What a failure log keeps about an error, read structurally (the runtime does not import ports):
 * its class and `code`, a vendor error's `kind`, vendor, operation, vendor code and request id, an
 * API error's status and reason. Message text is bounded; no payloads are ever read from an error.
 */
export interface FailureFacts {
  readonly error: string;
  readonly message: string;
  readonly code?: string;
  readonly kind?: string;
  readonly vendor?: string;
  readonly operation?: string;
  readonly vendorCode?: string;
  readonly requestId?: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
}

const MAX_MESSAGE = 500;

export function failureFacts(error: unknown): FailureFacts {
  if (!(error instanceof Error)) return { error: typeof error, message: String(error).slice(0, MAX_MESSAGE) };
  const e = error as Error & Record<string, unknown>;
  const text = (k: string) => (typeof e[k] === "string" && e[k] !== "" ? { [k]: e[k] as string } : {});
  const status = typeof e.httpStatus === "number" ? e.httpStatus : typeof e.status === "number" ? e.status : undefined;
  const retry = retryAfterOf(error);
  return {
    error: error.name,
    message: error.message.slice(0, MAX_MESSAGE),
    ...text("code"),
    ...text("kind"),
    ...text("vendor"),
    ...text("operation"),
    ...text("vendorCode"),
    ...text("requestId"),
    ...(status === undefined ? {} : { httpStatus: status }),
    ...(retry > 0 ? { retryAfterMs: retry } : {}),
  };
}
