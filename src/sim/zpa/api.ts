// The ZPA HTTP surface, independent of the server that carries it: sign-in (legacy and OneAPI), the
// mgmtconfig routes under both path prefixes, auth, per-tenant rate limits, ZPA-shaped injected
// faults, and the /__sim/zpa admin hooks tests use to change the tenant behind the client's back.
import { RateLimitEnforcer } from "../shared/rate-limit.ts";
import type { SimRequest, SimResponse, SimRoute } from "../shared/server.ts";
import type { Clock } from "../../vendors/shared/clock.ts";
import { parseCertBlob } from "./cert-blob.ts";
import { ZpaSimError, zpaErrors, type ZpaErrorBody } from "./errors.ts";
import { associationTypes, type AssociationType } from "./model.ts";
import { GATEWAY_UNAUTHORIZED } from "./profile.ts";
import { pageOf } from "./query.ts";
import type { ZpaStore } from "./store.ts";
import type { TokenStore } from "./tokens.ts";

/** ZPA-shaped failures a test can queue (the shared faults cover transport-level trouble). */
export type ZpaFaultKind = "concurrentAccess" | "retryableServerError" | "resourceAccessBlocked" | "sessionInvalid" | "badRequestRetryable";
export type ZpaFault = { readonly kind: ZpaFaultKind; count: number; readonly pathPattern?: RegExp; readonly retryAfterSeconds?: number };

export type RateLimitConfig = { readonly get: number; readonly write: number; readonly windowMs: number };
/** ZPA's published limits: 20 GET and 10 POST/PUT/DELETE per 10 s per organisation and source IP. */
export const ZPA_RATE_LIMITS: RateLimitConfig = { get: 20, write: 10, windowMs: 10_000 };

export const ONEAPI_AUDIENCE = "https://api.zscaler.com";

type Ctx = {
  readonly req: SimRequest;
  readonly params: Record<string, string>;
  readonly body: unknown;
  readonly tenant: string | undefined;
};
type Handler = (ctx: Ctx) => SimResponse | Promise<SimResponse>;
type Method = SimRoute["method"];
type ZpaRoute = { readonly method: Method; readonly name: string; readonly path: string; readonly handler: Handler };

const route = (method: Method, name: string, path: string, handler: Handler): ZpaRoute => ({ method, name, path, handler });

const ok = (json: unknown, status = 200): SimResponse => ({ status, json });
const noContent = (): SimResponse => ({ status: 204 });
const errorResponse = (e: ZpaSimError): SimResponse => ({ status: e.status, headers: { ...e.headers }, json: e.body });

/** A bearer the OneAPI gateway itself refuses (recorded profile): answered before ZPA sees the call. */
class GatewayUnauthorized extends Error {}

/** Form fields as the shared server parsed them (an object of strings); anything else reads as empty. */
function formField(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === "string" ? v : undefined;
}

function assocType(raw: string | undefined): AssociationType {
  if (raw !== undefined && (associationTypes as readonly string[]).includes(raw)) return raw as AssociationType;
  // (inf) other documented types (NP_ASSISTANT_GRP, …) are not simulated.
  throw new ZpaSimError(400, { id: "invalid.association.type", reason: `Invalid association type ${raw ?? ""}`, params: [raw ?? ""] });
}

export type ZpaApiDeps = {
  readonly store: ZpaStore;
  readonly tokens: TokenStore;
  readonly clock: Clock;
  customerId: string;
  readonly rateLimits: RateLimitConfig | false;
};

export class ZpaApi {
  readonly #d: ZpaApiDeps;
  readonly enforcer: RateLimitEnforcer;
  readonly requests: Record<string, number> = {};
  readonly unauthorized = { count: 0 };
  readonly rateLimited429 = { count: 0 };
  /** The last decoded `search` values lists received (tests: did a client search, or list everything?). */
  readonly searches: string[] = [];
  zpaFaults: ZpaFault[] = [];
  readonly injectedZpaFaults: Partial<Record<ZpaFaultKind, number>> = {};

