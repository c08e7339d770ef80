// Classification of SCM error responses, once, at the client edge. The body is
// `{"code": <negative int>, "description": <text>}` for every status >= 400; the code decides the kind
// (error-codes.ts), the HTTP status only decides when the code is unknown or the body is not JSON.
import type { ClassifyInput } from "../shared/http.ts";
import { VendorError, type VendorErrorKind } from "../shared/errors.ts";
import { SECTIGO_ERROR_CODES, type SectigoErrorCode } from "./error-codes.ts";

const BY_CODE = new Map<number, SectigoErrorCode[]>();
for (const row of SECTIGO_ERROR_CODES) {
  const rows = BY_CODE.get(row.code) ?? [];
  rows.push(row);
  BY_CODE.set(row.code, rows);
}

/** A documented message template as a regex: `{0}` matches anything, `''` also matches `'`. */
function templateRegex(template: string): RegExp {
  const escaped = template
    .split(/\{\d+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/''/g, "'{1,2}"))
    .join("[\\s\\S]*");
  return new RegExp(`^\\s*${escaped}\\s*$`, "i");
}

const TEMPLATES = new Map<SectigoErrorCode, RegExp>(SECTIGO_ERROR_CODES.map((r) => [r, templateRegex(r.message)]));

/**
 * The documented row for a code. Codes documented twice with different text (-9, -39, -62, -105,
 * -159) are told apart by the description; without a match the first row wins.
 */
export function lookupSectigoCode(code: number, description?: string): SectigoErrorCode | undefined {
  const rows = BY_CODE.get(code);
  if (rows === undefined) return undefined;
  if (rows.length === 1 || description === undefined) return rows[0];
  return rows.find((r) => TEMPLATES.get(r)!.test(description)) ?? rows[0];
}

export interface SectigoErrorBody {
  readonly code: number;
  readonly description?: string;
}

/** Reads `{code, description}` from a parsed body; anything else is not an SCM error body. */
export function readErrorBody(body: unknown): SectigoErrorBody | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const rec = body as Record<string, unknown>;
  const code =
    typeof rec["code"] === "number" ? rec["code"] : typeof rec["code"] === "string" && /^-?\d+$/.test(rec["code"].trim()) ? Number(rec["code"]) : undefined;
  if (code === undefined || !Number.isInteger(code)) return undefined;
  const description = typeof rec["description"] === "string" ? rec["description"] : undefined;
  return description === undefined ? { code } : { code, description };
}

// One public client's test double answers a pending collect with this sentence as plain text [P11].
const PENDING_TEXT = /being processed by sectigo/i;

function kindForStatus(status: number): VendorErrorKind {
  if (status === 401 || status === 403) return "credentials";
  if (status === 404) return "notFound";
  if (status === 409) return "conflict";
  if (status === 429) return "rateLimited";
  if (status === 408 || status >= 500) return "transient";
  return "invalid";
}

const MAX_DESCRIPTION = 300;

/** The VendorHttp `classify` hook for SCM. */
export function classifySectigoError(res: ClassifyInput): VendorError {
  const base = {
    vendor: "sectigo" as const,
    operation: res.operation,
    httpStatus: res.status,
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
    ...(res.retryAfterMs === undefined ? {} : { retryAfterMs: res.retryAfterMs }),
  };
  // Throttling is the transport's business whatever the body says.
  if (res.status === 429) {
    return new VendorError({ ...base, kind: "rateLimited", message: "rate limited (HTTP 429)" });
  }
  const err = readErrorBody(res.body);
  if (err !== undefined) {
    const row = lookupSectigoCode(err.code, err.description);
    // A 401 is a credentials problem whatever code rides along with it.
    const kind: VendorErrorKind = res.status === 401 ? "credentials" : (row?.kind ?? kindForStatus(res.status));
    const text = (err.description ?? row?.message ?? "no description").slice(0, MAX_DESCRIPTION);
    return new VendorError({ ...base, kind, vendorCode: String(err.code), message: `code ${err.code}: ${text}` });
  }
  if (typeof res.body === "string" && PENDING_TEXT.test(res.body) && res.status < 500) {
    return new VendorError({ ...base, kind: "pending", vendorCode: "0", message: "code 0: Being processed by Sectigo" });
  }
  // Not an SCM error body (proxy page, empty body, truncated JSON): fall back on the status.
  return new VendorError({ ...base, kind: kindForStatus(res.status), message: `HTTP ${res.status} without an SCM error body` });
}
