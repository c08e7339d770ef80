// The conditions every managed resource shows, as crossplane's do: Synced says whether the last talk
// with the vendor went through, Ready whether the external object serves its purpose. Pure.
import { ConditionType } from "../../api/v1alpha1/index.ts";
import { findCondition, setCondition, type Condition } from "../../runtime/conditions.ts";
import type { CreateIntent } from "./create-intent.ts";
import type { ManagedStatus } from "./types.ts";

export interface Failure {
  readonly reason: string;
  readonly message: string;
  /** True when what was delivered is unaffected (a failed drift check): Ready then stays as it was. */
  readonly keepReady: boolean;
}

/** The status after a failure: Synced False, and Ready False unless the delivered object is unaffected. */
export function failedStatus<S extends ManagedStatus>(current: S | undefined, generation: number | undefined, failure: Failure, now: Date): S {
  const prev = (current ?? {}) as S;
  let conditions = setCondition(
    conditionsOf(prev),
    { type: ConditionType.Synced, status: "False", reason: failure.reason, message: failure.message },
    generation,
    now,
  );
  if (!failure.keepReady || findCondition(conditions, ConditionType.Ready) === undefined) {
    conditions = setCondition(conditions, { type: ConditionType.Ready, status: "False", reason: failure.reason, message: failure.message }, generation, now);
  }
  return { ...prev, conditions };
}

export function conditionsOf(status: ManagedStatus | undefined): Condition[] | undefined {
  return status?.conditions as Condition[] | undefined;
}

export function withIntent<S extends ManagedStatus>(status: S | undefined, intent: CreateIntent): S {
  return { ...((status ?? {}) as S), createIntent: intent };
}

export function withoutIntent<S extends ManagedStatus>(status: S): S {
  const { createIntent: _withdrawn, ...rest } = status;
  return rest as S;
}
