// Request plumbing shared by the SCM routes: the two logins, ids, paging, dates, and turning ScmFault
// into the documented `{code, description}` body.
import { pemToDer } from "../../pki/formats.ts";
import type { SimHandler, SimRequest, SimResponse, SimRoute } from "../shared/server.ts";
import type { RateLimitEnforcer } from "../shared/rate-limit.ts";
import { faults, ScmFault } from "./faults.ts";
import type { SectigoModel } from "./model.ts";
import { resolveDateFormat } from "./views.ts";

export interface SimCredentials {
  readonly login: string;
  readonly password: string;
  /** The admin's client certificate (PEM) for certificate login on `/private/api/…`. */
  readonly certificatePem?: string;
}

/** Certificate login: the documented paths under this prefix, `login` + `customerUri`, no password. */
export const PRIVATE_PREFIX = "/private";

export interface RouteContext {
  readonly model: SectigoModel;
  readonly customerUri: string;
  readonly credentials: readonly SimCredentials[];
  readonly limiter: RateLimitEnforcer | undefined;
}

export function faultResponse(f: ScmFault): SimResponse {
  return { status: f.status, json: f.body() };
}

/**
 * Who may call (DIGEST §3.1): password login is `login`, `password`, `customerUri` on `/api/…`;
 * certificate login is `login` and `customerUri` on `/private/api/…` over a TLS connection that
 * presented that admin's certificate (a password header there is ignored).
 */
export function loggedIn(ctx: Pick<RouteContext, "customerUri" | "credentials">, req: Pick<SimRequest, "path" | "headers" | "clientCertificate">): boolean {
  const login = req.headers["login"];
  if (req.headers["customeruri"] !== ctx.customerUri) return false;
  if (req.path.startsWith(`${PRIVATE_PREFIX}/`)) {
    const presented = req.clientCertificate;
    return (
      presented !== undefined &&
      ctx.credentials.some((c) => c.login === login && c.certificatePem !== undefined && pemToDer(c.certificatePem).equals(presented))
    );
  }
  return ctx.credentials.some((c) => c.login === login && c.password === req.headers["password"]);
}

/** Wraps a route: counts it, enforces the login and the optional rate limit. */
export function scm(ctx: RouteContext, handler: SimHandler): SimHandler {
  return async (req) => {
    const login = req.headers["login"];
    const customerUri = req.headers["customeruri"];
    if (!loggedIn(ctx, req)) {
      ctx.model.counters.authFailures++;
      return faultResponse(faults.unknownUser());
    }
    if (ctx.limiter !== undefined) {
      const d = ctx.limiter.check(`${customerUri}\u0000${login}`, "default");
      if (!d.ok) {
        ctx.model.counters.rateLimitViolations++;
        // SCM documents no limit and no throttling body; this one is inferred.
        return {
          status: 429,
          headers: { "retry-after": String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))) },
          json: { code: -1, description: "Unknown error." },
        };
      }
    }
    // Both logins count as the same endpoint.
    const key = `${req.method === "HEAD" ? "HEAD" : req.method} ${req.route.startsWith(`${PRIVATE_PREFIX}/`) ? req.route.slice(PRIVATE_PREFIX.length) : req.route}`;
    ctx.model.counters.requests[key] = (ctx.model.counters.requests[key] ?? 0) + 1;
    try {
      return await handler(req);
    } catch (e) {
      if (e instanceof ScmFault) return faultResponse(e);
      throw e;
    }
  };
}

export function pathId(req: SimRequest, name = "id"): number {
  const raw = req.params[name] ?? "";
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 2_147_483_647) throw faults.invalidField(name);
  return Number(raw);
}

/** Documented maximum `size` is 200 [P10]; the default for an omitted size is not documented (10 here). */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 200;

export function paging(q: URLSearchParams): { position: number; size: number } {
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = q.get(name);
    if (v === null || v === "") return dflt;
    if (!/^\d+$/.test(v)) throw faults.invalidField(name);
    const n = Number(v);
    if (n < min || n > max) throw faults.invalidField(name);
    return n;
  };
  return { position: int("position", 0, 0, 2_147_483_647), size: int("size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE) };
}

/** One page plus `X-Total-Count`; HEAD gets the header only (the server drops the body). */
export function pageResponse<T>(items: readonly T[], q: URLSearchParams, view: (t: T) => unknown): SimResponse {
  const { position, size } = paging(q);
  const page = items.slice(position, position + size);
  return { status: 200, headers: { "x-total-count": String(items.length) }, json: page.map(view) };
}

export function datePattern(q: URLSearchParams, fallback: string): string {
  const p = resolveDateFormat(q.get("dateFormat"), fallback);
  if (p === undefined) throw faults.invalidField("dateFormat");
  return p;
}

export function noContent(): SimResponse {
  return { status: 204 };
}

export function json(status: number, body: unknown): SimResponse {
  return { status, json: body };
}

export function eqi(a: string | undefined, b: string | null): boolean {
  return b === null || b === "" || (a !== undefined && a.toLowerCase() === b.toLowerCase());
}

/** Every route again under `/private` (certificate login); `scm()` tells the logins apart by the path. */
export function withCertificateLogin(routes: readonly SimRoute[]): SimRoute[] {
  return [...routes, ...routes.map((r) => ({ ...r, path: `${PRIVATE_PREFIX}${r.path}` }))];
}
