// startSectigoSimulator: a faithful SCM REST API over HTTP(S), on the shared simulator server, with
// real certificates from a test CA. Both documented logins: password on `/api/…`, and over HTTPS the
// admin's client certificate on `/private/api/…` (the listener asks every client for a certificate).
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { RateLimitEnforcer } from "../shared/rate-limit.ts";
import type { FaultsApi } from "../shared/faults.ts";
import { startSimServer, type SimResponse, type SimRenderers } from "../shared/server.ts";
import { createSimTls } from "../shared/tls.ts";
import { adminRoutes, applyIssuance, orderSummary, seedOrder, type SeedOrderInput } from "./admin.ts";
import { ScmFault } from "./faults.ts";
import { FAMILY_TABLES } from "./families.ts";
import { faultResponse, withCertificateLogin, type RouteContext, type SimCredentials } from "./http.ts";
import { testCaIssuer } from "./issuer.ts";
import { FAMILIES, SectigoModel, type Family, type IssuanceSettings, type Order } from "./model.ts";
import { commonRoutes } from "./routes-common.ts";
import { familyRoutes } from "./routes-family.ts";
import { DEFAULT_SEED, type SectigoSeed } from "./seed.ts";

export interface SectigoSimulatorOptions {
  /** true: HTTPS with a fresh serving certificate (trust `caPem`); or bring your own. */
  readonly tls?: boolean | { readonly certPem: string; readonly keyPem: string; readonly caPem?: string };
  readonly host?: string;
  readonly port?: number;
  readonly customerUri?: string;
  /**
   * Accepted admins: login/password, and optionally the admin's certificate for certificate login
   * (the `customerUri` must match too). With TLS and no certificate given, the first admin gets one
   * from the sim CA (`sim.adminCertificate`).
   */
  readonly credentials?: SimCredentials | readonly SimCredentials[];
  readonly issuance?: Partial<IssuanceSettings>;
  readonly seed?: SectigoSeed;
  /** SCM documents no limit; set one to exercise the client's pacing (429 + Retry-After). */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number };
  /** The CA that signs orders; a fresh two-level test CA by default. */
  readonly ca?: TestCa;
  readonly now?: () => number;
}

export interface SectigoSimulator {
  readonly url: string;
  readonly customerUri: string;
  readonly credentials: SimCredentials;
  /** With TLS: the first admin's client certificate and key, for certificate login on `/private/api/…`. */
  readonly adminCertificate: { readonly certPem: string; readonly keyPem: string } | undefined;
  /** The CA that signs issued certificates (root to trust for chains). */
  readonly ca: TestCa;
  /** With TLS: the root that signs the serving certificate. */
  readonly caPem: string | undefined;
  readonly faults: FaultsApi;
  readonly model: SectigoModel;
  state(): SectigoSimState;
  reset(): void;
  close(): Promise<void>;
  approve(id: number): void;
  decline(id: number): void;
  /** The CA refuses the order. */
  reject(id: number): void;
  issueNow(id: number): Promise<void>;
  setIssuance(knobs: Partial<IssuanceSettings>): IssuanceSettings;
  validateDomain(domain: string): void;
  seedOrder(input: SeedOrderInput): Promise<Order>;
  orders(family?: Family): Order[];
}

export interface SectigoSimState extends Record<string, unknown> {
  readonly ordersByFamily: Record<Family, number>;
  readonly orders: Record<string, unknown>[];
  readonly enrolls: Record<Family, number>;
  readonly renewals: Record<Family, number>;
  readonly collects: Record<Family, number>;
  readonly pendingCollects: Record<Family, number>;
  readonly revocations: Record<Family, number>;
  readonly approvals: number;
  readonly declines: number;
  readonly authFailures: number;
  readonly rateLimitViolations: number;
  /** Authenticated calls per "METHOD /route". */
  readonly endpointRequests: Record<string, number>;
  readonly issuance: IssuanceSettings;
  /** Framework counters from the shared server: every request, response, injected fault. */
  readonly requests: Record<string, number>;
  readonly responses: Record<string, number>;
}

export const SIM_DEFAULT_CREDENTIALS: SimCredentials = { login: "certbridge_admin", password: "sim-Password-1!" };
export const SIM_DEFAULT_CUSTOMER_URI = "cst-sim";

// Unknown routes look like a Spring Boot 404 (no SCM code: the client must not read one into it).
const renderers: SimRenderers = {
  notFound: (req, allowed) => ({
    status: allowed.length > 0 ? 405 : 404,
    json: { status: allowed.length > 0 ? 405 : 404, error: allowed.length > 0 ? "Method Not Allowed" : "Not Found", path: req.path },
  }),
  badRequest: () => ({ status: 400, json: { code: -1601, description: "Field ''body'' has invalid value." } }),
  serverError: (status, retryAfter) => ({
    status,
    json: { code: -2, description: "Internal error. Please contact Support for details." },
    ...(retryAfter === undefined ? {} : { headers: { "retry-after": retryAfter } }),
  }),
  tooManyRequests: (retryAfter) => ({ status: 429, headers: { "retry-after": retryAfter ?? "1" }, json: { code: -1, description: "Unknown error." } }),
  error: (e): SimResponse | undefined => (e instanceof ScmFault ? faultResponse(e) : undefined),
};

