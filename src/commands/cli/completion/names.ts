// Resource names for completion, listed from the cluster with the kube flags typed so far. Quick or
// nothing: a slow or unreachable cluster offers no names rather than hanging the shell.
import { resourceTypes } from "../../../api/v1alpha1/group.ts";
import { core, type KubeObject, type ResourceType } from "../../../runtime/kube/resource.ts";
import type { CliIo } from "../io.ts";
import { connect } from "../kube.ts";
import type { NameQuery } from "./plan.ts";

const LOOKUP_TIMEOUT_MS = 3_000;

function typeOf(kind: string): ResourceType | undefined {
  if (kind === "Secret") return core.secrets;
  if (kind === "Namespace") return core.namespaces;
  return Object.values(resourceTypes).find((t) => t.kind === kind);
}

export async function lookUpNames(query: NameQuery, io: Pick<CliIo, "env">): Promise<string[]> {
  const type = typeOf(query.kind);
  if (type === undefined) return [];
  let kube;
  try {
    kube = connect(query.flags, io);
    const { items } = await kube.client.listAll<KubeObject>(type, {
      ...(type.namespaced ? { namespace: kube.namespace } : {}),
      signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
    return items.map((o) => `${query.prefix}${o.metadata.name ?? ""}`).sort();
  } catch {
    return [];
  } finally {
    await kube?.client.close().catch(() => undefined);
  }
}
