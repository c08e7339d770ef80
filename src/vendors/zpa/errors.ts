// Every documented ZPA failure mapped once into a VendorError kind (vendor-docs DIGEST §1.7).
import { VendorError, type VendorErrorKind } from "../shared/errors.ts";
import type { ClassifyInput } from "../shared/http.ts";
import { errorBodySchema, type ErrorBody } from "./wire.ts";

/** ZPA's window is 10 s; when a 429 carries no usable retry-after, wait one window. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;

type Rule = {
  readonly reason: string;
  readonly when: (status: number, code: string | undefined, body: ErrorBody) => boolean;
  readonly kind: VendorErrorKind;
};

const THROTTLE_401 = /resource access blocked/i;

/**
 * First match wins. Each row says why, so the table doubles as documentation; tests replay it.
 */
export const zpaErrorRules: readonly Rule[] = [
  {
    reason: "404, or any body with id resource.not.found (ZPA answers 400 for unknown ids)",
    kind: "notFound",
    when: (s, c) => s === 404 || c === "resource.not.found",
  },
  {
    reason: "429 / invalid.toomanyrequests: over 20 GET or 10 writes per 10 s",
    kind: "rateLimited",
    when: (s, c) => s === 429 || c === "invalid.toomanyrequests",
  },
  {
    reason: "401 'Resource Access Blocked' is throttling, not bad credentials (zscaler-sdk-go)",
    kind: "rateLimited",
    when: (s, _c, b) => s === 401 && THROTTLE_401.test(b.reason ?? ""),
  },
  { reason: "401 access.denied or OAuth invalid_client: bad or expired credentials (after one re-auth)", kind: "credentials", when: (s) => s === 401 },
  { reason: "403: the API key lacks the role or the microtenant scope", kind: "credentials", when: (s) => s === 403 },
  { reason: "409 api.concurrent.access.error: 'Try again'", kind: "transient", when: (s, c) => s === 409 && c === "api.concurrent.access.error" },
  { reason: "other 409: the object is in a conflicting state", kind: "conflict", when: (s) => s === 409 },
  {
    reason: "400 non.restricted.entity.authorization.failed / bad.request: zscaler-sdk-go retries these",
    kind: "transient",
    when: (s, c) => s === 400 && (c === "non.restricted.entity.authorization.failed" || c === "bad.request"),
  },
  {
    reason: "OAuth token endpoint rejecting the client (400 invalid_client / unauthorized_client)",
    kind: "credentials",
    when: (s, _c, b) => s === 400 && (b.error === "invalid_client" || b.error === "unauthorized_client"),
  },
  {
    reason: "other 400, 412, 413, 415, 422: our request is invalid",
    kind: "invalid",
    when: (s) => s === 400 || s === 412 || s === 413 || s === 415 || s === 422,
  },
  { reason: "408 and every 5xx (503 retryable.server.error included): retry with backoff", kind: "transient", when: (s) => s === 408 || s >= 500 },
  { reason: "any other 4xx will not succeed by repeating it", kind: "permanent", when: () => true },
];

export function parseErrorBody(body: unknown): ErrorBody {
  const r = errorBodySchema.safeParse(body);
  return r.success ? r.data : {};
}

/** The vendor's own code: ZPA's dotted id (or `exception`), else the OAuth `error`. */
export function errorCode(b: ErrorBody): string | undefined {
  return b.id ?? b.exception ?? b.error;
}

export function classifyZpa(res: ClassifyInput): VendorError {
  const body = parseErrorBody(res.body);
  const code = errorCode(body);
  const rule = zpaErrorRules.find((r) => r.when(res.status, code, body))!;
  const retryAfterMs = res.retryAfterMs ?? (rule.kind === "rateLimited" ? DEFAULT_RATE_LIMIT_WAIT_MS : undefined);
  // The reason text is ZPA's own message field; it never carries request payloads. Bounded anyway.
  const reason = (body.reason ?? body.error_description ?? "").slice(0, 200);
  return new VendorError({
    kind: rule.kind,
    vendor: "zpa",
    operation: res.operation,
    message: `HTTP ${res.status}${code === undefined ? "" : ` ${code}`}${reason === "" ? "" : `: ${reason}`}`,
    httpStatus: res.status,
    ...(code === undefined ? {} : { vendorCode: code }),
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
