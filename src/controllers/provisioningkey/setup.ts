// Wires the ProvisioningKey controller onto a manager: informers, the reconciler, and the events
// that enqueue a key (its own changes, its Secret's, its connection's).
import { resourceTypes } from "../../api/v1alpha1/index.ts";
import type { OperatorConfig } from "../../config/operator.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import type { Controller } from "../../runtime/controller.ts";
import { eventRecorderFor } from "../../runtime/events.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core, type KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { namespaceStateOf, sharedConnectionResolver } from "../shared/connections.ts";
import { sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { ownerKeyOf, sharedOwnedSecretInformer } from "../shared/owned-secret.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { crashHook } from "../shared/crash.ts";
import { ClaimIndex, claimantFromRaw } from "./claims.ts";
import { PrometheusUsageMetrics } from "./metrics.ts";
import { CONTROLLER_NAME, ProvisioningKeyReconciler, type Checkpoint } from "./reconciler.ts";
import { CachedTenancy } from "./tenancy.ts";

/** ZPA allows 20 GET per 10 s per tenant; one GET per key per 10 min leaves room for ~1,600 keys (`--provisioningkey-drift-interval`). */
export const DEFAULT_DRIFT_INTERVAL_MS = 10 * 60_000;

export interface ProvisioningKeyControllerOptions {
  /** Default: what the composition root handed the manager (provideVendorPorts). */
  readonly ports?: VendorPorts;
  readonly driftIntervalMs?: number;
  readonly concurrency?: number;
  readonly checkpoint?: (step: Checkpoint, key: string) => void | Promise<void>;
  /** How long a deletion whose ZPA key cannot be deleted holds its finalizer (default 15 min). */
  readonly cleanupGraceMs?: number;
}

export function setupProvisioningKeyController(
  manager: Manager,
  config: Pick<OperatorConfig, "concurrency" | "identity">,
  options: ProvisioningKeyControllerOptions = {},
): { controller: Controller; reconciler: ProvisioningKeyReconciler } {
  // The manager scopes every informer to the watched namespaces; one shared informer serves them all.
  const keys = manager.shared("informer/provisioningkeys", () => manager.informer<KubeObject>({ type: resourceTypes.provisioningKeys }));
  const secrets = sharedOwnedSecretInformer(manager);
  const resolver = sharedConnectionResolver(manager);
  const metrics = manager.shared("provisioningkey/metrics", () => new PrometheusUsageMetrics(manager.metrics.registry));
  const ports = options.ports === undefined ? () => vendorPortsOf(manager) : () => options.ports!;
  const tenancy = new CachedTenancy({
    vendorConnections: resolver.vendorConnections,
    clusterVendorConnections: resolver.clusterVendorConnections,
    namespaceLabels: async (namespace, signal) => {
      const watched = resolver.namespaces?.get(namespace);
      if (watched !== undefined) return { ...namespaceStateOf(watched).labels };
      try {
        return { ...namespaceStateOf(await manager.client.get<KubeObject>(core.namespaces, undefined, namespace, signal)).labels };
      } catch (e) {
        if (isNotFound(e)) return { "kubernetes.io/metadata.name": namespace };
        throw e;
      }
    },
  });
  // Claims of every ProvisioningKey in every watched namespace, so one can see who else reaches a key.
  const claims = new ClaimIndex();
  let wake: (key: string) => void = () => undefined;
  const claimantOfRaw = (raw: KubeObject) => claimantFromRaw(raw as Parameters<typeof claimantFromRaw>[0], (ref, ns) => tenancy.tenantOf(ref, ns));
  const reconciler = new ProvisioningKeyReconciler({
    client: manager.client,
    keys,
    secrets,
    connections: resolver,
    ports,
    events: eventRecorderFor(manager, CONTROLLER_NAME, config.identity),
    metrics,
    driftIntervalMs: options.driftIntervalMs ?? DEFAULT_DRIFT_INTERVAL_MS,
    clock: manager.clock,
    tenancy,
    claims: {
      claimants: (claimId) => claims.claimants(claimId),
      // A resource's tenant follows its connection: the reconciler refreshes its own entry.
      refresh: (claimant) => {
        for (const other of claims.update(claimant.key, claimant)) wake(other);
      },
    },
    ...(options.cleanupGraceMs === undefined ? {} : { cleanupGraceMs: options.cleanupGraceMs }),
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  });
  const controller = manager.controller({ reconciler, concurrency: options.concurrency ?? config.concurrency });
  wake = (key) => controller.enqueue(key);

  keys.onChange((key, current) => {
    // Whoever shared a claim with this resource's old or new claims may hold (or lose) a key now.
    for (const other of claims.update(key, current === undefined ? undefined : claimantOfRaw(current))) controller.enqueue(other);
    controller.enqueue(key);
  });
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
  setupProvisioningKeyController(manager, config, { driftIntervalMs: config.provisioningKeyDriftInterval, ...(crash ? { checkpoint: crash } : {}) });
}
