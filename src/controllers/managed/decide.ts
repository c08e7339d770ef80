// The managed-resource driver's decisions, pure (ADR 0013): given what observing found, the
// resource's policies and its create intent, what to do — with a reason per outcome. The driver
// (sync.ts, cleanup.ts) does the I/O around them; decide.test.ts is their case table.
import type { Origin } from "./create-intent.ts";
import { nextSettleLookMs } from "./create-intent.ts";

/** crossplane's management policies, the two we offer: full control, or observe and deliver only. */
export type ManagementPolicy = "Manage" | "ObserveOnly";
/** What deleting the resource does to the external object. */
export type DeletionPolicy = "Delete" | "Orphan";

/** What a sync did (or will have done) to the external object; the status and Events say it. */
export type SyncAction = "Created" | "Recreated" | "Replaced" | "Adopted" | "Updated" | "InSync";

/** Only Manage can have anything to finish on deletion: ObserveOnly never deletes. */
export function wantsFinalizer(management: ManagementPolicy): boolean {
  return management === "Manage";
}

/** Deletion removes the external object only under Manage with deletionPolicy Delete. */
export function deletesExternal(management: ManagementPolicy, deletion: DeletionPolicy): boolean {
  return management === "Manage" && deletion === "Delete";
}

export interface SyncInput {
  readonly management: ManagementPolicy;
  /** What observing found: nothing, or an object of this origin. */
  readonly found: Origin | undefined;
  /** Status recorded an object earlier. */
  readonly recorded: boolean;
  /** Manage: the spec asks to take over an object that existed before this resource. */
  readonly adopt: boolean;
  /** The connection's consent to that; asked only when it matters (see needsAdoptionConsent). */
  readonly adoptionAllowed?: boolean | undefined;
  /** Nothing found, and a create announced this long ago may still land. */
  readonly settlingMs?: number | undefined;
  /** A replacement (a rotation: delete, then create) is asked for and not carried out yet. */
  readonly replaceRequested: boolean;
  /** The found object differs from what the spec asks for. */
  readonly drifted: boolean;
}

export type SyncPlan =
  /** ObserveOnly and nothing to observe. */
  | { readonly step: "missing"; readonly why: string }
  /** A pre-existing object this resource may not take over; nothing is written or delivered. */
  | { readonly step: "refuse"; readonly refusal: "adoptionNotAsked" | "adoptionNotAllowed"; readonly why: string }
  /** A create's outcome is unknown and it may still land: look again after this long, create nothing. */
  | { readonly step: "wait"; readonly retryAfterMs: number; readonly why: string }
  | { readonly step: "create" | "replace" | "update" | "none"; readonly result: SyncAction; readonly why: string };

/** Is the connection's consent to adopt needed for this input (ask it only then: it may cost a lookup)? */
export function needsAdoptionConsent(input: Pick<SyncInput, "management" | "found" | "adopt">): boolean {
  return input.management === "Manage" && input.found === "preExisting" && input.adopt;
}

/** What a sync does, given what observing found. */
export function decideSync(input: SyncInput): SyncPlan {
  if (input.management === "ObserveOnly") {
    if (input.found === undefined) return { step: "missing", why: "ObserveOnly never creates: there is nothing to observe" };
    // Observing an object is taking it over for reading: the shell asked the connection before any call.
    return input.found === "recorded"
      ? { step: "none", result: "InSync", why: "the object recorded before is still there" }
      : { step: "none", result: "Adopted", why: "observed for the first time (or it was replaced)" };
  }
  // What a create (or a found create of ours) means for this resource's history.
  const made: SyncAction = !input.recorded ? "Created" : input.replaceRequested ? "Replaced" : "Recreated";
  if (input.found === undefined) {
    if (input.settlingMs !== undefined)
      return {
        step: "wait",
        retryAfterMs: nextSettleLookMs(input.settlingMs),
        why: "an announced create may still land: look again, never create a second one",
      };
    return {
      step: "create",
      result: made,
      why: input.recorded ? "the recorded object is gone (or a replacement died after its delete)" : "nothing recorded and nothing found",
    };
  }
  if (input.found === "preExisting") {
    if (!input.adopt) return { step: "refuse", refusal: "adoptionNotAsked", why: "made outside this resource: never taken over silently" };
    if (input.adoptionAllowed !== true) return { step: "refuse", refusal: "adoptionNotAllowed", why: "the connection does not consent to adoption here" };
    return { step: input.drifted ? "update" : "none", result: "Adopted", why: "asked for and allowed: taken over, brought to the spec" };
  }
  if (input.found === "createdByUs") {
    return { step: input.drifted ? "update" : "none", result: made, why: "our own create that was not recorded (its answer lost, or a crash)" };
  }
  if (input.replaceRequested) return { step: "replace", result: "Replaced", why: "the recorded object is still there: replace it" };
  return input.drifted
    ? { step: "update", result: "Updated", why: "the recorded object drifted from the spec" }
    : { step: "none", result: "InSync", why: "the recorded object matches the spec" };
}

