// Pure decisions for "connections outlive their consumers" (contract C2, ADR 0007): when to hold the
// in-use finalizer, when to keep the retained credentials copy, and what a held deletion says.
import { ConditionType, Reason } from "../../api/v1alpha1/index.ts";
import type { ConditionInput } from "../../runtime/conditions.ts";
import type { ConsumerSummary } from "../shared/connection-consumers.ts";

export interface TeardownInput {
  readonly deleting: boolean;
  /** The connection carries certbridge.dev/in-use. */
  readonly holdsFinalizer: boolean;
  readonly consumers: number;
}

export interface TeardownPlan {
  readonly addFinalizer: boolean;
  /** Keep the retained copy current (written when the credentials resolve). */
  readonly retain: boolean;
  /** Delete the retained copies (before the finalizer goes, so none outlives the connection). */
  readonly dropCopies: boolean;
  readonly releaseFinalizer: boolean;
  /** Deleting and nothing holds it: nothing else to do (no verification, no status). */
  readonly finished: boolean;
}

export function teardownPlan(i: TeardownInput): TeardownPlan {
  const used = i.consumers > 0;
  return {
    // The API server refuses new finalizers on an object being deleted; one added late would not help anyway.
    addFinalizer: used && !i.holdsFinalizer && !i.deleting,
    retain: used,
    dropCopies: !used,
    releaseFinalizer: !used && i.holdsFinalizer,
    finished: i.deleting && !used,
  };
}

const SHOWN = 5;

/** Ready=False/Deleting on a deleting connection that resources still use, naming them. */
export function heldDeletionCondition(summary: ConsumerSummary): ConditionInput {
  const shown = summary.names.slice(0, SHOWN).join(", ");
  const more = summary.count > SHOWN ? ` and ${summary.count - SHOWN} more` : "";
  const noun = summary.count === 1 ? "resource still uses" : "resources still use";
  return {
    type: ConditionType.Ready,
    status: "False",
    reason: Reason.Deleting,
    message: `deletion waits: ${summary.count} ${noun} this connection for their cleanup (${shown}${more}); nothing new is ordered through it`,
  };
}
