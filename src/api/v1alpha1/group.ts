// Identity of the API: group, version and, per kind, the names the API server serves it under.
// Other layers (runtime, controllers, CRD generator) read these instead of spelling strings again.

export const GROUP = "certbridge.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;
/** `kubectl get certbridge` lists every kind of this operator. */
export const CATEGORY = "certbridge";

export type Scope = "Namespaced" | "Cluster";

export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  /** Chosen not to clash with built-in short names (cert-manager owns `cert`, core owns `csr`, `pv`, …). */
  readonly shortNames: readonly string[];
  readonly scope: Scope;
}

export const kinds = {
  ManagedCertificate: {
    kind: "ManagedCertificate",
    listKind: "ManagedCertificateList",
    plural: "managedcertificates",
    singular: "managedcertificate",
    shortNames: ["mcert", "mcerts"],
    scope: "Namespaced",
  },
  ProvisioningKey: {
    kind: "ProvisioningKey",
    listKind: "ProvisioningKeyList",
    plural: "provisioningkeys",
    singular: "provisioningkey",
    shortNames: ["pkey", "pkeys"],
    scope: "Namespaced",
  },
  VendorConnection: {
    kind: "VendorConnection",
    listKind: "VendorConnectionList",
    plural: "vendorconnections",
    singular: "vendorconnection",
    shortNames: ["vconn", "vconns"],
    scope: "Namespaced",
  },
  ClusterVendorConnection: {
    kind: "ClusterVendorConnection",
    listKind: "ClusterVendorConnectionList",
    plural: "clustervendorconnections",
    singular: "clustervendorconnection",
    shortNames: ["cvconn", "cvconns"],
    scope: "Cluster",
  },
  VendorIssuer: {
    kind: "VendorIssuer",
    listKind: "VendorIssuerList",
    plural: "vendorissuers",
    singular: "vendorissuer",
    shortNames: ["vissuer", "vissuers"],
    scope: "Namespaced",
  },
  ClusterVendorIssuer: {
    kind: "ClusterVendorIssuer",
    listKind: "ClusterVendorIssuerList",
    plural: "clustervendorissuers",
    singular: "clustervendorissuer",
    shortNames: ["cvissuer", "cvissuers"],
    scope: "Cluster",
  },
} as const satisfies Record<string, KindNames>;

export type KindName = keyof typeof kinds;

/**
 * The kinds in the shape the runtime's `ResourceType` expects (structurally identical, so api does
 * not import runtime).
 */
export const resourceTypes = {
  managedCertificates: resourceType(kinds.ManagedCertificate),
  provisioningKeys: resourceType(kinds.ProvisioningKey),
  vendorConnections: resourceType(kinds.VendorConnection),
  clusterVendorConnections: resourceType(kinds.ClusterVendorConnection),
  vendorIssuers: resourceType(kinds.VendorIssuer),
  clusterVendorIssuers: resourceType(kinds.ClusterVendorIssuer),
} as const;

function resourceType(k: KindNames) {
  return { group: GROUP, version: VERSION, plural: k.plural, kind: k.kind, namespaced: k.scope === "Namespaced" } as const;
}

/** `<plural>.<group>`, the CRD's metadata.name. */
export const crdName = (k: KindNames): string => `${k.plural}.${GROUP}`;
