// Cloudflare failures → VendorError kinds (DIGEST §2.5). Only the vendor's own error message text
// is quoted; bodies never are.
import { VendorError, type VendorErrorKind } from "../shared/errors.ts";
import type { ClassifyInput } from "../shared/http.ts";
import { LooseEnvelopeSchema, type CloudflareMessage } from "./wire.ts";

/** After a 429 Cloudflare blocks every call for five minutes [P8]. */
export const CLOUDFLARE_BLOCK_MS = 5 * 60_000;

export const CLOUDFLARE_CODES = {
  authenticationError: 10000,
  invalidRequestHeaders: 6003,
  invalidAuthKeyFormat: 6103,
  invalidAuthorizationFormat: 6111,
  noRoute: 7003,
  throttled: 971,
} as const;

function kindFor(status: number, codes: readonly number[]): VendorErrorKind {
  if (status === 429 || codes.includes(CLOUDFLARE_CODES.throttled)) return "rateLimited";
  if (codes.includes(CLOUDFLARE_CODES.authenticationError) || status === 401 || status === 403) return "credentials";
  // 6003 "Invalid request headers" (chain 6103/6111): the credentials are malformed; a retry will not help.
  // 91xx are authentication codes too (for example missing or unknown auth headers).
  if (codes.includes(CLOUDFLARE_CODES.invalidRequestHeaders) || codes.some((c) => (c >= 6100 && c < 6200) || (c >= 9100 && c < 9200))) return "credentials";
  // 7003: the URI (zone id) does not route; our configuration is wrong, not the object missing.
  if (codes.includes(CLOUDFLARE_CODES.noRoute)) return "invalid";
  if (status === 404) return "notFound";
  if (status === 409) return "conflict";
  if (status >= 500) return "transient";
  if (status >= 400) return "invalid";
  return "permanent"; // success:false on a 2xx
}

export function cloudflareErrors(body: unknown): CloudflareMessage[] {
  const env = LooseEnvelopeSchema.safeParse(body);
  return env.success ? env.data.errors : [];
}

export function classifyCloudflare(res: ClassifyInput): VendorError {
  const errors = cloudflareErrors(res.body);
  const chain = errors.flatMap((e) => [e, ...(e.error_chain ?? [])]);
  const codes = chain.map((e) => e.code);
  const kind = kindFor(res.status, codes);
  const first = errors[0];
  const chained = first?.error_chain?.[0];
  const text =
    first === undefined
      ? `HTTP ${res.status}`
      : `${first.message.slice(0, 200)} (code ${first.code}${chained === undefined ? "" : `; ${chained.message.slice(0, 200)} (code ${chained.code})`})`;
  const retryAfterMs = kind === "rateLimited" ? (res.retryAfterMs ?? CLOUDFLARE_BLOCK_MS) : res.retryAfterMs;
  return new VendorError({
    kind,
    vendor: "cloudflare",
    operation: res.operation,
    message: text,
    httpStatus: res.status,
    ...(first === undefined ? {} : { vendorCode: String(first.code) }),
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