export interface CleanupInput {
  readonly management: ManagementPolicy;
  readonly deletion: DeletionPolicy;
  /** This resource holds (claims) the object its status recorded. */
  readonly holdsRecorded: boolean;
  /** This resource holds (claims) the name its create intent announced. */
  readonly holdsIntent: boolean;
}

/** On deletion, is there an external object to delete (so the connection is needed)? */
export function needsCleanup(input: CleanupInput): boolean {
  return deletesExternal(input.management, input.deletion) && (input.holdsRecorded || input.holdsIntent);
}

export interface IntentLookup {
  /** What a lookup by the intent's name found: nothing, or an object of this origin. */
  readonly found: Origin | undefined;
  /** Another resource's claim covers the found object: it is not ours to delete. */
  readonly claimedElsewhere: boolean;
  /** Nothing found and the announced create may still land. */
  readonly settlingMs: number | undefined;
}

export type IntentCleanup =
  | { readonly step: "delete"; readonly why: string }
  | { readonly step: "skip"; readonly why: string }
  | { readonly step: "wait"; readonly retryAfterMs: number; readonly why: string };

/** The create a deleting resource announced: delete what it made, wait while it may still land. */
export function decideIntentCleanup(input: IntentLookup): IntentCleanup {
  if (input.found === undefined) {
    if (input.settlingMs !== undefined)
      return { step: "wait", retryAfterMs: nextSettleLookMs(input.settlingMs), why: "letting go now would leave a late create behind, tracked by nobody" };
    return { step: "skip", why: "the announced create never landed" };
  }
  if (input.found === "preExisting") return { step: "skip", why: "an object of that name not made by this resource is not ours to delete" };
  if (input.claimedElsewhere) return { step: "skip", why: "another resource holds the object found" };
  return { step: "delete", why: "our own create, found by its intent" };
}

/**
 * A deletion whose external object cannot be deleted (connection or credentials gone for good, the
 * vendor refuses) holds its finalizer this long after deletion was asked for, then lets go.
 */
export const DEFAULT_CLEANUP_GRACE_MS = 15 * 60_000;

/** Is the grace for an impossible cleanup over? */
export function cleanupGraceOver(deletionTimestamp: string | undefined, now: number, graceMs: number): boolean {
  const since = deletionTimestamp === undefined ? Number.NaN : Date.parse(deletionTimestamp);
  return !Number.isFinite(since) || now >= since + graceMs;
}

/** How soon a blocked cleanup looks again: every minute, and once more when its grace ends. */
export function cleanupRetryMs(deletionTimestamp: string | undefined, now: number, graceMs: number): number {
  const ends = Date.parse(deletionTimestamp ?? "") + graceMs;
  return Math.min(CLEANUP_RETRY_MS, Math.max(1000, ends - now));
}

/** When to look again after a refusal that changes only when something wakes us (or with time). */
export const CONNECTION_RETRY_MS = 5 * 60_000;
export const REFUSED_RETRY_MS = 5 * 60_000;
export const MISSING_RETRY_MS = 5 * 60_000;
export const CLEANUP_RETRY_MS = 60_000;
