// The VendorPorts implementation: one vendor client per resolved connection (cached by fingerprint),
// rate limiters shared per credential, and the adapters the controllers use. The only place that turns
// connection settings into vendor client options.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { ApplicationSegmentService } from "../ports/application-segments.ts";
import type { CertificateAuthority } from "../ports/certificate-authority.ts";
import type { ResolvedConnection, ResolvedConnectionOf } from "../ports/connection.ts";
import type { BrowserCertificateStore, ProvisioningKeyService } from "../ports/provisioning-keys.ts";
import type { ProvisioningKeyClient } from "../ports/managed-provisioning-keys.ts";
import type { VendorPorts } from "../ports/vendors.ts";
import { CloudflareCertificateAuthority } from "./cloudflare/certificate-authority.ts";
import { CLOUDFLARE_RATE_RULES, CloudflareClient, type CloudflareAuth } from "./cloudflare/index.ts";
import { SectigoCertificateAuthority } from "./sectigo/certificate-authority.ts";
import { createSectigoClient, SECTIGO_RATE_RULES, sectigoCredentialKey, type SectigoClient } from "./sectigo/index.ts";
import { systemClock, type Clock } from "./shared/clock.ts";
import { createDispatcher } from "./shared/dispatcher.ts";
import { VendorError, type VendorName } from "./shared/errors.ts";
import { RateLimiterRegistry, type RateLimitRule } from "./shared/rate-limiter.ts";
import { ZpaApplicationSegments } from "./zpa/application-segments.ts";
import { ZpaBrowserCertificateStore } from "./zpa/browser-certificates.ts";
import { ZpaProvisioningKeyService } from "./zpa/provisioning-keys.ts";
import { zpaProvisioningKeyClient } from "./zpa/managed-provisioning-keys.ts";
import { search, ZpaClient, zpaLimiterKey, zpaRateLimitRules, type ZpaAuth } from "./zpa/index.ts";

/** Legacy API hosts per ZPA cloud (the ZPA help pages and SDKs agree on these). */
export const ZPA_CLOUD_BASE_URLS = {
  PRODUCTION: "https://config.private.zscaler.com",
  ZPATWO: "https://config.zpatwo.net",
  BETA: "https://config.zpabeta.net",
  GOV: "https://config.zpagov.net",
  GOVUS: "https://config.zpagov.us",
  PREVIEW: "https://config.zpapreview.net",
} as const satisfies Record<NonNullable<ResolvedConnectionOf<"zpa">["settings"]["cloud"]>, string>;

/** The OneAPI gateway; the ZPA client adds the /zpa prefix itself. */
export const ZPA_ONEAPI_BASE_URL = "https://api.zsapi.net";
const ONEAPI_TOKEN_PATH = "/oauth2/v1/token";
/** A name no connector group has: the verification list comes back with at most one small page. */
const VERIFY_PROBE_NAME = "certbridge-connection-check";

export type VendorClient =
  | { readonly vendor: "zpa"; readonly client: ZpaClient }
  | { readonly vendor: "cloudflare"; readonly client: CloudflareClient }
  | { readonly vendor: "sectigo"; readonly client: SectigoClient };

export interface VendorPortsOptions {
  /** Supplies the HTTP dispatcher for a connection (tests); by default one is made from its CA bundle and proxy. */
  readonly dispatcherFor?: (connection: ResolvedConnection) => Dispatcher | undefined;
  readonly clock?: Clock;
  readonly log?: Pick<Logger, "debug">;
  /** How many clients stay cached (least recently used beyond this are dropped). */
  readonly maxClients?: number;
  /** Per-request timeout handed to the clients. */
  readonly timeoutMs?: number;
  /** How long a dropped client's own dispatcher stays open for requests already in flight. */
  readonly closeGraceMs?: number;
  /** Whether rate limiters start by warming up (default true: a predecessor may have spent the budget). */
  readonly warmUp?: boolean;
}

