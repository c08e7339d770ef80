// Which connection a CertificateRequest holds (ADR 0007: connections outlive their consumers). A
// request names an issuer, the issuer names the connection; the request holds it exactly while its
// certbridge.dev/cleanup finalizer is there — an order in flight or a sweep pending, what its deletion
// (cancel, look up) and its sweeps need the connection for. A finished request holds nothing, so
// cert-manager's old revisions never keep a connection. Pure: the issuer comes from a lookup.
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { ConnectionId } from "../shared/connection-ids.ts";
import { type IssuerKind, issuerKey } from "../vendorissuer/issuer.ts";
import { ourIssuerRef } from "./cert-manager.ts";
import { CLEANUP_FINALIZER } from "./order-annotation.ts";

/** The issuer informers' caches, by kind and key ("ns/name" or "name"). */
export type IssuerCache = (kind: IssuerKind, key: string) => KubeObject | undefined;

export function requestConnections(issuers: IssuerCache): (request: KubeObject) => ConnectionId[] {
  return (request) => {
    if (!(request.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return [];
    const ref = ourIssuerRef(request);
    if (ref === undefined) return [];
    const namespace = request.metadata.namespace ?? "";
    const issuer = issuers(ref.kind, issuerKey(ref.kind, namespace, ref.name)) as
      | (KubeObject & { spec?: { connectionRef?: { kind?: string; name?: string } } })
      | undefined;
    const connection = issuer?.spec?.connectionRef;
    if (connection?.name === undefined || connection.name === "") return [];
    // A ClusterVendorIssuer names only ClusterVendorConnections; a VendorIssuer's VendorConnection is
    // in its namespace, which is the request's.
    return ref.kind === "ClusterVendorIssuer" || connection.kind === "ClusterVendorConnection"
      ? [{ kind: "ClusterVendorConnection", name: connection.name }]
      : [{ kind: "VendorConnection", namespace, name: connection.name }];
  };
}
