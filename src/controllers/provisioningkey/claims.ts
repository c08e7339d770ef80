// Who may touch which ZPA key. Every ProvisioningKey claims the keys it could reach — by name (its
// spec name, and the name last recorded in status) and by id (the id recorded in status) — within
// one ZPA tenant and association type. When several resources claim the same key, exactly one holds
// it and the others make no vendor call for it at all, whatever their namespace (ADR 0006).
//
// The rank, first difference wins:
//   1. established: the claim comes from status (the key was recorded, or its create was about to be
//      sent) rather than only from the spec; a spec edit can never take a key from its holder.
//   2. active before dormant: a resource already refused (AdoptionNotAllowed, KeyClaimed) cannot use
//      the key, so it does not keep it from one that may (naming a key is no way to block it).
//   3. Manage before ObserveOnly: the resource that writes a key outranks one that only reads it.
//   4. older creationTimestamp, then lower uid: first come, first served, the same answer everywhere.
import { normalizeKeyName, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import type { ConnectionRef } from "../shared/connections.ts";
import { defaultKeyName } from "./names.ts";

/** One key a resource could reach: `id` is the index key, `label` what a message may say about it. */
export interface Claim {
  readonly id: string;
  readonly kind: "name" | "id";
  readonly label: string;
  readonly established: boolean;
}

export interface Claimant {
  /** "namespace/name" */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly createdAt: string;
  readonly manages: boolean;
  /** Its last sync was refused by a tenancy rule: it holds no key it has not recorded. */
  readonly dormant: boolean;
  readonly claims: readonly Claim[];
}

/** Ready reasons after which a resource cannot act on a key it names (it must change first). */
const DORMANT_REASONS: ReadonlySet<string> = new Set(["AdoptionNotAllowed", "KeyClaimed"]);

export type ClaimVerdict =
  | { readonly held: true }
  | { readonly held: false; readonly claim: Claim; readonly holder: { readonly namespace: string; readonly name: string } };

type ClaimInput = Pick<ProvisioningKey, "metadata" | "spec" | "status">;

/**
 * The claims of one resource. `tenant` identifies the ZPA tenant its connection reaches; `keyName` is
 * the name it would look up or create (spec.name or the default name).
 */
export function claimantOf(pk: ClaimInput, tenant: string, keyName: string): Claimant {
  const namespace = pk.metadata.namespace ?? "";
  const name = pk.metadata.name ?? "";
  const scope = `${tenant}\u0000${pk.spec.associationType}`;
  const status = pk.status ?? {};
  const wanted = normalizeKeyName(keyName);
  const recordedName = status.name === undefined ? undefined : normalizeKeyName(status.name);
  const intentName = status.createIntent === undefined ? undefined : normalizeKeyName(status.createIntent.name);
  const claims: Claim[] = [];
  if (wanted !== "") {
    claims.push({ id: `${scope}\u0000name\u0000${wanted}`, kind: "name", label: wanted, established: wanted === recordedName || wanted === intentName });
  }
  // The name in status is the key's name as last seen: after a spec.name edit, the key still bears it.
  if (recordedName !== undefined && recordedName !== "" && recordedName !== wanted) {
    claims.push({ id: `${scope}\u0000name\u0000${recordedName}`, kind: "name", label: recordedName, established: true });
  }
  // A create announced under an earlier name may have landed: that key is this resource's too.
  if (intentName !== undefined && intentName !== "" && intentName !== wanted && intentName !== recordedName) {
    claims.push({ id: `${scope}\u0000name\u0000${intentName}`, kind: "name", label: intentName, established: true });
  }
  if (status.id !== undefined) claims.push({ id: `${scope}\u0000id\u0000${status.id}`, kind: "id", label: status.id, established: true });
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid: pk.metadata.uid ?? "",
    createdAt: pk.metadata.creationTimestamp ?? "",
    manages: pk.spec.managementPolicy === "Manage",
    dormant: DORMANT_REASONS.has(status.conditions?.find((c) => c.type === "Ready")?.reason ?? ""),
    claims,
  };
}

type RawPk = {
  metadata: ProvisioningKey["metadata"];
  spec?: { connectionRef?: { kind?: string; name?: string }; associationType?: string; name?: string; managementPolicy?: string };
  status?: ProvisioningKey["status"];
};

/**
 * Claims straight from a cached object, without parsing it: a resource whose spec turned invalid
 * still holds the key its status records.
 */
export function claimantFromRaw(raw: RawPk, tenantOf: (ref: ConnectionRef, namespace: string) => string): Claimant {
  const namespace = raw.metadata.namespace ?? "";
  const ref = raw.spec?.connectionRef;
  const connectionRef: ConnectionRef = {
    kind: ref?.kind === "ClusterVendorConnection" ? "ClusterVendorConnection" : "VendorConnection",
    name: ref?.name ?? "",
  };
  const spec = {
    associationType: (raw.spec?.associationType ?? "") as ProvisioningKey["spec"]["associationType"],
    managementPolicy: (raw.spec?.managementPolicy === "ObserveOnly" ? "ObserveOnly" : "Manage") as ProvisioningKey["spec"]["managementPolicy"],
  } as ProvisioningKey["spec"];
  const keyName = typeof raw.spec?.name === "string" ? raw.spec.name : defaultKeyName(namespace, raw.metadata.name ?? "");
  return claimantOf({ metadata: raw.metadata, spec, status: raw.status }, tenantOf(connectionRef, namespace), keyName);
}

