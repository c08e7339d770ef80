// Loads where and how to reach the API server: a kubeconfig (explicit path, $KUBECONFIG, ~/.kube/config)
// or the in-cluster service account. The rules follow client-go's clientcmd and controller-runtime's
// GetConfig; we carry the facts over, not the code. It replaces @kubernetes/client-node's KubeConfig,
// whose import alone cost ~90 MiB of RSS (ADR 0004).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { load } from "js-yaml";
import { runExecPlugin, type ExecConfig } from "./exec-credential.ts";

export interface KubeTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

export interface KubeConnectionConfig {
  /** Base URL of the API server, without a trailing slash. */
  readonly server: string;
  /** Static TLS material; an exec plugin's client certificate comes from `clientCertificate` instead. */
  readonly tls: KubeTlsOptions;
  /** Headers to send with each request (e.g. Authorization); cheap to call: sources cache themselves. */
  readonly auth: () => Promise<Record<string, string>>;
  /** Present only when an exec plugin may hand out a client certificate; it changes when the plugin re-runs. */
  readonly clientCertificate?: () => Promise<{ cert: Buffer; key: Buffer } | undefined>;
  readonly contextName?: string;
  /** Where the configuration came from, for the start-up log line (a path or "in-cluster"). */
  readonly source?: string;
}

export interface LoadKubeConfigOptions {
  readonly kubeconfigPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly inClusterRoot?: string;
  /** Overrides the current context's server (tests put a relay in front of the API server). */
  readonly server?: string;
  /** Injected for tests; defaults to Date.now. */
  readonly now?: () => number;
}

export const IN_CLUSTER_ROOT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Rotating tokens (projected service account tokens, tokenFile) are re-read at most this often. */
export const TOKEN_REREAD_MS = 60_000;

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

type Named<K extends string, T> = { name: string } & { [key in K]: T };
interface RawCluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  extensions?: Array<{ name: string; extension: unknown }>;
}
interface RawUser {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  "auth-provider"?: { name?: string };
}
interface RawContext { cluster?: string; user?: string; namespace?: string }

/** A kubeconfig after merging: maps keyed by name, paths already absolute. */
interface Merged {
  clusters: Map<string, RawCluster>;
  users: Map<string, RawUser>;
  contexts: Map<string, RawContext>;
  currentContext?: string;
  files: string[];
}

/**
 * Resolves the connection the way controller-runtime does: an explicit path, else $KUBECONFIG
 * (a list separated like PATH), else the in-cluster service account, else ~/.kube/config.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConnectionConfig {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const withServer = (c: KubeConnectionConfig): KubeConnectionConfig => (opts.server ? { ...c, server: trimServer(opts.server) } : c);

  if (opts.kubeconfigPath) {
    if (!existsSync(opts.kubeconfigPath)) throw new KubeConfigError(`kubeconfig ${opts.kubeconfigPath} does not exist`);
    return withServer(fromKubeconfig(mergeFiles([opts.kubeconfigPath]), env, now));
  }
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p.length > 0);
  if (listed.length > 0) {
    // client-go skips the files of the list that do not exist, but an empty result is an error.
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0) throw new KubeConfigError(`no file named by KUBECONFIG exists (${listed.join(":")})`);
    return withServer(fromKubeconfig(mergeFiles(present), env, now));
  }
  const root = opts.inClusterRoot ?? IN_CLUSTER_ROOT;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(root, "token"))) {
    return withServer(inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, root, now));
  }
  const home = env.HOME ?? homedir();
  const fallback = join(home, ".kube", "config");
  if (existsSync(fallback)) return withServer(fromKubeconfig(mergeFiles([fallback]), env, now));
  throw new KubeConfigError(
    `no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, run in a cluster (KUBERNETES_SERVICE_HOST/PORT and ${join(root, "token")}), or create ${fallback}`,
  );
}

function inCluster(host: string, port: string, root: string, now: () => number): KubeConnectionConfig {
  const caPath = join(root, "ca.crt");
  const token = rereadingFile(join(root, "token"), now);
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    server,
    tls: { ...(existsSync(caPath) ? { ca: readFileSync(caPath) } : {}), rejectUnauthorized: true },
    auth: async () => ({ authorization: `Bearer ${token()}` }),
    source: "in-cluster",
  };
}

/** Merges kubeconfig files as client-go does: the first file to define a name wins, and so does the first current-context. */
function mergeFiles(paths: readonly string[]): Merged {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), files: [...paths] };
  for (const path of paths) {
    const file = parseFile(path);
    const base = dirname(resolve(path));
    for (const { name, cluster } of list<Named<"cluster", RawCluster>>(file.clusters, path, "clusters")) {
      if (!merged.clusters.has(name)) merged.clusters.set(name, resolveClusterPaths(cluster ?? {}, base));
    }
    for (const { name, user } of list<Named<"user", RawUser>>(file.users, path, "users")) {
      if (!merged.users.has(name)) merged.users.set(name, resolveUserPaths(user ?? {}, base));
    }
    for (const { name, context } of list<Named<"context", RawContext>>(file.contexts, path, "contexts")) {
      if (!merged.contexts.has(name)) merged.contexts.set(name, context ?? {});
    }
    const current = file["current-context"];
    if (merged.currentContext === undefined && typeof current === "string" && current.length > 0) merged.currentContext = current;
  }
  return merged;
}

