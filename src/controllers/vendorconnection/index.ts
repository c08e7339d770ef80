// The VendorConnection and ClusterVendorConnection controllers: one reconciler, two kinds.
import { kinds } from "../../api/v1alpha1/index.ts";
import type { OperatorConfig } from "../../config/operator.ts";
import { KubeEventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { applyStatus } from "../shared/status.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { userChanged } from "./policy.ts";
import { type ConnectionKind, ConnectionReconciler } from "./reconciler.ts";

export { ConnectionReconciler, type ConnectionReconcilerDeps } from "./reconciler.ts";

export function setupVendorConnectionControllers(manager: Manager, config: Pick<OperatorConfig, "concurrency" | "namespaces"> & { identity?: string }): void {
  const resolver = sharedConnectionResolver(manager);
  const verifier = vendorPortsOf(manager);
  const connectionKinds: Array<{ kind: ConnectionKind; informer: Informer<KubeObject> }> = [
    { kind: "VendorConnection", informer: resolver.vendorConnections },
    { kind: "ClusterVendorConnection", informer: resolver.clusterVendorConnections },
  ];
  for (const { kind, informer } of connectionKinds) {
    const reconciler = new ConnectionReconciler({
      kind,
      get: (key) => informer.get(key),
      resolve: (ref, namespace, signal) => resolver.resolve(ref, namespace, undefined, signal),
      verifier,
      writeStatus: (type, object, status, signal) => applyStatus(manager.client, type, object, status, signal),
      events: new KubeEventRecorder({ client: manager.client, log: manager.log, controller: `certbridge.dev/${kinds[kind].singular}`, instance: config.identity ?? "certbridge" }),
    });
    const controller = manager.controller({ reconciler, concurrency: Math.min(config.concurrency, 4) });
    const watched = (namespace: string | undefined) => kind === "ClusterVendorConnection" || config.namespaces.length === 0 || (namespace !== undefined && config.namespaces.includes(namespace));
    informer.onChange((key, current, previous) => {
      if (!watched((current ?? previous)?.metadata.namespace)) return;
      // An edit or a touch (annotation) means "look again now": drop the resolver's cached Secrets.
      if (userChanged(current, previous)) resolver.invalidate();
      controller.enqueue(key);
    });
  }
}
