// VendorConnection (namespaced) and ClusterVendorConnection (cluster-scoped): where a vendor lives and
// which Secret holds the credentials. Both kinds share one spec; the cluster kind adds a namespace to
// Secret references and a namespaceSelector saying which namespaces may use it (TARGETS S4).
import { z } from "zod";
import {
  type CelRule,
  Conditions,
  dns1123Label,
  dns1123Subdomain,
  exactlyOne,
  httpUrl,
  LabelSelector,
  ObjectMeta,
  observedGeneration,
  secretDataKey,
  timestamp,
  withRules,
  zpaId,
} from "./common.ts";
import { API_VERSION } from "./group.ts";

export const Vendor = z.enum(["zpa", "cloudflare", "sectigo"]).meta({ description: "The vendor a connection talks to." });
export type Vendor = z.infer<typeof Vendor>;

/**
 * Published request budgets per credential, per minute (DIGEST §1.7, §2.5, §3.1). Sectigo publishes
 * none; 300/min (5/s) is our polite ceiling. An override may only lower these.
 */
export const PUBLISHED_RATE_LIMITS = {
  zpa: { requestsPerMinute: 120, writesPerMinute: 60 },
  cloudflare: { requestsPerMinute: 240, writesPerMinute: 240 },
  sectigo: { requestsPerMinute: 300, writesPerMinute: 300 },
} as const satisfies Record<Vendor, { requestsPerMinute: number; writesPerMinute: number }>;

/** Secret keys read when `credentialsRef.keys` leaves them unset. */
export const DEFAULT_CREDENTIAL_KEYS = {
  clientId: "clientId",
  clientSecret: "clientSecret",
  apiToken: "apiToken",
  apiKey: "apiKey",
  email: "email",
  login: "login",
  password: "password",
  tlsCert: "tls.crt",
  tlsKey: "tls.key",
} as const;

// ---------------------------------------------------------------------------------------------------
// Vendor blocks

export const ZpaCloud = z
  .enum(["PRODUCTION", "ZPATWO", "BETA", "GOV", "GOVUS", "PREVIEW"])
  .meta({ description: "ZPA cloud whose legacy API base URL to use (PRODUCTION is config.private.zscaler.com)." });

export const ZpaConnection = withRules(
  z
    .object({
      authMode: z.enum(["Legacy", "OneAPI"]).default("Legacy").meta({
        description:
          "Legacy: client_id/client_secret sign-in at {base}/signin. OneAPI: OAuth2 client credentials at the ZIdentity token endpoint (not available on GOVUS).",
      }),
      cloud: ZpaCloud.optional(),
      baseUrl: httpUrl.optional().meta({
        description:
          "API base URL (without /mgmtconfig), overriding the cloud's; for OneAPI the API host (default https://api.zsapi.net/zpa). Mainly for simulators and private endpoints.",
      }),
      customerId: zpaId.meta({ description: "ZPA tenant (customer) id, a decimal string." }),
      vanityDomain: z
        .string()
        .min(1)
        .max(63)
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .optional()
        .meta({ description: "OneAPI only: the ZIdentity vanity name; the token URL becomes https://<vanityDomain>.zslogin.net/oauth2/v1/token." }),
      tokenUrl: httpUrl.optional().meta({ description: "OneAPI only: full OAuth2 token URL, instead of vanityDomain." }),
      microtenantId: zpaId
        .optional()
        .meta({ description: "Microtenant used by default for objects made through this connection; unset means the Default microtenant." }),
    })
    .meta({ description: "Zscaler Private Access connection." }),
  [
    {
      rule: "self.authMode != 'Legacy' || ((has(self.cloud) ? 1 : 0) + (has(self.baseUrl) ? 1 : 0) == 1)",
      message: "Legacy auth needs exactly one of cloud or baseUrl",
      check: (s) => s.authMode !== "Legacy" || (s.cloud === undefined) !== (s.baseUrl === undefined),
    },
    {
      rule: "self.authMode != 'Legacy' || (!has(self.vanityDomain) && !has(self.tokenUrl))",
      message: "vanityDomain and tokenUrl apply only to OneAPI auth",
      check: (s) => s.authMode !== "Legacy" || (s.vanityDomain === undefined && s.tokenUrl === undefined),
    },
    {
      rule: "self.authMode != 'OneAPI' || ((has(self.vanityDomain) ? 1 : 0) + (has(self.tokenUrl) ? 1 : 0) == 1)",
      message: "OneAPI auth needs exactly one of vanityDomain or tokenUrl",
      check: (s) => s.authMode !== "OneAPI" || (s.vanityDomain === undefined) !== (s.tokenUrl === undefined),
    },
    {
      rule: "self.authMode != 'OneAPI' || !has(self.cloud) || self.cloud != 'GOVUS'",
      message: "the GOVUS cloud supports only Legacy auth",
      check: (s) => s.authMode !== "OneAPI" || s.cloud !== "GOVUS",
    },
  ],
);
export type ZpaConnection = z.infer<typeof ZpaConnection>;

