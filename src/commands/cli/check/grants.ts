// What the Helm chart grants the operator (deploy/chart/certbridge/templates/rbac.yaml, rendered into
// deploy/manifests/operator/certbridge.yaml), as data: `certbridge check` asks the API server whether
// the current identity may do each of these. grants.test.ts fails when the rendered manifests and this
// table differ, so a change to the chart's RBAC is made here too.
import { GROUP, kinds } from "../../../api/v1alpha1/group.ts";

export interface Grant {
  readonly group: string;
  /** Plural resource name; "x/status" for a subresource. */
  readonly resource: string;
  readonly verbs: readonly string[];
  /** cluster: the ClusterRole (a namespace given with -n narrows the check to it); operator: a Role in the operator's namespace. */
  readonly scope: "cluster" | "operator";
  /** Only this object (the leader Lease); "lease" stands for the Lease name passed to check. */
  readonly resourceName?: "lease";
  /** Only these objects, by their fixed names (resourceNames). */
  readonly names?: readonly string[];
}

const C = GROUP;

/** The CRDs the cert-manager front end watches to know whether its kinds are served. */
export const FRONT_END_CRDS = ["vendorissuers.certbridge.dev", "clustervendorissuers.certbridge.dev", "certificaterequests.cert-manager.io"] as const;

export const operatorGrants: readonly Grant[] = [
  { group: C, resource: "clustervendorconnections", verbs: ["get", "list", "watch", "patch"], scope: "cluster" },
  { group: C, resource: "clustervendorconnections/status", verbs: ["patch"], scope: "cluster" },
  { group: "", resource: "namespaces", verbs: ["get", "list", "watch"], scope: "cluster" },
  { group: C, resource: "managedcertificates", verbs: ["get", "list", "watch", "patch"], scope: "cluster" },
  { group: C, resource: "provisioningkeys", verbs: ["get", "list", "watch", "patch"], scope: "cluster" },
  { group: C, resource: "vendorconnections", verbs: ["get", "list", "watch", "patch"], scope: "cluster" },
  { group: C, resource: "managedcertificates/status", verbs: ["patch"], scope: "cluster" },
  { group: C, resource: "provisioningkeys/status", verbs: ["patch"], scope: "cluster" },
  { group: C, resource: "vendorconnections/status", verbs: ["patch"], scope: "cluster" },
  { group: "", resource: "secrets", verbs: ["get", "list", "watch", "create", "patch", "delete"], scope: "cluster" },
  { group: "events.k8s.io", resource: "events", verbs: ["create"], scope: "cluster" },
  // The cert-manager external issuer (chart value certManager.enabled, on by default).
  { group: C, resource: "clustervendorissuers", verbs: ["list", "watch"], scope: "cluster" },
  { group: C, resource: "clustervendorissuers/status", verbs: ["patch"], scope: "cluster" },
  { group: C, resource: "vendorissuers", verbs: ["list", "watch"], scope: "cluster" },
  { group: C, resource: "vendorissuers/status", verbs: ["patch"], scope: "cluster" },
  { group: "cert-manager.io", resource: "certificaterequests", verbs: ["list", "watch", "patch"], scope: "cluster" },
  { group: "cert-manager.io", resource: "certificaterequests/status", verbs: ["patch"], scope: "cluster" },
  // Whether the front end's kinds are served: a watch on each of these CRDs by name (ADR 0017).
  { group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verbs: ["list", "watch"], scope: "cluster", names: FRONT_END_CRDS },
  { group: "coordination.k8s.io", resource: "leases", verbs: ["create"], scope: "operator" },
  { group: "coordination.k8s.io", resource: "leases", verbs: ["get", "update"], scope: "operator", resourceName: "lease" },
];

/** Resources that are cluster-scoped (our cluster kinds, from the API's kind table, and namespaces): their checks carry no namespace even with -n. */
export const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  "namespaces",
  "customresourcedefinitions",
  ...Object.values(kinds)
    .filter((k) => k.scope === "Cluster")
    .flatMap((k) => [k.plural, `${k.plural}/status`]),
]);

/** One question per verb, flattened: "may I <verb> <resource>?" */
export interface Access {
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly verb: string;
  readonly scope: Grant["scope"];
  readonly resourceName?: "lease";
  /** A fixed object name the grant is narrowed to. */
  readonly name?: string;
}

export function accessesOf(grants: readonly Grant[]): Access[] {
  return grants.flatMap((g) => {
    const [resource, subresource] = g.resource.split("/") as [string, string | undefined];
    const names: ReadonlyArray<string | undefined> = g.names ?? [undefined];
    return g.verbs.flatMap((verb) =>
      names.map((name) => ({
        group: g.group,
        resource,
        ...(subresource ? { subresource } : {}),
        verb,
        scope: g.scope,
        ...(g.resourceName ? { resourceName: g.resourceName } : {}),
        ...(name ? { name } : {}),
      })),
    );
  });
}
