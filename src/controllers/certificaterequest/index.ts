// Wiring of the cert-manager front end: the CertificateRequest informer (only requests naming our
// group are queued), the reconciler and its queue, woken when the issuer a request names changes; and
// the detection that starts it (and the issuer controllers) once their kinds are served, and stops it
// when cert-manager's CRD goes.
import type { OperatorConfig } from "../../config/operator.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import type { Controller } from "../../runtime/controller.ts";
import { eventRecorderFor } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { CertificateMetrics } from "../managedcertificate/metrics.ts";
import { type IssuanceBudget, sharedIssuanceBudget } from "../ordering/budget.ts";
import type { OrderVendor, PollBackoff } from "../ordering/timing.ts";
import { sharedConnectionConsumers } from "../shared/connection-consumers.ts";
import { sharedConnectionResolver } from "../shared/connections.ts";
import { crashHook } from "../shared/crash.ts";
import { vendorPortsOf } from "../shared/vendor-ports.ts";
import { issuerKey, setupVendorIssuers, sharedIssuerInformers } from "../vendorissuer/index.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { certificateRequests, ourIssuerRef } from "./cert-manager.ts";
import { requestConnections } from "./connection-use.ts";
import type { RequestStep } from "./context.ts";
import { CrdWatches, type ServedKinds } from "./crd-watch.ts";
import { DETECTION_KEY, OptionalStart } from "./detection.ts";
import { CertificateRequestReconciler } from "./reconciler.ts";
import { OptionalPartStatus } from "./status-metric.ts";

export { CertificateRequestReconciler } from "./reconciler.ts";
export { certificateRequests } from "./cert-manager.ts";
export type { RequestStep } from "./context.ts";

export interface CertificateRequestOptions {
  readonly ports?: Pick<VendorPorts, "certificateAuthority">;
  readonly budget?: IssuanceBudget;
  readonly concurrency?: number;
  readonly identity?: string;
  readonly step?: (step: RequestStep, key: string) => void | Promise<void>;
  readonly settleWindowMs?: Partial<Record<OrderVendor, number>>;
  readonly lookupFirstMs?: number;
  readonly pollBackoff?: PollBackoff;
}

const ISSUER_INDEX = "issuer";
const issuerIndexValue = (kind: IssuerKind, key: string) => `${kind} ${key}`;

/** The requests an issuer serves (an index on the request informer), by the issuer's kind and key. */
function indexByIssuer(requests: Informer<KubeObject>): void {
  requests.addIndex(ISSUER_INDEX, (o) => {
    const ref = ourIssuerRef(o);
    return ref === undefined ? [] : [issuerIndexValue(ref.kind, issuerKey(ref.kind, o.metadata.namespace, ref.name))];
  });
}

/** The CertificateRequest controller as it runs: stopped (and forgotten) when cert-manager's CRD goes. */
export interface RunningCertificateRequests {
  readonly controller: Controller;
  readonly reconciler: CertificateRequestReconciler;
  readonly requests: Informer<KubeObject>;
  /** Stops the controller, then its informer, and stops listening to the issuers. */
  stop(): Promise<void>;
}

/** Registers the CertificateRequest controller; its kind and our issuer kinds must be served (see certManagerSetup). */
export function setupCertificateRequests(manager: Manager, options: CertificateRequestOptions = {}): RunningCertificateRequests {
  // Not shared: a controller stopped because cert-manager's CRD went starts again with a fresh informer.
  const requests = manager.informer<KubeObject>({ type: certificateRequests });
  indexByIssuer(requests);
  const issuers = sharedIssuerInformers(manager);
  const resolver = sharedConnectionResolver(manager);
  // The ManagedCertificates' counters (one registration per registry): a vendor call is a vendor call.
  const metrics = manager.shared("metrics/managedcertificate", () => new CertificateMetrics(manager.metrics.registry));
  const reconciler = new CertificateRequestReconciler({
    api: manager.client,
    requests,
    issuers: (kind, key) => issuers[kind].get(key),
    connections: resolver,
    ports: options.ports ?? vendorPortsOf(manager),
    budget: options.budget ?? sharedIssuanceBudget(manager),
    events: eventRecorderFor(manager, "certificaterequest", options.identity),
    clock: manager.clock,
    countCall: (vendor, operation) => metrics.vendorCalls.inc({ vendor, operation }),
    countIssuance: (vendor, result) => metrics.issuances.inc({ vendor, result }),
    ...(options.step ? { step: options.step } : {}),
    ...(options.settleWindowMs ? { settleWindowMs: options.settleWindowMs } : {}),
    ...(options.lookupFirstMs ? { lookupFirstMs: options.lookupFirstMs } : {}),
    ...(options.pollBackoff ? { pollBackoff: options.pollBackoff } : {}),
  });
  const controller = manager.controller({ reconciler, concurrency: options.concurrency ?? 4 });
  let running = true;
  requests.onChange((key, current, previous) => {
    if (ourIssuerRef(current ?? previous) !== undefined) controller.enqueue(key);
  });
  // A request with an order in flight holds its issuer's connection (ADR 0007): counted with the
  // connection's other consumers, woken with them when the connection changes.
  const consumers = sharedConnectionConsumers(manager).attach(
    "CertificateRequest",
    requests,
    (key) => controller.enqueue(key),
    requestConnections((kind, key) => issuers[kind].get(key)),
  );
  // An issuer turning Ready (or being edited: maybe another connection) wakes the requests naming it.
  for (const kind of ["VendorIssuer", "ClusterVendorIssuer"] as const) {
    issuers[kind].onChange((key) => {
      if (!running) return; // the issuer informers outlive a stopped request controller
      for (const request of requests.indexKeys(ISSUER_INDEX, issuerIndexValue(kind, key))) {
        consumers.refresh(request);
        controller.enqueue(request);
      }
    });
  }
  return {
    controller,
    reconciler,
    requests,
    stop: async () => {
      running = false;
      consumers.detach();
      await manager.discard({ controller, informers: [requests] });
    },
  };
}

