// The Events a synced ProvisioningKey emits: on transitions only (a created, re-created, adopted,
// updated or rotated key; Ready turning False for a new reason; an observation asked for with the
// observe-request annotation), never for a routine in-sync check.
import { ConditionType, Reason, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import { findCondition } from "../../runtime/conditions.ts";
import { conditionsOf } from "../managed/status.ts";
import type { ManagedTools } from "../managed/tools.ts";
import type { ManagedObject, Tracked } from "../managed/types.ts";
import { describeKey, type SyncedOutcome } from "./status.ts";

export function transitionEvents<T extends ManagedObject<ProvisioningKeyStatus>>(
  tools: ManagedTools<T>,
  t: Tracked<T>,
  outcome: SyncedOutcome,
  before: ProvisioningKeyStatus | undefined,
  after: ProvisioningKeyStatus,
): void {
  const keyText = describeKey(outcome.report);
  switch (outcome.action) {
    case "Created":
      if (before?.id === undefined) tools.event(t, "Normal", Reason.Created, "Create", `created ${keyText}`);
      break;
    case "Recreated":
      tools.event(t, "Warning", "Recreated", "Create", `the key had been deleted in ZPA; created ${keyText} and updated the Secret`);
      break;
    case "Adopted":
      if (outcome.observeOnly) tools.event(t, "Normal", Reason.Adopted, "Observe", `observing ${keyText}`);
      else tools.event(t, "Normal", Reason.Adopted, "Adopt", `took over ${keyText}, which existed in ZPA before this resource (spec.adopt)`);
      break;
    case "Updated":
      tools.event(t, "Normal", Reason.Updated, "Update", `updated ${keyText} in ZPA to match the spec`);
      break;
    case "Replaced":
      tools.event(t, "Normal", Reason.Rotated, "Rotate", `rotated: ${keyText} replaces the previous key; Secret updated`);
      break;
    case "InSync":
      break;
  }
  // An observation asked for with the annotation is answered where the asker looks (kubectl describe).
  if (outcome.observation?.requested === true) {
    const r = outcome.report;
    tools.event(
      t,
      "Normal",
      "Observed",
      "Observe",
      `looked at ${keyText} in ZPA on request: usageCount ${r.usageCount} of maxUsage ${r.maxUsage}, ${r.enabled ? "enabled" : "disabled"}`,
    );
  }
  // After a sync, Ready is False only because the key cannot serve (used up) or cannot be delivered.
  const wasReady = findCondition(conditionsOf(before), ConditionType.Ready);
  const isReady = findCondition(conditionsOf(after), ConditionType.Ready);
  if (isReady !== undefined && isReady.status === "False" && isReady.reason !== wasReady?.reason)
    tools.event(t, "Warning", isReady.reason, "Deliver", isReady.message);
}
