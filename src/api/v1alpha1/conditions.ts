// Condition types and reasons, in one place. Reasons are PascalCase (metav1.Condition requires
// `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`); messages are human sentences and never carry secrets.

export const ConditionType = {
  /** The resource's outcome is in place: certificate/key delivered and current, or connection verified. */
  Ready: "Ready",
  /** ManagedCertificate: an issuance is in flight (True while submitting, pending or awaiting approval). */
  Issuing: "Issuing",
  /** ProvisioningKey: the ZPA object matches the spec (or was observed, for ObserveOnly). */
  Synced: "Synced",
  /** ManagedCertificate: the certificate was uploaded to ZPA per spec.publish.zpa. */
  Published: "Published",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  // shared
  InvalidSpec: "InvalidSpec",
  CredentialsInvalid: "CredentialsInvalid",
  ConnectionNotFound: "ConnectionNotFound",
  ConnectionNotReady: "ConnectionNotReady",
  /** A ClusterVendorConnection's namespaceSelector does not admit the resource's namespace. */
  ConnectionNotPermitted: "ConnectionNotPermitted",
  /** The connection is for another vendor than the resource's vendor block. */
  ConnectionVendorMismatch: "ConnectionVendorMismatch",
  /** Provisioning refused: the connection is being deleted (cleanup of existing objects still uses it). */
  ConnectionDeleting: "ConnectionDeleting",
  /** Provisioning refused: the resource's namespace is being deleted (nothing new is ordered during teardown). */
  NamespaceTerminating: "NamespaceTerminating",
  VendorError: "VendorError",
  RateLimited: "RateLimited",
  /** The target Secret exists and is not owned by this resource; it is left untouched. */
  SecretConflict: "SecretConflict",
  /** A Secret referenced by the spec (credentials, PKCS#12 password, CA bundle) is missing or lacks the key. */
  SecretNotFound: "SecretNotFound",
  Deleting: "Deleting",
  // ManagedCertificate
  Issued: "Issued",
  Pending: "Pending",
  AwaitingApproval: "AwaitingApproval",
  /** Sectigo: domain control validation is incomplete for a requested name. */
  AwaitingValidation: "AwaitingValidation",
  Renewing: "Renewing",
  Expired: "Expired",
  /** The vendor declined, rejected or revoked the order; a spec change or renew request starts over. */
  Rejected: "Rejected",
  /**
   * A paid order request got no answer (timeout, reset, 5xx, a crash): the vendor may still place it, so
   * it is looked up until status.pendingIssuance.settleDeadline before anything is ordered again.
   */
  OutcomeUnknown: "OutcomeUnknown",
  /** Business backoff after failed issuance; status.failedIssuanceAttempts and lastFailureTime say when. */
  Backoff: "Backoff",
  /** The connection's paid-issuance budget per hour is spent. */
  BudgetExhausted: "BudgetExhausted",
  /**
   * The vendor cannot issue the requested lifetime (spec.duration, or the vendor's days) within 10 %
   * (at least a day): e.g. a Sectigo profile offers only other terms. Nothing is ordered.
   */
  DurationUnavailable: "DurationUnavailable",
  Published: "Published",
  PublishFailed: "PublishFailed",
  /** spec.publish.zpa.applicationSegments: a selector matches no browser-access application segment. */
  SegmentNotFound: "SegmentNotFound",
  /**
   * A selected application segment is left alone: the certificate covers none of its browser-access
   * names, or (through a ClusterVendorConnection) the segment serves names the certificate does not cover.
   */
  SegmentNotPermitted: "SegmentNotPermitted",
  /** A ZPA copy of the certificate is kept because application segments still serve it (ZPA refuses, and it would break them). */
  UnpublishBlocked: "UnpublishBlocked",
  // ProvisioningKey
  Created: "Created",
  Adopted: "Adopted",
  Updated: "Updated",
  Rotated: "Rotated",
  UsageExhausted: "UsageExhausted",
  Disabled: "Disabled",
  NotFound: "NotFound",
  Conflict: "Conflict",
  /** Another ProvisioningKey holds the ZPA key this one names (ADR 0006); no ZPA call is made for it. */
  KeyClaimed: "KeyClaimed",
  /** A key of that name exists in ZPA and was not created by this resource; taking it over needs spec.adopt and the connection's consent. */
  AdoptionNotAllowed: "AdoptionNotAllowed",
  /** Deleting: the ZPA key cannot be deleted (connection or credentials gone); the finalizer is held for a bounded grace. */
  CleanupBlocked: "CleanupBlocked",
  // connections
  Verified: "Verified",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
