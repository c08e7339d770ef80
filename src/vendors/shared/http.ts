// The one HTTP path every vendor client uses: limiter → timeout → bounded read → typed errors →
// schema validation, with transport retries only where repeating the call is harmless.
import { request as undiciRequest, type Dispatcher } from "undici";
import type { z } from "zod";
import { abortReason, systemClock, type Clock } from "./clock.ts";
import { isTransportRetryable, isVendorError, VendorError, type VendorName } from "./errors.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { parseRetryAfterMs } from "./retry-after.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ClassifyInput {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Parsed JSON when the body was JSON, otherwise the text (possibly truncated). Never put it in a message. */
  readonly body: unknown | string;
  readonly operation: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
}

export type Classify = (res: ClassifyInput) => VendorError;

export interface AttemptEvent {
  readonly vendor: VendorName;
  readonly operation: string;
  readonly method: HttpMethod;
  readonly attempt: number;
  readonly durationMs: number;
  readonly status?: number;
  readonly errorKind?: VendorError["kind"];
  readonly requestId?: string;
}

export interface VendorHttpOptions {
  readonly vendor: VendorName;
  readonly baseUrl: string;
  readonly dispatcher?: Dispatcher;
  readonly limiter?: RateLimiter;
  readonly clock?: Clock;
  /** Per attempt, including reading the body. Default 30 s. */
  readonly defaultTimeoutMs?: number;
  /** Default 4 MiB. */
  readonly maxResponseBytes?: number;
  /** Total attempts for idempotent calls (1 = no retries). Default 3. */
  readonly maxAttempts?: number;
  /** A Retry-After longer than this is not waited out in-process; the error goes up instead. Default 60 s. */
  readonly maxRetryAfterMs?: number;
  /** First backoff step; doubles per attempt, jittered. Default 250 ms. */
  readonly backoffBaseMs?: number;
  /** Default 10 s. */
  readonly backoffMaxMs?: number;
  readonly classify: Classify;
  readonly authHeaders?: (signal: AbortSignal) => Promise<Record<string, string>>;
  /** Headers that carry the vendor's request id, in order of preference. */
  readonly requestIdHeaders?: readonly string[];
  readonly userAgent?: string;
  /** Called for every classified error before retry decisions (e.g. pause the limiter after a 429). */
  readonly onVendorError?: (e: VendorError) => void;
  /** Called after every attempt (metrics, debug logs). Carries no payloads. */
  readonly onAttempt?: (e: AttemptEvent) => void;
  /** Injectable randomness for jitter. */
  readonly random?: () => number;
}

export interface VendorRequestBase {
  readonly operation: string;
  readonly method: HttpMethod;
  /** Path relative to baseUrl, starting with "/". */
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  /** Limiter bucket; default "default". */
  readonly bucket?: string;
  /** Default: GET/PUT/DELETE true, POST/PATCH false. */
  readonly idempotent?: boolean;
  /** Statuses that count as success. Default: any 2xx. */
  readonly expectStatus?: readonly number[];
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface VendorRequest<T> extends VendorRequestBase {
  readonly schema: z.ZodType<T>;
}

export interface VendorResponse<T> {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly data: T;
  readonly requestId?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly requestId?: string;
}

const DEFAULT_REQUEST_ID_HEADERS = ["x-request-id", "cf-ray", "x-correlation-id", "x-zscaler-request-id", "request-id", "x-amzn-requestid"];
const MAX_CLASSIFY_TEXT = 2048;

interface Exchanged {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
}

export class VendorHttp {
  readonly vendor: VendorName;
  readonly #o: VendorHttpOptions;
  readonly #clock: Clock;
  readonly #base: string;
  readonly #maxBytes: number;
  readonly #random: () => number;