  constructor(deps: ZpaApiDeps) {
    this.#d = deps;
    const rl = deps.rateLimits === false ? undefined : deps.rateLimits;
    this.enforcer = new RateLimitEnforcer({
      rules: rl === undefined ? {} : { get: { limit: rl.get, windowMs: rl.windowMs }, write: { limit: rl.write, windowMs: rl.windowMs } },
      clock: deps.clock,
    });
  }

  resetCounters(): void {
    for (const k of Object.keys(this.requests)) delete this.requests[k];
    for (const k of Object.keys(this.injectedZpaFaults)) delete this.injectedZpaFaults[k as ZpaFaultKind];
    this.unauthorized.count = 0;
    this.rateLimited429.count = 0;
    this.searches.splice(0);
    this.zpaFaults = [];
    this.enforcer.reset();
    this.#d.tokens.resetCounters();
  }

  configureRateLimits(c: Partial<RateLimitConfig>): void {
    const cur = this.enforcer.rules;
    const windowMs = c.windowMs ?? cur["get"]?.windowMs ?? ZPA_RATE_LIMITS.windowMs;
    this.enforcer.configure({
      rules: {
        get: { limit: c.get ?? cur["get"]?.limit ?? ZPA_RATE_LIMITS.get, windowMs },
        write: { limit: c.write ?? cur["write"]?.limit ?? ZPA_RATE_LIMITS.write, windowMs },
      },
    });
  }

