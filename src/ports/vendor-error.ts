// The one error type that crosses the vendor edge (a port type: vendors throw it, controllers branch on
// its `kind`, never on HTTP status or vendor codes). Vendors classify once, at their client edge.

export type VendorName = "zpa" | "cloudflare" | "sectigo";

export type VendorErrorKind =
  | "transient" // network trouble, 5xx, timeouts: retry with backoff
  | "rateLimited" // 429 or vendor throttle code: retry after retryAfterMs
  | "pending" // the vendor is still working: poll again later
  | "blocked" // waiting on a person (approval, DCV): poll slowly, surface the reason
  | "credentials" // bad, expired or unprivileged credentials
  | "notFound"
  | "conflict"
  | "invalid" // our request is wrong; retrying the same request will not help
  | "permanent"; // will never succeed

export const VENDOR_ERROR_KINDS: readonly VendorErrorKind[] = [
  "transient",
  "rateLimited",
  "pending",
  "blocked",
  "credentials",
  "notFound",
  "conflict",
  "invalid",
  "permanent",
];

export interface VendorErrorOptions {
  readonly kind: VendorErrorKind;
  readonly vendor: VendorName;
  readonly operation: string;
  /** Human text. Must never contain response bodies; a vendor's own error message field is fine. */
  readonly message: string;
  readonly httpStatus?: number;
  readonly vendorCode?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class VendorError extends Error {
  override readonly name = "VendorError";
  /** Stable for every vendor error (as undici's error classes carry one); `kind` says which. */
  readonly code = "ERR_VENDOR";
  readonly kind: VendorErrorKind;
  readonly vendor: VendorName;
  readonly operation: string;
  readonly httpStatus?: number;
  readonly vendorCode?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;

  constructor(opts: VendorErrorOptions) {
    super(`${opts.vendor} ${opts.operation}: ${opts.message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = opts.kind;
    this.vendor = opts.vendor;
    this.operation = opts.operation;
    if (opts.httpStatus !== undefined) this.httpStatus = opts.httpStatus;
    if (opts.vendorCode !== undefined) this.vendorCode = opts.vendorCode;
    if (opts.requestId !== undefined) this.requestId = opts.requestId;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }

  /** The message without the "vendor operation: " prefix the constructor adds. */
  get detail(): string {
    const prefix = `${this.vendor} ${this.operation}: `;
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }

  /** A copy with some context filled in (fields already set win unless overridden). */
  with(extra: Partial<Omit<VendorErrorOptions, "vendor">>): VendorError {
    return new VendorError({
      kind: extra.kind ?? this.kind,
      vendor: this.vendor,
      operation: extra.operation ?? this.operation,
      message: extra.message ?? this.detail,
      ...optional("httpStatus", extra.httpStatus ?? this.httpStatus),
      ...optional("vendorCode", extra.vendorCode ?? this.vendorCode),
      ...optional("requestId", extra.requestId ?? this.requestId),
      ...optional("retryAfterMs", extra.retryAfterMs ?? this.retryAfterMs),
      ...optional("cause", extra.cause ?? this.cause),
    });
  }

  /** A log-safe summary: no payloads, just the classified facts. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      vendor: this.vendor,
      operation: this.operation,
      message: this.message,
      httpStatus: this.httpStatus,
      vendorCode: this.vendorCode,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function isVendorError(e: unknown): e is VendorError {
  return e instanceof VendorError;
}

/** Kinds where trying the same request again later can succeed. */
export function isRetryable(kind: VendorErrorKind): boolean {
  return kind === "transient" || kind === "rateLimited" || kind === "pending";
}

/** Kinds the transport itself may retry (for idempotent calls only). */
export function isTransportRetryable(kind: VendorErrorKind): boolean {
  return kind === "transient" || kind === "rateLimited";
}

/**
 * The vendor itself refused the call — a 4xx answer other than 408 and 429 — or our client refused to
 * send it: asking again will not change the answer. An answer it sent that could not be understood (a
 * 2xx whose body is garbled, oversized, of another shape), a 5xx or no answer at all is not a refusal:
 * the call may have worked, so a cancel, a revocation or a delete that got one is tried again, never
 * counted as done nor as impossible (an order left uncancelled would be paid for, a ZPA key left
 * undeleted would be tracked by nothing).
 */
export function vendorRefused(error: VendorError): boolean {
  const status = error.httpStatus;
  if (status !== undefined) return status >= 400 && status < 500 && status !== 408 && status !== 429;
  return !(error.kind === "transient" || error.kind === "pending" || error.kind === "rateLimited");
}