export const CloudflareConnection = z
  .object({
    baseUrl: httpUrl.default("https://api.cloudflare.com/client/v4").meta({ description: "Cloudflare API v4 base URL." }),
    zoneId: z
      .string()
      .length(32)
      .regex(/^[0-9a-f]{32}$/)
      .meta({ description: "Zone whose API Shield mTLS client certificates are managed (client certificates are per zone)." }),
    authMode: z.enum(["APIToken", "APIKey"]).default("APIToken").meta({
      description: "APIToken: a scoped token (needs SSL and Certificates Write) sent as Bearer. APIKey: the account email plus global API key (legacy).",
    }),
  })
  .meta({ description: "Cloudflare API Shield mTLS connection." });
export type CloudflareConnection = z.infer<typeof CloudflareConnection>;

export const SectigoConnection = z
  .object({
    baseUrl: httpUrl.default("https://cert-manager.com").meta({ description: "Sectigo Certificate Manager instance URL (the /api paths are appended)." }),
    customerUri: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._~-]+$/)
      .meta({ description: "The customer URI part of the SCM instance, sent as the customerUri header." }),
    orgId: z
      .number()
      .int()
      .min(1)
      .max(2147483647)
      .optional()
      .meta({ description: "Default organization or department id for enrollments; a ManagedCertificate may override it." }),
    authMode: z
      .enum(["Password", "ClientCertificate"])
      .default("Password")
      .meta({ description: "Password: login and password headers. ClientCertificate: login header plus a TLS client certificate (/private API prefix)." }),
  })
  .meta({ description: "Sectigo Certificate Manager connection." });
export type SectigoConnection = z.infer<typeof SectigoConnection>;

// ---------------------------------------------------------------------------------------------------
// Secret references: same shape for both kinds, but only the cluster kind may (and must) name a namespace.

export type ConnectionScope = "Namespaced" | "Cluster";

const CredentialKeys = z
  .object({
    clientId: secretDataKey.optional().meta({ description: 'ZPA: key holding the API client id (default "clientId").' }),
    clientSecret: secretDataKey.optional().meta({ description: 'ZPA: key holding the API client secret (default "clientSecret").' }),
    apiToken: secretDataKey.optional().meta({ description: 'Cloudflare APIToken: key holding the token (default "apiToken").' }),
    apiKey: secretDataKey.optional().meta({ description: 'Cloudflare APIKey: key holding the global API key (default "apiKey").' }),
    email: secretDataKey.optional().meta({ description: 'Cloudflare APIKey: key holding the account email (default "email").' }),
    login: secretDataKey.optional().meta({ description: 'Sectigo: key holding the login name (default "login").' }),
    password: secretDataKey.optional().meta({ description: 'Sectigo Password: key holding the password (default "password").' }),
    tlsCert: secretDataKey.optional().meta({ description: 'Sectigo ClientCertificate: key holding the PEM client certificate (default "tls.crt").' }),
    tlsKey: secretDataKey.optional().meta({ description: 'Sectigo ClientCertificate: key holding the PEM private key (default "tls.key").' }),
  })
  .meta({ description: "Names of the keys within the Secret, where they differ from the defaults." });

function namespaceField(scope: ConnectionScope, what: string) {
  return scope === "Cluster"
    ? { namespace: dns1123Label.meta({ description: `Namespace of the ${what} Secret (required for a cluster-scoped connection).` }) }
    : {};
}

function credentialsRef(scope: ConnectionScope) {
  return z
    .object({
      name: dns1123Subdomain.meta({ description: "Name of the Secret holding the vendor credentials." }),
      ...namespaceField(scope, "credentials"),
      keys: CredentialKeys.optional(),
    })
    .meta({
      description:
        scope === "Cluster"
          ? "The Secret holding the vendor credentials, in the namespace given (the operator needs read access there)."
          : "The Secret, in this connection's namespace, holding the vendor credentials.",
    });
}

