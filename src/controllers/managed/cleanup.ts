// The driver's deletion: delete only what this resource holds — the object status recorded, and the
// one its create intent announced (found by name, made in the intent's window) — and while that
// create may still land, wait rather than let go (ADR 0006 §3). Never an object found by name alone.
import { createSettlingMs, originOf, type SameName } from "./create-intent.ts";
import { decideIntentCleanup } from "./decide.ts";
import type { AnyClient, Claims } from "./kind.ts";
import type { ManagedView } from "./types.ts";

export type CleanupOutcome = { readonly kind: "deleted"; readonly ids: readonly string[] } | { readonly kind: "wait"; readonly retryAfterMs: number };

export interface CleanupInput {
  readonly view: ManagedView;
  readonly client: AnyClient;
  readonly claims: Claims;
  /** Decided before connecting (decide.ts needsCleanup). */
  readonly holdsRecorded: boolean;
  readonly holdsIntent: boolean;
  readonly sameName: SameName;
  readonly now: number;
  readonly signal: AbortSignal;
}

export async function cleanupExternal(input: CleanupInput): Promise<CleanupOutcome> {
  const { view, client, signal } = input;
  const ids = new Set<string>(input.holdsRecorded && view.recordedId !== undefined ? [view.recordedId] : []);
  const intent = view.intent;
  if (input.holdsIntent && intent !== undefined) {
    const byName = await client.find(intent.name, signal);
    const plan = decideIntentCleanup({
      found: byName === undefined ? undefined : originOf(byName, view.recordedId, intent, input.sameName),
      claimedElsewhere: byName !== undefined && input.claims.mayUse(byName.id) !== undefined,
      settlingMs: byName === undefined ? createSettlingMs(intent, intent.name, input.now, input.sameName) : undefined,
    });
    if (plan.step === "wait") return { kind: "wait", retryAfterMs: plan.retryAfterMs };
    if (plan.step === "delete" && byName !== undefined) ids.add(byName.id);
  }
  for (const id of ids) await client.delete(id, signal);
  return { kind: "deleted", ids: [...ids] };
}
