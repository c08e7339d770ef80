// The VendorConnection and ClusterVendorConnection controllers: one reconciler, two kinds.
import { finalizers, kinds, resourceTypes } from "../../api/v1alpha1/index.ts";
import type { OperatorConfig } from "../../config/operator.ts";
import { eventRecorderFor } from "../../runtime/events.ts";
import { ensureFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import type { ReadCache } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, type ResourceType, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { StatusApplier } from "../../runtime/status.ts";
import { type ConnectionId, connectionQueueKey, sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { type ConnectionKind, type ConnectionObject, ConnectionReconciler } from "./reconciler.ts";
import { RETAINED_SELECTOR, RetainedCredentialsStore, retainedFor } from "./retained.ts";

export { ConnectionReconciler, type ConnectionReconcilerDeps } from "./reconciler.ts";
export { RetainedCredentialsStore, retainedSecretName } from "./retained.ts";

export type VendorConnectionConfig = Pick<OperatorConfig, "concurrency" | "namespaces"> & {
  identity?: string;
  /** The operator's own namespace, where retained credentials copies live (default "default", as the config's). */
  leaderElectionNamespace?: string;
};

/** How long a held connection waits to recount its users after one came or went (their changes share one write). */
const RECOUNT_DELAY_MS = 5_000;

export function setupVendorConnectionControllers(manager: Manager, config: VendorConnectionConfig): void {
  const resolver = sharedConnectionResolver(manager);
  const consumers = sharedConnectionConsumers(manager);
  const verifier = vendorPortsOf(manager);
  const namespace = config.leaderElectionNamespace ?? "default";
  // Only our copies, only in our namespace: never a cache of other Secrets.
  const copies = manager.shared("informer/retained-credentials", () =>
    manager.informer<KubeObject>({ type: core.secrets, namespace, labelSelector: RETAINED_SELECTOR }),
  );
  const retained = new RetainedCredentialsStore({ client: manager.client, namespace, cache: copies });
  resolver.useRetainedCredentials(retained);

  const connectionKinds: Array<{ kind: ConnectionKind; informer: ReadCache<KubeObject> }> = [
    { kind: "VendorConnection", informer: resolver.vendorConnections },
    { kind: "ClusterVendorConnection", informer: resolver.clusterVendorConnections },
  ];
  const enqueue = new Map<ConnectionKind, (key: string) => void>();
  const recount = new Map<ConnectionKind, (key: string, stillUsed: boolean) => void>();
  for (const { kind, informer } of connectionKinds) {
    const type = kind === "VendorConnection" ? resourceTypes.vendorConnections : resourceTypes.clusterVendorConnections;
    const status = new StatusApplier<ConnectionObject>({ api: manager.client, type });
    const reconciler = new ConnectionReconciler({
      kind,
      get: (key) => informer.get(key),
      resolve: (ref, namespace, signal) => resolver.resolve(ref, namespace, undefined, signal, { purpose: "inspect" }),
      verifier,
      status,
      events: eventRecorderFor(manager, kinds[kind].singular, config.identity),
      consumers: (id) => consumers.summary(id),
      finalizer: { set: (object, present, signal) => setInUseFinalizer(manager.client, type, status, object, present, signal) },
      retained,
      clock: manager.clock,
    });
    const controller = manager.controller({ reconciler, concurrency: Math.min(config.concurrency, 4) });
    const watched = (namespace: string | undefined) =>
      kind === "ClusterVendorConnection" || config.namespaces.length === 0 || (namespace !== undefined && config.namespaces.includes(namespace));
    informer.onChange((key, current, previous) => {
      if (!watched((current ?? previous)?.metadata.namespace)) return;
      controller.enqueue(key);
    });
    enqueue.set(kind, (key) => controller.enqueue(key));
    // A connection held and still used only recounts: changes within RECOUNT_DELAY_MS share one status
    // write (a trickle of new resources wrote status.consumers once each). The first user (the in-use
    // finalizer and the retained copy) and the last one leaving (the release) are seen at once.
    recount.set(kind, (key, stillUsed) => {
      if (stillUsed && (informer.get(key)?.metadata.finalizers ?? []).includes(finalizers.inUse)) controller.queue.addAfter(key, RECOUNT_DELAY_MS);
      else controller.enqueue(key);
    });
  }
  const wake = (id: ConnectionId) => enqueue.get(id.kind)?.(connectionQueueKey(id));
  // A resource started or stopped using a connection (or a namespace's admission moved): recount it.
  consumers.onConsumersChanged((id) => recount.get(id.kind)?.(connectionQueueKey(id), consumers.summary(id).count > 0));
  // A copy changed or vanished under us: its connection looks again. The first list brings every
  // copy here too, so one left by a connection deleted while the operator was away is swept.
  copies.onChange((_key, current, previous) => {
    const id = retainedFor(current ?? previous);
    if (id !== undefined) wake(id);
  });
}

/**
 * Adds or drops the in-use finalizer (guarded by resourceVersion, so nobody else's finalizer is lost;
 * one re-read on conflict), and remembers the write so the next status write starts from it.
 */
async function setInUseFinalizer(
  client: KubeApi,
  type: ResourceType,
  status: StatusApplier<ConnectionObject>,
  object: ConnectionObject,
  present: boolean,
  signal: AbortSignal,
): Promise<ConnectionObject | undefined> {
  let after: ConnectionObject | undefined;
  try {
    after = present
      ? await ensureFinalizer(client, type, object, finalizers.inUse, signal)
      : await removeFinalizer(client, type, object, finalizers.inUse, signal);
  } catch (error) {
    if (isNotFound(error)) return undefined; // gone meanwhile: nothing to hold
    throw error;
  }
  if (after !== undefined && after !== object) status.remember(after, object.metadata.resourceVersion);
  return after;
}