function caBundleSecretRef(scope: ConnectionScope) {
  return z
    .object({
      name: dns1123Subdomain.meta({ description: "Name of the Secret holding PEM CA certificates." }),
      ...namespaceField(scope, "CA bundle"),
      key: secretDataKey.default("ca.crt").meta({ description: "Key within the Secret." }),
    })
    .meta({ description: "A Secret holding PEM CA certificates to trust for the vendor endpoint, instead of caBundle." });
}

export const RateLimit = z
  .object({
    requestsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .meta({ description: "All requests per minute per credential; at most the vendor's published limit (ZPA 120, Cloudflare 240, Sectigo 300)." }),
    writesPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .optional()
      .meta({ description: "Of those, writes (POST/PUT/PATCH/DELETE) per minute; ZPA publishes 60." }),
  })
  .meta({
    description: "Lower the client-side request budget below the default (80% of the vendor's published limit); it can never exceed the published limit.",
  });
export type RateLimit = z.infer<typeof RateLimit>;

function rateLimitRule<T extends SharedSpec>(vendor: Vendor): CelRule<T> {
  const limit = PUBLISHED_RATE_LIMITS[vendor];
  return {
    rule: `!has(self.${vendor}) || !has(self.rateLimit) || (self.rateLimit.requestsPerMinute <= ${limit.requestsPerMinute} && (!has(self.rateLimit.writesPerMinute) || self.rateLimit.writesPerMinute <= ${limit.writesPerMinute}))`,
    message: `rateLimit exceeds ${vendor}'s published limit (${limit.requestsPerMinute} requests and ${limit.writesPerMinute} writes per minute)`,
    fieldPath: ".rateLimit",
    check: (s) =>
      s[vendor] === undefined ||
      s.rateLimit === undefined ||
      (s.rateLimit.requestsPerMinute <= limit.requestsPerMinute &&
        (s.rateLimit.writesPerMinute === undefined || s.rateLimit.writesPerMinute <= limit.writesPerMinute)),
  };
}

/** The first `-----BEGIN CERTIFICATE-----` check; the controller parses it fully. */
const PEM_CERT = "-----BEGIN CERTIFICATE-----";

/**
 * Which namespaces may take over vendor objects that already exist (today: ZPA provisioning keys that a
 * ProvisioningKey did not create, by spec.adopt or managementPolicy ObserveOnly). A namespaced
 * VendorConnection's namespace owns its credentials and may always; a ClusterVendorConnection serves
 * several teams, so its owner decides here. Unset: no namespace may.
 */
export const AdoptionPolicy = z
  .object({
    namespaceSelector: LabelSelector.meta({
      description: "Namespaces (among those namespaceSelector admits) whose resources may adopt or observe existing vendor objects; {} means all of them.",
    }),
    namePrefix: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .meta({ description: "Only objects whose vendor-side name starts with this prefix may be adopted; unset: any name." }),
  })
  .meta({
    description:
      "Lets resources in the selected namespaces take over vendor objects that exist already (ZPA provisioning keys by name). Unset: none may; keys a resource creates itself are unaffected.",
  });
export type AdoptionPolicy = z.infer<typeof AdoptionPolicy>;

function connectionSpecBase(scope: ConnectionScope) {
  return z.object({
    zpa: ZpaConnection.optional(),
    cloudflare: CloudflareConnection.optional(),
    sectigo: SectigoConnection.optional(),
    credentialsRef: credentialsRef(scope),
    caBundle: z
      .string()
      .min(1)
      .max(65536)
      .optional()
      .meta({ description: "PEM CA certificates to trust for the vendor endpoint (in addition to nothing: replaces the system roots)." }),
    caBundleSecretRef: caBundleSecretRef(scope).optional(),
    proxyUrl: httpUrl.optional().meta({ description: "HTTP(S) proxy for requests to the vendor." }),
    rateLimit: RateLimit.optional(),
    issuanceBudget: z
      .object({
        maxPerHour: z
          .number()
          .int()
          .min(1)
          .max(100000)
          .default(100)
          .meta({ description: "Paid issuances allowed per rolling hour before resources get BudgetExhausted." }),
      })
      .optional()
      .meta({ description: "A brake on runaway issuance loops through this connection (certificate vendors only)." }),
  });
}