export interface RegistryVendorPorts extends VendorPorts {
  /** The cached client for a connection (built on first use). */
  clientFor(connection: ResolvedConnection): VendorClient;
  /** Cached clients right now (tests assert eviction with it). */
  readonly cachedClients: number;
  /** Closes every dispatcher this registry made. */
  close(): Promise<void>;
}

interface Entry {
  readonly fingerprint: string;
  readonly identity: string;
  readonly client: VendorClient;
  /** Set when this registry made the dispatcher (and so must close it). */
  readonly ownDispatcher?: Dispatcher;
  /** Adapters keep caches of their own (profiles, groups): one of each per client. */
  readonly adapters: { ca?: CertificateAuthority; keys?: ProvisioningKeyService; browser?: BrowserCertificateStore; segments?: ApplicationSegmentService };
}

export function createVendorPorts(opts: VendorPortsOptions = {}): RegistryVendorPorts {
  const clock = opts.clock ?? systemClock;
  const limiters = new RateLimiterRegistry({ clock, ...(opts.warmUp === false ? { warmUp: false as const } : {}) });
  const maxClients = Math.max(1, opts.maxClients ?? 64);
  const graceMs = opts.closeGraceMs ?? 150_000;
  // Map order is recency order: a hit moves the entry to the end, eviction takes from the front.
  const cache = new Map<string, Entry>();
  const byIdentity = new Map<string, string>();
  const retiring = new Map<Dispatcher, ReturnType<typeof setTimeout>>();

  const retire = (entry: Entry, why: string): void => {
    cache.delete(entry.fingerprint);
    if (byIdentity.get(entry.identity) === entry.fingerprint) byIdentity.delete(entry.identity);
    opts.log?.debug({ vendor: entry.client.vendor, connection: entry.identity, why }, "dropping cached vendor client");
    const dispatcher = entry.ownDispatcher;
    if (dispatcher === undefined) return;
    // A reconcile may still hold an adapter built on this client: let its requests finish first.
    const timer = setTimeout(() => {
      retiring.delete(dispatcher);
      void dispatcher.close().catch(() => undefined);
    }, graceMs);
    timer.unref();
    retiring.set(dispatcher, timer);
  };

  const entryFor = (connection: ResolvedConnection): Entry => {
    const hit = cache.get(connection.fingerprint);
    if (hit !== undefined) {
      cache.delete(connection.fingerprint);
      cache.set(connection.fingerprint, hit);
      return hit;
    }
    const identity = identityOf(connection);
    // The same connection with a new fingerprint (rotated Secret, edited spec): the old client is stale.
    const previous = byIdentity.get(identity);
    const stale = previous === undefined ? undefined : cache.get(previous);
    if (stale !== undefined) retire(stale, "connection changed");
    const supplied = opts.dispatcherFor?.(connection);
    const ownDispatcher = supplied === undefined ? dispatcherOf(connection) : undefined;
    const dispatcher = supplied ?? ownDispatcher;
    let client: VendorClient;
    try {
      client = buildClient(connection, {
        ...(dispatcher === undefined ? {} : { dispatcher }),
        clock,
        limiters,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
    } catch (e) {
      void ownDispatcher?.close().catch(() => undefined);
      throw e;
    }
    const entry: Entry = { fingerprint: connection.fingerprint, identity, client, adapters: {}, ...(ownDispatcher === undefined ? {} : { ownDispatcher }) };
    cache.set(connection.fingerprint, entry);
    byIdentity.set(identity, connection.fingerprint);
    while (cache.size > maxClients) {
      const oldest = cache.values().next().value as Entry;
      retire(oldest, "least recently used");
    }
    return entry;
  };
  const clientFor = (connection: ResolvedConnection): VendorClient => entryFor(connection).client;

  return {
    clientFor,
    get cachedClients() {
      return cache.size;
    },
    async verify(connection, signal) {
      await verifyClient(clientFor(connection), connection, signal);
    },
    certificateAuthority(connection): CertificateAuthority {
      const entry = entryFor(connection);
      const { adapters, client: vc } = entry;
      if (adapters.ca !== undefined) return adapters.ca;
      if (vc.vendor === "cloudflare") return (adapters.ca = new CloudflareCertificateAuthority(vc.client));
      if (vc.vendor === "sectigo") {
        const orgId = connection.vendor === "sectigo" ? connection.settings.orgId : undefined;
        return (adapters.ca = new SectigoCertificateAuthority({ client: vc.client, ...(orgId === undefined ? {} : { orgId }), now: () => clock.now() }));
      }
      throw notSupported(vc.vendor, "certificateAuthority", "this vendor issues no certificates (use a cloudflare or sectigo connection)");
    },
    provisioningKeys(connection): ProvisioningKeyService {
      const { adapters, client: vc } = entryFor(connection);
      if (vc.vendor !== "zpa") throw notSupported(vc.vendor, "provisioningKeys", "provisioning keys need a zpa connection");
      return (adapters.keys ??= new ZpaProvisioningKeyService(vc.client, { clock }));
    },
    provisioningKeyClient(connection, scope): ProvisioningKeyClient {
      const { adapters, client: vc } = entryFor(connection);
      if (vc.vendor !== "zpa") throw notSupported(vc.vendor, "provisioningKeyClient", "provisioning keys need a zpa connection");
      return zpaProvisioningKeyClient((adapters.keys ??= new ZpaProvisioningKeyService(vc.client, { clock })), connection, scope);
    },
    browserCertificates(connection): BrowserCertificateStore {
      const { adapters, client: vc } = entryFor(connection);
      if (vc.vendor !== "zpa") throw notSupported(vc.vendor, "browserCertificates", "browser-access certificates need a zpa connection");
      return (adapters.browser ??= new ZpaBrowserCertificateStore(vc.client));
    },
    applicationSegments(connection): ApplicationSegmentService {
      const { adapters, client: vc } = entryFor(connection);
      if (vc.vendor !== "zpa") throw notSupported(vc.vendor, "applicationSegments", "application segments need a zpa connection");
      return (adapters.segments ??= new ZpaApplicationSegments(vc.client));
    },
    async close() {
      const owned = [...cache.values()].map((e) => e.ownDispatcher).filter((d): d is Dispatcher => d !== undefined);
      for (const [d, timer] of retiring) {
        clearTimeout(timer);
        owned.push(d);
      }
      retiring.clear();
      cache.clear();
      byIdentity.clear();
      await Promise.all(owned.map((d) => d.close().catch(() => undefined)));
    },
  };
}

/** One cheap authenticated call per vendor; throws the client's classified VendorError. */
async function verifyClient(vc: VendorClient, connection: ResolvedConnection, signal: AbortSignal): Promise<void> {
  switch (vc.vendor) {
    case "zpa": {
      // Sign-in, then one filtered page of connector groups: proves the credentials, the customer
      // id and (when set) the microtenant, without walking the tenant.
      await vc.client.listConnectorGroups({ signal, search: search.eq("name", VERIFY_PROBE_NAME) });
      return;
    }
    case "cloudflare":
      // The smallest page the API accepts; proves the token and its access to the zone.
      await vc.client.list({ page: 1, perPage: 5 }, signal);
      return;
    case "sectigo":
      // Organizations list: authenticated, read-only, small.
      await vc.client.organizations.list({ signal });
      return;
  }
  const never: never = vc;
  throw notSupported(connection.vendor, "verify", `unknown vendor ${String(never)}`);
}

interface BuildContext {
  readonly dispatcher?: Dispatcher;
  readonly clock: Clock;
  readonly limiters: RateLimiterRegistry;
  readonly timeoutMs?: number;
}

/**
 * Builds the vendor client a connection describes. Its settings passed the API schemas (defaults
 * applied); the credentials come from a Secret, so a missing one is VendorError kind "invalid".
 */
export function buildClient(connection: ResolvedConnection, ctx: BuildContext): VendorClient {
  const c = connection.credentials;
  const common = {
    clock: ctx.clock,
    ...(ctx.dispatcher === undefined ? {} : { dispatcher: ctx.dispatcher }),
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
  };
  switch (connection.vendor) {
    case "zpa": {
      const { customerId, microtenantId } = connection.settings;
      const { baseUrl, auth } = zpaEndpoint(connection);
      const rules = lowerRules(zpaRateLimitRules, connection.rateLimit);
      const client = new ZpaClient({
        ...common,
        baseUrl,
        customerId,
        auth,
        limiter: ctx.limiters.forCredential(zpaLimiterKey(baseUrl, customerId), rules),
        ...(microtenantId === undefined ? {} : { microtenantId }),
      });
      return { vendor: "zpa", client };
    }
    case "cloudflare": {
      const { zoneId, authMode, baseUrl } = connection.settings;
      const auth: CloudflareAuth =
        authMode === "APIKey"
          ? { kind: "globalKey", email: requireCredential(connection, "email", c.email), key: requireCredential(connection, "apiKey", c.apiKey) }
          : { kind: "apiToken", token: requireCredential(connection, "apiToken", c.apiToken) };
      const client = new CloudflareClient({
        ...common,
        zoneId,
        auth,
        baseUrl,
        limiters: ctx.limiters,
        rateRules: lowerRules(CLOUDFLARE_RATE_RULES, connection.rateLimit),
      });
      return { vendor: "cloudflare", client };
    }
    case "sectigo": {
      const identity = {
        baseUrl: connection.settings.baseUrl,
        customerUri: connection.settings.customerUri,
        login: requireCredential(connection, "login", c.login),
      };
      // Certificate login: no password; the admin's certificate rides on the dispatcher (dispatcherOf).
      const login =
        sectigoClientCertificate(connection) === undefined
          ? { password: requireCredential(connection, "password", c.password) }
          : { loginWith: "certificate" as const };
      const client = createSectigoClient({
        ...common,
        ...identity,
        ...login,
        limiter: ctx.limiters.forCredential(sectigoCredentialKey(identity), lowerRules(SECTIGO_RATE_RULES, connection.rateLimit)),
      });
      return { vendor: "sectigo", client };
    }
  }
}

/**
 * Where a ZPA connection signs in and which API host it calls. The schema requires, per auth mode,
 * exactly one of cloud or baseUrl (Legacy) and of vanityDomain or tokenUrl (OneAPI); its type cannot
 * say "exactly one", so a hand-made connection with neither is refused here rather than guessed at.
 */
export function zpaEndpoint(connection: ResolvedConnectionOf<"zpa">): { baseUrl: string; auth: ZpaAuth } {
  const s = connection.settings;
  const clientId = requireCredential(connection, "clientId", connection.credentials.clientId);
  const clientSecret = requireCredential(connection, "clientSecret", connection.credentials.clientSecret);
  if (s.authMode === "OneAPI") {
    // The API schema documents the gateway with its /zpa prefix; the client adds that prefix itself.
    const baseUrl = trimSlash(s.baseUrl ?? ZPA_ONEAPI_BASE_URL).replace(/\/zpa$/, "");
    let identityBaseUrl: string;
    if (s.tokenUrl !== undefined) {
      const tokenUrl = trimSlash(s.tokenUrl);
      if (!tokenUrl.endsWith(ONEAPI_TOKEN_PATH)) throw notSupported("zpa", "configure", `tokenUrl must end with ${ONEAPI_TOKEN_PATH}`);
      identityBaseUrl = tokenUrl.slice(0, -ONEAPI_TOKEN_PATH.length);
    } else if (s.vanityDomain !== undefined) {
      identityBaseUrl = `https://${s.vanityDomain}.zslogin.net`;
    } else {
      throw notSupported("zpa", "configure", "OneAPI auth needs vanityDomain or tokenUrl");
    }
    return { baseUrl, auth: { mode: "oneapi", clientId, clientSecret, identityBaseUrl } };
  }
  let baseUrl: string;
  if (s.baseUrl !== undefined) baseUrl = trimSlash(s.baseUrl);
  else if (s.cloud !== undefined) baseUrl = ZPA_CLOUD_BASE_URLS[s.cloud];
  else throw notSupported("zpa", "configure", "Legacy auth needs cloud or baseUrl");
  return { baseUrl, auth: { mode: "legacy", clientId, clientSecret } };
}

/**
 * A connection's rateLimit may only lower the budget. Each rule keeps its own window (a per-minute
 * override must not allow a burst the vendor's shorter window forbids): its limit becomes the
 * override's share of that window, if smaller. Writes use writesPerMinute when given.
 */
export function lowerRules(rules: Record<string, RateLimitRule>, override: ResolvedConnection["rateLimit"]): Record<string, RateLimitRule> {
  if (override?.requestsPerMinute === undefined && override?.writesPerMinute === undefined) return rules;
  const out: Record<string, RateLimitRule> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const perMinute = name === "write" ? (override.writesPerMinute ?? override.requestsPerMinute) : override.requestsPerMinute;
    const cap = perMinute === undefined ? rule.limit : Math.max(1, Math.floor((perMinute * rule.windowMs) / 60_000));
    out[name] = { limit: Math.min(rule.limit, cap), windowMs: rule.windowMs };
  }
  return out;
}

/**
 * A Sectigo connection with ClientCertificate auth: the admin's certificate and key from its
 * credentials, checked to belong together here (TLS would only fail later, as a network error).
 */
export function sectigoClientCertificate(connection: ResolvedConnection): { certPem: string; keyPem: string } | undefined {
  if (connection.vendor !== "sectigo" || connection.settings.authMode !== "ClientCertificate") return undefined;
  const c = connection.credentials;
  const certPem = requireCredential(connection, "tlsCert", c.tlsCert);
  const keyPem = requireCredential(connection, "tlsKey", c.tlsKey);
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    // Names the fields, never their content.
    throw notSupported("sectigo", "configure", "credentials tlsCert or tlsKey is not a PEM certificate or private key");
  }
  if (!matches) throw notSupported("sectigo", "configure", "credentials tlsCert and tlsKey do not belong together");
  return { certPem, keyPem };
}

