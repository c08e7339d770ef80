// A kubeconfig, read by @kubernetes/client-node's KubeConfig and applied to our own transport: server,
// TLS and proxy from its Cluster; headers and client certificate from applyToHTTPSOptions (token, basic
// auth, client certificate files, exec plugins, auth providers), kept by CachedCredentials. client-node
// is required here, on first use, so that the in-cluster operator never loads it (ADR 0010).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Cluster, Context, KubeConfig, User } from "@kubernetes/client-node";
import { KubeConfigError, type KubeConnectionConfig, trimServer } from "./connection.ts";
import { CachedCredentials } from "./credentials.ts";
import { type ExecClusterInfo, type ExecConfig, ExecCredentialError, describeExecFailure, prepareExec } from "./exec-credential.ts";
import { type AppliedOptions, type RawEntry, checkProxyUrl, checkUser, clusterTls, credentialsFromApplied, impersonationOf } from "./kubeconfig-mapping.ts";
import { rereadingFile } from "./token-file.ts";

type ClientNode = typeof import("@kubernetes/client-node");
let clientNode: ClientNode | undefined;
/**
 * Synchronous on purpose: KubeClient.fromFile/fromDefault are synchronous and callers read `server`
 * right away. require() of an ES module works in the Node we pin (no top-level await in client-node).
 */
const loadClientNode = (): ClientNode => (clientNode ??= createRequire(import.meta.url)("@kubernetes/client-node") as ClientNode);
/** js-yaml likewise: only a kubeconfig is YAML (in the cluster nothing is parsed). */
let yaml: typeof import("js-yaml") | undefined;
const loadYaml = (): typeof import("js-yaml") => (yaml ??= createRequire(import.meta.url)("js-yaml") as typeof import("js-yaml"));

interface Defined<T> {
  readonly value: T;
  /** The entry as written (`clusters[].cluster`, `users[].user`): client-node drops fields we need. */
  readonly raw: RawEntry;
  /** The directory of the file that defined it: relative paths resolve against it. */
  readonly dir: string;
}

interface Merged {
  readonly clusters: Map<string, Defined<Cluster>>;
  readonly users: Map<string, Defined<User>>;
  readonly contexts: Map<string, Context>;
  currentContext?: string;
}

export interface KubeconfigFilesOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly context?: string;
  /** Where a plugin's stderr goes (client-go passes it through). */
  readonly writeStderr?: (text: string) => void;
}

/** Loads and merges kubeconfig files (client-go's rules) and selects the context. Throws KubeConfigError. */
export function loadKubeconfigFiles(paths: readonly string[], opts: KubeconfigFilesOptions): KubeConnectionConfig {
  const where = paths.join(":");
  const merged = mergeFiles(paths);
  const contextName = opts.context ?? merged.currentContext;
  if (contextName === undefined) throw new KubeConfigError(`kubeconfig ${where} sets no current-context`);
  const context = merged.contexts.get(contextName);
  if (context === undefined) throw new KubeConfigError(`kubeconfig ${where}: ${opts.context ? "context" : "current-context"} "${contextName}" is not defined`);
  const cluster = merged.clusters.get(context.cluster);
  if (cluster === undefined) throw new KubeConfigError(`kubeconfig ${where}: context "${contextName}" names unknown cluster "${context.cluster}"`);
  // A context without a user is valid (anonymous); a named user that does not exist is not.
  const user = context.user ? merged.users.get(context.user) : undefined;
  if (context.user && user === undefined) throw new KubeConfigError(`kubeconfig ${where}: context "${contextName}" names unknown user "${context.user}"`);
  const label = `kubeconfig ${where}, context "${contextName}"`;

  const tls = clusterTls(cluster.value, (p) => readFileSync(p), label);
  const proxyUrl = checkProxyUrl(cluster.value.proxyUrl, label);
  const server = trimServer(cluster.value.server);
  const base = { server, tls, ...(proxyUrl ? { proxyUrl } : {}), contextName, ...(context.namespace ? { namespace: context.namespace } : {}), source: where };
  if (user === undefined) return { ...base, auth: async () => ({}) };

  checkUser(user.value, user.raw, label);
  const impersonation = impersonationOf(user.raw, label);
  const exec = user.value.exec
    ? prepareExec(user.value.exec as ExecConfig, { baseDir: user.dir, cluster: execClusterInfo(server, tls, cluster.raw) })
    : undefined;
  // client-go's tokenFile (client-node 1.4 reads only "token-file", once): ours re-reads it as it rotates.
  const tokenFile =
    typeof user.raw.tokenFile === "string" && user.raw.tokenFile !== ""
      ? rereadingFile(absolute(user.dir, user.raw.tokenFile), opts.now, user.value.token)
      : undefined;
  const authProvider = (user.value.authProvider as { name?: string } | undefined)?.name;
  const forClientNode: User = { ...user.value, ...(exec ? { exec } : {}) };

  // The KubeConfig that applies credentials holds the user only: server, TLS and proxy are ours to
  // apply, and client-node would otherwise read the CA and build a proxy agent on every call.
  const credentialsConfig = (): KubeConfig => {
    const kc = new (loadClientNode().KubeConfig)();
    kc.loadFromOptions({
      clusters: [{ name: "credentials", server: "https://credentials.invalid", skipTLSVerify: false }],
      users: [forClientNode],
      contexts: [{ name: "credentials", cluster: "credentials", user: forClientNode.name }],
      currentContext: "credentials",
    });
    return kc;
  };
  let kc = credentialsConfig();
  let lastFailed = false;
  const writeStderr =
    opts.writeStderr ??
    ((text: string) => {
      process.stderr.write(text);
    });

  const credentials = new CachedCredentials({
    now: opts.now,
    describe: exec ? `exec credential plugin "${exec.command}"` : label,
    // A fresh KubeConfig has fresh authenticators: an exec plugin runs again even if its credential is unexpired.
    obtain: async (fresh) => {
      if (fresh || lastFailed) kc = credentialsConfig();
      const applied: AppliedOptions & Record<string, unknown> = {};
      try {
        await kc.applyToHTTPSOptions(applied);
      } catch (error) {
        lastFailed = true;
        if (exec) throw describeExecFailure(exec, error, writeStderr);
        throw new KubeConfigError(`${label}: credentials could not be obtained (${describeError(error)})`);
      }
      lastFailed = false;
      const result = credentialsFromApplied(applied, impersonation, label);
      const gotSomething = result.headers.authorization !== undefined || result.clientCertificate !== undefined;
      if (exec && !gotSomething)
        throw new ExecCredentialError(`exec credential plugin "${exec.command}": status has neither token nor clientCertificateData/clientKeyData`);
      if (authProvider && !gotSomething)
        throw new KubeConfigError(`${label}: auth-provider "${authProvider}" gave no credentials (client-node knows oidc, azure and gcp)`);
      return result;
    },
  });

  return {
    ...base,
    // The token file is read here, not kept with the rest: it has its own once-a-minute re-read, and two
    // minute-long caches stacked would keep a rotated token up to two minutes.
    auth: async () => {
      const { headers } = await credentials.current();
      return tokenFile ? { ...headers, authorization: `Bearer ${tokenFile.read()}` } : headers;
    },
    clientCertificate: async () => (await credentials.current()).clientCertificate,
    // With a token file the file is the credential: read it again now rather than within the minute.
    refreshCredentials: async (refused) => (tokenFile ? tokenFile.reread() : credentials.refresh(refused)),
  };
}

