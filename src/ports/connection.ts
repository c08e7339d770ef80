import type { CloudflareConnection, SectigoConnection, ZpaConnection } from "../api/v1alpha1/vendorconnection.ts";
import type { DeepReadonly } from "./deep-readonly.ts";

/**
 * A connection's vendor block (spec.zpa | spec.cloudflare | spec.sectigo) as the API schemas parsed
 * it (defaults applied, rules checked), tagged with its vendor: narrowing on `vendor` gives that
 * block's own fields, typed, so nothing reads settings by key or checks them again.
 */
export type ConnectionSettings =
  | { readonly vendor: "zpa"; readonly settings: DeepReadonly<ZpaConnection> }
  | { readonly vendor: "cloudflare"; readonly settings: DeepReadonly<CloudflareConnection> }
  | { readonly vendor: "sectigo"; readonly settings: DeepReadonly<SectigoConnection> };

/** The vendor block a parsed connection spec carries (the schema allows exactly one); undefined when none. */
export function connectionSettingsOf(spec: {
  readonly zpa?: ZpaConnection | undefined;
  readonly cloudflare?: CloudflareConnection | undefined;
  readonly sectigo?: SectigoConnection | undefined;
}): ConnectionSettings | undefined {
  if (spec.zpa !== undefined) return { vendor: "zpa", settings: spec.zpa };
  if (spec.cloudflare !== undefined) return { vendor: "cloudflare", settings: spec.cloudflare };
  if (spec.sectigo !== undefined) return { vendor: "sectigo", settings: spec.sectigo };
  return undefined;
}

/** The ZPA microtenant objects made through this connection belong to by default (none: the Default microtenant). */
export function zpaMicrotenantOf(connection: ConnectionSettings): string | undefined {
  return connection.vendor === "zpa" ? connection.settings.microtenantId : undefined;
}

/**
 * A VendorConnection or ClusterVendorConnection resolved for use: its vendor block, the credentials
 * read from its Secret (never logged), and transport settings. `fingerprint` changes whenever any of
 * these change, so adapters can cache clients per fingerprint and drop stale ones.
 */
export type ResolvedConnection = ResolvedConnectionBase & ConnectionSettings;

/** A resolved connection of one vendor (what that vendor's adapters are built from). */
export type ResolvedConnectionOf<V extends ConnectionSettings["vendor"]> = Extract<ResolvedConnection, { readonly vendor: V }>;

interface ResolvedConnectionBase {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly namespace?: string;
  readonly name: string;
  /** Secret data under the keys the connection names (defaults applied). */
  readonly credentials: Readonly<Record<string, string>>;
  readonly caBundlePem?: string;
  readonly proxyUrl?: string;
  /** Overrides that may only lower the published budget (validated by the API). */
  readonly rateLimit?: { readonly requestsPerMinute?: number; readonly writesPerMinute?: number };
  readonly issuanceBudgetPerHour?: number;
  readonly fingerprint: string;
  /** The connection is being deleted (only a "cleanup" resolution returns one). */
  readonly deleting?: boolean;
  /** The credentials came from the operator's retained copy: the connection's own Secret is gone (cleanup only). */
  readonly retainedCredentials?: boolean;
}

/** Verifies a connection with one cheap authenticated call; throws VendorError (e.g. kind "credentials"). */
export interface ConnectionVerifier {
  verify(connection: ResolvedConnection, signal: AbortSignal): Promise<void>;
}
