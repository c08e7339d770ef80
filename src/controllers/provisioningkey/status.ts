// The ProvisioningKey status, computed from one reconcile's outcome and written once. Messages are
// sentences about the key, never the key: the value lives only in ZPA and in the Secret. What ZPA
// holds comes as the client's report and availability; nothing here reads ZPA's own fields.
import { ConditionType, Reason, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyReport } from "../../ports/managed-provisioning-keys.ts";
import type { Availability } from "../../ports/managed-resource.ts";
import { findCondition, setCondition, type Condition, type ConditionInput } from "../../runtime/conditions.ts";
import type { SyncAction } from "../managed/decide.ts";
import { conditionsOf, failedStatus, type Failure } from "../managed/status.ts";
import type { ObservationRequest } from "./observation.ts";
import type { RotationRequest } from "./rotation.ts";

export interface SyncedOutcome {
  readonly kind: "synced";
  readonly action: SyncAction;
  readonly report: ProvisioningKeyReport;
  readonly availability: Availability;
  readonly secret: "delivered" | "conflict";
  readonly secretName: string;
  readonly rotation: RotationRequest;
  /** The observe-request annotation now: ZPA was just looked at, so any value is acted on. */
  readonly observation?: ObservationRequest | undefined;
  readonly now: Date;
  readonly observeOnly: boolean;
}

/** `failed`: nothing was looked at or done; only what an earlier sync recorded remains. */
export type Outcome = SyncedOutcome | (Failure & { readonly kind: "failed"; readonly now: Date });

const ACTION_REASON: Record<Exclude<SyncAction, "InSync" | "Recreated">, string> = {
  Created: Reason.Created,
  Adopted: Reason.Adopted,
  Updated: Reason.Updated,
  Replaced: Reason.Rotated,
};

export function syncedReason(action: SyncAction, previous: Condition | undefined, observeOnly: boolean): string {
  if (action === "Recreated") return Reason.Created;
  if (action !== "InSync") return ACTION_REASON[action];
  if (observeOnly) return Reason.Adopted;
  // Nothing to do this time: keep saying what the last change was.
  return previous?.status === "True" ? previous.reason : Reason.Created;
}

/** "provisioning key edge (id 9)": how messages and Events name a key. */
export function describeKey(key: { readonly name: string; readonly id: string }): string {
  return `provisioning key ${key.name} (id ${key.id})`;
}

function syncedMessage(action: SyncAction, what: string, observeOnly: boolean): string {
  switch (action) {
    case "Created":
      return `created ${what} in ZPA`;
    case "Recreated":
      return `re-created ${what}: the key had been deleted in ZPA`;
    case "Adopted":
      return observeOnly
        ? `observing ${what}; ZPA is not written`
        : `adopted ${what}, which existed in ZPA before this resource (spec.adopt); it is managed from now on`;
    case "Updated":
      return `updated ${what} to match the spec`;
    case "Replaced":
      return `rotated: deleted the previous key and created ${what}`;
    case "InSync":
      return `${what} matches the spec`;
  }
}

export function nextStatus(current: ProvisioningKeyStatus | undefined, generation: number | undefined, outcome: Outcome): ProvisioningKeyStatus {
  if (outcome.kind === "failed") return failedStatus(current, generation, outcome, outcome.now);
  const prev = current ?? {};
  const { report, now } = outcome;
  const previousSynced = findCondition(conditionsOf(prev), ConditionType.Synced);
  const reason = syncedReason(outcome.action, previousSynced, outcome.observeOnly);
  // An in-sync check repeats the last change's words, so it does not read as a change (and cause a write).
  const keepWords = outcome.action === "InSync" && previousSynced?.status === "True" && previousSynced.reason === reason;
  const synced: ConditionInput = {
    type: ConditionType.Synced,
    status: "True",
    reason,
    message: keepWords ? previousSynced.message : syncedMessage(outcome.action, describeKey(report), outcome.observeOnly),
  };
  const a = outcome.availability;
  const ready: ConditionInput =
    outcome.secret === "conflict"
      ? {
          type: ConditionType.Ready,
          status: "False",
          reason: Reason.SecretConflict,
          message: `Secret ${outcome.secretName} exists and is not owned by this ProvisioningKey; it is left untouched`,
        }
      : !a.usable
        ? { type: ConditionType.Ready, status: "False", reason: a.reason, message: a.message }
        : {
            type: ConditionType.Ready,
            status: "True",
            reason,
            message: `key delivered to Secret ${outcome.secretName}${a.note === undefined ? "" : ` (${a.note})`}`,
          };
  let conditions = setCondition(conditionsOf(prev), synced, generation, now);
  conditions = setCondition(conditions, ready, generation, now);
  // The key is recorded now: the create intent (if any) has served its purpose.
  const { createIntent: _done, ...rest } = prev;
  const status: ProvisioningKeyStatus = {
    ...rest,
    conditions,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...report,
    lastSyncTime: stamp(now),
    secretName: outcome.secretName,
  };
  if (outcome.observation?.value !== undefined) status.observedObserveRequest = outcome.observation.value;
  if (!outcome.observeOnly) {
    status.observedRotation = outcome.rotation.rotation;
    if (outcome.rotation.rotateRequest !== undefined) status.observedRotateRequest = outcome.rotation.rotateRequest;
  }
  return status;
}

/** The status without anything about a recorded key (after a lost claim: it was never this resource's). */
export function withoutRecordedKey(status: ProvisioningKeyStatus): ProvisioningKeyStatus {
  const {
    id: _id,
    name: _name,
    usageCount: _u,
    maxUsage: _m,
    enabled: _e,
    group: _g,
    enrollmentCertificate: _c,
    lastSyncTime: _l,
    createIntent: _i,
    ...rest
  } = status;
  return rest;
}

/**
 * Status equal to `current` except lastSyncTime: a drift check that found nothing to change does not
 * write (TARGETS P7); lastSyncTime moves with the next real change.
 */
export function onlySyncTimeChanged(current: ProvisioningKeyStatus | undefined, next: ProvisioningKeyStatus): boolean {
  if (current === undefined) return false;
  const { lastSyncTime: _a, ...a } = current;
  const { lastSyncTime: _b, ...b } = next;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, x]) => [k, sortKeys(x)]),
  );
}
