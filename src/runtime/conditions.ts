/** The Kubernetes condition shape (metav1.Condition). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/**
 * Returns the conditions with `next` set. lastTransitionTime moves only when the status flips, so
 * a reason or message update does not look like a transition to alerting or `kubectl wait`.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const existing = index >= 0 ? list[index] : undefined;
  const updated: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  if (index >= 0) list[index] = updated;
  else list.push(updated);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/** True when applying `next` would change what a reader sees (ignores nothing but key order). */
export function conditionChanged(current: readonly Condition[] | undefined, type: string, next: ConditionInput, observedGeneration?: number): boolean {
  const c = findCondition(current, type);
  return !c || c.status !== next.status || c.reason !== next.reason || c.message !== next.message || c.observedGeneration !== observedGeneration;
}
