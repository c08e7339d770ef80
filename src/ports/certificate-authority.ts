import type { CloudflareCertificate, SectigoCertificate } from "../api/v1alpha1/managedcertificate.ts";
import type { DeepReadonly } from "./deep-readonly.ts";
import { VendorError } from "./vendor-error.ts";

/**
 * The resource's vendor block (spec.sectigo | spec.cloudflare) as the API schemas parsed it, tagged
 * with its vendor: an adapter narrows on `vendor` and reads typed fields, never checking them again.
 */
export type CertificateOrderOptions =
  | { readonly vendor: "sectigo"; readonly options: DeepReadonly<SectigoCertificate> }
  | { readonly vendor: "cloudflare"; readonly options: DeepReadonly<CloudflareCertificate> };

/** The order options of a parsed spec (its schema requires exactly one vendor block). */
export function orderOptionsOf(spec: {
  readonly sectigo?: SectigoCertificate | undefined;
  readonly cloudflare?: CloudflareCertificate | undefined;
}): CertificateOrderOptions {
  if (spec.sectigo !== undefined) return { vendor: "sectigo", options: spec.sectigo };
  if (spec.cloudflare !== undefined) return { vendor: "cloudflare", options: spec.cloudflare };
  // Unreachable for a spec that passed its schema; a caller handing over an unparsed one is a bug.
  throw new TypeError("the spec names no certificate vendor (sectigo or cloudflare)");
}

/**
 * What the vendor searches an intent's orders by: the person's e-mail for a Sectigo client (S/MIME)
 * certificate, else the common name (or the first DNS name). At most 320 characters, as status keeps it.
 */
export function lookupNameOf(order: Pick<CertificateOrder, "vendorOptions" | "commonName" | "dnsNames">): string | undefined {
  const o = order.vendorOptions;
  const name = o.vendor === "sectigo" && o.options.type === "Client" ? o.options.person?.email : (order.commonName ?? order.dnsNames[0]);
  return name === undefined || name === "" ? undefined : name.slice(0, 320);
}

/** What a ManagedCertificate asks a vendor CA for. Names and the lifetime come from the spec. */
export interface CertificateOrder {
  /**
   * UID and revision of the ManagedCertificate, and the hash of the spec the order is for (first 16
   * hex digits): the marker that ties a vendor order to exactly one intent (crash recovery).
   */
  readonly owner: { readonly uid: string; readonly namespace: string; readonly name: string; readonly revision: number; readonly specHash?: string };
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
  /** The resource's vendor block (spec.sectigo | spec.cloudflare), typed by vendor. */
  readonly vendorOptions: CertificateOrderOptions;
}

/**
 * Everything that identifies the orders of one intent (one revision of one resource), frozen when the
 * intent was recorded, so orders are found again exactly even after the spec moved on: never "an order
 * for the same key", never an order the resource already knows.
 */
export interface OrderIntent {
  readonly owner: { readonly uid: string; readonly namespace: string; readonly name: string; readonly revision: number };
  /** First 16 hex digits of the spec hash the intent was recorded for (Sectigo marker). */
  readonly specHash: string;
  /** sha256 (hex) of the revision's public key (SubjectPublicKeyInfo DER). */
  readonly publicKeySha256: string;
  /** What `fingerprint` said for the intent's order, when the vendor has one (Cloudflare). */
  readonly fingerprint?: string;
  /** The common name (or, for Sectigo client certificates, the email) the vendor is searched by. */
  readonly lookupName?: string;
  /** The resource's vendor block (the certificate family for Sectigo; it cannot change). */
  readonly vendorOptions: CertificateOrderOptions;
  /** When the intent was recorded, before any of its orders was sent: nothing placed earlier is its. */
  readonly recordedAt: Date;
  /** Vendor references the resource already accounts for (current, superseded, kept): never "found". */
  readonly knownVendorRefs: readonly string[];
}

