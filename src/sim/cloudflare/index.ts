// Cloudflare API Shield mTLS simulator: real certificates from submitted CSRs, the v4 envelope,
// auth failures, the revocation state machine, the 1200/5 min limit per user or token with its
// 5-minute block, and the 200 requests/s limit per client IP [P8].
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import { systemClock, type Clock } from "../../vendors/shared/clock.ts";
import type { FaultsApi } from "../shared/faults.ts";
import { RateLimitEnforcer } from "../shared/rate-limit.ts";
import { startSimServer, type SimServer } from "../shared/server.ts";
import { CLOUDFLARE_SIM_CREDENTIALS } from "./credentials.ts";
import { fail, SIM_CODES } from "./envelope.ts";
import { cloudflareRoutes, commonHeaders, type CloudflareSimContext } from "./routes.ts";
import { CertificateStore } from "./store.ts";

export { CLOUDFLARE_SIM_CREDENTIALS } from "./credentials.ts";
export { CLOUDFLARE_CREATE_PATTERN, createProcessingDelay, createResponseLost } from "./order-faults.ts";

/** The path prefix clients use as base URL: `${url}${CLOUDFLARE_SIM_BASE_PATH}`. */
export const CLOUDFLARE_SIM_BASE_PATH = "/client/v4";

export interface CloudflareSimOptions {
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly host?: string;
  readonly port?: number;
  readonly clock?: Clock;
  /** Issuing CA; defaults to a fresh RSA test CA (so `signature` reads SHA256WithRSA, as in the doc). */
  readonly ca?: TestCa;
  /** Delay of the asynchronous pending_* → final transitions. Default 1000 ms. */
  readonly transitionDelayMs?: number;
}

export interface CloudflareSimulator {
  /** Server origin; the API base URL is `${url}/client/v4` (see `apiBaseUrl`). */
  readonly url: string;
  readonly apiBaseUrl: string;
  readonly credentials: typeof CLOUDFLARE_SIM_CREDENTIALS;
  readonly faults: FaultsApi;
  readonly ca: TestCa;
  state(): Record<string, unknown>;
  reset(): void;
  config(knobs: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
  readonly server: SimServer;
}

const PUBLISHED = { limit: 1200, windowMs: 5 * 60_000 };
const PENALTY_MS = 5 * 60_000;
/** "Client API per IP: 200/second" (developers.cloudflare.com/fundamentals/api/reference/limits). */
const PER_IP = { limit: 200, windowMs: 1_000 };

export async function startCloudflareSimulator(opts: CloudflareSimOptions = {}): Promise<CloudflareSimulator> {
  const clock = opts.clock ?? systemClock;
  const ca = opts.ca ?? (await createTestCa({ name: "Cloudflare Managed CA (sim)", keySpec: { algorithm: "RSA", size: 2048 }, now: () => clock.now() }));
  const store = new CertificateStore({ clock, ca, transitionDelayMs: opts.transitionDelayMs ?? 1000 });
  const limits = new RateLimitEnforcer({ rules: { default: PUBLISHED }, penaltyMs: PENALTY_MS, clock });
  const ipLimits = new RateLimitEnforcer({ rules: { default: PER_IP }, clock });
  const ctx: CloudflareSimContext = { store, limits, ipLimits, zones: new Set([CLOUDFLARE_SIM_CREDENTIALS.zoneId]) };

  const configure = (knobs: Record<string, unknown>): Record<string, unknown> => {
    for (const [k, v] of Object.entries(knobs)) {
      switch (k) {
        case "transitionDelayMs":
          if (typeof v !== "number" || v < 0) throw new Error("transitionDelayMs must be a number >= 0");
          store.transitionDelayMs = v;
          break;
        case "rateLimit": {
          const r = v as { limit?: unknown; windowMs?: unknown; penaltyMs?: unknown };
          if (typeof r?.limit !== "number" || typeof r.windowMs !== "number") throw new Error("rateLimit needs numeric limit and windowMs");
          limits.configure({
            rules: { default: { limit: r.limit, windowMs: r.windowMs } },
            ...(typeof r.penaltyMs === "number" ? { penaltyMs: r.penaltyMs } : {}),
          });
          break;
        }
        case "ipRateLimit": {
          const r = v as { limit?: unknown; windowMs?: unknown };
          if (typeof r?.limit !== "number" || typeof r.windowMs !== "number") throw new Error("ipRateLimit needs numeric limit and windowMs");
          ipLimits.configure({ rules: { default: { limit: r.limit, windowMs: r.windowMs } } });
          break;
        }
        case "zones":
          if (!Array.isArray(v) || !v.every((z) => typeof z === "string")) throw new Error("zones must be an array of strings");
          for (const z of v) ctx.zones.add(z);
          break;
        default:
          throw new Error(`unknown knob ${k}`);
      }
    }
    return { transitionDelayMs: store.transitionDelayMs, rateLimit: limits.rules["default"], ipRateLimit: ipLimits.rules["default"], zones: [...ctx.zones] };
  };

  const server = await startSimServer({
    name: "cloudflare",
    routes: cloudflareRoutes(ctx),
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
    state: {
      snapshot: () => ({
        vendor: "cloudflare",
        objects: { client_certificate: store.size },
        clientCertificatesByStatus: store.countsByStatus(),
        revocations: store.revocations,
        reactivations: store.reactivations,
        rateLimitViolations: limits.violations,
        ipRateLimitViolations: ipLimits.violations,
        config: { transitionDelayMs: store.transitionDelayMs, rateLimit: limits.rules["default"], ipRateLimit: ipLimits.rules["default"] },
      }),
      reset: () => {
        store.reset();
        limits.reset();
        limits.configure({ rules: { default: PUBLISHED }, penaltyMs: PENALTY_MS });
        ipLimits.reset();
        ipLimits.configure({ rules: { default: PER_IP } });
        store.transitionDelayMs = opts.transitionDelayMs ?? 1000;
        ctx.zones.clear();
        ctx.zones.add(CLOUDFLARE_SIM_CREDENTIALS.zoneId);
      },
      configure,
    },
    render: {
      // An unknown route answers 7003 [S2].
      notFound: () => fail(404, [SIM_CODES.noRoute], commonHeaders(ctx)),
      badRequest: () => fail(400, [SIM_CODES.invalidBody], commonHeaders(ctx)),
      serverError: (status, retryAfter) =>
        fail(status, [SIM_CODES.internal], commonHeaders(ctx, retryAfter === undefined ? {} : { "retry-after": retryAfter })),
      tooManyRequests: (retryAfter) => fail(429, [SIM_CODES.throttled], commonHeaders(ctx, { "retry-after": retryAfter ?? String(PENALTY_MS / 1000) })),
    },
  });

  return {
    url: server.url,
    apiBaseUrl: `${server.url}${CLOUDFLARE_SIM_BASE_PATH}`,
    credentials: CLOUDFLARE_SIM_CREDENTIALS,
    faults: server.faults,
    ca,
    state: server.state,
    reset: server.reset,
    config: server.config,
    close: server.close,
    server,
  };
}
