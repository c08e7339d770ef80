// The parts of certbridge objects, Secrets, Events and Leases the CLI reads, as the API server returns
// them. Read loosely: a resource the operator has not reconciled, or one an older version wrote, still
// shows what it has. Status shapes are the API's own.
import type { Condition } from "../../api/v1alpha1/common.ts";
import type { ManagedCertificateStatus } from "../../api/v1alpha1/managedcertificate.ts";
import type { ProvisioningKeyStatus } from "../../api/v1alpha1/provisioningkey.ts";
import type { ConnectionStatus } from "../../api/v1alpha1/vendorconnection.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";

export type { Condition };

export interface ConnectionRef {
  readonly kind?: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
}

export interface CertificateObject extends KubeObject {
  spec?: {
    connectionRef?: ConnectionRef;
    secretName?: string;
    sectigo?: unknown;
    cloudflare?: unknown;
    publish?: { zpa?: { connectionRef?: ConnectionRef } };
  };
  status?: ManagedCertificateStatus;
}

export interface KeyObject extends KubeObject {
  spec?: {
    connectionRef?: ConnectionRef;
    secretName?: string;
    secretKey?: string;
    rotation?: number;
    managementPolicy?: string;
    deletionPolicy?: string;
    maxUsage?: number;
  };
  status?: ProvisioningKeyStatus;
}

export interface ConnectionObject extends KubeObject {
  spec?: {
    zpa?: unknown;
    cloudflare?: unknown;
    sectigo?: unknown;
    credentialsRef?: { name: string; namespace?: string };
    issuanceBudget?: { maxPerHour?: number };
  };
  status?: ConnectionStatus;
}

export type ResourceObject = CertificateObject | KeyObject | ConnectionObject;

export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** events.k8s.io/v1 Event (and the core/v1 fields some writers still fill in). */
export interface EventObject extends KubeObject {
  eventTime?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedCount?: number;
  series?: { count?: number; lastObservedTime?: string };
  type?: string;
  reason?: string;
  note?: string;
  reportingController?: string;
  regarding?: { uid?: string; name?: string; kind?: string };
}

export interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; renewTime?: string | null; acquireTime?: string | null; leaseTransitions?: number };
}

export const conditionOf = (obj: { status?: { conditions?: Condition[] | undefined } | undefined }, type: string): Condition | undefined =>
  obj.status?.conditions?.find((c) => c.type === type);

export function vendorOfSpec(spec: { zpa?: unknown; cloudflare?: unknown; sectigo?: unknown } | undefined): "zpa" | "cloudflare" | "sectigo" | undefined {
  if (spec?.zpa !== undefined) return "zpa";
  if (spec?.cloudflare !== undefined) return "cloudflare";
  if (spec?.sectigo !== undefined) return "sectigo";
  return undefined;
}

/** When an Event last happened, whichever field its writer filled in. */
export function eventTimeOf(e: EventObject): string | undefined {
  return e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata.creationTimestamp ?? undefined;
}
