// Whether a kind is served, from its CustomResourceDefinition (apiextensions.k8s.io/v1), watched one
// CRD at a time through the runtime's informer (ADR 0004: paged list, bookmarks, 410 → relist,
// reconnects) with `fieldSelector=metadata.name=<crd>`, so RBAC grants list/watch on exactly those
// names (resourceNames) and a cluster's other CRDs are never read. An idle watch costs one request
// per 5-10 minutes; the discovery poll it replaces cost 360 an hour (ADR 0017, ADR 0019). RBAC may
// refuse those names (custom RBAC, an older ClusterRole): one by-name LIST before a watch is made says
// so, since a refused watch would retry, warn and hold readiness forever without ever syncing (ADR 0021).
import { isForbidden } from "../../runtime/kube/errors.ts";
import { type KubeObject, type ResourceType, core } from "../../runtime/kube/resource.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { Manager } from "../../runtime/manager.ts";
import type { KindState } from "./detection-plan.ts";

/** The CRD that defines a kind: `<plural>.<group>`. */
export const crdNameOf = (type: ResourceType): string => `${type.plural}.${type.group}`;

interface CrdObject extends KubeObject {
  spec?: { versions?: Array<{ name?: string; served?: boolean }> };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

/**
 * Does this CRD serve `version`? Established (the API server serves its kind: names accepted, storage
 * ready — mere existence is not enough, a CRD whose names conflict never becomes Established) and the
 * version marked served. A CRD being deleted still serves until its objects are gone: the controller
 * must keep running then, to release its finalizers on them, or the CRD's deletion would never end.
 */
export function crdServes(crd: KubeObject | undefined, version: string): boolean {
  if (crd === undefined) return false;
  const { spec, status } = crd as CrdObject;
  const established = (status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
  return established && (spec?.versions ?? []).some((v) => v.name === version && v.served === true);
}

/** What the cache keeps of a CRD: the verdict's inputs, not its schemas (cert-manager's are tens of KiB each). */
export function trimCrd(crd: KubeObject): KubeObject {
  const { spec, status } = crd as CrdObject;
  return {
    metadata: {
      name: crd.metadata.name,
      uid: crd.metadata.uid,
      resourceVersion: crd.metadata.resourceVersion,
      ...(crd.metadata.deletionTimestamp ? { deletionTimestamp: crd.metadata.deletionTimestamp } : {}),
    },
    spec: { versions: (spec?.versions ?? []).map((v) => ({ name: v.name, served: v.served })) },
    status: { conditions: (status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status })) },
  } as CrdObject;
}

/** Is each kind served? Looked at through watches made on first use (on the leader only). */
export interface ServedKinds {
  /**
   * Watches the kind's CRD (first call), waits for that watch's first list, and says whether the kind
   * is served; `forbidden` when RBAC refuses the read (no watch is left behind: the next call asks again).
   */
  state(type: ResourceType, signal: AbortSignal): Promise<KindState>;
  /** The kind need not be watched any more (what it enabled runs for the process's life): its watch ends. */
  forget(type: ResourceType): Promise<void>;
}

/** ServedKinds over the manager's informers; `changed` is told whenever a watched CRD changes. */
export class CrdWatches implements ServedKinds {
  readonly #manager: Manager;
  readonly #changed: () => void;
  readonly #watches = new Map<string, Informer<KubeObject>>();

  constructor(manager: Manager, changed: () => void) {
    this.#manager = manager;
    this.#changed = changed;
  }

  async state(type: ResourceType, signal: AbortSignal): Promise<KindState> {
    const name = crdNameOf(type);
    let watch = this.#watches.get(name);
    if (watch === undefined) {
      if (!(await this.#permitted(name, signal))) return "forbidden";
      watch = this.#watch(name);
    }
    await watch.waitForSync(signal);
    return crdServes(watch.get(name), type.version) ? "served" : "absent";
  }

  async forget(type: ResourceType): Promise<void> {
    const name = crdNameOf(type);
    const watch = this.#watches.get(name);
    if (watch === undefined) return;
    this.#watches.delete(name);
    await this.#manager.discard({ informers: [watch] });
  }

  /** The names watched now (tests). */
  get watched(): readonly string[] {
    return [...this.#watches.keys()];
  }

  /** One by-name LIST from the API server's watch cache: may this CRD be read? Other failures throw (the queue retries). */
  async #permitted(name: string, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#manager.client.list(core.customResourceDefinitions, { fieldSelector: `metadata.name=${name}`, resourceVersion: "0", limit: 1, signal });
      return true;
    } catch (error) {
      if (isForbidden(error)) return false;
      throw error;
    }
  }

  #watch(name: string): Informer<KubeObject> {
    let watch = this.#watches.get(name);
    if (watch === undefined) {
      watch = this.#manager.informer<KubeObject>({ type: core.customResourceDefinitions, fieldSelector: `metadata.name=${name}`, transform: trimCrd });
      watch.onChange(() => this.#changed());
      this.#watches.set(name, watch);
    }
    return watch;
  }
}
