// Every label, annotation and finalizer name the operator reads or writes, in one place, all under
// the API group's prefix so they are obviously ours (and greppable).
import { GROUP } from "./group.ts";

const p = `${GROUP}/`;

export const labels = {
  /** On every Secret the operator writes; the Secret informer watches only this selector (never all Secrets). */
  managed: `${p}managed`,
  /** Kind of the resource that owns a Secret (ManagedCertificate | ProvisioningKey). */
  ownerKind: `${p}owner-kind`,
  /** Name of the owning resource (the Secret is in the same namespace). */
  ownerName: `${p}owner-name`,
  /** UID of the owning resource: tells "ours" from "a same-named resource that was re-created". */
  ownerUid: `${p}owner-uid`,
  /**
   * On the operator's retained copy of a connection's credentials (in the operator's namespace; ADR
   * 0007). The retained-copy informer watches only this selector.
   */
  retainedCredentials: `${p}retained-credentials`,
  /** UID of the connection a retained credentials copy belongs to (names can exceed a label value). */
  connectionUid: `${p}connection-uid`,
} as const;

/** The value of `labels.managed`. */
export const MANAGED_LABEL_VALUE = "true";

export const annotations = {
  /** sha256 of the Secret's data, so workload reloaders can react to a changed certificate or key. */
  contentHash: `${p}content-hash`,
  /** Set to any new value (a timestamp is customary) to request re-issuance of a ManagedCertificate. */
  renewRequest: `${p}renew-request`,
  /** Set to any new value to request rotation of a ProvisioningKey (alternative to spec.rotation). */
  rotateRequest: `${p}rotate-request`,
  /**
   * Set to any new value to have a ProvisioningKey's key looked at in ZPA now (usage, existence, drift)
   * instead of at the next drift check; acknowledged in status.observedObserveRequest.
   */
  observeRequest: `${p}observe-request`,
  /** Revision of the ManagedCertificate that produced the certificate in the Secret. */
  revision: `${p}revision`,
  /** On a Secret: the vendor's id of the certificate or provisioning key it holds. */
  vendorRef: `${p}vendor-ref`,
  /** On a retained credentials copy: the connection it belongs to, as "VendorConnection <ns>/<name>" or "ClusterVendorConnection <name>". */
  retainedFor: `${p}retained-for`,
  /**
   * On a cert-manager CertificateRequest ordered through a VendorIssuer: the order's intent and sweep
   * (JSON), written before the paid call with a resourceVersion guard, since that kind's status has no
   * place for it (ADR 0017).
   */
  order: `${p}order`,
  /**
   * On a ManagedCertificate: the first intent of an issuance (JSON: id, the order record), written with
   * the cleanup finalizer in one guarded patch, so a first issuance costs no separate finalizer write.
   * Write-once: status.orderIntentTaken says when status has taken it over (ADR 0020).
   */
  orderIntent: `${p}order-intent`,
  /**
   * On a ManagedCertificate's key Secret: what orders made with the key are found by (JSON: the spec
   * hash of their marker, the name the vendor lists them under), written with the key. A first intent
   * whose record was lost (a replace) is looked up by it, even after the spec changed (ADR 0020).
   */
  orderedAs: `${p}ordered-as`,
} as const;

export const finalizers = {
  /** Held while vendor-side cleanup (revoke, delete key, unpublish) per the resource's policies is pending. */
  cleanup: `${p}cleanup`,
  /**
   * On a VendorConnection or ClusterVendorConnection while ManagedCertificates or ProvisioningKeys use
   * it: their cleanup (revoke, cancel, delete keys) needs the connection after anything else is deleted.
   */
  inUse: `${p}in-use`,
} as const;

/** The server-side-apply field manager for everything the operator writes. */
export const FIELD_MANAGER = "certbridge";
