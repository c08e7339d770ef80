// Claims as the managed driver's pluggable check (ADR 0006 §1): one resource per ZPA key, whatever the
// namespace. A resource that does not hold every key it claims makes no ZPA call for it; a key found
// by name that another resource recorded is theirs; on deletion only held keys are deleted.
import { normalizeKeyName, Reason, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Claims } from "../managed/kind.ts";
import type { ObjectCache } from "../managed/types.ts";
import { claimantFromRaw, claimantOf, claimLostMessage, idClaim, verdictOf, type Claim, type Claimant } from "./claims.ts";
import type { TenancyPort } from "./tenancy.ts";

/** Every resource's claims on ZPA keys (claims.ts), kept by the caller from the informer. */
export interface ClaimsPort {
  /** The resources claiming `claimId` (this one may be among them). */
  claimants(claimId: string): Iterable<Claimant>;
  /** This resource's claims as just computed (its connection, hence its tenant, may have changed). */
  refresh?(claimant: Claimant): void;
}

/** The claims of one resource for one reconcile; computing them refreshes its entry in the index. */
export function provisioningKeyClaims(
  pk: Pick<ProvisioningKey, "metadata" | "spec" | "status">,
  keyName: string,
  tenancy: TenancyPort,
  port: ClaimsPort,
): Claims {
  const namespace = pk.metadata.namespace ?? "";
  const me = claimantOf(pk, tenancy.tenantOf(pk.spec.connectionRef, namespace), keyName);
  port.refresh?.(me);
  const verdict = (claims: readonly Claim[]) => verdictOf(me, claims, (id) => port.claimants(id));
  const holds = (claim: Claim | undefined) => claim !== undefined && verdict([claim]).held;
  return {
    lost() {
      const v = verdict(me.claims);
      if (v.held) return undefined;
      // Two resources that recorded one key before claims existed: the one outranked forgets it.
      const forgetRecorded = v.claim.kind === "id" && pk.status?.id === v.claim.label;
      return { reason: Reason.KeyClaimed, message: claimLostMessage(v, namespace), forgetRecorded };
    },
    mayUse(id) {
      const claim = idClaim(me, id);
      if (claim === undefined) return undefined;
      const v = verdict([claim]);
      return v.held ? undefined : { reason: Reason.KeyClaimed, message: claimLostMessage(v, namespace) };
    },
    holdsRecorded() {
      const id = pk.status?.id;
      return holds(me.claims.find((c) => c.kind === "id" && c.label === id));
    },
    holdsIntent() {
      const intent = pk.status?.createIntent;
      return intent !== undefined && holds(me.claims.find((c) => c.kind === "name" && c.label === normalizeKeyName(intent.name)));
    },
  };
}

/**
 * Claims by scanning the cache on every ask: what a reconciler built without an index uses (tests,
 * simulations). Correct, O(resources) per reconcile; the controller setup passes the index instead.
 */
export function scanningClaims(keys: ObjectCache<KubeObject>, tenancy: TenancyPort): ClaimsPort {
  return {
    claimants: (claimId) =>
      keys
        .list()
        .map((raw) => claimantFromRaw(raw as Parameters<typeof claimantFromRaw>[0], (ref, ns) => tenancy.tenantOf(ref, ns)))
        .filter((c) => c.claims.some((x) => x.id === claimId)),
  };
}