function parseFile(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = load(readFileSync(path, "utf8"));
  } catch (error) {
    // js-yaml's message quotes the offending line, which may hold a credential: name the file only.
    throw new KubeConfigError(`kubeconfig ${path} could not be read as YAML`, { cause: error instanceof Error && "code" in error ? error : undefined });
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new KubeConfigError(`kubeconfig ${path} is not a mapping`);
  return doc as Record<string, unknown>;
}

function list<T extends { name: string }>(value: unknown, path: string, field: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KubeConfigError(`kubeconfig ${path}: ${field} is not a list`);
  return value.filter((v): v is T => typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string");
}

const absolute = (base: string, p: string | undefined): string | undefined => (p === undefined || p === "" ? undefined : isAbsolute(p) ? p : resolve(base, p));

function resolveClusterPaths(c: RawCluster, base: string): RawCluster {
  return { ...c, "certificate-authority": absolute(base, c["certificate-authority"]) };
}

function resolveUserPaths(u: RawUser, base: string): RawUser {
  const exec = u.exec && typeof u.exec.command === "string" && u.exec.command.includes(sep)
    ? { ...u.exec, command: absolute(base, u.exec.command) as string }
    : u.exec;
  return {
    ...u,
    "client-certificate": absolute(base, u["client-certificate"]),
    "client-key": absolute(base, u["client-key"]),
    tokenFile: absolute(base, u.tokenFile),
    ...(exec ? { exec } : {}),
  };
}

function fromKubeconfig(merged: Merged, env: NodeJS.ProcessEnv, now: () => number): KubeConnectionConfig {
  const where = merged.files.join(":");
  const contextName = merged.currentContext;
  if (contextName === undefined) throw new KubeConfigError(`kubeconfig ${where} sets no current-context`);
  const context = merged.contexts.get(contextName);
  if (context === undefined) throw new KubeConfigError(`kubeconfig ${where}: current-context "${contextName}" is not defined`);
  const cluster = context.cluster === undefined ? undefined : merged.clusters.get(context.cluster);
  if (cluster === undefined) throw new KubeConfigError(`kubeconfig ${where}: context "${contextName}" names unknown cluster "${context.cluster ?? ""}"`);
  if (!cluster.server) throw new KubeConfigError(`kubeconfig ${where}: cluster "${context.cluster}" has no server`);
  // A context without a user is valid (anonymous); a named user that does not exist is not.
  const user = context.user === undefined || context.user === "" ? {} : merged.users.get(context.user);
  if (user === undefined) throw new KubeConfigError(`kubeconfig ${where}: context "${contextName}" names unknown user "${context.user}"`);
  const label = `kubeconfig ${where}, context "${contextName}"`;

  const skipVerify = cluster["insecure-skip-tls-verify"] === true;
  const ca = skipVerify ? undefined : material(cluster["certificate-authority-data"], cluster["certificate-authority"], `${label}: certificate authority`);
  const cert = material(user["client-certificate-data"], user["client-certificate"], `${label}: client certificate`);
  const key = material(user["client-key-data"], user["client-key"], `${label}: client key`);
  if ((cert === undefined) !== (key === undefined)) throw new KubeConfigError(`${label}: a client certificate needs both certificate and key`);
  const tls: KubeTlsOptions = {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(cluster["tls-server-name"] ? { servername: cluster["tls-server-name"] } : {}),
    rejectUnauthorized: !skipVerify,
  };
  const server = trimServer(cluster.server);
  const base = { server, tls, contextName, source: where };

  if (user["auth-provider"]) {
    throw new KubeConfigError(`${label}: auth-provider "${user["auth-provider"].name ?? ""}" is not supported; use an exec credential plugin`);
  }
  const hasBasic = Boolean(user.username || user.password);
  const hasToken = Boolean(user.token || user.tokenFile);
  if (hasBasic && hasToken) throw new KubeConfigError(`${label}: username/password and a bearer token cannot both be set`);

  if (user.exec) {
    const exec = execSource(user.exec, { server, cluster, tls }, env, now);
    return {
      ...base,
      auth: async (): Promise<Record<string, string>> => {
        const creds = await exec();
        return creds.token ? { authorization: `Bearer ${creds.token}` } : {};
      },
      clientCertificate: async () => {
        const creds = await exec();
        return creds.cert && creds.key ? { cert: creds.cert, key: creds.key } : undefined;
      },
    };
  }
  if (user.tokenFile) {
    // client-go: the file is re-read periodically and wins over an inline token, which stays the fallback.
    const fromFile = rereadingFile(user.tokenFile, now, user.token);
    return { ...base, auth: async () => ({ authorization: `Bearer ${fromFile()}` }) };
  }
  if (user.token) {
    const header = { authorization: `Bearer ${user.token}` };
    return { ...base, auth: async () => ({ ...header }) };
  }
  if (hasBasic) {
    const header = { authorization: `Basic ${Buffer.from(`${user.username ?? ""}:${user.password ?? ""}`).toString("base64")}` };
    return { ...base, auth: async () => ({ ...header }) };
  }
  return { ...base, auth: async () => ({}) };
}

function material(data: string | undefined, path: string | undefined, what: string): Buffer | undefined {
  if (data) return Buffer.from(data, "base64");
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KubeConfigError(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

const trimServer = (server: string): string => server.replace(/\/+$/, "");

/**
 * A token file that rotates (projected service account tokens last an hour): read now, then again at
 * most every TOKEN_REREAD_MS. A failed re-read keeps the last good token, as client-go does.
 */
function rereadingFile(path: string, now: () => number, fallback?: string): () => string {
  let token: string | undefined;
  let readAt = -Infinity;
  const read = (): string => {
    if (token !== undefined && now() - readAt < TOKEN_REREAD_MS) return token;
    try {
      const text = readFileSync(path, "utf8").trim();
      if (text.length === 0) throw new KubeConfigError(`token file ${path} is empty`);
      token = text;
      readAt = now();
    } catch (error) {
      if (token !== undefined) return token;
      if (fallback) return fallback;
      if (error instanceof KubeConfigError) throw error;
      throw new KubeConfigError(`token file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    return token;
  };
  read();
  return read;
}

interface ExecCredentials { token?: string; cert?: Buffer; key?: Buffer }

/** Runs the exec plugin on first use and again once its credential expires; concurrent callers share one run. */
function execSource(
  exec: ExecConfig,
  target: { server: string; cluster: RawCluster; tls: KubeTlsOptions },
  env: NodeJS.ProcessEnv,
  now: () => number,
): () => Promise<ExecCredentials> {
  let cached: { creds: ExecCredentials; expiresAt: number } | undefined;
  let pending: Promise<ExecCredentials> | undefined;
  const cluster = {
    server: target.server,
    ...(target.tls.servername ? { "tls-server-name": target.tls.servername } : {}),
    ...(target.tls.rejectUnauthorized ? {} : { "insecure-skip-tls-verify": true }),
    ...(target.tls.ca ? { "certificate-authority-data": target.tls.ca.toString("base64") } : {}),
    ...pluginConfig(target.cluster),
  };
  return () => {
    if (cached && now() < cached.expiresAt) return Promise.resolve(cached.creds);
    pending ??= runExecPlugin(exec, { env, cluster })
      .then((result) => {
        const creds: ExecCredentials = {
          ...(result.token ? { token: result.token } : {}),
          ...(result.clientCertificateData && result.clientKeyData
            ? { cert: Buffer.from(result.clientCertificateData), key: Buffer.from(result.clientKeyData) }
            : {}),
        };
        cached = { creds, expiresAt: result.expiresAt ?? Infinity };
        return creds;
      })
      .finally(() => { pending = undefined; });
    return pending;
  };
}

/** client-go hands the cluster's "client.authentication.k8s.io/exec" extension to the plugin as `config`. */
function pluginConfig(cluster: RawCluster): { config?: unknown } {
  const ext = cluster.extensions?.find((e) => e?.name === "client.authentication.k8s.io/exec");
  return ext ? { config: ext.extension } : {};
}
