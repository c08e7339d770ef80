// The connection resolver as the contracts C1/C2 define it (docs: notes/contracts.md), over the
// Kubernetes model. It is a model of TEARDOWN's resolver, not that code: the simulation tests the
// ManagedCertificate and ProvisioningKey reconcilers given those guarantees.
//   purpose "provision" (the default): fails with ConnectionDeleting / NamespaceTerminating.
//   purpose "cleanup": returns the connection even while it is deleting; without its credentials
//   Secret it falls back on the operator's retained copy (kept while the connection has consumers).
// A connection holds the in-use finalizer while any resource refers to it (C2); `releaseUnused`
// plays the connection controller that releases it.
import { matchesLabelSelector, resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../../src/ports/connection.ts";
import { core, type KubeObject } from "../../../src/runtime/kube/resource.ts";
import type { ConnectionLookup, ConnectionRef } from "../../../src/controllers/shared/connections.ts";
import { kubeRefused } from "../faults.ts";
import type { KubeModel } from "../kube/model.ts";
import type { Rng } from "../rng.ts";
import type { Scheduler } from "../scheduler.ts";

export const IN_USE_FINALIZER = "certbridge.dev/in-use";

type Vendor = "cloudflare" | "sectigo" | "zpa";
type Purpose = "provision" | "cleanup";

interface ConnectionObject extends KubeObject {
  spec: {
    credentialsRef: { name: string; namespace?: string };
    namespaceSelector?: { matchLabels?: Record<string, string> };
    cloudflare?: Record<string, unknown>;
    sectigo?: Record<string, unknown>;
    zpa?: Record<string, unknown>;
  };
}

export interface ConnectionResolverPort {
  resolve(ref: ConnectionRef, namespace: string, vendor: Vendor, signal: AbortSignal, opts?: { purpose?: Purpose }): Promise<ConnectionLookup>;
}

export class ConnectionsModel {
  readonly #model: KubeModel;
  /** Connection uid → tenant of the retained credentials copy (C2). */
  readonly #retained = new Map<string, string>();

  constructor(model: KubeModel) {
    this.#model = model;
  }

  resolveNow(ref: ConnectionRef, namespace: string, vendor: Vendor, purpose: Purpose): { lookup: ConnectionLookup; sawDeletion: boolean } {
    const cluster = ref.kind === "ClusterVendorConnection";
    const conn = cluster
      ? this.#model.peek<ConnectionObject>(resourceTypes.clusterVendorConnections, undefined, ref.name)
      : this.#model.peek<ConnectionObject>(resourceTypes.vendorConnections, namespace, ref.name);
    const ns = this.#model.peek(core.namespaces, undefined, namespace);
    const terminating = ns === undefined || ns.metadata.deletionTimestamp !== undefined;
    const deleting = conn?.metadata.deletionTimestamp !== undefined;
    const sawDeletion = terminating || deleting;
    const fail = (reason: string, message: string) => ({ lookup: { ok: false, reason, message } as ConnectionLookup, sawDeletion });
    if (conn === undefined) return fail("ConnectionNotFound", `${ref.kind} ${ref.name} does not exist`);
    if (purpose === "provision" && deleting) return fail("ConnectionDeleting", `${ref.kind} ${ref.name} is being deleted`);
    if (purpose === "provision" && terminating) return fail("NamespaceTerminating", `namespace ${namespace} is being deleted`);
    const connVendor = (["cloudflare", "sectigo", "zpa"] as const).find((v) => conn.spec[v] !== undefined);
    if (connVendor !== vendor) return fail("ConnectionVendorMismatch", `${ref.kind} ${ref.name} is a ${connVendor} connection`);
    if (cluster) {
      const labels = { "kubernetes.io/metadata.name": namespace, ...(ns?.metadata.labels ?? {}) };
      if (!matchesLabelSelector({ matchLabels: { ...(conn.spec.namespaceSelector?.matchLabels ?? {}) } }, labels)) {
        return fail("ConnectionNotPermitted", `ClusterVendorConnection ${ref.name} does not admit namespace ${namespace}`);
      }
    }
    const secretNs = cluster ? (conn.spec.credentialsRef.namespace ?? "") : namespace;
    const secret = this.#model.peek<KubeObject & { data?: Record<string, string> }>(core.secrets, secretNs, conn.spec.credentialsRef.name);
    const uid = conn.metadata.uid ?? "";
    let tenant = secret?.data?.["apiToken"] === undefined ? undefined : Buffer.from(secret.data["apiToken"], "base64").toString("utf8");
    if (tenant === undefined && purpose === "cleanup") tenant = this.#retained.get(uid);
    if (tenant === undefined) return fail("SecretNotFound", `credentials Secret ${secretNs}/${conn.spec.credentialsRef.name} does not exist`);
    if (secret !== undefined) this.#retained.set(uid, tenant);
    const connection: ResolvedConnection = {
      kind: ref.kind,
      ...(cluster ? {} : { namespace }),
      name: ref.name,
      vendor,
      settings: { ...(conn.spec[vendor] ?? {}) },
      credentials: { apiToken: tenant },
      fingerprint: `${uid}/${tenant}`,
    };
    return { lookup: { ok: true, connection, ...(deleting ? { deleting: true } : {}) } as ConnectionLookup, sawDeletion };
  }

  /** The resolver a process gets: each resolve is one parked call (a failed GET throws, as the real one does). */
  port(s: Scheduler, rng: Rng): ConnectionResolverPort {
    return {
      resolve: (ref, namespace, vendor, _signal, opts) => {
        const purpose = opts?.purpose ?? "provision";
        return s.op({
          kind: "connection",
          label: `resolve ${ref.kind} ${ref.name} for ${namespace} (${purpose})`,
          fail: () => kubeRefused(rng, "GET", `secrets/${namespace}`),
          effect: () => this.resolveNow(ref, namespace, vendor, purpose),
          observe: (task, r) => {
            if (r.sawDeletion) task.sawDeletion = true;
          },
        }).then((r) => r.lookup);
      },
    };
  }

  /** The connection controller's part of C2: a deleting connection no resource refers to loses its in-use finalizer. */
  releaseUnused(): void {
    for (const type of [resourceTypes.vendorConnections, resourceTypes.clusterVendorConnections]) {
      for (const conn of this.#model.all<ConnectionObject>(type)) {
        if (conn.metadata.deletionTimestamp === undefined || !(conn.metadata.finalizers ?? []).includes(IN_USE_FINALIZER)) continue;
        const cluster = type === resourceTypes.clusterVendorConnections;
        const users = [...this.#model.all(resourceTypes.managedCertificates), ...this.#model.all(resourceTypes.provisioningKeys)].filter((r) => {
          const ref = (r as { spec?: { connectionRef?: { kind?: string; name?: string } } }).spec?.connectionRef;
          const kind = ref?.kind ?? "VendorConnection";
          return ref?.name === conn.metadata.name && (cluster ? kind === "ClusterVendorConnection" : kind === "VendorConnection" && r.metadata.namespace === conn.metadata.namespace);
        });
        if (users.length > 0) continue;
        this.#model.mergePatch(type, conn.metadata.namespace, conn.metadata.name ?? "", { metadata: { finalizers: (conn.metadata.finalizers ?? []).filter((f) => f !== IN_USE_FINALIZER) } }, undefined, { kind: "system", label: "connection-controller" });
        this.#retained.delete(conn.metadata.uid ?? "");
      }
    }
  }
}
