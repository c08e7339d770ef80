// Wiring: informers (ManagedCertificates, owned Secrets, connections), the reconciler and its queue.
import type { OperatorConfig } from "../../config/operator.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import { KubeEventRecorder } from "../../runtime/events.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import type { Controller } from "../../runtime/controller.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { ownerKeyOf, sharedOwnedSecretInformer } from "../shared/owned-secret.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { IssuanceBudget } from "./budget.ts";
import { CertificateMetrics } from "./metrics.ts";
import type { PollBackoff } from "./policies.ts";
import { ManagedCertificateReconciler, type ReconcilerHooks } from "./reconciler.ts";

export { ManagedCertificateReconciler, type IssuanceStep, type ReconcilerHooks } from "./reconciler.ts";

export interface ManagedCertificateOptions {
  readonly ports?: Pick<VendorPorts, "certificateAuthority">;
  readonly hooks?: ReconcilerHooks;
  readonly budget?: IssuanceBudget;
  readonly concurrency?: number;
  readonly namespace?: string;
  readonly identity?: string;
  readonly resyncMs?: number;
  readonly pollBackoff?: PollBackoff;
}

export interface ManagedCertificateController {
  readonly controller: Controller;
  readonly reconciler: ManagedCertificateReconciler;
}

export function setupManagedCertificates(manager: Manager, options: ManagedCertificateOptions = {}): ManagedCertificateController {
  const certificates = manager.shared("informer/managedcertificates", () => manager.informer<KubeObject>({ type: resourceTypes.managedCertificates, ...(options.namespace ? { namespace: options.namespace } : {}) }));
  const secrets = sharedOwnedSecretInformer(manager);
  const resolver = sharedConnectionResolver(manager);
  const metrics = manager.shared("metrics/managedcertificate", () => new CertificateMetrics(manager.metrics.registry));
  const reconciler = new ManagedCertificateReconciler({
    client: manager.client,
    certificates,
    secrets,
    connections: resolver,
    ports: options.ports ?? vendorPortsOf(manager),
    budget: options.budget ?? new IssuanceBudget(),
    events: new KubeEventRecorder({ client: manager.client, log: manager.log, controller: "certbridge.dev/managedcertificate", instance: options.identity ?? "certbridge" }),
    metrics,
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
    ...(options.pollBackoff ? { pollBackoff: options.pollBackoff } : {}),
  });
  const controller = manager.controller({ reconciler, concurrency: options.concurrency ?? 4 });

  const secretNameOf = (o: KubeObject | undefined) => (o as { spec?: { secretName?: string } } | undefined)?.spec?.secretName;
  certificates.onChange((key, current, previous) => {
    controller.enqueue(key);
    // Resources naming the same Secret decide among themselves: wake the others too.
    const ns = (current ?? previous)?.metadata.namespace;
    const names = new Set([secretNameOf(current), secretNameOf(previous)].filter((n): n is string => n !== undefined));
    if (names.size === 0) return;
    for (const other of certificates.list()) {
      if (other.metadata.namespace === ns && other.metadata.name !== (current ?? previous)?.metadata.name && names.has(secretNameOf(other) ?? "")) controller.enqueue(`${ns}/${other.metadata.name}`);
    }
  });
  secrets.onChange((_key, current, previous) => {
    const owner = ownerKeyOf(current ?? previous, "ManagedCertificate");
    if (owner !== undefined) controller.enqueue(owner);
  });
  const wakeUsers = (kind: "VendorConnection" | "ClusterVendorConnection") => (_key: string, current: KubeObject | undefined, previous: KubeObject | undefined) => {
    const c = current ?? previous;
    resolver.invalidate();
    for (const mc of certificates.list()) {
      const ref = (mc as { spec?: { connectionRef?: { kind?: string; name?: string } } }).spec?.connectionRef;
      if (ref?.kind !== kind || ref.name !== c?.metadata.name) continue;
      if (kind === "VendorConnection" && mc.metadata.namespace !== c?.metadata.namespace) continue;
      controller.enqueue(`${mc.metadata.namespace}/${mc.metadata.name}`);
    }
  };
  resolver.vendorConnections.onChange(wakeUsers("VendorConnection"));
  resolver.clusterVendorConnections.onChange(wakeUsers("ClusterVendorConnection"));
  return { controller, reconciler };
}

/** The ControllerSetup registered in controllers/index.ts. */
export function managedCertificateSetup(manager: Manager, config: OperatorConfig): void {
  setupManagedCertificates(manager, { concurrency: config.concurrency, identity: config.identity });
}