  constructor(opts: VendorHttpOptions) {
    const base = new URL(opts.baseUrl);
    if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error(`unsupported base URL protocol ${base.protocol}`);
    this.vendor = opts.vendor;
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#base = base.toString().replace(/\/+$/, "");
    this.#maxBytes = opts.maxResponseBytes ?? 4 * 1024 * 1024;
    this.#random = opts.random ?? Math.random;
  }

  get limiter(): RateLimiter | undefined {
    return this.#o.limiter;
  }

  /** A JSON call validated by `schema`. */
  async request<T>(req: VendorRequest<T>): Promise<VendorResponse<T>> {
    return this.#withRetries(req, async (attempt) => {
      const ex = await this.#exchange(req, attempt, "application/json");
      const parsed = this.#parseJsonBody(req.operation, ex);
      const result = req.schema.safeParse(parsed);
      if (!result.success) {
        // Paths and issue codes only: values can be secrets.
        const where = result.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.length === 0 ? "(root)" : i.path.join(".")}: ${i.code}`)
          .join("; ");
        throw this.#error(req.operation, ex, "permanent", `response did not match the expected schema (${where})`);
      }
      return { status: ex.status, headers: ex.headers, data: result.data, ...(ex.requestId === undefined ? {} : { requestId: ex.requestId }) };
    });
  }

  /** A download whose body is returned as bytes (certificate formats), with the same guarantees. */
  async requestRaw(req: VendorRequestBase & { readonly accept?: string }): Promise<RawResponse> {
    return this.#withRetries(req, async (attempt) => {
      const ex = await this.#exchange(req, attempt, req.accept ?? "*/*");
      return { status: ex.status, headers: ex.headers, body: ex.body, ...(ex.requestId === undefined ? {} : { requestId: ex.requestId }) };
    });
  }

  async #withRetries<R>(req: VendorRequestBase, run: (attempt: number) => Promise<R>): Promise<R> {
    const idempotent = req.idempotent ?? (req.method === "GET" || req.method === "PUT" || req.method === "DELETE");
    const maxAttempts = idempotent ? Math.max(1, this.#o.maxAttempts ?? 3) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(attempt);
      } catch (e) {
        if (!isVendorError(e)) throw e;
        this.#o.onVendorError?.(e);
        if (attempt >= maxAttempts || !isTransportRetryable(e.kind)) throw e;
        const wait = this.#retryDelay(attempt, e);
        if (wait === undefined) throw e;
        await this.#clock.sleep(wait, req.signal);
      }
    }
  }

  #retryDelay(attempt: number, e: VendorError): number | undefined {
    if (e.retryAfterMs !== undefined) {
      return e.retryAfterMs > (this.#o.maxRetryAfterMs ?? 60_000) ? undefined : e.retryAfterMs;
    }
    const base = this.#o.backoffBaseMs ?? 250;
    const ceiling = Math.min(this.#o.backoffMaxMs ?? 10_000, base * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.#random());
  }

  async #exchange(req: VendorRequestBase, attempt: number, accept: string): Promise<Exchanged> {
    if (!req.path.startsWith("/")) throw new Error(`path must start with "/": ${req.operation}`);
    req.signal?.throwIfAborted();
    await this.#takeSlot(req);
    const started = this.#clock.now();
    // The timeout covers the exchange itself, not the wait for a rate-limit slot.
    const timeoutMs = req.timeoutMs ?? this.#o.defaultTimeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
    let status: number | undefined;
    let kind: VendorError["kind"] | undefined;
    let requestId: string | undefined;
    try {
      const auth = this.#o.authHeaders === undefined ? {} : await this.#o.authHeaders(signal);
      const { body, contentType } = encodeBody(req);
      const headers: Record<string, string> = {
        accept,
        "user-agent": this.#o.userAgent ?? "certbridge",
        ...(contentType === undefined ? {} : { "content-type": contentType }),
        ...req.headers,
        ...auth,
      };
      const res = await undiciRequest(this.#url(req), {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        ...(this.#o.dispatcher === undefined ? {} : { dispatcher: this.#o.dispatcher }),
      });
      status = res.statusCode;
      const resHeaders = flattenHeaders(res.headers);
      requestId = this.#requestId(resHeaders);
      const retryAfterMs = parseRetryAfterMs(resHeaders["retry-after"], new Date(this.#clock.now()));
      const ex: Exchanged = {
        status,
        headers: resHeaders,
        body: Buffer.alloc(0),
        ...(requestId === undefined ? {} : { requestId }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
      const bytes = await readCapped(res.body, this.#maxBytes, resHeaders["content-length"]);
      if (bytes === "too-large") {
        throw this.#error(req.operation, ex, "permanent", `response body exceeds the ${this.#maxBytes}-byte limit`);
      }
      const full: Exchanged = { ...ex, body: bytes };
      const expected = req.expectStatus === undefined ? status >= 200 && status < 300 : req.expectStatus.includes(status);
      if (!expected) throw this.#classified(req.operation, full);
      return full;
    } catch (e) {
      const err = this.#transportError(req, e, timeout, timeoutMs, status, requestId);
      kind = isVendorError(err) ? err.kind : undefined;
      throw err;
    } finally {
      this.#o.onAttempt?.({
        vendor: this.vendor,
        operation: req.operation,
        method: req.method,
        attempt,
        durationMs: this.#clock.now() - started,
        ...(status === undefined ? {} : { status }),
        ...(kind === undefined ? {} : { errorKind: kind }),
        ...(requestId === undefined ? {} : { requestId }),
      });
    }
  }

  // Waits for the limiter. A vendor-imposed pause longer than we would sleep in-process (Cloudflare:
  // five minutes) fails fast as rateLimited, so the caller requeues instead of holding a worker.
  async #takeSlot(req: VendorRequestBase): Promise<void> {
    const limiter = this.#o.limiter;
    if (limiter === undefined) return;
    const paused = limiter.pausedForMs();
    if (paused > (this.#o.maxRetryAfterMs ?? 60_000)) {
      throw new VendorError({
        kind: "rateLimited",
        vendor: this.vendor,
        operation: req.operation,
        message: `held back by the client-side rate limiter for another ${Math.ceil(paused / 1000)} s after a rate-limit response`,
        retryAfterMs: paused,
      });
    }
    await limiter.acquire(req.bucket ?? "default", req.signal);
  }

  // Turns what the network threw into a typed error; caller aborts pass through untouched.
  #transportError(
    req: VendorRequestBase,
    e: unknown,
    timeout: AbortSignal,
    timeoutMs: number,
    status: number | undefined,
    requestId: string | undefined,
  ): unknown {
    if (isVendorError(e)) return e;
    if (req.signal?.aborted) return abortReason(req.signal);
    const ctx = { ...(status === undefined ? {} : { httpStatus: status }), ...(requestId === undefined ? {} : { requestId }) };
    if (timeout.aborted) {
      return new VendorError({
        kind: "transient",
        vendor: this.vendor,
        operation: req.operation,
        message: `timed out after ${timeoutMs} ms`,
        ...ctx,
        cause: e,
      });
    }
    // Network failures carry a string code (ECONNRESET, UND_ERR_SOCKET, …); anything else is a bug.
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    if (typeof code === "string") {
      const label = code;
      // A certificate the endpoint presents that we do not trust is configuration (caBundle), not weather.
      if (TLS_TRUST_CODES.has(code) || code.startsWith("ERR_TLS_CERT")) {
        return new VendorError({
          kind: "permanent",
          vendor: this.vendor,
          operation: req.operation,
          message: `TLS verification of the vendor endpoint failed (${label}); check the connection's caBundle`,
          ...ctx,
          cause: e,
        });
      }
      return new VendorError({ kind: "transient", vendor: this.vendor, operation: req.operation, message: `network error (${label})`, ...ctx, cause: e });
    }
    return e;
  }

  #classified(operation: string, ex: Exchanged): VendorError {
    const body = decodeForClassify(ex);
    const err = this.#o.classify({
      status: ex.status,
      headers: ex.headers,
      body,
      operation,
      ...(ex.requestId === undefined ? {} : { requestId: ex.requestId }),
      ...(ex.retryAfterMs === undefined ? {} : { retryAfterMs: ex.retryAfterMs }),
    });
    return err.with({
      ...(err.httpStatus === undefined ? { httpStatus: ex.status } : {}),
      ...(err.requestId === undefined && ex.requestId !== undefined ? { requestId: ex.requestId } : {}),
      ...(err.retryAfterMs === undefined && ex.retryAfterMs !== undefined ? { retryAfterMs: ex.retryAfterMs } : {}),
    });
  }

  #parseJsonBody(operation: string, ex: Exchanged): unknown {
    if (ex.body.length === 0) return undefined;
    const text = ex.body.toString("utf8");
    if (looksLikeHtml(ex.headers["content-type"], text)) {
      throw this.#error(operation, ex, "transient", "expected JSON but received an HTML page");
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.#error(operation, ex, "transient", "response body is not valid JSON");
    }
  }

  #error(operation: string, ex: Pick<Exchanged, "status" | "requestId">, kind: VendorError["kind"], message: string): VendorError {
    return new VendorError({
      kind,
      vendor: this.vendor,
      operation,
      message,
      httpStatus: ex.status,
      ...(ex.requestId === undefined ? {} : { requestId: ex.requestId }),
    });
  }

  #url(req: VendorRequestBase): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) params.append(k, String(v));
    const qs = params.toString();
    const url = this.#base + req.path;
    return qs === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${qs}`;
  }

  #requestId(headers: Record<string, string>): string | undefined {
    for (const h of this.#o.requestIdHeaders ?? DEFAULT_REQUEST_ID_HEADERS) {
      const v = headers[h.toLowerCase()];
      if (v !== undefined && v !== "") return v.slice(0, 200);
    }
    return undefined;
  }
}

/** Node's TLS trust failures: retrying cannot fix them. */
const TLS_TRUST_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
]);

function encodeBody(req: VendorRequestBase): { body?: string; contentType?: string } {
  if (req.json !== undefined && req.form !== undefined) throw new Error(`${req.operation}: json and form are exclusive`);
  if (req.json !== undefined) return { body: JSON.stringify(req.json), contentType: "application/json" };
  if (req.form !== undefined) return { body: new URLSearchParams(req.form).toString(), contentType: "application/x-www-form-urlencoded" };
  return {};
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Reads at most `max` bytes; beyond that the stream is destroyed and "too-large" returned. */
type BodyStream = AsyncIterable<Buffer | Uint8Array> & { destroy(err?: Error): unknown; on(event: "error", fn: (e: Error) => void): unknown };

// Destroying a body that nobody reads emits an abort error; nothing is listening by then, so swallow it.
function discard(body: BodyStream): void {
  body.on("error", () => {});
  body.destroy();
}

async function readCapped(body: BodyStream, max: number, contentLength: string | undefined): Promise<Buffer | "too-large"> {
  if (contentLength !== undefined && Number(contentLength) > max) {
    discard(body);
    return "too-large";
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) {
      discard(body);
      return "too-large";
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

function looksLikeHtml(contentType: string | undefined, text: string): boolean {
  if (contentType !== undefined && /html/i.test(contentType)) return true;
  return /^\s*<(!doctype|html|head|body)/i.test(text);
}

function decodeForClassify(ex: Exchanged): unknown {
  if (ex.body.length === 0) return undefined;
  const text = ex.body.toString("utf8");
  if (!looksLikeHtml(ex.headers["content-type"], text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // not JSON: hand over text
    }
  }
  return text.length > MAX_CLASSIFY_TEXT ? text.slice(0, MAX_CLASSIFY_TEXT) : text;
}