/** The fields every connection rule reads; both kinds' specs have them. */
interface SharedSpec {
  zpa?: unknown;
  cloudflare?: unknown;
  sectigo?: unknown;
  caBundle?: string | undefined;
  caBundleSecretRef?: unknown;
  issuanceBudget?: unknown;
  rateLimit?: RateLimit | undefined;
}

function connectionRules<T extends SharedSpec>(): CelRule<T>[] {
  return [
    exactlyOne<T>(["zpa", "cloudflare", "sectigo"], "exactly one vendor block (zpa, cloudflare or sectigo) must be set"),
    {
      // Resources, status and vendor-side objects made through a connection belong to its vendor;
      // switching vendors under them would orphan those objects.
      rule: "has(self.zpa) == has(oldSelf.zpa) && has(self.cloudflare) == has(oldSelf.cloudflare) && has(self.sectigo) == has(oldSelf.sectigo)",
      message: "the vendor of a connection cannot change; create a new connection",
    },
    {
      rule: "!(has(self.caBundle) && has(self.caBundleSecretRef))",
      message: "set at most one of caBundle and caBundleSecretRef",
      check: (s) => !(s.caBundle !== undefined && s.caBundleSecretRef !== undefined),
    },
    {
      rule: `!has(self.caBundle) || self.caBundle.contains('${PEM_CERT}')`,
      message: "caBundle must hold PEM certificates",
      fieldPath: ".caBundle",
      check: (s) => s.caBundle === undefined || s.caBundle.includes(PEM_CERT),
    },
    {
      rule: "!has(self.issuanceBudget) || !has(self.zpa)",
      message: "issuanceBudget applies to certificate vendors (cloudflare, sectigo), not zpa",
      fieldPath: ".issuanceBudget",
      check: (s) => s.issuanceBudget === undefined || s.zpa === undefined,
    },
    rateLimitRule("zpa"),
    rateLimitRule("cloudflare"),
    rateLimitRule("sectigo"),
  ];
}

export const VendorConnectionSpec = withRules(
  connectionSpecBase("Namespaced").meta({
    description: "A vendor endpoint and the credentials for it, usable by resources in this namespace.",
  }),
  connectionRules(),
);
export type VendorConnectionSpec = z.infer<typeof VendorConnectionSpec>;

export const ClusterVendorConnectionSpec = withRules(
  connectionSpecBase("Cluster")
    .extend({
      namespaceSelector: LabelSelector.meta({
        description: "Namespaces whose resources may use this connection; {} admits every namespace. Required so that the choice is explicit.",
      }),
      adoption: AdoptionPolicy.optional(),
    })
    .meta({ description: "A vendor endpoint and credentials, usable by resources in the namespaces the selector admits." }),
  connectionRules(),
);
export type ClusterVendorConnectionSpec = z.infer<typeof ClusterVendorConnectionSpec>;

export const ConnectionStatus = z
  .object({
    conditions: Conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    vendor: Vendor.optional().meta({ description: "The vendor of this connection (mirrors the spec's vendor block, for printing)." }),
    lastVerifiedTime: timestamp.optional().meta({ description: "When the credentials last passed an authenticated call." }),
    credentialsResourceVersion: z
      .string()
      .max(64)
      .optional()
      .meta({ description: "resourceVersion of the credentials Secret that was last verified; a change triggers re-verification." }),
    consumers: z.number().int().min(0).optional().meta({
      description:
        "ManagedCertificates and ProvisioningKeys using this connection (for a ClusterVendorConnection, those in namespaces it admits). While there are any, the connection carries the certbridge.dev/in-use finalizer.",
    }),
  })
  .meta({ description: "Observed state of the connection." });
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

export const VendorConnection = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("VendorConnection"),
  metadata: ObjectMeta,
  spec: VendorConnectionSpec,
  status: ConnectionStatus.optional(),
});
export type VendorConnection = z.infer<typeof VendorConnection>;

export const ClusterVendorConnection = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ClusterVendorConnection"),
  metadata: ObjectMeta,
  spec: ClusterVendorConnectionSpec,
  status: ConnectionStatus.optional(),
});
export type ClusterVendorConnection = z.infer<typeof ClusterVendorConnection>;

/** Which vendor block a connection spec carries. */
export function vendorOf(spec: { zpa?: unknown; cloudflare?: unknown; sectigo?: unknown }): Vendor | undefined {
  if (spec.zpa !== undefined) return "zpa";
  if (spec.cloudflare !== undefined) return "cloudflare";
  if (spec.sectigo !== undefined) return "sectigo";
  return undefined;
}
