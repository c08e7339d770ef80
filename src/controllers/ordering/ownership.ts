// Is an order ours? A record read back from a place users can edit (an annotation) is a claim, not
// proof: with a connection shared by many namespaces, a forged vendorRef or a forged key hash would
// aim our cancel or revocation at another tenant's certificate. Two rules, for any front end:
// - a record's identity (revision, marker, key) must be the one the owner itself proves — its UID, its
//   spec, its CSR — or the record is not ours and nothing is done on its strength (`identityVerdict`);
//   a fingerprint that is not the one we would compute is dropped, never used (`trustedFingerprint`);
// - a vendorRef from such a place is cancelled only when the intent's own look-up (bound to the
//   owner's marker or key, with no "known" refs hidden from it) returns it (`confirmOwnRefs`).
// Pure decisions, and one look-up.
import type { CertificateAuthority, FoundOrder, OrderIntent } from "../../ports/certificate-authority.ts";

/** What the owner itself proves its orders carry. */
export interface OrderIdentity {
  readonly revision: number;
  /** `uid=… rev=… spec=…` (record.ts markerOf) for this owner, revision and spec. */
  readonly marker: string;
  /** sha256 (hex) of the CSR's SubjectPublicKeyInfo. */
  readonly publicKeySha256: string;
}

/** What a record or sweep says it is about. */
export interface RecordedIdentity {
  readonly revision: number;
  readonly marker?: string | undefined;
  readonly publicKeySha256?: string | undefined;
}

export type NotOurs = "revision" | "marker" | "key";

export type IdentityVerdict = { readonly ours: true } | { readonly ours: false; readonly reason: NotOurs; readonly message: string };

/** A record is ours only when revision, marker and key are exactly what the owner proves (a missing one proves nothing). */
export function identityVerdict(recorded: RecordedIdentity, expected: OrderIdentity): IdentityVerdict {
  if (recorded.revision !== expected.revision)
    return { ours: false, reason: "revision", message: `it is for revision ${recorded.revision}, not ${expected.revision}` };
  if (recorded.marker !== expected.marker)
    return {
      ours: false,
      reason: "marker",
      message: recorded.marker === undefined ? "it carries no order marker" : "its order marker is not this object's (another UID or spec)",
    };
  if (recorded.publicKeySha256 !== expected.publicKeySha256)
    return {
      ours: false,
      reason: "key",
      message: recorded.publicKeySha256 === undefined ? "it names no public key" : "it names another public key than the CSR's",
    };
  return { ours: true };
}

/** The recorded fingerprint when it is the one we compute for this order now; otherwise none (the look-up then matches by key). */
export function trustedFingerprint(recorded: string | undefined, expected: string | undefined): string | undefined {
  return recorded !== undefined && recorded === expected ? recorded : undefined;
}

export interface OwnRefs {
  /** The refs the look-up returned, as it found them (state included). */
  readonly ours: readonly FoundOrder[];
  /** The refs it did not return: not this intent's orders (or not findable): never cancelled. */
  readonly notOurs: readonly string[];
}

/** Splits `refs` by what the intent's own look-up returned. */
export function splitByLookup(refs: readonly string[], found: readonly FoundOrder[]): OwnRefs {
  const byRef = new Map(found.map((f) => [f.vendorRef, f]));
  const ours: FoundOrder[] = [];
  const notOurs: string[] = [];
  for (const ref of new Set(refs)) {
    const f = byRef.get(ref);
    if (f === undefined) notOurs.push(ref);
    else ours.push(f);
  }
  return { ours, notOurs };
}

/**
 * Looks the intent's orders up and splits `refs` by the answer. `intent` must be built from verified
 * fields only (the owner's own UID, a checked marker, key and fingerprint): the look-up is the proof.
 * Its known refs are emptied, or the very refs asked about would be hidden from it.
 */
export async function confirmOwnRefs(
  c: { readonly ca: Pick<CertificateAuthority, "findOrders">; readonly signal: AbortSignal; readonly onCall?: ((operation: "find") => void) | undefined },
  intent: OrderIntent,
  refs: readonly string[],
): Promise<OwnRefs> {
  if (refs.length === 0) return { ours: [], notOurs: [] };
  const found = await c.ca.findOrders({ ...intent, knownVendorRefs: [] }, c.signal);
  c.onCall?.("find");
  return splitByLookup(refs, found);
}
