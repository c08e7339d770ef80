// Cloudflare API Shield mTLS client certificates on VendorHttp: create, get, list, revoke, reactivate.
import type { Dispatcher } from "undici";
import type { Clock } from "../shared/clock.ts";
import { VendorError } from "../shared/errors.ts";
import { VendorHttp, type AttemptEvent, type HttpMethod } from "../shared/http.ts";
import { credentialKey, RateLimiter, scaledRule, type RateLimiterRegistry, type RateLimitRule } from "../shared/rate-limiter.ts";
import { CLOUDFLARE_BLOCK_MS, classifyCloudflare } from "./errors.ts";
import {
  CertificateListEnvelope,
  SingleCertificateEnvelope,
  type ClientCertificate,
  type CreateClientCertificateBody,
  type ListStatusFilter,
  type ResultInfo,
} from "./wire.ts";

export const CLOUDFLARE_DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";

/** 1200 requests per 5 minutes per user/token [P8], kept to 80%. */
export const CLOUDFLARE_RATE_RULES: Record<string, RateLimitRule> = { default: scaledRule(1200, 5 * 60_000) };

export type CloudflareAuth =
  | { readonly kind: "apiToken"; readonly token: string }
  | { readonly kind: "globalKey"; readonly email: string; readonly key: string };

export interface CloudflareClientOptions {
  readonly zoneId: string;
  readonly auth: CloudflareAuth;
  readonly baseUrl?: string;
  readonly dispatcher?: Dispatcher;
  /** Shared budgets: connections using the same credentials share one limiter. */
  readonly limiters?: RateLimiterRegistry;
  /** Or a specific limiter (tests). */
  readonly limiter?: RateLimiter;
  readonly rateRules?: Record<string, RateLimitRule>;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly maxResponseBytes?: number;
  readonly onAttempt?: (e: AttemptEvent) => void;
}

export interface ListOptions {
  readonly status?: ListStatusFilter;
  readonly page?: number;
  /** 5..50 [S2]. */
  readonly perPage?: number;
  readonly limit?: number;
  readonly offset?: number;
}

export interface ListPage {
  readonly items: ClientCertificate[];
  readonly info: ResultInfo | undefined;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const ZONE_ID = /^[A-Za-z0-9]{1,32}$/;
const MAX_PAGES = 1000;

/** The identity the rate budget belongs to: the user (email) or the token. Hashed before use. */
export function cloudflareCredentialKey(auth: CloudflareAuth): string {
  return auth.kind === "apiToken" ? credentialKey("cloudflare", "token", auth.token) : credentialKey("cloudflare", "email", auth.email.toLowerCase());
}

export class CloudflareClient {
  readonly zoneId: string;
  readonly #http: VendorHttp;
  readonly limiter: RateLimiter;

