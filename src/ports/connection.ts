import type { VendorName } from "./vendor-error.ts";

/**
 * A VendorConnection or ClusterVendorConnection resolved for use: its vendor block, the credentials
 * read from its Secret (never logged), and transport settings. `fingerprint` changes whenever any of
 * these change, so adapters can cache clients per fingerprint and drop stale ones.
 */
export interface ResolvedConnection {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly namespace?: string;
  readonly name: string;
  readonly vendor: VendorName;
  /** The connection's vendor block (spec.zpa | spec.cloudflare | spec.sectigo), as parsed by the API schemas. */
  readonly settings: Readonly<Record<string, unknown>>;
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
