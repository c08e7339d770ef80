// Where and how to reach the API server. The order follows controller-runtime's GetConfig: an explicit
// kubeconfig, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config. In the cluster
// this module is all that runs (a token file and a CA file); a kubeconfig is handed to
// @kubernetes/client-node, loaded only then, because its import alone costs ~75 MiB of RSS (ADR 0010).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfigError, type KubeConnectionConfig, trimServer } from "./connection.ts";
import { loadKubeconfigFiles } from "./kubeconfig-client-node.ts";
import { rereadingFile } from "./token-file.ts";

export { KubeConfigError, TOKEN_REREAD_MS } from "./connection.ts";
export type { KubeConnectionConfig, KubeHeaders, KubeTlsOptions } from "./connection.ts";

export interface LoadKubeConfigOptions {
  readonly kubeconfigPath?: string;
  /** The kubeconfig context to use instead of its current-context. */
  readonly context?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly inClusterRoot?: string;
  /** Overrides the current context's server (tests put a relay in front of the API server). */
  readonly server?: string;
  /** Injected for tests; defaults to Date.now. */
  readonly now?: () => number;
}

export const IN_CLUSTER_ROOT = "/var/run/secrets/kubernetes.io/serviceaccount";

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConnectionConfig {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const withServer = (c: KubeConnectionConfig): KubeConnectionConfig => (opts.server ? { ...c, server: trimServer(opts.server) } : c);
  const fromFiles = (paths: readonly string[]) => withServer(loadKubeconfigFiles(paths, { env, now, ...(opts.context ? { context: opts.context } : {}) }));

  if (opts.kubeconfigPath) {
    if (!existsSync(opts.kubeconfigPath)) throw new KubeConfigError(`kubeconfig ${opts.kubeconfigPath} does not exist`);
    return fromFiles([opts.kubeconfigPath]);
  }
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p.length > 0);
  if (listed.length > 0) {
    // client-go skips the files of the list that do not exist, but an empty result is an error.
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0) throw new KubeConfigError(`no file named by KUBECONFIG exists (${listed.join(":")})`);
    return fromFiles(present);
  }
  const root = opts.inClusterRoot ?? IN_CLUSTER_ROOT;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(root, "token"))) {
    if (opts.context) throw new KubeConfigError(`context "${opts.context}" was asked for, but there is no kubeconfig (in-cluster)`);
    return withServer(inCluster(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, root, now));
  }
  const home = env.HOME ?? homedir();
  const fallback = join(home, ".kube", "config");
  if (existsSync(fallback)) return fromFiles([fallback]);
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
    auth: async () => ({ authorization: `Bearer ${token.read()}` }),
    // A 401 right after the kubelet rotated the token: read the file now rather than within the minute.
    refreshCredentials: async () => {
      token.reread();
    },
    source: "in-cluster",
  };
}
