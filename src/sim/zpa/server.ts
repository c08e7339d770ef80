// startZpaSimulator: the ZPA API on the shared simulator server, seeded with a realistic tenant.
import type { FaultsApi } from "../shared/faults.ts";
import { startSimServer, type SimResponse, type SimStats } from "../shared/server.ts";
import { systemClock, type Clock } from "../../vendors/shared/clock.ts";
import { ZPA_RATE_LIMITS, ZpaApi, type RateLimitConfig, type ZpaFaultKind } from "./api.ts";
import { zpaErrors } from "./errors.ts";
import { provisioningKeyGenerator } from "./key-value.ts";
import { PROFILES, type ZpaProfile } from "./profile.ts";
import type { AssociationType, StoredProvisioningKey } from "./model.ts";
import { defaultSeed, type SeedData } from "./seed.ts";
import { ZpaStore } from "./store.ts";
import { TokenStore, type SimCredential } from "./tokens.ts";

export const DEFAULT_CUSTOMER_ID = "217246660302995456";
export const DEFAULT_CREDENTIALS: readonly SimCredential[] = [{ clientId: "sim-zpa-client", clientSecret: "sim-zpa-secret" }];
/** The simulated admin that "modifies" objects created through the API. */
const API_ADMIN_ID = "72057594038052595";

export interface ZpaSimulatorOptions {
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly host?: string;
  readonly port?: number;
  readonly customerId?: string;
  readonly credentials?: readonly SimCredential[];
  /** Token lifetime reported as `expires_in` (default 3600). */
  readonly tokenTtlSeconds?: number;
  /** ZPA's published limits by default; `false` disables enforcement. */
  readonly rateLimits?: Partial<RateLimitConfig> | false;
  /** ZPA answers unknown ids with 400 resource.not.found; some paths answer 404. Default 400. */
  readonly notFoundStatus?: 400 | 404;
  /** Host inside generated provisioning keys. */
  readonly cloudHost?: string;
  /**
   * Which side to play where ZPA's documents and its recorded traffic differ (profile.ts): create
   * status codes, modifiedTime on new objects, totalCount, audit flags, key value shape, the gateway's
   * 401 body. Default "recorded" (what real tenants answer); "documented" replays the help portal.
   */
  readonly profile?: ZpaProfile;
  /** The default tenant (real PEM, groups, enrollment certs), an empty one, or your own. */
  readonly seed?: "default" | "empty" | SeedData;
  readonly clock?: Clock;
}

export interface ZpaSimulator {
  readonly url: string;
  readonly customerId: string;
  readonly profile: ZpaProfile;
  readonly credentials: readonly SimCredential[];
  readonly faults: FaultsApi;
  /** The ZPA report (objects created/updated/deleted per kind, endpoint calls, violations, tokens) plus the framework counters. */
  state(): ZpaState;
  reset(): Promise<void>;
  close(): Promise<void>;
  /** In-process test hooks (the same as the /__sim/zpa/ admin routes). */
  readonly zpa: {
    readonly store: ZpaStore;
    injectFault(kind: ZpaFaultKind, opts?: { count?: number; pathPattern?: string; retryAfterSeconds?: number }): void;
    configureRateLimits(c: Partial<RateLimitConfig>): void;
    expireTokens(): number;
    /** Put a key in place without going through the API (not counted as created). */
    putKey(k: Omit<StoredProvisioningKey, "provisioningKey" | "creationTime" | "modifiedBy"> & Partial<StoredProvisioningKey>): StoredProvisioningKey;
    load(seed: SeedData): void;
    newKeyValue(): string;
  };
}

export type ZpaState = ReturnType<ZpaApi["report"]> & SimStats;

const EMPTY: SeedData = { microtenants: [], groups: [], enrollmentCerts: [], certificates: [], provisioningKeys: [] };

export async function startZpaSimulator(opts: ZpaSimulatorOptions = {}): Promise<ZpaSimulator> {
  const clock = opts.clock ?? systemClock;
  const nowSeconds = (): number => Math.floor(clock.now() / 1000);
  const profile = opts.profile ?? "recorded";
  const newKeyValue = provisioningKeyGenerator({ shape: profile, ...(opts.cloudHost === undefined ? {} : { cloudHost: opts.cloudHost }) });
  const customerId = opts.customerId ?? DEFAULT_CUSTOMER_ID;
  const store = new ZpaStore({
    nowSeconds,
    newKeyValue,
    adminId: API_ADMIN_ID,
    notFoundStatus: opts.notFoundStatus ?? 400,
    facts: PROFILES[profile],
    customerId: () => customerId,
  });
  const credentials = opts.credentials ?? DEFAULT_CREDENTIALS;
  const tokens = new TokenStore(credentials, () => clock.now(), opts.tokenTtlSeconds ?? 3600);
  const rateLimits = opts.rateLimits === false ? false : { ...ZPA_RATE_LIMITS, ...opts.rateLimits };
  const api = new ZpaApi({ store, tokens, clock, customerId, rateLimits });

  const seedFor = async (): Promise<SeedData> =>
    opts.seed === "empty" ? EMPTY : opts.seed === undefined || opts.seed === "default" ? await defaultSeed(nowSeconds()) : opts.seed;
  store.load(await seedFor());

  const zpaTooMany = (retryAfter?: string): SimResponse => {
    const e = zpaErrors.tooManyRequests(13);
    return { status: 429, json: e.body, headers: { "retry-after": retryAfter ?? "13s" } };
  };
  const server = await startSimServer({
    name: "zpa",
    routes: api.simRoutes(),
    adminRoutes: api.adminRoutes(),
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    state: {
      snapshot: () => api.report(),
      reset: () => {
        api.resetCounters();
      },
    },
    render: {
      // (inf) an unmapped path answers like a Spring service.
      notFound: (req, allowed) =>
        allowed.length > 0
          ? { status: 405, json: { id: "method.not.allowed", reason: `Request method '${req.method}' is not supported` } }
          : { status: 404, json: { timestamp: clock.now(), status: 404, error: "Not Found", path: req.path } },
      badRequest: () => ({ status: 400, json: { id: "invalid.json", reason: "The request body is not valid JSON" } }),
      // ZPA's 503 says "Refer to the Retry-After header" and carries one; other 5xx (inf) carry none.
      serverError: (status, retryAfter) => {
        if (status === 503) return { status, json: zpaErrors.serverRetryable().body, headers: { "retry-after": retryAfter ?? "10s" } };
        return {
          status,
          json: { id: "internal.server.error", reason: "An internal error occurred" },
          ...(retryAfter === undefined ? {} : { headers: { "retry-after": retryAfter } }),
        };
      },
      tooManyRequests: zpaTooMany,
    },
  });

  return {
    url: server.url,
    customerId,
    profile,
    credentials,
    faults: server.faults,
    state: () => server.state() as unknown as ZpaState,
    reset: async () => {
      server.reset();
      store.load(await seedFor());
    },
    close: () => server.close(),
    zpa: {
      store,
      injectFault: (kind, o) => api.injectFault(kind, o),
      configureRateLimits: (c) => api.configureRateLimits(c),
      expireTokens: () => tokens.expireAll(),
      putKey: (k) => {
        const full: StoredProvisioningKey = {
          provisioningKey: newKeyValue(),
          creationTime: nowSeconds(),
          modifiedBy: API_ADMIN_ID,
          ...k,
        };
        store.keys.set(full.id, full);
        return full;
      },
      load: (seed) => store.load(seed),
      newKeyValue,
    },
  };
}

export type { AssociationType, SeedData, SimCredential, ZpaProfile };