  injectFault(kind: ZpaFaultKind, opts: { count?: number; pathPattern?: string; retryAfterSeconds?: number } = {}): void {
    this.zpaFaults.push({
      kind,
      count: opts.count ?? 1,
      ...(opts.pathPattern === undefined ? {} : { pathPattern: new RegExp(opts.pathPattern) }),
      ...(opts.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: opts.retryAfterSeconds }),
    });
  }

  /** The vendor routes: sign-in endpoints and every mgmtconfig route under both prefixes. */
  simRoutes(): SimRoute[] {
    const wrap = (r: ZpaRoute, mode: "legacy" | "oneapi" | undefined): SimRoute => ({
      method: r.method,
      path: mode === "oneapi" ? `/zpa${r.path}` : r.path,
      handler: async (req) => {
        try {
          if (mode !== undefined) this.#guard(req, mode, req.params);
          this.requests[`${r.method} ${r.name}`] = (this.requests[`${r.method} ${r.name}`] ?? 0) + 1;
          const tenantRaw = req.query.get("microtenantId");
          return await r.handler({ req, params: req.params, body: req.body, tenant: tenantRaw === null ? undefined : tenantRaw });
        } catch (e) {
          if (e instanceof ZpaSimError) return errorResponse(e);
          if (e instanceof GatewayUnauthorized) return { status: 401, json: { ...GATEWAY_UNAUTHORIZED } };
          throw e;
        }
      },
    });
    const auth: ZpaRoute[] = [
      route("POST", "signin", "/signin", (c) => this.#signin(c.body)),
      route("POST", "signout", "/signout", (c) => this.#signout(c.req)),
      route("POST", "oauth2Token", "/oauth2/v1/token", (c) => this.#oauthToken(c.body)),
    ];
    const mgmt = this.#mgmtRoutes();
    return [...auth.map((r) => wrap(r, undefined)), ...mgmt.map((r) => wrap(r, "legacy")), ...mgmt.map((r) => wrap(r, "oneapi"))];
  }

  /** Test hooks under /__sim/zpa/ (no auth, no faults, no rate limit). */
  adminRoutes(): SimRoute[] {
    return this.#adminRoutes().map((r) => ({
      method: r.method,
      path: r.path,
      handler: async (req) => r.handler({ req, params: req.params, body: req.body, tenant: undefined }),
    }));
  }

  /** Auth, tenant, injected ZPA faults and the rate limit, in the order a gateway would apply them. */
  #guard(req: SimRequest, mode: "legacy" | "oneapi", params: Record<string, string>): void {
    const session = this.#d.tokens.check(req.headers["authorization"], mode);
    if (session === undefined || params["customerId"] !== this.#d.customerId) {
      this.unauthorized.count += 1;
      if (mode === "oneapi" && session === undefined && this.#d.store.facts.gatewayUnauthorizedBody) throw new GatewayUnauthorized();
      throw zpaErrors.accessDenied();
    }
    const fault = this.zpaFaults.find((f) => f.count > 0 && (f.pathPattern === undefined || f.pathPattern.test(`${req.method} ${req.path}`)));
    if (fault !== undefined) {
      fault.count -= 1;
      this.zpaFaults = this.zpaFaults.filter((f) => f.count > 0);
      this.injectedZpaFaults[fault.kind] = (this.injectedZpaFaults[fault.kind] ?? 0) + 1;
      switch (fault.kind) {
        case "concurrentAccess":
          throw zpaErrors.concurrentAccess();
        case "retryableServerError":
          throw zpaErrors.serverRetryable(fault.retryAfterSeconds ?? 10);
        case "resourceAccessBlocked":
          throw new ZpaSimError(401, { id: "resource.access.blocked", reason: "Resource Access Blocked" });
        case "badRequestRetryable":
          throw new ZpaSimError(400, { id: "non.restricted.entity.authorization.failed", reason: "Not authorized to access the entity, try again" });
        case "sessionInvalid":
          this.#d.tokens.revoke(req.headers["authorization"]);
          throw zpaErrors.accessDenied();
      }
    }
    // Per organisation and source IP, as ZPA counts. With no rules configured every call passes.
    const decision = this.enforcer.check(`${this.#d.customerId}|${req.remoteAddress}`, req.method === "GET" ? "get" : "write");
    if (!decision.ok) {
      this.rateLimited429.count += 1;
      throw zpaErrors.tooManyRequests(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
    }
  }

  #signin(body: unknown): SimResponse {
    const token = this.#d.tokens.issue(formField(body, "client_id"), formField(body, "client_secret"), "legacy");
    if (token === undefined) return errorResponse(zpaErrors.accessDenied());
    return ok({ token_type: "Bearer", access_token: token, expires_in: String(this.#d.tokens.ttlSeconds) });
  }

  #signout(req: SimRequest): SimResponse {
    if (!this.#d.tokens.revoke(req.headers["authorization"])) return errorResponse(zpaErrors.accessDenied());
    return { status: 200 };
  }

  /** OneAPI client-credentials grant; the error bodies follow OAuth 2.0 (RFC 6749 §5.2), inferred. */
  #oauthToken(body: unknown): SimResponse {
    if (formField(body, "grant_type") !== "client_credentials") return { status: 400, json: { error: "unsupported_grant_type" } };
    if (formField(body, "audience") !== ONEAPI_AUDIENCE) return { status: 400, json: { error: "invalid_request", error_description: "audience" } };
    const token = this.#d.tokens.issue(formField(body, "client_id"), formField(body, "client_secret"), "oneapi");
    if (token === undefined) return { status: 401, json: { error: "invalid_client", error_description: "Client authentication failed" } };
    return ok({ access_token: token, token_type: "Bearer", expires_in: this.#d.tokens.ttlSeconds });
  }

  #mgmtRoutes(): ZpaRoute[] {
    const s = this.#d.store;
    const v1 = "/mgmtconfig/v1/admin/customers/:customerId";
    const v2 = "/mgmtconfig/v2/admin/customers/:customerId";
    const seg = s.segments;
    const page = (c: Ctx, items: Record<string, unknown>[], opts: { totalCountOverride?: string } = {}) => {
      const searched = c.req.query.get("search");
      if (searched !== null) {
        this.searches.push(searched);
        if (this.searches.length > 100) this.searches.shift();
      }
      return ok(
        pageOf(
          items,
          {
            page: c.req.query.get("page") ?? undefined,
            pagesize: c.req.query.get("pagesize") ?? undefined,
            // Form-decoded, as a servlet container decodes it; a repeated parameter reads its first value.
            search: c.req.query.get("search") ?? undefined,
          },
          { totalCountAlways: s.facts.totalCountAlways, ...opts },
        ),
      );
    };
    const write = <T>(fn: () => T): T => s.rejecting(fn);
    return [
      route("GET", "provisioningKey", `${v1}/associationType/:type/provisioningKey`, (c) => page(c, s.listKeys(assocType(c.params["type"]), c.tenant))),
      route("POST", "provisioningKey", `${v1}/associationType/:type/provisioningKey`, (c) =>
        ok(s.createKey(assocType(c.params["type"]), c.body, c.tenant), s.facts.provisioningKeyCreateStatus),
      ),
      route("GET", "provisioningKey/{id}", `${v1}/associationType/:type/provisioningKey/:id`, (c) =>
        ok(s.getKey(assocType(c.params["type"]), c.params["id"]!, c.tenant)),
      ),
      route("PUT", "provisioningKey/{id}", `${v1}/associationType/:type/provisioningKey/:id`, (c) => {
        s.updateKey(assocType(c.params["type"]), c.params["id"]!, c.body, c.tenant);
        return noContent();
      }),
      route("DELETE", "provisioningKey/{id}", `${v1}/associationType/:type/provisioningKey/:id`, (c) => {
        s.deleteKey(assocType(c.params["type"]), c.params["id"]!, c.tenant);
        return noContent();
      }),
      // Enrollment certificates: list only under v2, get only under v1.
      route("GET", "enrollmentCert", `${v2}/enrollmentCert`, (c) => page(c, s.listEnrollmentCerts())),
      route("GET", "enrollmentCert/{id}", `${v1}/enrollmentCert/:id`, (c) => ok(s.getEnrollmentCert(c.params["id"]!))),
      route("GET", "certificate", `${v1}/certificate`, (c) => page(c, s.listCertificates(c.tenant))),
      route("POST", "certificate", `${v1}/certificate`, async (c) =>
        ok(await s.createCertificate(c.body, c.tenant, parseCertBlob), s.facts.certificateCreateStatus),
      ),
      route("GET", "certificate/{id}", `${v1}/certificate/:id`, (c) => ok(s.getCertificate(c.params["id"]!, c.tenant))),
      route("PUT", "certificate/{id}", `${v1}/certificate/:id`, (c) => {
        s.updateCertificate(c.params["id"]!, c.body, c.tenant);
        return noContent();
      }),
      route("DELETE", "certificate/{id}", `${v1}/certificate/:id`, (c) => {
        s.deleteCertificate(c.params["id"]!, c.tenant);
        return noContent();
      }),
      route("GET", "certificate/issued", `${v2}/certificate/issued`, (c) => page(c, s.listCertificates(c.tenant))),
      // Deprecated since 2023-01-27 but still documented: no microtenants, certChain in the list.
      route("GET", "clientlessCertificate/issued", `${v2}/clientlessCertificate/issued`, (c) => page(c, s.listCertificates(undefined, { legacy: true }))),
      route("GET", "clientlessCertificate/{id}", `${v1}/clientlessCertificate/:id`, (c) => ok(s.getCertificate(c.params["id"]!, undefined, { legacy: true }))),
      route("GET", "appConnectorGroup", `${v1}/appConnectorGroup`, (c) => page(c, s.listGroups("CONNECTOR_GRP", c.tenant))),
      route("GET", "appConnectorGroup/{id}", `${v1}/appConnectorGroup/:id`, (c) => ok(s.getGroup("CONNECTOR_GRP", c.params["id"]!, c.tenant))),
      route("GET", "serviceEdgeGroup", `${v1}/serviceEdgeGroup`, (c) => page(c, s.listGroups("SERVICE_EDGE_GRP", c.tenant))),
      route("GET", "serviceEdgeGroup/{id}", `${v1}/serviceEdgeGroup/:id`, (c) => ok(s.getGroup("SERVICE_EDGE_GRP", c.params["id"]!, c.tenant))),
      // Application segments (app-segments.ts). getAppsByType before /application/{id}: first match wins.
      route("GET", "application", `${v1}/application`, (c) => page(c, seg.listApplications(c.tenant))),
      route("POST", "application", `${v1}/application`, (c) =>
        ok(
          write(() => seg.createApplication(c.body, c.tenant)),
          201,
        ),
      ),
      route("GET", "application/getAppsByType", `${v1}/application/getAppsByType`, (c) =>
        page(c, seg.appsByType(c.req.query.get("applicationType") ?? undefined, c.tenant, c.req.query.get("expandAll") === "true"), {
          // Recorded: "totalCount":"0" beside a non-empty list (TestApplicationSegmentInspection.yaml).
          ...(s.facts.totalCountAlways ? { totalCountOverride: "0" } : {}),
        }),
      ),
      route("GET", "application/{id}", `${v1}/application/:id`, (c) => ok(seg.getApplication(c.params["id"]!, c.tenant))),
      route("PUT", "application/{id}", `${v1}/application/:id`, (c) => {
        write(() => seg.updateApplication(c.params["id"]!, c.body, c.tenant));
        return noContent();
      }),
      // The SDKs send forceDelete=true ("delete the mapping between the application segment and segment group").
      route("DELETE", "application/{id}", `${v1}/application/:id`, (c) => {
        write(() => seg.deleteApplication(c.params["id"]!, c.tenant));
        return noContent();
      }),
      route("GET", "segmentGroup", `${v1}/segmentGroup`, (c) => page(c, seg.listSegmentGroups(c.tenant))),
      route("POST", "segmentGroup", `${v1}/segmentGroup`, (c) =>
        ok(
          write(() => seg.createSegmentGroup(c.body, c.tenant)),
          201,
        ),
      ),
      route("GET", "segmentGroup/{id}", `${v1}/segmentGroup/:id`, (c) => ok(seg.getSegmentGroup(c.params["id"]!, c.tenant))),
      route("PUT", "segmentGroup/{id}", `${v1}/segmentGroup/:id`, (c) => {
        write(() => seg.updateSegmentGroup(c.params["id"]!, c.body, c.tenant));
        return noContent();
      }),
      route("DELETE", "segmentGroup/{id}", `${v1}/segmentGroup/:id`, (c) => {
        write(() => seg.deleteSegmentGroup(c.params["id"]!, c.tenant));
        return noContent();
      }),
      route("GET", "serverGroup", `${v1}/serverGroup`, (c) => page(c, seg.listServerGroups(c.tenant))),
      route("POST", "serverGroup", `${v1}/serverGroup`, (c) =>
        ok(
          write(() => seg.createServerGroup(c.body, c.tenant)),
          201,
        ),
      ),
      route("GET", "serverGroup/{id}", `${v1}/serverGroup/:id`, (c) => ok(seg.getServerGroup(c.params["id"]!, c.tenant))),
      route("PUT", "serverGroup/{id}", `${v1}/serverGroup/:id`, (c) => {
        write(() => seg.updateServerGroup(c.params["id"]!, c.body, c.tenant));
        return noContent();
      }),
      route("DELETE", "serverGroup/{id}", `${v1}/serverGroup/:id`, (c) => {
        write(() => seg.deleteServerGroup(c.params["id"]!, c.tenant));
        return noContent();
      }),
    ];
  }

  #adminRoutes(): ZpaRoute[] {
    const s = this.#d.store;
    const adminError = (status: number, reason: string): SimResponse => ({ status, json: { id: "sim.admin", reason } satisfies ZpaErrorBody });
    const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
    return [
      route("GET", "state", "/__sim/zpa/state", () => ok(this.report())),
      route("POST", "alterKey", "/__sim/zpa/provisioning-keys/:id/alter", (c) => {
        const b = obj(c.body);
        const change: Parameters<ZpaStore["alterKeyOutOfBand"]>[1] = {};
        if (typeof b["name"] === "string") change.name = b["name"];
        if (typeof b["maxUsage"] === "number") change.maxUsage = b["maxUsage"];
        if (typeof b["enabled"] === "boolean") change.enabled = b["enabled"];
        if (typeof b["usageCount"] === "number") change.usageCount = b["usageCount"];
        if (b["rotateKey"] === true) change.rotateKey = true;
        if (typeof b["zcomponentId"] === "string") change.zcomponentId = b["zcomponentId"];
        if (typeof b["enrollmentCertId"] === "string") change.enrollmentCertId = b["enrollmentCertId"];
        const k = s.alterKeyOutOfBand(c.params["id"]!, change);
        return k === undefined
          ? adminError(404, "no such key")
          : ok({ id: k.id, usageCount: k.usageCount, enabled: k.enabled, maxUsage: k.maxUsage, name: k.name });
      }),
      route("POST", "keyUsage", "/__sim/zpa/provisioning-keys/:id/usage", (c) => {
        const b = obj(c.body);
        const k = s.findKeyAnyType(c.params["id"]!);
        if (k === undefined) return adminError(404, "no such key");
        const next = typeof b["usageCount"] === "number" ? b["usageCount"] : k.usageCount + (typeof b["increment"] === "number" ? b["increment"] : 1);
        s.alterKeyOutOfBand(k.id, { usageCount: next });
        return ok({ id: k.id, usageCount: k.usageCount });
      }),
      route("DELETE", "deleteKey", "/__sim/zpa/provisioning-keys/:id", (c) =>
        s.removeKeyOutOfBand(c.params["id"]!) ? noContent() : adminError(404, "no such key"),
      ),
      route("POST", "enroll", "/__sim/zpa/enroll", (c) => {
        const key = obj(c.body)["provisioningKey"];
        if (typeof key !== "string") return adminError(400, "provisioningKey required");
        const r = s.enrollWithKey(key);
        return r.ok ? ok({ enrolled: true, keyId: r.keyId }) : { status: 403, json: { enrolled: false, reason: r.reason } };
      }),
      route("POST", "expireTokens", "/__sim/zpa/tokens/expire", () => ok({ expired: this.#d.tokens.expireAll() })),
      route("POST", "faults", "/__sim/zpa/faults", (c) => {
        const b = obj(c.body);
        const kinds: readonly ZpaFaultKind[] = ["concurrentAccess", "retryableServerError", "resourceAccessBlocked", "sessionInvalid", "badRequestRetryable"];
        const kind = b["kind"];
        if (typeof kind !== "string" || !(kinds as readonly string[]).includes(kind)) return adminError(400, `kind must be one of ${kinds.join(", ")}`);
        this.injectFault(kind as ZpaFaultKind, {
          ...(typeof b["count"] === "number" ? { count: b["count"] } : {}),
          ...(typeof b["pathPattern"] === "string" ? { pathPattern: b["pathPattern"] } : {}),
          ...(typeof b["retryAfterSeconds"] === "number" ? { retryAfterSeconds: b["retryAfterSeconds"] } : {}),
        });
        return noContent();
      }),
      route("DELETE", "faults", "/__sim/zpa/faults", () => {
        this.zpaFaults = [];
        return noContent();
      }),
      route("POST", "rateLimits", "/__sim/zpa/rate-limits", (c) => {
        const b = obj(c.body);
        this.configureRateLimits({
          ...(typeof b["get"] === "number" ? { get: b["get"] } : {}),
          ...(typeof b["write"] === "number" ? { write: b["write"] } : {}),
          ...(typeof b["windowMs"] === "number" ? { windowMs: b["windowMs"] } : {}),
        });
        return ok(this.enforcer.rules);
      }),
    ];
  }

  /** What a test asserts on: objects created/deleted per kind, requests per endpoint, 429s, 401s. */
  report() {
    const snap = this.#d.store.snapshot();
    return {
      customerId: this.#d.customerId,
      ...snap,
      /** Calls that passed auth, per endpoint ("POST provisioningKey"); the framework's `requests` counts every arrival. */
      endpointCalls: { ...this.requests },
      rateLimit: {
        rules: this.enforcer.rules,
        violations: this.enforcer.violations,
        violationsByBucket: { ...this.enforcer.violationsByBucket },
      },
      unauthorized: this.unauthorized.count,
      injectedZpaFaults: { ...this.injectedZpaFaults },
      searches: [...this.searches],
      tokens: { issued: { ...this.#d.tokens.issued }, live: this.#d.tokens.live, rejectedSignins: this.#d.tokens.rejectedSignins },
    };
  }
}
