// Connections and their consumers by identity: the keys the consumer index, the retained copies and
// the connection controllers' queues share, and which connections a consumer holds.
import { finalizers } from "../../api/v1alpha1/index.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";

/** A CertificateRequest (cert-manager's) holds the connection of the issuer it names while its order is in flight. */
export type ConsumerKind = "ManagedCertificate" | "ProvisioningKey" | "CertificateRequest";
export type ConnectionKind = "VendorConnection" | "ClusterVendorConnection";

/** A connection by identity: a VendorConnection has a namespace, a ClusterVendorConnection none. */
export interface ConnectionId {
  readonly kind: ConnectionKind;
  readonly namespace?: string;
  readonly name: string;
}

export interface Consumer {
  readonly kind: ConsumerKind;
  /** The consumer's work-queue key, namespace/name. */
  readonly key: string;
}

export interface ConsumerSummary {
  readonly count: number;
  /** "ManagedCertificate team/web", sorted. */
  readonly names: readonly string[];
}

/** One string per connection, for maps: "VendorConnection team/cf" or "ClusterVendorConnection shared". */
export function connectionIdKey(id: ConnectionId): string {
  return id.kind === "VendorConnection" ? `VendorConnection ${id.namespace ?? ""}/${id.name}` : `ClusterVendorConnection ${id.name}`;
}

export function parseConnectionIdKey(key: string): ConnectionId | undefined {
  const [kind, rest] = key.split(" ", 2) as [string, string | undefined];
  if (rest === undefined) return undefined;
  if (kind === "ClusterVendorConnection") return { kind, name: rest };
  if (kind !== "VendorConnection") return undefined;
  const slash = rest.indexOf("/");
  return slash < 0 ? undefined : { kind, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

/** The work-queue key of the connection's own controller. */
export function connectionQueueKey(id: ConnectionId): string {
  return id.kind === "VendorConnection" ? `${id.namespace ?? ""}/${id.name}` : id.name;
}

/** The identity of a connection object of `kind` seen under cache key `key` (its object may be gone). */
export function connectionIdOf(kind: ConnectionKind, key: string, object: KubeObject | undefined): ConnectionId {
  if (kind === "ClusterVendorConnection") return { kind, name: key };
  const slash = key.indexOf("/");
  return { kind, namespace: object?.metadata.namespace ?? key.slice(0, slash), name: object?.metadata.name ?? key.slice(slash + 1) };
}

/** "ManagedCertificate team/web": a consumer as one string (index entries, fan-out keys, messages). */
export const consumerName = (c: Consumer): string => `${c.kind} ${c.key}`;

export function parseConsumerName(s: string): Consumer {
  const space = s.indexOf(" ");
  return { kind: s.slice(0, space) as ConsumerKind, key: s.slice(space + 1) };
}

interface ConsumerObject extends KubeObject {
  spec?: { connectionRef?: { kind?: string; name?: string }; publish?: { zpa?: { connectionRef?: { kind?: string; name?: string } } } };
}

/**
 * The connections a consumer holds: its connectionRef and, for a ManagedCertificate, the ZPA
 * connection it publishes through. A consumer being deleted holds them only while its cleanup
 * finalizer is there (its cleanup is what needs them).
 */
export function connectionsUsedBy(object: KubeObject | undefined): ConnectionId[] {
  if (object === undefined) return [];
  const m = object.metadata;
  if (m.deletionTimestamp !== undefined && !(m.finalizers ?? []).includes(finalizers.cleanup)) return [];
  const spec = (object as ConsumerObject).spec;
  const refs = [spec?.connectionRef, spec?.publish?.zpa?.connectionRef];
  const out = new Map<string, ConnectionId>();
  for (const ref of refs) {
    if (ref?.name === undefined || ref.name === "") continue;
    const id: ConnectionId =
      ref.kind === "ClusterVendorConnection"
        ? { kind: "ClusterVendorConnection", name: ref.name }
        : { kind: "VendorConnection", namespace: m.namespace ?? "", name: ref.name };
    out.set(connectionIdKey(id), id);
  }
  return [...out.values()];
}