/** An order found for an intent, and where it stands. */
export interface FoundOrder {
  readonly vendorRef: string;
  /** issued: collectable; pending: still moving (or waiting on a person); failed: declined, rejected, revoked or expired. */
  readonly state: "issued" | "pending" | "failed";
  /** When the vendor says it was placed or issued, when it says. */
  readonly placedAt?: Date;
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
    }
  | {
      /** The vendor says so explicitly: this order will never issue (declined, rejected, revoked, expired). */
      readonly state: "failed";
      readonly vendorRef: string;
      readonly message: string;
    };

/** What a vendor would issue for a requested lifetime (CertificateAuthority.validityDays). */
export interface ValidityAnswer {
  readonly days: number;
  /** What the vendor offers, for a message: e.g. `terms of 365, 730 days (profile "OV SSL")`. */
  readonly offered: string;
}

/** What `cancel` achieved. */
export type CancelOutcome =
  | { readonly done: true; readonly how: "declined" | "revoked" | "alreadyFinal" | "gone" }
  /** The vendor is still processing the order and cannot stop it now (Sectigo: at the CA): try again later. */
  | { readonly done: false; readonly message: string; readonly retryAfterMs?: number };

/**
 * A vendor certificate authority. Cloudflare: submit → issued. Sectigo: submit → pending(sslId),
 * collect until issued. Every method throws VendorError on failure, classified by kind.
 */
export interface CertificateAuthority {
  /**
   * Places one (paid) order. Callers record their intent (and the time of this attempt) in status
   * first. A failure may still have placed the order: see `submitMayHavePlaced`. Errors raised before
   * the paid request left are marked with `notPlaced`.
   */
  submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome>;
  /** Asks for the order's state; safe to repeat. Only an explicit vendor verdict is `failed`. */
  collect(vendorRef: string, order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome>;
  /** Every order placed for exactly this intent (see OrderIntent), oldest first. */
  findOrders(intent: OrderIntent, signal: AbortSignal): Promise<readonly FoundOrder[]>;
  /** A fingerprint of what `order` asks for, stable across re-signed CSRs (stored with the intent). */
  fingerprint?(order: CertificateOrder): Promise<string | undefined>;
  /**
   * The validity, in days, this vendor would give an order with these options asking for
   * `lifetimeDays` (its rounding to a profile's terms, say), and what it offers, in words. Reads only;
   * nothing is ordered. A vendor without it gives whole days as asked (the caller rounds up to a day).
   */
  validityDays?(options: CertificateOrderOptions, lifetimeDays: number, signal: AbortSignal): Promise<ValidityAnswer>;
  /** Revokes; an already revoked certificate is success. */
  revoke(vendorRef: string, reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void>;
  /**
   * Makes sure an order never becomes a usable certificate, whatever its state: declines it while it
   * waits for approval, revokes it once issued, accepts it as done when already final or gone.
   */
  cancel(vendorRef: string, signal: AbortSignal): Promise<CancelOutcome>;
}

const NOT_PLACED = new WeakSet<object>();

/** Marks an error a submit raised before its paid request left (checks, lookups, a client-side hold). */
export function notPlaced<E>(error: E): E {
  if (typeof error === "object" && error !== null) NOT_PLACED.add(error);
  return error;
}

// Not CA-specific (a ZPA delete is judged the same way): it lives beside VendorError, re-exported here.
export { vendorRefused } from "./vendor-error.ts";

/**
 * Could a failed submit have placed the order? Only a vendor's refusal (a 4xx answer other than 408
 * and 429) or an error raised before the request left says "no". Timeouts, network errors, 5xx, 429,
 * a 2xx we could not read, and anything unexpected leave the outcome unknown.
 */
export function submitMayHavePlaced(error: unknown): boolean {
  if (typeof error === "object" && error !== null && NOT_PLACED.has(error)) return false;
  if (!(error instanceof VendorError)) return true;
  const status = error.httpStatus;
  if (status !== undefined) return !(status >= 400 && status < 500 && status !== 408 && status !== 429);
  // No response at all: our own checks and the client-side limiter refuse before sending; a TLS
  // trust failure ends the handshake before the request. Transport trouble may have sent it.
  return error.kind === "transient" || error.kind === "pending";
}