/** client-go's merge: the first file to define a name wins, and so does the first current-context. */
function mergeFiles(paths: readonly string[]): Merged {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const path of paths) {
    const { kc, raw } = readFile(path);
    const dir = dirname(resolve(path));
    const rawOf = (list: unknown, name: string, field: string): RawEntry => {
      const entry = Array.isArray(list) ? list.find((e) => (e as { name?: unknown })?.name === name) : undefined;
      const value = (entry as Record<string, unknown> | undefined)?.[field];
      return value !== null && typeof value === "object" ? (value as RawEntry) : {};
    };
    for (const c of kc.getClusters())
      if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, { value: c, raw: rawOf(raw.clusters, c.name, "cluster"), dir });
    for (const u of kc.getUsers()) if (!merged.users.has(u.name)) merged.users.set(u.name, { value: u, raw: rawOf(raw.users, u.name, "user"), dir });
    for (const c of kc.getContexts()) if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c);
    const current = kc.getCurrentContext();
    if (merged.currentContext === undefined && typeof current === "string" && current.length > 0) merged.currentContext = current;
  }
  return merged;
}

/** One file: our YAML read (for the fields client-node drops), then client-node's, paths made absolute. */
function readFile(path: string): { kc: KubeConfig; raw: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new KubeConfigError(`kubeconfig ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let doc: unknown;
  try {
    doc = loadYaml().load(text);
  } catch {
    // js-yaml's message quotes the offending line, which may hold a credential: name the file only.
    throw new KubeConfigError(`kubeconfig ${path} could not be read as YAML`);
  }
  const kc = new (loadClientNode().KubeConfig)();
  if (doc === undefined || doc === null) return { kc, raw: {} };
  if (typeof doc !== "object" || Array.isArray(doc)) throw new KubeConfigError(`kubeconfig ${path} is not a mapping`);
  try {
    // client-node reads the text again; its messages name entries ("clusters[0].cluster.server is missing"), not values.
    kc.loadFromString(text);
  } catch (error) {
    throw new KubeConfigError(`kubeconfig ${path}: ${error instanceof Error && !(error instanceof SyntaxError) ? error.message : "not a kubeconfig"}`);
  }
  kc.makePathsAbsolute(dirname(resolve(path)));
  return { kc, raw: doc as Record<string, unknown> };
}

function execClusterInfo(server: string, tls: { ca?: Buffer; servername?: string; rejectUnauthorized: boolean }, raw: RawEntry): ExecClusterInfo {
  const extensions = Array.isArray(raw.extensions) ? (raw.extensions as Array<{ name?: unknown; extension?: unknown }>) : [];
  const ext = extensions.find((e) => e?.name === "client.authentication.k8s.io/exec");
  return {
    server,
    ...(tls.servername ? { "tls-server-name": tls.servername } : {}),
    ...(tls.rejectUnauthorized ? {} : { "insecure-skip-tls-verify": true }),
    ...(tls.ca ? { "certificate-authority-data": tls.ca.toString("base64") } : {}),
    ...(ext ? { config: ext.extension } : {}),
  };
}

const absolute = (base: string, p: string): string => (isAbsolute(p) ? p : resolve(base, p));

/** An error's kind and, for files, which one: never its message, which may quote a credential. */
function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.code && e.path) return `cannot read ${e.path} (${e.code})`;
  if (e?.code) return e.code;
  return error instanceof Error ? error.name : "error";
}