  constructor(opts: CloudflareClientOptions) {
    if (!ZONE_ID.test(opts.zoneId)) throw invalid("configure", "zoneId must be 1-32 alphanumeric characters");
    this.zoneId = opts.zoneId;
    const rules = opts.rateRules ?? CLOUDFLARE_RATE_RULES;
    this.limiter =
      opts.limiter ??
      opts.limiters?.forCredential(cloudflareCredentialKey(opts.auth), rules) ??
      new RateLimiter(opts.clock === undefined ? { rules } : { rules, clock: opts.clock });
    const auth = authHeaders(opts.auth);
    const limiter = this.limiter;
    this.#http = new VendorHttp({
      vendor: "cloudflare",
      baseUrl: opts.baseUrl ?? CLOUDFLARE_DEFAULT_BASE_URL,
      limiter,
      classify: classifyCloudflare,
      authHeaders: async () => auth,
      requestIdHeaders: ["cf-ray", "x-request-id"],
      // A 429 blocks the whole account for five minutes: stop every call, not just this one.
      onVendorError: (e) => {
        if (e.kind === "rateLimited") limiter.pauseFor(e.retryAfterMs ?? CLOUDFLARE_BLOCK_MS);
      },
      ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.timeoutMs === undefined ? {} : { defaultTimeoutMs: opts.timeoutMs }),
      ...(opts.maxAttempts === undefined ? {} : { maxAttempts: opts.maxAttempts }),
      ...(opts.maxResponseBytes === undefined ? {} : { maxResponseBytes: opts.maxResponseBytes }),
      ...(opts.onAttempt === undefined ? {} : { onAttempt: opts.onAttempt }),
    });
  }

  /** POST → 200 with the issued certificate (synchronous issuance). Never retried at the transport. */
  async create(req: { csr: string; validityDays: number }, signal?: AbortSignal): Promise<ClientCertificate> {
    if (!Number.isInteger(req.validityDays) || req.validityDays < 1) throw invalid("createClientCertificate", "validityDays must be a positive integer");
    const json: CreateClientCertificateBody = { csr: req.csr, validity_days: req.validityDays };
    return this.#single("createClientCertificate", "POST", "", signal, json);
  }

  async get(id: string, signal?: AbortSignal): Promise<ClientCertificate> {
    return this.#single("getClientCertificate", "GET", `/${checkId("getClientCertificate", id)}`, signal);
  }

  /** DELETE → 200; the certificate moves to pending_revocation, then revoked. Safe to repeat. */
  async revoke(id: string, signal?: AbortSignal): Promise<ClientCertificate> {
    return this.#single("revokeClientCertificate", "DELETE", `/${checkId("revokeClientCertificate", id)}`, signal);
  }

  /** PATCH {reactivate:true}; only valid while pending_revocation. */
  async reactivate(id: string, signal?: AbortSignal): Promise<ClientCertificate> {
    return this.#single("reactivateClientCertificate", "PATCH", `/${checkId("reactivateClientCertificate", id)}`, signal, { reactivate: true });
  }

  async list(opts: ListOptions = {}, signal?: AbortSignal): Promise<ListPage> {
    if (opts.perPage !== undefined && (opts.perPage < 5 || opts.perPage > 50)) throw invalid("listClientCertificates", "perPage must be within 5..50");
    const res = await this.#http.request({
      operation: "listClientCertificates",
      method: "GET",
      path: this.#base(""),
      query: { status: opts.status, page: opts.page, per_page: opts.perPage, limit: opts.limit, offset: opts.offset },
      schema: CertificateListEnvelope,
      ...(signal === undefined ? {} : { signal }),
    });
    this.#checkSuccess("listClientCertificates", res);
    return { items: res.data.result, info: res.data.result_info };
  }

  /** Every certificate matching `status`, page by page (50 per page). */
  async listAll(opts: { status?: ListStatusFilter } = {}, signal?: AbortSignal): Promise<ClientCertificate[]> {
    const all: ClientCertificate[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { items, info } = await this.list({ ...opts, page, perPage: 50 }, signal);
      all.push(...items);
      const total = info?.totalCount;
      if (items.length < 50 || (total !== undefined && all.length >= total)) return all;
    }
    throw new VendorError({ kind: "permanent", vendor: "cloudflare", operation: "listClientCertificates", message: `more than ${MAX_PAGES} pages` });
  }

  /**
   * Crash recovery: nothing marks who owns a certificate, so find ours by the CSR we sent
   * (Cloudflare echoes it). Compares the base64 body, ignoring line breaks.
   */
  async findByCsr(csrPem: string, signal?: AbortSignal): Promise<ClientCertificate | undefined> {
    const want = csrBody(csrPem);
    const all = await this.listAll({ status: "all" }, signal);
    return (
      all.find((c) => c.csr !== undefined && csrBody(c.csr) === want && c.status !== "revoked" && c.status !== "pending_revocation") ??
      all.find((c) => c.csr !== undefined && csrBody(c.csr) === want)
    );
  }

  async #single(operation: string, method: HttpMethod, suffix: string, signal: AbortSignal | undefined, json?: unknown): Promise<ClientCertificate> {
    const res = await this.#http.request({
      operation,
      method,
      path: this.#base(suffix),
      schema: SingleCertificateEnvelope,
      ...(json === undefined ? {} : { json }),
      ...(signal === undefined ? {} : { signal }),
    });
    this.#checkSuccess(operation, res);
    return res.data.result;
  }

  // A 2xx that says success:false is still a failure.
  #checkSuccess(
    operation: string,
    res: { status: number; headers: Record<string, string>; data: { success: boolean; errors: unknown }; requestId?: string },
  ): void {
    if (res.data.success) return;
    throw classifyCloudflare({
      status: res.status,
      headers: res.headers,
      body: res.data,
      operation,
      ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
    });
  }

  #base(suffix: string): string {
    return `/zones/${this.zoneId}/client_certificates${suffix}`;
  }
}

function authHeaders(auth: CloudflareAuth): Record<string, string> {
  return auth.kind === "apiToken" ? { authorization: `Bearer ${auth.token}` } : { "x-auth-email": auth.email, "x-auth-key": auth.key };
}

// Input we refuse to send is classified like a vendor refusal: the request is wrong.
function invalid(operation: string, message: string): VendorError {
  return new VendorError({ kind: "invalid", vendor: "cloudflare", operation, message });
}

function checkId(operation: string, id: string): string {
  if (!ID.test(id)) throw invalid(operation, "client certificate id has an invalid format");
  return id;
}

function csrBody(pem: string): string {
  return pem
    .replace(/\\n/g, "\n")
    .replace(/-----[^-]+-----/g, "")
    .replace(/\s+/g, "");
}

export type { ClientCertificate, ListStatusFilter, ResultInfo };
