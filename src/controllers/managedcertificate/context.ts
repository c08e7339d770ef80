// What the pieces of the ManagedCertificate controller are handed: plain values about the resource
// for this one reconcile, and the ports they may use. No piece imports the reconciler or another
// piece's internals; the reconciler builds these once per reconcile and passes them explicitly.
import type { Logger } from "pino";
import type { ManagedCertificate, ManagedCertificateStatus } from "../../api/v1alpha1/managedcertificate.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { OrderingStep } from "../ordering/engine.ts";
import type { OrderEvent } from "../ordering/sweeps.ts";
import type { OrderVendor } from "../ordering/timing.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import type { Secret, SecretOwner } from "../shared/owned-secret.ts";

export type CertificateVendor = OrderVendor;

export type Status = ManagedCertificateStatus;
export interface CertificateObject extends KubeObject {
  spec?: unknown;
  status?: Status;
}

/** Points in the issuance path where a test may inject a crash (throw) or observe progress. */
export type IssuanceStep = "start" | "key-persisted" | OrderingStep | "secret-written" | "status-written";

/** The resource as this reconcile knows it (values; the same for every piece). */
export interface CertificateContext {
  readonly key: string;
  readonly mc: ManagedCertificate;
  readonly owner: SecretOwner;
  readonly vendor: CertificateVendor;
  readonly now: Date;
  /** certificateSpecHash(mc.spec): what a certificate was issued for. */
  readonly specHash: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Counts one vendor call (certbridge_certificate_vendor_calls_total). */
  readonly countCall: (vendor: string, operation: string) => void;
}

/**
 * The resource's object as last read or written in this reconcile, the one way to write its status
 * (guarded by resourceVersion; a no-op when nothing changed), and its Events.
 */
export interface ResourcePort {
  readonly obj: CertificateObject;
  readonly status: Status;
  save(status: Status): Promise<void>;
  /** One JSON merge patch of the object itself (metadata; guarded by the resourceVersion the patch carries). */
  patch(body: Record<string, unknown>): Promise<void>;
  /**
   * The cleanup finalizer on the object, guarded by its resourceVersion (a conflict throws: decisions
   * were made on this copy). No-op when present; never added to an object being deleted: check `obj`.
   */
  ensureFinalizer(): Promise<void>;
  record(event: OrderEvent): void;
}

/** The Kubernetes API and the cache of Secrets this operator owns (label-selected). */
export interface SecretAccess {
  readonly client: KubeApi;
  readonly secrets: { get(key: string): Secret | undefined };
}

/** Connections by reference. C1: purpose "provision" refuses a deleting connection or namespace; "cleanup" is for the deletion path. */
export interface Connections {
  resolve(
    ref: ConnectionRef,
    namespace: string,
    vendor: "cloudflare" | "sectigo" | "zpa",
    signal: AbortSignal,
    opts?: { purpose?: "provision" | "cleanup" },
  ): Promise<ConnectionLookup>;
}