export interface CertManagerSetupOptions extends CertificateRequestOptions {
  /** Whether a kind is served (tests); by default, watches on the CRDs (crd-watch.ts). */
  readonly kinds?: ServedKinds;
}

/**
 * The ControllerSetup registered in controllers/index.ts: the issuer controllers once our issuer kinds
 * are served, the CertificateRequest controller once cert-manager's are too. `--cert-manager=false`
 * turns the whole front end off.
 */
export function certManagerFrontEnd(manager: Manager, options: CertManagerSetupOptions & { enabled?: boolean } = {}): OptionalStart | undefined {
  if (options.enabled === false) {
    manager.log.info("cert-manager integration is off (--cert-manager=false): VendorIssuers and CertificateRequests are not served");
    return undefined;
  }
  // Shared pieces made now, so their informers start and sync with the manager's.
  sharedConnectionResolver(manager);
  sharedIssuanceBudget(manager);
  let wake = () => {};
  let running: RunningCertificateRequests | undefined;
  const status = manager.shared("metrics/optional-controllers", () => new OptionalPartStatus(manager.metrics.registry));
  const detection = new OptionalStart({
    kinds: options.kinds ?? new CrdWatches(manager, () => wake()),
    log: manager.log,
    report: (part, now) => status.set(part, now),
    parts: [
      {
        name: "VendorIssuer controllers",
        id: "vendorissuer",
        needs: [resourceTypes.vendorIssuers, resourceTypes.clusterVendorIssuers],
        absent: "the VendorIssuer CRDs are not installed: VendorIssuers and cert-manager CertificateRequests are not served until they are (apply crds/)",
        start: async (signal) => {
          const informers = sharedIssuerInformers(manager);
          setupVendorIssuers(manager, options.concurrency === undefined ? {} : { concurrency: options.concurrency });
          await Promise.all([informers.VendorIssuer.waitForSync(signal), informers.ClusterVendorIssuer.waitForSync(signal)]);
        },
      },
      {
        name: "CertificateRequest controller",
        id: "certificaterequest",
        needs: [certificateRequests],
        absent:
          "cert-manager's CertificateRequest API is not served: the CertificateRequest controller is not started (it starts when cert-manager's CRDs are installed)",
        start: async (signal) => {
          const started = setupCertificateRequests(manager, options);
          try {
            await started.requests.waitForSync(signal);
          } catch (error) {
            await started.stop();
            throw error;
          }
          running = started;
        },
        // cert-manager uninstalled: its requests are gone (a CRD's deletion waits for our finalizers on
        // them, which this controller releases meanwhile); nothing is left to watch until it returns.
        stop: async () => {
          await running?.stop();
          running = undefined;
        },
      },
    ],
  });
  const controller = manager.controller({ reconciler: detection, concurrency: 1 });
  wake = () => controller.enqueue(DETECTION_KEY);
  wake();
  return detection;
}

/** The ControllerSetup registered in controllers/index.ts. */
export function certManagerSetup(manager: Manager, config: OperatorConfig): void {
  const step = crashHook(config.crashAt, "certificaterequest");
  const settle = config.orderSettleMs;
  certManagerFrontEnd(manager, {
    enabled: config.certManager,
    concurrency: config.concurrency,
    identity: config.identity,
    ...(step ? { step } : {}),
    ...(settle === undefined
      ? {}
      : { settleWindowMs: { cloudflare: settle, sectigo: settle }, lookupFirstMs: Math.min(5_000, Math.max(200, Math.floor(settle / 5))) }),
  });
}
