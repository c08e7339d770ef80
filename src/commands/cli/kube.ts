// Reaching the cluster as the user: the operator's own kubeconfig loader (runtime/kube/config.ts:
// --kubeconfig, else $KUBECONFIG, else in-cluster, else ~/.kube/config; exec plugins, tokens,
// certificates) and the operator's REST client. The namespace defaults to the context's, as in kubectl.
import { delimiter } from "node:path";
import { KubeClient } from "../../runtime/kube/client.ts";
import { KubeConfigError, type KubeConnectionConfig, loadKubeConfig } from "../../runtime/kube/config.ts";
import { KubeApiError, isNotFound } from "../../runtime/kube/errors.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { type FlagValues, bool, str } from "./flags.ts";
import type { CliIo } from "./io.ts";

export interface KubeAccess {
  readonly client: KubeClient;
  /** The namespace to work in: -n, else the context's, else "default". */
  readonly namespace: string;
  /** -A: every namespace. */
  readonly allNamespaces: boolean;
  readonly server: string;
  readonly contextName: string | undefined;
}

/** The field manager of the CLI's own writes (renew and rotate annotations), distinct from the operator's. */
export const CLI_FIELD_MANAGER = "certbridge-cli";

export function loadConnection(values: FlagValues, io: Pick<CliIo, "env">): KubeConnectionConfig {
  const kubeconfig = str(values, "kubeconfig");
  const context = str(values, "context");
  try {
    // As KubeClient.fromDefault: a path list in --kubeconfig keeps KUBECONFIG's list semantics.
    const where =
      kubeconfig === undefined || kubeconfig === ""
        ? { env: io.env }
        : kubeconfig.includes(delimiter)
          ? { env: { ...io.env, KUBECONFIG: kubeconfig } }
          : { kubeconfigPath: kubeconfig, env: io.env };
    return loadKubeConfig({ ...where, ...(context ? { context } : {}) });
  } catch (error) {
    if (error instanceof KubeConfigError) throw new CliError(ExitCode.Unreachable, error.message);
    throw error;
  }
}

export function connect(values: FlagValues, io: Pick<CliIo, "env">): KubeAccess {
  const config = loadConnection(values, io);
  const client = new KubeClient(config, { fieldManager: CLI_FIELD_MANAGER });
  return {
    client,
    namespace: str(values, "namespace") ?? config.namespace ?? "default",
    allNamespaces: bool(values, "all-namespaces"),
    server: client.server,
    contextName: config.contextName,
  };
}

/** GET, with "does not exist" as undefined. */
export async function getOptional<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
): Promise<T | undefined> {
  try {
    return await client.get<T>(type, namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** One line saying why the cluster could not be asked, for stderr: API errors by status, network errors by cause. */
export function describeFailure(error: unknown, server: string | undefined): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KubeApiError) {
    const what =
      error.status === 403 ? "access refused" : error.status === 401 ? "not authenticated" : `the API server answered ${error.status} ${error.reason}`;
    return new CliError(ExitCode.Unreachable, `${what}: ${error.message}`);
  }
  const cause =
    error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code ?? error.message) : String(error);
  return new CliError(ExitCode.Unreachable, `cannot reach the API server${server ? ` at ${server}` : ""}: ${cause}`);
}
