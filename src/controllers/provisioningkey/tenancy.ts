// Which ZPA tenant a connection reaches, and whether a namespace may take over keys that exist there
// already. Read from the connection caches (never a Secret) so it can be asked for every resource.
import { AdoptionPolicy, matchesLabelSelector, normalizeKeyName } from "../../api/v1alpha1/index.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { ConnectionRef } from "../shared/connections.ts";
import type { ObjectCache } from "../managed/types.ts";

export type AdoptionDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

export interface TenancyPort {
  /** The ZPA tenant the connection reaches; resources with the same tenant compete for its keys. */
  tenantOf(ref: ConnectionRef, namespace: string): string;
  /** May a resource in `namespace` take over the existing key `keyName` through this connection? */
  adoption(ref: ConnectionRef, namespace: string, keyName: string, signal: AbortSignal): Promise<AdoptionDecision>;
}

type RawConnection = KubeObject & { spec?: { zpa?: { customerId?: unknown }; adoption?: unknown } };

/**
 * Two connections with one customerId reach one tenant, whatever their credentials or cloud: that is
 * conservative (ZPA customer ids are unique in practice), and a tenant reached through two connections
 * is exactly where two resources could meet on one key. A connection that is missing or names no
 * customer falls back to its own identity.
 */
export function tenantOfConnection(ref: ConnectionRef, namespace: string, connection: RawConnection | undefined): string {
  const customerId = connection?.spec?.zpa?.customerId;
  if (typeof customerId === "string" && customerId !== "") return `zpa-customer:${customerId}`;
  return connectionIdentity(ref, namespace);
}

export function connectionIdentity(ref: ConnectionRef, namespace: string): string {
  return ref.kind === "ClusterVendorConnection" ? `connection:ClusterVendorConnection/${ref.name}` : `connection:VendorConnection/${namespace}/${ref.name}`;
}

/**
 * The adoption rule (ADR 0006). A VendorConnection lives in the resource's namespace, which owns its
 * credentials: it may adopt. A ClusterVendorConnection serves many namespaces: only those its
 * spec.adoption admits, and only names with its namePrefix.
 */
export function adoptionDecision(input: {
  readonly ref: ConnectionRef;
  readonly namespace: string;
  /** spec.adoption of the ClusterVendorConnection as found in the cache ("unreadable": not found or invalid). */
  readonly policy: AdoptionPolicy | undefined | "unreadable";
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly keyName: string;
}): AdoptionDecision {
  if (input.ref.kind === "VendorConnection") return { allowed: true };
  const cvc = `ClusterVendorConnection ${input.ref.name}`;
  if (input.policy === "unreadable") return { allowed: false, message: `${cvc} cannot be read, so nothing may be adopted through it` };
  if (input.policy === undefined) {
    return {
      allowed: false,
      message: `${cvc} allows no namespace to take over existing ZPA keys; its owner may add spec.adoption (namespaceSelector, namePrefix)`,
    };
  }
  if (!matchesLabelSelector(input.policy.namespaceSelector, input.namespaceLabels)) {
    return { allowed: false, message: `${cvc} does not allow namespace ${input.namespace} to take over existing ZPA keys (spec.adoption.namespaceSelector)` };
  }
  const prefix = input.policy.namePrefix;
  if (prefix !== undefined && !normalizeKeyName(input.keyName).startsWith(prefix)) {
    return { allowed: false, message: `${cvc} allows taking over only ZPA keys named "${prefix}…" (spec.adoption.namePrefix)` };
  }
  return { allowed: true };
}

/** The TenancyPort over the connection informers and a namespace-label lookup. */
export class CachedTenancy implements TenancyPort {
  readonly #vendorConnections: ObjectCache<KubeObject>;
  readonly #clusterVendorConnections: ObjectCache<KubeObject>;
  readonly #namespaceLabels: (namespace: string, signal: AbortSignal) => Promise<Record<string, string>>;

  constructor(init: {
    vendorConnections: ObjectCache<KubeObject>;
    clusterVendorConnections: ObjectCache<KubeObject>;
    namespaceLabels: (namespace: string, signal: AbortSignal) => Promise<Record<string, string>>;
  }) {
    this.#vendorConnections = init.vendorConnections;
    this.#clusterVendorConnections = init.clusterVendorConnections;
    this.#namespaceLabels = init.namespaceLabels;
  }

  tenantOf(ref: ConnectionRef, namespace: string): string {
    return tenantOfConnection(ref, namespace, this.#raw(ref, namespace));
  }

  async adoption(ref: ConnectionRef, namespace: string, keyName: string, signal: AbortSignal): Promise<AdoptionDecision> {
    if (ref.kind === "VendorConnection") return { allowed: true };
    const raw = this.#raw(ref, namespace);
    const parsed = raw === undefined ? undefined : AdoptionPolicy.optional().safeParse(raw.spec?.adoption);
    const policy = parsed === undefined || !parsed.success ? "unreadable" : parsed.data;
    const namespaceLabels = policy === "unreadable" || policy === undefined ? {} : await this.#namespaceLabels(namespace, signal);
    return adoptionDecision({ ref, namespace, policy, namespaceLabels, keyName });
  }

  #raw(ref: ConnectionRef, namespace: string): RawConnection | undefined {
    return (ref.kind === "ClusterVendorConnection" ? this.#clusterVendorConnections.get(ref.name) : this.#vendorConnections.get(`${namespace}/${ref.name}`)) as
      | RawConnection
      | undefined;
  }
}

/**
 * Without the connection caches (a reconciler built by hand): tenants are connection identities, a
 * VendorConnection may adopt and a ClusterVendorConnection may not. Safe, if less informed.
 */
export const connectionIdentityTenancy: TenancyPort = {
  tenantOf: (ref, namespace) => connectionIdentity(ref, namespace),
  adoption: async (ref, namespace, keyName) =>
    adoptionDecision({ ref, namespace, policy: ref.kind === "VendorConnection" ? undefined : "unreadable", namespaceLabels: {}, keyName }),
};
