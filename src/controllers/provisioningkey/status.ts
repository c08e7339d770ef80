// The ProvisioningKey status, computed from one reconcile's outcome and written once. Messages are
// sentences about the key, never the key: the value lives only in ZPA and in the Secret.
import { ConditionType, Reason, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { NamedRef, ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";
import { findCondition, setCondition, type Condition, type ConditionInput } from "../../runtime/conditions.ts";
import type { RotationRequest } from "./decisions.ts";

/** What a sync with ZPA did to the key. */
export type SyncAction = "Created" | "Recreated" | "Adopted" | "Updated" | "Rotated" | "InSync";

export type Outcome =
  | {
      readonly kind: "synced";
      readonly action: SyncAction;
      readonly key: ProvisioningKeyRecord;
      readonly group: NamedRef | undefined;
      readonly enrollmentCertificate: NamedRef | undefined;
      readonly secret: "delivered" | "conflict";
      readonly secretName: string;
      readonly rotation: RotationRequest;
      readonly now: Date;
      readonly observeOnly: boolean;
    }
  | {
      /** Nothing was looked at or done; only usage fields may be refreshed from an earlier sync. */
      readonly kind: "failed";
      readonly reason: string;
      readonly message: string;
      /** True when the delivered key is unaffected (a failed drift check); Ready then stays as it was. */
      readonly keepReady: boolean;
      readonly now: Date;
    };

const ACTION_REASON: Record<Exclude<SyncAction, "InSync" | "Recreated">, string> = {
  Created: Reason.Created,
  Adopted: Reason.Adopted,
  Updated: Reason.Updated,
  Rotated: Reason.Rotated,
};

export function syncedReason(action: SyncAction, previous: Condition | undefined, observeOnly: boolean): string {
  if (action === "Recreated") return Reason.Created;
  if (action !== "InSync") return ACTION_REASON[action];
  if (observeOnly) return Reason.Adopted;
  // Nothing to do this time: keep saying what the last change was.
  return previous?.status === "True" ? previous.reason : Reason.Created;
}

function syncedMessage(action: SyncAction, key: ProvisioningKeyRecord, observeOnly: boolean): string {
  const what = `provisioning key ${key.name} (id ${key.id})`;
  switch (action) {
    case "Created": return `created ${what} in ZPA`;
    case "Recreated": return `re-created ${what}: the key had been deleted in ZPA`;
    case "Adopted": return observeOnly ? `observing ${what}; ZPA is not written` : `adopted ${what}, which existed in ZPA before this resource (spec.adopt); it is managed from now on`;
    case "Updated": return `updated ${what} to match the spec`;
    case "Rotated": return `rotated: deleted the previous key and created ${what}`;
    case "InSync": return `${what} matches the spec`;
  }
}

export function nextStatus(current: ProvisioningKeyStatus | undefined, generation: number | undefined, outcome: Outcome): ProvisioningKeyStatus {
  const prev = current ?? {};
  if (outcome.kind === "failed") {
    let conditions = setCondition(prev.conditions as Condition[] | undefined, { type: ConditionType.Synced, status: "False", reason: outcome.reason, message: outcome.message }, generation, outcome.now);
    const ready = findCondition(conditions, ConditionType.Ready);
    if (!outcome.keepReady || ready === undefined) {
      conditions = setCondition(conditions, { type: ConditionType.Ready, status: "False", reason: outcome.reason, message: outcome.message }, generation, outcome.now);
    }
    return { ...prev, conditions };
  }
  const { key, now } = outcome;
  const previousSynced = findCondition(prev.conditions as Condition[] | undefined, ConditionType.Synced);
  const reason = syncedReason(outcome.action, previousSynced, outcome.observeOnly);
  // An in-sync check repeats the last change's words, so it does not read as a change (and cause a write).
  const keepWords = outcome.action === "InSync" && previousSynced?.status === "True" && previousSynced.reason === reason;
  const synced: ConditionInput = { type: ConditionType.Synced, status: "True", reason, message: keepWords ? previousSynced.message : syncedMessage(outcome.action, key, outcome.observeOnly) };
  const ready: ConditionInput =
    outcome.secret === "conflict"
      ? { type: ConditionType.Ready, status: "False", reason: Reason.SecretConflict, message: `Secret ${outcome.secretName} exists and is not owned by this ProvisioningKey; it is left untouched` }
      : key.usageCount >= key.maxUsage
        ? { type: ConditionType.Ready, status: "False", reason: Reason.UsageExhausted, message: `usageCount ${key.usageCount} has reached maxUsage ${key.maxUsage}: no more enrollments with this key; raise maxUsage or rotate` }
        : { type: ConditionType.Ready, status: "True", reason, message: `key delivered to Secret ${outcome.secretName}${key.enabled ? "" : " (the key is disabled in ZPA)"}` };
  let conditions = setCondition(prev.conditions as Condition[] | undefined, synced, generation, now);
  conditions = setCondition(conditions, ready, generation, now);
  // The key is recorded now: the create intent (if any) has served its purpose.
  const { createIntent: _done, ...rest } = prev;
  const status: ProvisioningKeyStatus = {
    ...rest,
    conditions,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    id: key.id,
    name: key.name,
    usageCount: key.usageCount,
    maxUsage: key.maxUsage,
    enabled: key.enabled,
    group: outcome.group ?? { id: key.groupId },
    enrollmentCertificate: outcome.enrollmentCertificate ?? { id: key.enrollmentCertId },
    lastSyncTime: stamp(now),
    secretName: outcome.secretName,
  };
  if (!outcome.observeOnly) {
    status.observedRotation = outcome.rotation.rotation;
    if (outcome.rotation.rotateRequest !== undefined) status.observedRotateRequest = outcome.rotation.rotateRequest;
  }
  return status;
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
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, sortKeys(x)]));
}
