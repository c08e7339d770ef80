// What the ordering engine persists, and the port it persists it through. The engine knows nothing of
// the kind that asked for the certificate: a ManagedCertificate keeps the record in
// status.pendingIssuance, a cert-manager CertificateRequest may keep it elsewhere. Whatever the place,
// every write is guarded by the resourceVersion it was computed from (a stale copy fails with a
// conflict instead of erasing a recorded intent and ordering twice): see ADR 0005.
import { type CertificateOrder, type OrderIntent, lookupNameOf } from "../../ports/certificate-authority.ts";

/** Where one intent stands (the ManagedCertificate API spells the same values in IssuanceState). */
export type OrderState = "Submitting" | "OutcomeUnknown" | "Pending" | "AwaitingApproval" | "AwaitingValidation";

/** The states of an order the vendor has (a vendorRef): collect until issued or ended. */
export type PlacedState = Extract<OrderState, "Pending" | "AwaitingApproval" | "AwaitingValidation">;

/** One intent to order one revision (field for field what status.pendingIssuance holds). */
export interface PendingOrder {
  readonly revision: number;
  readonly state: OrderState;
  /** When the intent was recorded, before any of its calls: nothing placed earlier is its. */
  readonly startedTime: string;
  readonly vendorRef?: string | undefined;
  readonly publicKeySha256?: string | undefined;
  readonly marker?: string | undefined;
  readonly fingerprint?: string | undefined;
  readonly lookupName?: string | undefined;
  /** Paid calls sent or possibly sent (absent: an intent from before deadlines, treated as sent). */
  readonly submits?: number | undefined;
  readonly submittedTime?: string | undefined;
  /** Set while the latest call's answer is unknown: until then it is only looked up, never repeated. */
  readonly settleDeadline?: string | undefined;
  readonly unknownOutcomes?: number | undefined;
  readonly pollCount: number;
  readonly nextPollTime?: string | undefined;
}

/** A revision whose call went unanswered or was repeated: its extra orders are looked for and cancelled. */
export interface OrderSweep {
  readonly revision: number;
  readonly marker: string;
  readonly publicKeySha256: string;
  readonly fingerprint?: string | undefined;
  readonly lookupName?: string | undefined;
  readonly since: string;
  readonly until: string;
  readonly nextTime?: string | undefined;
  readonly keep: string[];
}

/** Who the orders are for (the marker ties a vendor order to exactly one intent of one object). */
export interface OrderOwner {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * What the user should read while the order moves: a reason (the Reason values of the API:
 * Pending, AwaitingApproval, AwaitingValidation, OutcomeUnknown, RateLimited, CredentialsInvalid,
 * VendorError, or the front end's own for the first write) and a sentence with the vendor's words.
 */
export interface OrderNote {
  readonly reason: string;
  readonly message: string;
  /** Why the order was started (the front end's own reason, on the first write only; e.g. Renewing). */
  readonly startedBecause?: string;
}

/**
 * The place an intent lives. `write` persists the record (and shows `note`, when given and the place
 * can show it: a ManagedCertificate's first intent, kept beside its finalizer, shows it with the next
 * write, ADR 0020) in one write guarded by resourceVersion; a conflict throws, and the caller retries
 * on fresh data. A throw stops the engine before its paid call.
 */
export interface IntentStore {
  read(): PendingOrder | undefined;
  write(record: PendingOrder, note?: OrderNote): Promise<void>;
}

export const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export function markerOf(uid: string, revision: number, specHash: string): string {
  return `uid=${uid} rev=${revision} spec=${specHash.slice(0, 16)}`;
}

/** The first 16 hex digits of the spec hash in a marker (`uid=… rev=… spec=…`). */
export function markerSpecHash(marker: string | undefined): string | undefined {
  return /spec=([0-9a-f]{16})/.exec(marker ?? "")?.[1];
}

/** The intent was recorded for this spec (a spec edited since then needs a new intent before any new order). */
export function intentMatchesSpec(p: Pick<PendingOrder, "marker">, specHash: string): boolean {
  const h = markerSpecHash(p.marker);
  return h === undefined || specHash.startsWith(h);
}

/** A fresh intent for `order`, recorded before its first paid call (no call counted yet). */
export function newIntent(order: CertificateOrder, now: Date, fingerprint: string | undefined): PendingOrder {
  const lookupName = lookupNameOf(order);
  return {
    revision: order.owner.revision,
    state: "Submitting",
    startedTime: iso(now),
    publicKeySha256: order.publicKeySha256,
    marker: markerOf(order.owner.uid, order.owner.revision, order.owner.specHash ?? ""),
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(lookupName === undefined ? {} : { lookupName }),
    submits: 0,
    pollCount: 0,
  };
}

/** The port's view of a recorded intent (or of a swept revision): what its orders are found by. */
export function orderIntentOf(
  owner: OrderOwner,
  source: {
    readonly revision: number;
    readonly marker?: string | undefined;
    readonly publicKeySha256?: string | undefined;
    readonly fingerprint?: string | undefined;
    readonly lookupName?: string | undefined;
    readonly since: string;
  },
  vendorOptions: CertificateOrder["vendorOptions"],
  known: readonly string[],
): OrderIntent {
  return {
    owner: { uid: owner.uid, namespace: owner.namespace, name: owner.name, revision: source.revision },
    specHash: markerSpecHash(source.marker) ?? "",
    publicKeySha256: source.publicKeySha256 ?? "",
    ...(source.fingerprint === undefined ? {} : { fingerprint: source.fingerprint }),
    ...(source.lookupName === undefined ? {} : { lookupName: source.lookupName }),
    vendorOptions,
    recordedAt: new Date(source.since),
    knownVendorRefs: known,
  };
}
