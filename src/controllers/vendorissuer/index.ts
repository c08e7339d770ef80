// Wiring of the issuer controllers: one informer and one queue per issuer kind, woken by the issuer's
// own changes, by a change to the connection it names (created, deleted, edited, Ready flipped) and by
// its namespace's labels (a ClusterVendorConnection's admission). Issuers are few: the fan-out scans.
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { Controller } from "../../runtime/controller.ts";
import type { Informer } from "../../runtime/informer.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { StatusApplier } from "../../runtime/status.ts";
import { connectionChangeMatters } from "../shared/connection-changes.ts";
import { type ConnectionRef, sharedConnectionResolver } from "../shared/connections.ts";
import { type IssuerKind, issuerTypes } from "./issuer.ts";
import type { ConnectionHealth } from "./readiness.ts";
import { type IssuerObject, IssuerReconciler } from "./reconciler.ts";

export { type Issuer, type IssuerKind, issuerKey, issuerName, issuerTypes, parseIssuer } from "./issuer.ts";

export interface IssuerInformers {
  readonly VendorIssuer: Informer<KubeObject>;
  readonly ClusterVendorIssuer: Informer<KubeObject>;
}

/** One informer per issuer kind and manager, shared by the issuer and CertificateRequest controllers. */
export function sharedIssuerInformers(manager: Manager): IssuerInformers {
  return {
    VendorIssuer: manager.shared("informer/vendorissuers", () => manager.informer<KubeObject>({ type: resourceTypes.vendorIssuers })),
    ClusterVendorIssuer: manager.shared("informer/clustervendorissuers", () => manager.informer<KubeObject>({ type: resourceTypes.clusterVendorIssuers })),
  };
}

interface Named {
  spec?: { connectionRef?: { kind?: string; name?: string } };
}

/** Does this issuer name that connection? (a VendorConnection only from its own namespace) */
function names(issuer: KubeObject, kind: IssuerKind, connectionKind: string, connectionKey: string): boolean {
  const ref = (issuer as Named).spec?.connectionRef;
  const refKind = ref?.kind ?? (kind === "ClusterVendorIssuer" ? "ClusterVendorConnection" : "VendorConnection");
  if (refKind !== connectionKind) return false;
  return connectionKind === "ClusterVendorConnection" ? ref?.name === connectionKey : `${issuer.metadata.namespace}/${ref?.name}` === connectionKey;
}

export function setupVendorIssuers(manager: Manager, options: { concurrency?: number } = {}): Readonly<Record<IssuerKind, Controller>> {
  const informers = sharedIssuerInformers(manager);
  const resolver = sharedConnectionResolver(manager);
  const health = (ref: ConnectionRef, namespace: string | undefined): ConnectionHealth => {
    const raw =
      ref.kind === "VendorConnection" ? resolver.vendorConnections.get(`${namespace ?? ""}/${ref.name}`) : resolver.clusterVendorConnections.get(ref.name);
    const conditions = (raw as { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } } | undefined)?.status
      ?.conditions;
    return { ready: conditions?.find((c) => c.type === "Ready") };
  };
  const controllers = {} as Record<IssuerKind, Controller>;
  for (const kind of ["VendorIssuer", "ClusterVendorIssuer"] as const) {
    const informer = informers[kind];
    const reconciler = new IssuerReconciler({
      kind,
      get: (key) => informer.get(key),
      resolve: (ref, namespace, vendor, signal) => resolver.resolve(ref, namespace, vendor, signal),
      health,
      status: new StatusApplier<IssuerObject>({ api: manager.client, type: issuerTypes[kind] }),
      clock: manager.clock,
    });
    const controller = manager.controller({ reconciler, concurrency: Math.min(2, options.concurrency ?? 2) });
    controllers[kind] = controller;
    informer.onChange((key) => controller.enqueue(key));
    for (const connectionKind of ["VendorConnection", "ClusterVendorConnection"] as const) {
      const connections = connectionKind === "VendorConnection" ? resolver.vendorConnections : resolver.clusterVendorConnections;
      connections.onChange((connectionKey, current, previous) => {
        if (!connectionChangeMatters(current, previous)) return;
        for (const issuer of informer.list()) if (names(issuer, kind, connectionKind, connectionKey)) controller.enqueue(keyOf(issuer.metadata));
      });
    }
    // A namespace's labels decide a ClusterVendorConnection's admission of the VendorIssuers in it; its teardown stops new orders.
    if (kind === "VendorIssuer") {
      resolver.namespaces?.onChange((namespace, current, previous) => {
        const labelsMoved = JSON.stringify(current?.metadata.labels ?? {}) !== JSON.stringify(previous?.metadata.labels ?? {});
        if (!labelsMoved && current?.metadata.deletionTimestamp === previous?.metadata.deletionTimestamp) return;
        for (const issuer of informer.list()) if (issuer.metadata.namespace === namespace) controller.enqueue(keyOf(issuer.metadata));
      });
    }
  }
  return controllers;
}
