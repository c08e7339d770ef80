// The SCM connection: base URL, login headers and the shared VendorHttp. Two documented logins
// (DIGEST §3.1): by password (`login`, `password`, `customerUri` headers on `/api/…`), or by the
// admin's certificate (`login` and `customerUri` headers on `/private/api/…`, the certificate on the
// TLS connection, which the dispatcher carries). The headers go on every call and nowhere else:
// never into errors, events or logs.
import type { Dispatcher } from "undici";
import type { Clock } from "../shared/clock.ts";
import { VendorHttp, type AttemptEvent } from "../shared/http.ts";
import type { RateLimiter, RateLimitRule } from "../shared/rate-limiter.ts";
import { credentialKey } from "../shared/rate-limiter.ts";
import { VendorError } from "../shared/errors.ts";
import { classifySectigoError } from "./errors.ts";

export interface SectigoCredentials {
  readonly login: string;
  /** The customer URI part (`customerUri` header), e.g. "cst325". */
  readonly customerUri: string;
  /** Password login; absent with certificate login. */
  readonly password?: string;
}

/**
 * "password": the password header on `/api/…`. "certificate": no password; the calls go to
 * `/private/api/…` and the dispatcher must present the admin's client certificate.
 */
export type SectigoLogin = "password" | "certificate";

/** Where certificate login sends the documented paths: "…/private/api/ssl/v1/types". */
export const PRIVATE_PREFIX = "/private";

export interface SectigoConnectionOptions extends SectigoCredentials {
  /** e.g. "https://cert-manager.com" (the "/api/…" paths are appended). Instances differ only in host. */
  readonly baseUrl: string;
  /** Default "password". */
  readonly loginWith?: SectigoLogin;
  readonly dispatcher?: Dispatcher;
  readonly limiter?: RateLimiter;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly onAttempt?: (e: AttemptEvent) => void;
}

/**
 * SCM documents no rate limit (DIGEST §3.1); we pace ourselves politely: 4 requests per second per
 * credential, shared by every client using the same account.
 */
export const SECTIGO_RATE_RULES: Record<string, RateLimitRule> = {
  default: { limit: 4, windowMs: 1_000 },
};

/** The limiter registry key for an account: never the password. */
export function sectigoCredentialKey(opts: Pick<SectigoConnectionOptions, "baseUrl" | "customerUri" | "login">): string {
  return credentialKey("sectigo", new URL(opts.baseUrl).host, opts.customerUri, opts.login);
}

/** SCM JSON calls declare UTF-8 explicitly (every documented example does). */
export const JSON_CONTENT_TYPE = { "content-type": "application/json;charset=UTF-8" } as const;

export function createSectigoHttp(opts: SectigoConnectionOptions): VendorHttp {
  const certificate = opts.loginWith === "certificate";
  if (!certificate && (opts.password === undefined || opts.password === "")) {
    throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "configure", message: "password login needs a password" });
  }
  const headers: Record<string, string> = certificate
    ? { login: opts.login, customerUri: opts.customerUri }
    : { login: opts.login, password: opts.password!, customerUri: opts.customerUri };
  return new VendorHttp({
    vendor: "sectigo",
    baseUrl: certificate ? privateBase(opts.baseUrl) : opts.baseUrl,
    classify: classifySectigoError,
    authHeaders: async () => headers,
    requestIdHeaders: ["x-request-id", "x-correlation-id"],
    ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
    ...(opts.limiter === undefined ? {} : { limiter: opts.limiter }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.timeoutMs === undefined ? {} : { defaultTimeoutMs: opts.timeoutMs }),
    ...(opts.maxResponseBytes === undefined ? {} : { maxResponseBytes: opts.maxResponseBytes }),
    ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.onAttempt === undefined ? {} : { onAttempt: opts.onAttempt }),
  });
}

/** `X-Total-Count` as a number, or undefined when absent or garbled. */
export function totalCount(headers: Record<string, string>): number | undefined {
  const raw = headers["x-total-count"];
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/** The base URL certificate login calls: the instance's with `/private` once (a base that has it already keeps it). */
export function privateBase(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return base.endsWith(PRIVATE_PREFIX) ? base : base + PRIVATE_PREFIX;
}
