// The four documented client-certificate endpoints plus list [S2, P7], each wrapped with the per-IP
// rate limit, auth, the per-credential rate limit, and the headers Cloudflare sends on every call.
import { randomBytes } from "node:crypto";
import { parseCsr } from "../../pki/csr.ts";
import type { RateLimitEnforcer } from "../shared/rate-limit.ts";
import type { SimRequest, SimResponse, SimRoute } from "../shared/server.ts";
import { authenticate, isCaller, type Caller } from "./auth.ts";
import { fail, ok, SIM_CODES, withDetail } from "./envelope.ts";
import type { CertificateStore, StoredCert } from "./store.ts";

export interface CloudflareSimContext {
  readonly store: CertificateStore;
  /** Per user or API token: 1200 per 5 minutes, then every call refused for 5 minutes [P8]. */
  readonly limits: RateLimitEnforcer;
  /** Per client IP, whoever the caller: 200 per second [P8]; no penalty beyond the window (inf). */
  readonly ipLimits: RateLimitEnforcer;
  readonly zones: Set<string>;
}

const STATUS_FILTERS = new Set(["all", "active", "pending_reactivation", "pending_revocation", "revoked"]);
const BASE = "/client/v4/zones/:zone/client_certificates";

export function cfRay(): string {
  return `${randomBytes(8).toString("hex")}-SIM`;
}

/** Headers on every response [P8]: a ray id and the rate-limit advertisement. */
export function commonHeaders(ctx: CloudflareSimContext, extra: Record<string, string> = {}): Record<string, string> {
  const rule = ctx.limits.rules["default"];
  return {
    "cf-ray": cfRay(),
    ratelimit: `"default";r=${rule?.limit ?? 1200};t=${Math.ceil((rule?.windowMs ?? 300_000) / 1000)}`,
    "ratelimit-policy": `"default";q=${rule?.limit ?? 1200};w=${Math.ceil((rule?.windowMs ?? 300_000) / 1000)}`,
    ...extra,
  };
}

type Handler = (req: SimRequest, caller: Caller, headers: Record<string, string>) => SimResponse | Promise<SimResponse>;

function guarded(ctx: CloudflareSimContext, write: boolean, handler: Handler): (req: SimRequest) => Promise<SimResponse> {
  return async (req) => {
    const headers = commonHeaders(ctx);
    // The edge counts every call from an address before it looks at who is calling.
    const perIp = ctx.ipLimits.check(`ip:${req.remoteAddress}`, "default");
    if (!perIp.ok) {
      req.count("ipRateLimitViolations");
      return fail(429, [SIM_CODES.throttled], { ...headers, "retry-after": String(Math.max(1, Math.ceil(perIp.retryAfterMs / 1000))) });
    }
    const caller = authenticate(req);
    if (!isCaller(caller)) return { ...caller, headers: { ...headers, ...caller.headers } };
    const rate = ctx.limits.check(caller.credential, "default");
    if (!rate.ok) {
      req.count("rateLimitViolations");
      return fail(429, [SIM_CODES.throttled], { ...headers, "retry-after": String(Math.ceil(rate.retryAfterMs / 1000)) });
    }
    if (write && !caller.canWrite) return fail(403, [SIM_CODES.authenticationError], headers);
    if (!ctx.zones.has(req.params["zone"] ?? "")) return fail(404, [SIM_CODES.noRoute], headers);
    return handler(req, caller, headers);
  };
}

function intParam(req: SimRequest, name: string): number | undefined | "invalid" {
  const raw = req.query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) return "invalid";
  return Number(raw);
}

function lookup(ctx: CloudflareSimContext, req: SimRequest, headers: Record<string, string>): StoredCert | SimResponse {
  const c = ctx.store.get(req.params["zone"]!, req.params["id"]!);
  return c ?? fail(404, [SIM_CODES.notFound], headers);
}

function isCert(x: StoredCert | SimResponse): x is StoredCert {
  return "wire" in x;
}

