// Pure mapping from what @kubernetes/client-node yields for a kubeconfig (its parsed Cluster, and the
// request options its applyToHTTPSOptions fills in) to what our transport sends, plus the few
// kubeconfig fields client-node 1.4 drops, read from the entry as written: tokenFile, as-groups,
// as-uid and as-user-extra. No I/O here except through the `readFile` seam.
import type { Cluster, User } from "@kubernetes/client-node";
import { type ClientCertificate, KubeConfigError, type KubeHeaders, type KubeTlsOptions } from "./connection.ts";
import type { KubeCredentials } from "./credentials.ts";

/** The parts of the https.RequestOptions that client-node's applyToHTTPSOptions fills in and we use. */
export interface AppliedOptions {
  headers?: Record<string, unknown>;
  /** "user:password" from a kubeconfig's basic auth; node's https turns it into a header, we do it ourselves. */
  auth?: string | null;
  cert?: unknown;
  key?: unknown;
}

export interface Impersonation {
  readonly user?: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export const NO_IMPERSONATION: Impersonation = { groups: [], extra: {} };

/** A user entry as written in the kubeconfig (the object under `users[].user`). */
export type RawEntry = Readonly<Record<string, unknown>>;

/**
 * `as`, `as-uid`, `as-groups`, `as-user-extra` of a user entry. client-go sends them as Impersonate-*
 * headers; the API server refuses groups, uid or extras without a user, so that is a load error.
 */
export function impersonationOf(raw: RawEntry, label: string): Impersonation {
  const str = (k: string): string | undefined => (typeof raw[k] === "string" && raw[k] !== "" ? (raw[k] as string) : undefined);
  const strings = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((g) => typeof g !== "string")) throw new KubeConfigError(`${label}: ${what} is not a list of strings`);
    return v as string[];
  };
  const user = str("as");
  const uid = str("as-uid");
  const groups = strings(raw["as-groups"], "as-groups");
  const extraRaw = raw["as-user-extra"];
  if (extraRaw !== undefined && extraRaw !== null && (typeof extraRaw !== "object" || Array.isArray(extraRaw))) {
    throw new KubeConfigError(`${label}: as-user-extra is not a mapping`);
  }
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((extraRaw ?? {}) as Record<string, unknown>)) extra[k] = strings(v, `as-user-extra.${k}`);
  if (user === undefined && (uid !== undefined || groups.length > 0 || Object.keys(extra).length > 0)) {
    throw new KubeConfigError(`${label}: as-groups, as-uid and as-user-extra need "as" (the user to impersonate)`);
  }
  return { ...(user !== undefined ? { user } : {}), ...(uid !== undefined ? { uid } : {}), groups, extra };
}

/** client-go's header names: one Impersonate-Group per group, extras keyed by their percent-escaped name. */
export function impersonationHeaders(imp: Impersonation): Record<string, string | string[]> {
  if (imp.user === undefined) return {};
  const headers: Record<string, string | string[]> = { "impersonate-user": imp.user };
  if (imp.uid !== undefined) headers["impersonate-uid"] = imp.uid;
  if (imp.groups.length > 0) headers["impersonate-group"] = [...imp.groups];
  for (const [k, v] of Object.entries(imp.extra)) if (v.length > 0) headers[`impersonate-extra-${escapeHeaderKey(k)}`] = [...v];
  return headers;
}

/** Header names allow only token characters: escape the rest (and "%") as UTF-8 percent-escapes, as client-go does. */
function escapeHeaderKey(key: string): string {
  let out = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && /[A-Za-z0-9!#$&'*+.^_`|~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Checks of a user entry that client-node does not make: a certificate needs its key, and basic auth
 * plus a bearer token is ambiguous (client-go refuses both).
 */
export function checkUser(user: User, raw: RawEntry, label: string): void {
  const hasCert = Boolean(user.certData || user.certFile);
  const hasKey = Boolean(user.keyData || user.keyFile);
  if (hasCert !== hasKey) throw new KubeConfigError(`${label}: a client certificate needs both certificate and key`);
  const hasBasic = Boolean(user.username || user.password);
  const hasToken = Boolean(user.token || raw.tokenFile);
  if (hasBasic && hasToken) throw new KubeConfigError(`${label}: username/password and a bearer token cannot both be set`);
}

/**
 * The cluster's side of TLS, from client-node's Cluster. Taken from the Cluster rather than from
 * applyToHTTPSOptions, which applies nothing at all for a context without a user.
 */
export function clusterTls(cluster: Cluster, readFile: (path: string) => Buffer, label: string): KubeTlsOptions {
  const skipVerify = cluster.skipTLSVerify === true;
  let ca: Buffer | undefined;
  if (!skipVerify && cluster.caData) ca = Buffer.from(cluster.caData, "base64");
  else if (!skipVerify && cluster.caFile) {
    try {
      ca = readFile(cluster.caFile);
    } catch (error) {
      throw new KubeConfigError(`${label}: certificate authority: cannot read ${cluster.caFile} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  return {
    ...(ca ? { ca } : {}),
    ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    rejectUnauthorized: !skipVerify,
  };
}

/** What kind of proxy a `proxy-url` names; undici's ProxyAgent speaks these. */
export function checkProxyUrl(proxyUrl: string | undefined, label: string): string | undefined {
  if (proxyUrl === undefined || proxyUrl === "") return undefined;
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    // The URL may carry a proxy password: do not repeat it.
    throw new KubeConfigError(`${label}: proxy-url is not a URL`);
  }
  if (!["http:", "https:", "socks5:"].includes(url.protocol))
    throw new KubeConfigError(`${label}: proxy-url scheme "${url.protocol}" is not supported (http, https, socks5)`);
  return proxyUrl;
}

/**
 * Headers and client certificate from the options client-node applied. Header names are lower-cased;
 * a token read from a file may end in a newline, which a header cannot carry. Impersonation comes
 * from `impersonation` only (client-node sets just Impersonate-User; one rule decides all of them).
 */
export function credentialsFromApplied(applied: AppliedOptions, impersonation: Impersonation, label: string): KubeCredentials {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(applied.headers ?? {})) {
    const key = name.toLowerCase();
    if (key.startsWith("impersonate-")) continue;
    if (typeof value === "string" || typeof value === "number") headers[key] = String(value).trim();
    else if (Array.isArray(value)) headers[key] = value.map((v) => String(v).trim());
  }
  if (applied.auth) headers.authorization = `Basic ${Buffer.from(applied.auth).toString("base64")}`;
  Object.assign(headers, impersonationHeaders(impersonation));

  const cert = toBuffer(applied.cert);
  const key = toBuffer(applied.key);
  if ((cert === undefined) !== (key === undefined)) throw new KubeConfigError(`${label}: a client certificate needs both certificate and key`);
  const clientCertificate: ClientCertificate | undefined = cert && key ? { cert, key } : undefined;
  return { headers: headers as KubeHeaders, ...(clientCertificate ? { clientCertificate } : {}) };
}

const toBuffer = (v: unknown): Buffer | undefined => (Buffer.isBuffer(v) ? v : typeof v === "string" && v.length > 0 ? Buffer.from(v) : undefined);