export async function startSectigoSimulator(opts: SectigoSimulatorOptions = {}): Promise<SectigoSimulator> {
  const now = opts.now ?? Date.now;
  const ca = opts.ca ?? (await createTestCa({ name: "Sectigo Sim", now }));
  const seed = opts.seed ?? DEFAULT_SEED;
  const initialIssuance: IssuanceSettings = { delayMs: 0, collectsBeforeIssued: 0, approvalRequired: false, ...opts.issuance };
  const model = new SectigoModel({ seed, issuance: { ...initialIssuance }, issuer: testCaIssuer(ca), now });
  let credentials =
    opts.credentials === undefined
      ? [SIM_DEFAULT_CREDENTIALS]
      : Array.isArray(opts.credentials)
        ? (opts.credentials as readonly SimCredentials[])
        : [opts.credentials as SimCredentials];
  const customerUri = opts.customerUri ?? SIM_DEFAULT_CUSTOMER_URI;
  const limiter =
    opts.rateLimit === undefined ? undefined : new RateLimitEnforcer({ rules: { default: opts.rateLimit }, clock: { now, sleep: async () => undefined } });

  let tls: { certPem: string; keyPem: string } | undefined;
  let caPem: string | undefined;
  if (opts.tls === true) {
    const t = await createSimTls();
    tls = { certPem: t.certPem, keyPem: t.keyPem };
    caPem = t.caPem;
  } else if (typeof opts.tls === "object") {
    tls = { certPem: opts.tls.certPem, keyPem: opts.tls.keyPem };
    caPem = opts.tls.caPem;
  }
  let adminCertificate: SectigoSimulator["adminCertificate"];
  if (tls !== undefined && !credentials.some((c) => c.certificatePem !== undefined)) {
    const first = credentials[0]!;
    const issued = await ca.issue({ commonName: first.login }, {}, { usage: "client", validityDays: 365 });
    adminCertificate = { certPem: issued.leafPem, keyPem: issued.keyPem };
    credentials = [{ ...first, certificatePem: issued.leafPem }, ...credentials.slice(1)];
  }
  const ctx: RouteContext = { model, customerUri, credentials, limiter };

  const snapshot = (): Omit<SectigoSimState, "requests" | "responses"> => {
    const orders = [...model.orders.values()];
    const byFamily = Object.fromEntries(FAMILIES.map((f) => [f, orders.filter((o) => o.family === f).length])) as Record<Family, number>;
    const c = model.counters;
    return {
      ordersByFamily: byFamily,
      orders: orders.map(orderSummary),
      enrolls: { ...c.enrolls },
      renewals: { ...c.renewals },
      collects: { ...c.collects },
      pendingCollects: { ...c.pendingCollects },
      revocations: { ...c.revocations },
      approvals: c.approvals,
      declines: c.declines,
      authFailures: c.authFailures,
      rateLimitViolations: c.rateLimitViolations,
      endpointRequests: { ...c.requests },
      issuance: { ...model.issuance },
    };
  };

  const server = await startSimServer({
    name: "sectigo",
    routes: withCertificateLogin([...commonRoutes(ctx), ...FAMILY_TABLES.flatMap((t) => familyRoutes(ctx, t))]),
    adminRoutes: adminRoutes(model),
    ...(tls === undefined ? {} : { tls: { ...tls, requestClientCertificate: true } }),
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    render: renderers,
    state: {
      snapshot,
      reset: () => {
        model.reset();
        limiter?.reset();
      },
      configure: (knobs) => ({ issuance: applyIssuance(model, knobs) }),
    },
  });

  const find = (id: number): Order => {
    const o = model.orders.get(id);
    if (o === undefined) throw new Error(`no order ${id}`);
    return o;
  };

  return {
    url: server.url,
    customerUri,
    credentials: credentials[0]!,
    adminCertificate,
    ca,
    caPem,
    faults: server.faults,
    model,
    state: () => server.state() as unknown as SectigoSimState,
    reset: () => server.reset(),
    close: () => server.close(),
    approve: (id) => model.approve(find(id)),
    decline: (id) => model.decline(find(id)),
    reject: (id) => model.reject(find(id)),
    issueNow: (id) => model.issueNow(find(id)),
    setIssuance: (knobs) => {
      applyIssuance(model, knobs as Record<string, unknown>);
      return { ...model.issuance };
    },
    validateDomain: (d) => model.validateDomain(d),
    seedOrder: (input) => seedOrder(model, input),
    orders: (family) => (family === undefined ? [...model.orders.values()] : model.list(family)),
  };
}