export function cloudflareRoutes(ctx: CloudflareSimContext): SimRoute[] {
  return [
    {
      method: "GET",
      path: BASE,
      handler: guarded(ctx, false, (req, _caller, headers) => {
        const status = req.query.get("status") ?? "all"; // default when omitted is undocumented (inf: all)
        if (!STATUS_FILTERS.has(status)) return fail(400, [withDetail(SIM_CODES.invalidQuery, "status")], headers);
        const page = intParam(req, "page");
        const perPage = intParam(req, "per_page");
        const limit = intParam(req, "limit");
        const offset = intParam(req, "offset");
        if (page === "invalid" || (page !== undefined && page < 1)) return fail(400, [withDetail(SIM_CODES.invalidQuery, "page")], headers);
        if (perPage === "invalid" || (perPage !== undefined && (perPage < 5 || perPage > 50)))
          return fail(400, [withDetail(SIM_CODES.invalidQuery, "per_page")], headers);
        if (limit === "invalid" || offset === "invalid") return fail(400, [withDetail(SIM_CODES.invalidQuery, "limit/offset")], headers);
        let all = ctx.store.list(req.params["zone"]!).filter((c) => status === "all" || c.status === status);
        // limit/offset trim the result set first (inf); page/per_page then page through it.
        if (offset !== undefined) all = all.slice(offset);
        if (limit !== undefined) all = all.slice(0, limit);
        const p = page ?? 1;
        const pp = perPage ?? 20;
        const items = all.slice((p - 1) * pp, p * pp).map((c) => ctx.store.toWire(c));
        return ok(items, headers, { count: items.length, page: p, per_page: pp, total_count: all.length });
      }),
    },
    {
      method: "POST",
      path: BASE,
      handler: guarded(ctx, true, async (req, _caller, headers) => {
        const body = req.body as Record<string, unknown> | undefined;
        if (typeof body !== "object" || body === null || Array.isArray(body)) return fail(400, [SIM_CODES.invalidBody], headers);
        const { csr, validity_days: days } = body;
        if (typeof csr !== "string" || csr.trim() === "") return fail(400, [withDetail(SIM_CODES.invalidBody, "csr is required")], headers);
        if (days === undefined) return fail(400, [withDetail(SIM_CODES.invalidBody, "validity_days is required")], headers);
        if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 3650) return fail(400, [SIM_CODES.invalidValidity], headers);
        try {
          const parsed = await parseCsr(csr);
          if (!parsed.signatureValid) return fail(400, [SIM_CODES.invalidCsr], headers);
        } catch {
          return fail(400, [SIM_CODES.invalidCsr], headers);
        }
        const cert = await ctx.store.create(req.params["zone"]!, csr, days);
        req.count("created.client_certificate");
        return ok(ctx.store.toWire(cert), headers); // 200, not 201 [P7]
      }),
    },
    {
      method: "GET",
      path: `${BASE}/:id`,
      handler: guarded(ctx, false, (req, _caller, headers) => {
        const c = lookup(ctx, req, headers);
        return isCert(c) ? ok(ctx.store.toWire(c), headers) : c;
      }),
    },
    {
      method: "DELETE",
      path: `${BASE}/:id`,
      handler: guarded(ctx, true, (req, _caller, headers) => {
        const c = lookup(ctx, req, headers);
        if (!isCert(c)) return c;
        if (ctx.store.revoke(c) === "invalidState") return fail(400, [withDetail(SIM_CODES.invalidState, c.status)], headers);
        req.count("revocations");
        return ok(ctx.store.toWire(c), headers);
      }),
    },
    {
      method: "PATCH",
      path: `${BASE}/:id`,
      handler: guarded(ctx, true, (req, _caller, headers) => {
        const c = lookup(ctx, req, headers);
        if (!isCert(c)) return c;
        const body = req.body as Record<string, unknown> | undefined;
        if (body?.["reactivate"] !== true) return fail(400, [withDetail(SIM_CODES.invalidBody, "reactivate must be true")], headers);
        if (ctx.store.reactivate(c) === "invalidState") return fail(400, [withDetail(SIM_CODES.invalidState, c.status)], headers);
        req.count("reactivations");
        return ok(ctx.store.toWire(c), headers);
      }),
    },
  ];
}