/** The claim on a found key's id: checked after a lookup by name, before anything is done with it. */
export function idClaim(candidate: Pick<Claimant, "claims">, id: string): Claim | undefined {
  const nameClaim = candidate.claims.find((c) => c.kind === "name");
  if (nameClaim === undefined) return undefined;
  const scope = nameClaim.id.slice(0, nameClaim.id.indexOf("\u0000name\u0000"));
  return { id: `${scope}\u0000id\u0000${id}`, kind: "id", label: id, established: candidate.claims.some((c) => c.kind === "id" && c.label === id) };
}

/** True when `a` outranks `b` on a claim (both hold it, with their own `established`). */
export function outranks(
  a: { readonly claimant: Claimant; readonly established: boolean },
  b: { readonly claimant: Claimant; readonly established: boolean },
): boolean {
  if (a.established !== b.established) return a.established;
  if (a.claimant.dormant !== b.claimant.dormant) return !a.claimant.dormant;
  if (a.claimant.manages !== b.claimant.manages) return a.claimant.manages;
  const at = Date.parse(a.claimant.createdAt);
  const bt = Date.parse(b.claimant.createdAt);
  const ak = Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
  const bk = Number.isFinite(bt) ? bt : Number.POSITIVE_INFINITY;
  if (ak !== bk) return ak < bk;
  if (a.claimant.uid !== b.claimant.uid) return a.claimant.uid < b.claimant.uid;
  return a.claimant.key < b.claimant.key;
}

/** Does `candidate` hold every claim in `claims` against the others who claim the same keys? */
export function verdictOf(candidate: Claimant, claims: readonly Claim[], othersClaiming: (claimId: string) => Iterable<Claimant>): ClaimVerdict {
  for (const claim of claims) {
    for (const other of othersClaiming(claim.id)) {
      if (other.key === candidate.key || (other.uid !== "" && other.uid === candidate.uid)) continue;
      const theirs = other.claims.find((c) => c.id === claim.id);
      if (theirs === undefined) continue;
      if (outranks({ claimant: other, established: theirs.established }, { claimant: candidate, established: claim.established })) {
        return { held: false, claim, holder: { namespace: other.namespace, name: other.name } };
      }
    }
  }
  return { held: true };
}

/**
 * The condition message for a lost claim. Another namespace is never named: that it exists is all a
 * tenant may learn about another tenant's resources.
 */
export function claimLostMessage(verdict: Extract<ClaimVerdict, { held: false }>, ownNamespace: string): string {
  const what = verdict.claim.kind === "name" ? `the ZPA key named "${verdict.claim.label}"` : `ZPA key id ${verdict.claim.label}`;
  const by = verdict.holder.namespace === ownNamespace ? `ProvisioningKey ${verdict.holder.name} in this namespace` : "a ProvisioningKey in another namespace";
  return `${what} is already claimed by ${by}; this resource makes no ZPA call for it. Choose another spec.name (or delete the other resource)`;
}

/** Claims of every resource, indexed by claim id; updated from the informer, read per reconcile. */
export class ClaimIndex {
  readonly #byClaim = new Map<string, Map<string, Claimant>>();
  readonly #byKey = new Map<string, Claimant>();

  /**
   * Record the resource's current claims (undefined: it is gone). Returns the other resources that
   * shared a claim with its old or new claims: their verdicts may have changed.
   */
  update(key: string, claimant: Claimant | undefined): Set<string> {
    const affected = new Set<string>();
    const previous = this.#byKey.get(key);
    // Unchanged claims change nobody's verdict: no wake-ups (status writes, resyncs, own refreshes).
    if (previous !== undefined && claimant !== undefined && sameClaims(previous, claimant)) {
      this.#byKey.set(key, claimant);
      for (const c of claimant.claims) this.#byClaim.get(c.id)?.set(key, claimant);
      return affected;
    }
    for (const c of previous?.claims ?? []) {
      const holders = this.#byClaim.get(c.id);
      holders?.delete(key);
      if (holders?.size === 0) this.#byClaim.delete(c.id);
      for (const k of holders?.keys() ?? []) affected.add(k);
    }
    if (claimant === undefined) {
      this.#byKey.delete(key);
      return affected;
    }
    this.#byKey.set(key, claimant);
    for (const c of claimant.claims) {
      let holders = this.#byClaim.get(c.id);
      if (holders === undefined) this.#byClaim.set(c.id, (holders = new Map()));
      for (const k of holders.keys()) affected.add(k);
      holders.set(key, claimant);
    }
    affected.delete(key);
    return affected;
  }

  claimants(claimId: string): Iterable<Claimant> {
    return this.#byClaim.get(claimId)?.values() ?? [];
  }

  get size(): number {
    return this.#byKey.size;
  }
}

function sameClaims(a: Claimant, b: Claimant): boolean {
  if (a.uid !== b.uid || a.createdAt !== b.createdAt || a.manages !== b.manages || a.dormant !== b.dormant || a.claims.length !== b.claims.length) return false;
  return a.claims.every((c, i) => c.id === b.claims[i]!.id && c.established === b.claims[i]!.established);
}
