/** Identifies a kind on the API server well enough to build its URLs. */
export interface ResourceType {
  readonly group: string; // "" for the core group
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export const apiVersionOf = (t: ResourceType): string => (t.group === "" ? t.version : `${t.group}/${t.version}`);

export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.group === "" ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  if (t.namespaced && namespace !== undefined) return `${base}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`;
  return `${base}/${t.plural}`;
}

export function objectPath(t: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  const path = `${collectionPath(t, t.namespaced ? (namespace ?? "default") : undefined)}/${encodeURIComponent(name)}`;
  return subresource === undefined ? path : `${path}/${subresource}`;
}

/** The work-queue key of an object: "namespace/name", or "name" for cluster-scoped kinds. */
export function keyOf(meta: Pick<ObjectMeta, "namespace" | "name">): string {
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ""}` : (meta.name ?? "");
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const core = {
  secrets: { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
  events: { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
  namespaces: { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  leases: { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
  customResourceDefinitions: {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;
