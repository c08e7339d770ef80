// Wires the ProvisioningKey controller onto a manager: informers, the reconciler, and the events
// that enqueue a key (its own changes, its Secret's, its connection's).
import { resourceTypes } from "../../api/v1alpha1/index.ts";
import type { OperatorConfig } from "../../config/operator.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import type { Controller } from "../../runtime/controller.ts";
import { KubeEventRecorder } from "../../runtime/events.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { ownerKeyOf, sharedOwnedSecretInformer } from "../shared/owned-secret.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { crashHook } from "../shared/crash.ts";
import { PrometheusUsageMetrics } from "./metrics.ts";
import { CONTROLLER_NAME, ProvisioningKeyReconciler, type Checkpoint } from "./reconciler.ts";

/** ZPA allows 20 GET per 10 s per tenant; one GET per key per 10 min leaves room for ~1,600 keys. */
export const DEFAULT_DRIFT_INTERVAL_MS = 10 * 60_000;

export interface ProvisioningKeyControllerOptions {
  /** Default: what the composition root handed the manager (provideVendorPorts). */
  readonly ports?: VendorPorts;
  readonly driftIntervalMs?: number;
  readonly concurrency?: number;
  readonly checkpoint?: (step: Checkpoint, key: string) => void | Promise<void>;
}

export function setupProvisioningKeyController(manager: Manager, config: Pick<OperatorConfig, "concurrency" | "identity">, options: ProvisioningKeyControllerOptions = {}): { controller: Controller; reconciler: ProvisioningKeyReconciler } {
  // The manager scopes every informer to the watched namespaces; one shared informer serves them all.
  const keys = manager.shared("informer/provisioningkeys", () => manager.informer<KubeObject>({ type: resourceTypes.provisioningKeys }));
  const secrets = sharedOwnedSecretInformer(manager);
  const resolver = sharedConnectionResolver(manager);
  const metrics = manager.shared("provisioningkey/metrics", () => new PrometheusUsageMetrics(manager.metrics.registry));
  const ports = options.ports === undefined ? () => vendorPortsOf(manager) : () => options.ports!;
  const reconciler = new ProvisioningKeyReconciler({
    client: manager.client,
    keys,
    secrets,
    connections: resolver,
    ports,
    events: new KubeEventRecorder({ client: manager.client, log: manager.log, controller: `certbridge.dev/${CONTROLLER_NAME}`, instance: config.identity }),
    metrics,
    driftIntervalMs: options.driftIntervalMs ?? DEFAULT_DRIFT_INTERVAL_MS,
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  });
  const controller = manager.controller({ reconciler, concurrency: options.concurrency ?? config.concurrency });

  keys.onChange((key) => controller.enqueue(key));
  secrets.onChange((secretKey, current, previous) => {
    reconciler.secretObserved(secretKey);
    const owner = ownerKeyOf(current, "ProvisioningKey") ?? ownerKeyOf(previous, "ProvisioningKey");
    if (owner !== undefined) controller.enqueue(owner);
  });
  // Connection edits, deletion, new credentials and namespace admission or teardown wake exactly the
  // keys they affect (an index, not a scan; status writes and re-verifications wake nobody).
  sharedConnectionConsumers(manager).attach("ProvisioningKey", keys, (key) => controller.enqueue(key));
  return { controller, reconciler };
}

/** For controllerSetups: the operator's defaults. */
export function provisioningKeySetup(manager: Manager, config: OperatorConfig): void {
  const crash = crashHook(config.crashAt, "provisioningkey");
  setupProvisioningKeyController(manager, config, crash ? { checkpoint: crash } : {});
}
