// Connections: the REAL ConnectionResolver (src/controllers/shared/connections.ts, contracts C1/C2)
// over the model's caches and API, plus a model of the part of the VendorConnection controller the
// resolver relies on: the operator's retained credentials copy (written while a connection has
// consumers, read for cleanup once the user's Secret is gone) and the in-use finalizer (released when
// no resource refers to a deleting connection any more).
import pino from "pino";
import { resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import {
  ConnectionResolver,
  type ConnectionLookup,
  type ConnectionRef,
  type RetainedCredentials,
  type RetainedCredentialsReader,
} from "../../../src/controllers/shared/connections.ts";
import type { KubeApi } from "../../../src/runtime/kube/api.ts";
import type { Informer } from "../../../src/runtime/informer.ts";
import type { KubeObject } from "../../../src/runtime/kube/resource.ts";
import { kubeRefused } from "../faults.ts";
import type { InformerCache } from "../kube/cache.ts";
import type { KubeModel } from "../kube/model.ts";
import type { Rng } from "../rng.ts";
import { currentTask, type Scheduler } from "../scheduler.ts";

export const IN_USE_FINALIZER = "certbridge.dev/in-use";

type Vendor = "cloudflare" | "sectigo" | "zpa";
type Purpose = "provision" | "cleanup";

export interface ConnectionResolverPort {
  resolve(ref: ConnectionRef, namespace: string, vendor: Vendor, signal: AbortSignal, opts?: { purpose?: Purpose }): Promise<ConnectionLookup>;
  invalidate(): void;
}

/** The credential keys each vendor's connection reads (DEFAULT_CREDENTIAL_KEYS), all naming the tenant. */
export function credentialData(vendor: Vendor, tenant: string): Record<string, string> {
  switch (vendor) {
    case "cloudflare":
      return { apiToken: tenant };
    case "sectigo":
      return { login: tenant, password: "sim" };
    case "zpa":
      return { clientId: tenant, clientSecret: "sim" };
  }
}

/** The tenant a resolved connection's credentials name (what the vendor models serve). */
export function tenantOf(credentials: Readonly<Record<string, string>>): string {
  return credentials["apiToken"] ?? credentials["login"] ?? credentials["clientId"] ?? "";
}

export class ConnectionsModel {
  readonly #model: KubeModel;
  /** Connection uid → the operator's retained copy of its credentials (C2). */
  readonly #retained = new Map<string, RetainedCredentials>();

  constructor(model: KubeModel) {
    this.#model = model;
  }

  /** The connection controller copied the credentials (it does so while the connection has consumers). */
  retain(connectionUid: string, credentials: Record<string, string>): void {
    this.#retained.set(connectionUid, { credentials: { ...credentials }, version: `copy-of-${connectionUid}` });
  }

  /** The real resolver a process gets, over its caches; every API call it makes parks like any other. */
  resolver(
    s: Scheduler,
    rng: Rng,
    client: KubeApi,
    caches: { vendorConnections: InformerCache; clusterVendorConnections: InformerCache; namespaces: InformerCache },
  ): ConnectionResolverPort {
    const retained: RetainedCredentialsReader = {
      // A GET of the copy in the operator's namespace.
      read: (uid) =>
        s.op({
          kind: "kube",
          label: `GET retained credentials of ${uid}`,
          fail: () => kubeRefused(rng, "GET", `secrets/${uid}`),
          effect: () => this.#retained.get(uid),
        }),
    };
    const real = new ConnectionResolver({
      client,
      vendorConnections: caches.vendorConnections as unknown as Informer<KubeObject>,
      clusterVendorConnections: caches.clusterVendorConnections as unknown as Informer<KubeObject>,
      namespaces: caches.namespaces as unknown as Informer<KubeObject>,
      retained,
      log: pino({ level: "silent" }),
    });
    return {
      resolve: async (ref, namespace, vendor, signal, opts) => {
        const lookup = await real.resolve(ref, namespace, vendor, signal, opts ?? {});
        // What the answer told the reconcile: its namespace or connection is being deleted.
        const reason = lookup.ok ? undefined : (lookup.reason as string);
        const task = currentTask();
        if (
          task !== undefined &&
          (reason === "NamespaceTerminating" ||
            reason === "ConnectionDeleting" ||
            (lookup.ok && (lookup.connection as { deleting?: boolean }).deleting === true))
        ) {
          task.sawDeletion = true;
        }
        return lookup;
      },
      invalidate: () => real.invalidate(),
    };
  }

  /** The connection controller's part of C2: a deleting connection no resource refers to loses its in-use finalizer. */
  releaseUnused(): void {
    for (const type of [resourceTypes.vendorConnections, resourceTypes.clusterVendorConnections]) {
      for (const conn of this.#model.all(type)) {
        if (conn.metadata.deletionTimestamp === undefined || !(conn.metadata.finalizers ?? []).includes(IN_USE_FINALIZER)) continue;
        const cluster = type === resourceTypes.clusterVendorConnections;
        const users = [...this.#model.all(resourceTypes.managedCertificates), ...this.#model.all(resourceTypes.provisioningKeys)].filter((r) => {
          const ref = (r as { spec?: { connectionRef?: { kind?: string; name?: string } } }).spec?.connectionRef;
          const kind = ref?.kind ?? "VendorConnection";
          return (
            ref?.name === conn.metadata.name &&
            (cluster ? kind === "ClusterVendorConnection" : kind === "VendorConnection" && r.metadata.namespace === conn.metadata.namespace)
          );
        });
        if (users.length > 0) continue;
        this.#model.mergePatch(
          type,
          conn.metadata.namespace,
          conn.metadata.name ?? "",
          { metadata: { finalizers: (conn.metadata.finalizers ?? []).filter((f) => f !== IN_USE_FINALIZER) } },
          undefined,
          { kind: "system", label: "connection-controller" },
        );
        this.#retained.delete(conn.metadata.uid ?? "");
      }
    }
  }
}
