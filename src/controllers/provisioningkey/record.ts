// After a sync: the status written once (a drift check that changed nothing but lastSyncTime writes
// nothing), the transition Events, usage metrics, and when ZPA is looked at next.
import type { ProvisioningKey, ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyClient } from "../../ports/managed-provisioning-keys.ts";
import type { ReconcileContext, Result } from "../../runtime/reconcile.ts";
import { clampDelay } from "../../runtime/timers.ts";
import type { Synced } from "../managed/kind.ts";
import type { ManagedTools } from "../managed/tools.ts";
import type { ManagedObject, Tracked } from "../managed/types.ts";
import type { Delivered } from "./delivery.ts";
import type { DriftChecks } from "./drift-check.ts";
import { transitionEvents } from "./events.ts";
import type { UsageMetrics } from "./metrics.ts";
import { observationRequest } from "./observation.ts";
import { rotationRequest } from "./rotation.ts";
import { nextStatus, onlySyncTimeChanged, type SyncedOutcome } from "./status.ts";

export interface RecordDeps {
  readonly drift: DriftChecks;
  readonly metrics: UsageMetrics;
  readonly statusWritten: (key: string) => Promise<void>;
}

type Raw = ManagedObject<ProvisioningKeyStatus>;

export async function recordSync(
  deps: RecordDeps,
  ctx: ReconcileContext,
  t: Tracked<Raw>,
  pk: ProvisioningKey,
  synced: Synced<ProvisioningKeyClient>,
  delivered: Delivered,
  reason: string,
  tools: ManagedTools<Raw>,
): Promise<Result> {
  const outcome: SyncedOutcome = {
    kind: "synced",
    action: synced.action,
    report: delivered.report,
    availability: delivered.availability,
    secret: delivered.secret,
    secretName: pk.spec.secretName,
    rotation: rotationRequest(pk),
    observation: observationRequest(pk),
    now: tools.date(),
    observeOnly: pk.spec.managementPolicy === "ObserveOnly",
  };
  // The gauge is what was last observed, so it moves before the status write: a reader that sees the new
  // usageCount in status also sees it in the gauge.
  deps.metrics.set(pk.metadata.namespace ?? "", pk.metadata.name ?? "", delivered.report.usageCount, delivered.report.maxUsage);
  const before = t.object.status;
  const next = nextStatus(before, t.object.metadata.generation, outcome);
  if (!(reason === "DriftCheckDue" && onlySyncTimeChanged(before, next))) await tools.write(t, next, ctx.signal);
  transitionEvents(tools, t, outcome, before, next);
  await deps.statusWritten(t.key);
  const now = tools.now();
  const nextAt = deps.drift.synced(t.key, pk.metadata.uid ?? "", now);
  return { requeueAfterMs: clampDelay(nextAt - now) };
}
