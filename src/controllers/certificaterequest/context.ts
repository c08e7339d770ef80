// What the pieces of the CertificateRequest controller are handed for one reconcile: plain values and
// the ports they may use. No piece imports the reconciler.
import type { Logger } from "pino";
import type { VendorPorts } from "../../ports/vendors.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { IssuanceBudget } from "../ordering/budget.ts";
import type { OrderingStep } from "../ordering/engine.ts";
import type { OrderEvent } from "../ordering/sweeps.ts";
import type { OrderVendor, PollBackoff } from "../ordering/timing.ts";
import type { ConnectionLookup, ConnectionRef, ResolvePurpose } from "../shared/connections.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import type { RequestPort } from "./request-port.ts";

/** Points where a test may inject a crash (`--debug-crash-at certificaterequest:<step>`) or observe progress. */
export type RequestStep = "start" | OrderingStep | "status-written" | "released";

export interface CertificateRequestDeps {
  readonly api: KubeApi;
  /** The CertificateRequest informer cache. */
  readonly requests: { get(key: string): KubeObject | undefined };
  /** The issuer informer caches, by kind and key ("ns/name" or "name"). */
  readonly issuers: (kind: IssuerKind, key: string) => KubeObject | undefined;
  readonly connections: {
    resolve(ref: ConnectionRef, namespace: string, vendor: OrderVendor, signal: AbortSignal, opts?: { purpose?: ResolvePurpose }): Promise<ConnectionLookup>;
  };
  readonly ports: Pick<VendorPorts, "certificateAuthority">;
  /** The issuance budget shared with ManagedCertificates: one per connection per hour. */
  readonly budget: IssuanceBudget;
  readonly events?: EventRecorder;
  readonly clock?: Clock;
  readonly step?: (step: RequestStep, key: string) => void | Promise<void>;
  /** Settle windows per vendor (ordering/timing.ts); tests and `--debug-order-settle-ms` shorten them. */
  readonly settleWindowMs?: Partial<Record<OrderVendor, number>>;
  readonly lookupFirstMs?: number;
  readonly pollBackoff?: PollBackoff;
  /** Counts one vendor call (certbridge_certificate_vendor_calls_total, shared with ManagedCertificates). */
  readonly countCall?: (vendor: string, operation: string) => void;
  /** Counts one ended issuance (certbridge_certificate_issuances_total{result}). */
  readonly countIssuance?: (vendor: string, result: "issued" | "failed") => void;
}

/** One reconcile of one request. */
export interface RequestContext {
  readonly key: string;
  readonly port: RequestPort;
  /** "VendorIssuer web/sectigo": the issuer in messages. */
  readonly issuerLabel: string;
  readonly now: Date;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly step: (step: RequestStep) => Promise<void>;
  /** An Event about the request. */
  readonly record: (event: OrderEvent) => void;
  readonly countIssuance: (vendor: string, result: "issued" | "failed") => void;
}
