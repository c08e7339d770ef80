/** What a ManagedCertificate asks a vendor CA for. Names and the lifetime come from the spec. */
export interface CertificateOrder {
  /** UID and revision of the ManagedCertificate: the marker that ties a vendor order to it (crash recovery). */
  readonly owner: { readonly uid: string; readonly namespace: string; readonly name: string; readonly revision: number };
  readonly csrPem: string;
  /** sha256 of the CSR's SubjectPublicKeyInfo, hex: how an order is recognised by its key. */
  readonly publicKeySha256: string;
  readonly commonName?: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly uris: readonly string[];
  /** Requested lifetime in days (vendors round to what their profiles allow). */
  readonly lifetimeDays: number;
  /** The resource's vendor block (spec.sectigo | spec.cloudflare) as parsed by the API schemas. */
  readonly vendorOptions: Readonly<Record<string, unknown>>;
}

export type IssueOutcome =
  | {
      readonly state: "issued";
      readonly vendorRef: string;
      /** Leaf first, then intermediates (PEM). */
      readonly chainPem: string;
      /** The root, when the vendor says which one. */
      readonly caPem?: string;
    }
  | {
      readonly state: "pending";
      readonly vendorRef: string;
      /** "Pending": the vendor is working; "AwaitingApproval"/"AwaitingValidation": a person must act. */
      readonly reason: "Pending" | "AwaitingApproval" | "AwaitingValidation";
      readonly message: string;
      /** A vendor hint for the next poll; the controller's doubling backoff applies otherwise. */
      readonly retryAfterMs?: number;
    };

/**
 * A vendor certificate authority. Cloudflare: submit → issued. Sectigo: submit → pending(sslId),
 * collect until issued. Every method throws VendorError on failure, classified by kind.
 */
export interface CertificateAuthority {
  /** Places one (paid) order. Callers record their intent in status first and look up with `find` after a crash. */
  submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome>;
  /** Asks for the order's state; safe to repeat. */
  collect(vendorRef: string, order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome>;
  /** Finds an order placed for exactly this owner revision and key, if one exists (crash recovery). */
  find(order: CertificateOrder, signal: AbortSignal): Promise<string | undefined>;
  /** Revokes; an already revoked certificate is success. */
  revoke(vendorRef: string, reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void>;
}
