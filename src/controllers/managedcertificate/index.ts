// Wiring: informers (ManagedCertificates, owned Secrets, connections), the reconciler and its queue.
import type { OperatorConfig } from "../../config/operator.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import { eventRecorderFor } from "../../runtime/events.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import type { Controller } from "../../runtime/controller.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { ownerKeyOf, registerSecretFacts, sharedOwnedSecretInformer } from "../shared/owned-secret.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { type IssuanceBudget, sharedIssuanceBudget } from "../ordering/budget.ts";
import { CertificateMetrics } from "./metrics.ts";
import type { OrderVendor, PollBackoff } from "../ordering/timing.ts";
import { crashHook } from "../shared/crash.ts";
import { SecretNameIndex } from "./conflicts.ts";
import type { ReconcilerHooks } from "./deps.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import { tlsSecretView } from "./secret.ts";
import type { CertificateObject } from "./context.ts";
import { withoutDeadIntent } from "./intent.ts";

export { ManagedCertificateReconciler } from "./reconciler.ts";
export { SecretNameIndex } from "./conflicts.ts";
export type { IssuanceStep } from "./context.ts";
export type { ManagedCertificateDeps, ReconcilerHooks } from "./deps.ts";

export interface ManagedCertificateOptions {
  readonly ports?: Pick<VendorPorts, "certificateAuthority"> & Partial<Pick<VendorPorts, "browserCertificates" | "applicationSegments">>;
  readonly hooks?: ReconcilerHooks;
  readonly budget?: IssuanceBudget;
  readonly concurrency?: number;
  readonly namespace?: string;
  readonly identity?: string;
  readonly resyncMs?: number;
  readonly pollBackoff?: PollBackoff;
  /** Settle windows for unanswered orders per vendor (ADR 0005); only tests shorten them. */
  readonly settleWindowMs?: Partial<Record<OrderVendor, number>>;
  readonly lookupFirstMs?: number;
}

export interface ManagedCertificateController {
  readonly controller: Controller;
  readonly reconciler: ManagedCertificateReconciler;
}

export function setupManagedCertificates(manager: Manager, options: ManagedCertificateOptions = {}): ManagedCertificateController {
  const index = new SecretNameIndex();
  const certificates = manager.shared("informer/managedcertificates", () =>
    manager.informer<KubeObject>({
      type: resourceTypes.managedCertificates,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      transform: (obj) => withoutDeadIntent(obj as CertificateObject),
    }),
  );
  // The owned-Secret cache keeps each TLS Secret's digest, not its key and certificate: what the
  // trigger's policies read is computed once per change of the Secret (issue 13).
  registerSecretFacts(manager, "ManagedCertificate", tlsSecretView);
  const secrets = sharedOwnedSecretInformer(manager);
  const resolver = sharedConnectionResolver(manager);
  const metrics = manager.shared("metrics/managedcertificate", () => new CertificateMetrics(manager.metrics.registry));
  const reconciler = new ManagedCertificateReconciler({
    client: manager.client,
    certificates: {
      get: (key) => certificates.get(key),
      list: () => certificates.list(),
      namingSecret: (ns, name) =>
        index
          .keys(ns, name)
          .map((k) => certificates.get(k))
          .filter((o): o is KubeObject => o !== undefined),
    },
    secrets,
    connections: resolver,
    ports: options.ports ?? vendorPortsOf(manager),
    budget: options.budget ?? sharedIssuanceBudget(manager),
    events: eventRecorderFor(manager, "managedcertificate", options.identity),
    metrics,
    clock: manager.clock,
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
    ...(options.pollBackoff ? { pollBackoff: options.pollBackoff } : {}),
    ...(options.settleWindowMs ? { settleWindowMs: options.settleWindowMs } : {}),
    ...(options.lookupFirstMs ? { lookupFirstMs: options.lookupFirstMs } : {}),
  });
  const controller = manager.controller({ reconciler, concurrency: options.concurrency ?? 4 });

  certificates.onChange((key, current, previous) => {
    index.update(key, current, previous);
    controller.enqueue(key);
    // Resources naming the same Secret decide among themselves: wake the others too.
    for (const other of index.affected(current, previous)) if (other !== key) controller.enqueue(other);
  });
  secrets.onChange((_key, current, previous) => {
    const owner = ownerKeyOf(current ?? previous, "ManagedCertificate");
    if (owner !== undefined) controller.enqueue(owner);
  });
  // Connection edits, deletion, new credentials and namespace admission or teardown wake exactly the
  // certificates they affect (an index, not a scan; status writes and re-verifications wake nobody).
  sharedConnectionConsumers(manager).attach("ManagedCertificate", certificates, (key) => controller.enqueue(key));
  return { controller, reconciler };
}

/** The ControllerSetup registered in controllers/index.ts. */
export function managedCertificateSetup(manager: Manager, config: OperatorConfig): void {
  const crash = crashHook(config.crashAt, "managedcertificate");
  const settle = config.orderSettleMs;
  setupManagedCertificates(manager, {
    concurrency: config.concurrency,
    identity: config.identity,
    ...(crash ? { hooks: { step: crash } } : {}),
    ...(settle === undefined
      ? {}
      : { settleWindowMs: { cloudflare: settle, sectigo: settle }, lookupFirstMs: Math.min(5_000, Math.max(200, Math.floor(settle / 5))) }),
  });
}
