// The VendorConnection and ClusterVendorConnection controllers: one reconciler, two kinds.
import { finalizers, kinds, resourceTypes } from "../../api/v1alpha1/index.ts";
import type { OperatorConfig } from "../../config/operator.ts";
import { KubeEventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isConflict, isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, type ResourceType, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { type ConnectionId, connectionQueueKey, sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { applyStatus } from "../shared/status.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { type ConnectionKind, ConnectionReconciler } from "./reconciler.ts";
import { RETAINED_SELECTOR, RetainedCredentialsStore, retainedFor } from "./retained.ts";

export { ConnectionReconciler, type ConnectionReconcilerDeps } from "./reconciler.ts";
export { RetainedCredentialsStore, retainedSecretName } from "./retained.ts";

export type VendorConnectionConfig = Pick<OperatorConfig, "concurrency" | "namespaces"> & {
  identity?: string;
  /** The operator's own namespace, where retained credentials copies live (default "default", as the config's). */
  leaderElectionNamespace?: string;
};

export function setupVendorConnectionControllers(manager: Manager, config: VendorConnectionConfig): void {
  const resolver = sharedConnectionResolver(manager);
  const consumers = sharedConnectionConsumers(manager);
  const verifier = vendorPortsOf(manager);
  const namespace = config.leaderElectionNamespace ?? "default";
  // Only our copies, only in our namespace: never a cache of other Secrets.
  const copies = manager.shared("informer/retained-credentials", () => manager.informer<KubeObject>({ type: core.secrets, namespace, labelSelector: RETAINED_SELECTOR }));
  const retained = new RetainedCredentialsStore({ client: manager.client, namespace, cache: copies });
  resolver.useRetainedCredentials(retained);

  const connectionKinds: Array<{ kind: ConnectionKind; informer: Informer<KubeObject> }> = [
    { kind: "VendorConnection", informer: resolver.vendorConnections },
    { kind: "ClusterVendorConnection", informer: resolver.clusterVendorConnections },
  ];
  const enqueue = new Map<ConnectionKind, (key: string) => void>();
  for (const { kind, informer } of connectionKinds) {
    const type = kind === "VendorConnection" ? resourceTypes.vendorConnections : resourceTypes.clusterVendorConnections;
    const reconciler = new ConnectionReconciler({
      kind,
      get: (key) => informer.get(key),
      resolve: (ref, namespace, signal) => resolver.resolve(ref, namespace, undefined, signal, { purpose: "inspect" }),
      verifier,
      writeStatus: (type, object, status, signal) => applyStatus(manager.client, type, object, status, signal),
      events: new KubeEventRecorder({ client: manager.client, log: manager.log, controller: `certbridge.dev/${kinds[kind].singular}`, instance: config.identity ?? "certbridge" }),
      consumers: (id) => consumers.summary(id),
      finalizer: { set: (object, present, signal) => setInUseFinalizer(manager.client, type, object, present, signal) },
      retained,
    });
    const controller = manager.controller({ reconciler, concurrency: Math.min(config.concurrency, 4) });
    const watched = (namespace: string | undefined) => kind === "ClusterVendorConnection" || config.namespaces.length === 0 || (namespace !== undefined && config.namespaces.includes(namespace));
    informer.onChange((key, current, previous) => {
      if (!watched((current ?? previous)?.metadata.namespace)) return;
      controller.enqueue(key);
    });
    enqueue.set(kind, (key) => controller.enqueue(key));
  }
  const wake = (id: ConnectionId) => enqueue.get(id.kind)?.(connectionQueueKey(id));
  // A resource started or stopped using a connection (or a namespace's admission moved): recount it.
  consumers.onConsumersChanged(wake);
  // A copy changed or vanished under us: its connection looks again. The first list brings every
  // copy here too, so one left by a connection deleted while the operator was away is swept.
  copies.onChange((_key, current, previous) => {
    const id = retainedFor(current ?? previous);
    if (id !== undefined) wake(id);
  });
}

/** Adds or drops the in-use finalizer, guarded by resourceVersion so nobody else's finalizer is lost; one re-read on conflict. */
async function setInUseFinalizer(client: KubeApi, type: ResourceType, object: KubeObject, present: boolean, signal: AbortSignal): Promise<void> {
  let current = object;
  for (let attempt = 0; ; attempt++) {
    const list = current.metadata.finalizers ?? [];
    const has = list.includes(finalizers.inUse);
    if (has === present) return;
    const next = present ? [...list, finalizers.inUse] : list.filter((f) => f !== finalizers.inUse);
    try {
      await client.mergePatch(type, current.metadata.namespace, current.metadata.name ?? "", { metadata: { finalizers: next, resourceVersion: current.metadata.resourceVersion } }, { signal });
      return;
    } catch (error) {
      if (isNotFound(error)) return;
      if (!isConflict(error) || attempt > 0) throw error;
      try {
        current = await client.get<KubeObject>(type, current.metadata.namespace, current.metadata.name ?? "", signal);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
  }
}