function dispatcherOf(connection: ResolvedConnection): Dispatcher | undefined {
  const clientCertificate = sectigoClientCertificate(connection);
  if (connection.caBundlePem === undefined && connection.proxyUrl === undefined && clientCertificate === undefined) return undefined;
  try {
    return createDispatcher({
      ...(connection.caBundlePem === undefined ? {} : { caBundlePem: connection.caBundlePem }),
      ...(connection.proxyUrl === undefined ? {} : { proxyUrl: connection.proxyUrl }),
      ...(clientCertificate === undefined ? {} : { clientCertificate }),
    });
  } catch (e) {
    throw notSupported(connection.vendor, "configure", e instanceof Error ? e.message : "unusable proxy or CA bundle");
  }
}

/** Connections with the same kind, namespace and name: a new fingerprint replaces the old client. */
function identityOf(c: ResolvedConnection): string {
  return `${c.kind}/${c.namespace ?? ""}/${c.name}`;
}

/** Secret data is no schema's: a key the auth mode needs may be missing or empty. */
function requireCredential(connection: ResolvedConnection, name: string, value: string | undefined): string {
  if (value !== undefined && value !== "") return value;
  // Names the missing field, never a value.
  throw notSupported(connection.vendor, "configure", `credentials lack ${name}`);
}

function notSupported(vendor: VendorName, operation: string, message: string): VendorError {
  return new VendorError({ kind: "invalid", vendor, operation, message });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
