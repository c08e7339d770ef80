/** A failed Kubernetes API call, classified once from the API server's Status object. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  /** Stable across statuses; `status` and `reason` say which failure it was. */
  readonly code = "ERR_KUBE_API";
  readonly status: number;
  readonly reason: string;
  readonly method: string;
  readonly path: string;
  readonly retryAfterMs: number | undefined;

  constructor(init: { status: number; reason: string; message: string; method: string; path: string; retryAfterMs?: number; cause?: unknown }) {
    super(`${init.method} ${init.path}: ${init.status} ${init.reason}: ${init.message}`, { cause: init.cause });
    this.status = init.status;
    this.reason = init.reason;
    this.method = init.method;
    this.path = init.path;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === "AlreadyExists";
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.status === 410;
export const isInvalid = (e: unknown): boolean => e instanceof KubeApiError && e.status === 422;
export const isForbidden = (e: unknown): boolean => e instanceof KubeApiError && e.status === 403;
