// When ZPA is looked at: only when something asks for it (no key recorded, a spec change, a rotation,
// a Secret that needs repair, a failed last sync, the observe-request annotation) or at the jittered
// drift check (--provisioningkey-drift-interval); a Ready key costs nothing between checks. ZPA allows
// 20 GET per 10 s per tenant: one GET per key per interval.
export type SyncReason =
  | "NoKeyRecorded"
  | "SpecChanged"
  | "RotationRequested"
  | "SecretNeedsRepair"
  | "LastSyncFailed"
  | "ObservationRequested"
  | "DriftCheckDue";

/** When ZPA must be looked at now, rather than at the next drift check. The first reason wins. */
export function syncReason(input: {
  readonly recordedId: string | undefined;
  readonly generation: number | undefined;
  readonly observedGeneration: number | undefined;
  readonly rotationRequested: boolean;
  readonly secretIntact: boolean;
  readonly lastSyncSucceeded: boolean;
  /** The observe-request annotation carries a value not yet acted on. */
  readonly observationRequested: boolean;
  readonly now: number;
  readonly nextDriftCheckAt: number;
}): SyncReason | undefined {
  if (input.recordedId === undefined) return "NoKeyRecorded";
  if (input.generation !== input.observedGeneration) return "SpecChanged";
  if (input.rotationRequested) return "RotationRequested";
  if (!input.secretIntact) return "SecretNeedsRepair";
  if (!input.lastSyncSucceeded) return "LastSyncFailed";
  if (input.observationRequested) return "ObservationRequested";
  if (input.now >= input.nextDriftCheckAt) return "DriftCheckDue";
  return undefined;
}

/**
 * When to look at ZPA next: one interval after the last sync, less up to `jitter` of it so keys
 * synced together drift apart. An overdue check (after a restart, say) is spread over the next
 * interval instead of all firing at once: a restart costs no burst of vendor calls.
 */
export function nextDriftCheckAt(lastSyncAt: number | undefined, intervalMs: number, now: number, random: () => number, jitter = 0.2): number {
  if (lastSyncAt === undefined) return now;
  const due = lastSyncAt + intervalMs - intervalMs * jitter * random();
  return due > now ? due : now + intervalMs * random();
}

/** Each resource's next drift check, planned once so repeated reconciles do not re-roll the jitter. */
export class DriftChecks {
  readonly #next = new Map<string, { readonly uid: string; readonly at: number }>();
  readonly #intervalMs: number;
  readonly #random: () => number;

  constructor(intervalMs: number, random: () => number) {
    this.#intervalMs = intervalMs;
    this.#random = random;
  }

  /** The planned check of the resource at `key` (a namesake with another uid is planned afresh). */
  planned(key: string, uid: string, lastSyncTime: string | undefined, now: number): number {
    const planned = this.#next.get(key);
    if (planned !== undefined && planned.uid === uid) return planned.at;
    const last = lastSyncTime === undefined ? undefined : Date.parse(lastSyncTime);
    const at = nextDriftCheckAt(Number.isFinite(last) ? last : undefined, this.#intervalMs, now, this.#random);
    this.#next.set(key, { uid, at });
    return at;
  }

  /** Just synced: the next check is one (jittered) interval from now. */
  synced(key: string, uid: string, now: number): number {
    const at = nextDriftCheckAt(now, this.#intervalMs, now, this.#random);
    this.#next.set(key, { uid, at });
    return at;
  }

  forget(key: string): void {
    this.#next.delete(key);
  }
}
