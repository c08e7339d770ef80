// What connection decisions need to know about a consumer's namespace: its labels (a
// ClusterVendorConnection's namespaceSelector admits by them) and whether it is being torn down
// (nothing new is ordered then). The namespace informer keeps only that.
import type { Informer } from "../../runtime/informer.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";

export interface NamespaceObject extends KubeObject {
  status?: { phase?: string };
}

export interface NamespaceState {
  /** Its labels, plus kubernetes.io/metadata.name (which the API server sets; selectors may use it). */
  readonly labels: Readonly<Record<string, string>>;
  /** Being deleted (phase Terminating or a deletionTimestamp), or already gone. */
  readonly terminating: boolean;
}

export function namespaceStateOf(ns: NamespaceObject): NamespaceState {
  const name = ns.metadata.name ?? "";
  return {
    labels: { "kubernetes.io/metadata.name": name, ...(ns.metadata.labels ?? {}) },
    terminating: ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === "Terminating",
  };
}

/** A namespace that is already gone is as good as terminating. */
export function goneNamespace(name: string): NamespaceState {
  return { labels: { "kubernetes.io/metadata.name": name }, terminating: true };
}

/** The namespace informer keeps only what admission and teardown decisions read. */
export function trimNamespace(ns: KubeObject): KubeObject {
  const m = ns.metadata;
  const phase = (ns as NamespaceObject).status?.phase;
  return {
    metadata: {
      name: m.name,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(phase ? { status: { phase } } : {}),
  } as KubeObject;
}

/**
 * Namespaces, cluster-wide (they are cluster-scoped; `--namespaces` does not narrow them): labels for
 * ClusterVendorConnection admission and the phase for teardown, nothing else kept.
 */
export function sharedNamespaceInformer(manager: Manager): Informer<KubeObject> {
  return manager.shared("informer/namespaces", () => manager.informer<KubeObject>({ type: core.namespaces, transform: trimNamespace }));
}
