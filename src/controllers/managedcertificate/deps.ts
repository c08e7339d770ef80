// What the ManagedCertificate reconciler is built from (index.ts wires it; the simulation and the
// unit tests wire their own fakes).
import type { VendorPorts } from "../../ports/vendors.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { IssuanceBudget } from "../ordering/budget.ts";
import type { OrderVendor, PollBackoff } from "../ordering/timing.ts";
import type { Secret } from "../shared/owned-secret.ts";
import type { Connections, IssuanceStep } from "./context.ts";
import type { CertificateMetrics } from "./metrics.ts";

export interface ReconcilerHooks {
  step?(step: IssuanceStep, key: string): void | Promise<void>;
}

export interface ManagedCertificateDeps {
  readonly client: KubeApi;
  readonly certificates: {
    get(key: string): KubeObject | undefined;
    list(): KubeObject[];
    /** Resources in `namespace` naming Secret `secretName` (an index; falls back to scanning list()). */
    namingSecret?(namespace: string, secretName: string): KubeObject[];
  };
  readonly secrets: { get(key: string): Secret | undefined };
  /** C1: purpose "provision" refuses a deleting connection or namespace; "cleanup" is for the deletion path. */
  readonly connections: Connections;
  /** browserCertificates and applicationSegments only for spec.publish.zpa. */
  readonly ports: Pick<VendorPorts, "certificateAuthority"> & Partial<Pick<VendorPorts, "browserCertificates" | "applicationSegments">>;
  readonly budget: IssuanceBudget;
  readonly events?: EventRecorder;
  readonly metrics?: CertificateMetrics;
  /** All time comes from here (the system clock when none is given: the composition root's default). */
  readonly clock?: Clock;
  readonly hooks?: ReconcilerHooks;
  /** Ready resources are looked at again at least this often (jittered), besides their renewal time. */
  readonly resyncMs?: number;
  /** Poll backoff for pending vendor orders (tests shorten it). */
  readonly pollBackoff?: PollBackoff;
  /** Settle windows per vendor (ordering/timing.ts SETTLE_WINDOW_MS); tests and `--debug-order-settle-ms` shorten them. */
  readonly settleWindowMs?: Partial<Record<OrderVendor, number>>;
  /** First look-up after an unanswered order (ordering/timing.ts LOOKUP_FIRST_MS); tests shorten it. */
  readonly lookupFirstMs?: number;
}
