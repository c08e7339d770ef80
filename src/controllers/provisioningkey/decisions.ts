// Pure decisions for the ProvisioningKey controller: what ZPA should hold, whether it does, whether
// a rotation is asked for, and when ZPA must be looked at again. No I/O here; tested as tables.
import { createHash } from "node:crypto";
import { annotations, normalizeKeyName, type ProvisioningKey, type ProvisioningKeySpec, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";

/** ZPA accepts names up to 255 characters (the API schema caps spec.name there too). */
export const MAX_KEY_NAME = 255;

/**
 * The key's name in ZPA when spec.name is unset: certbridge.<namespace>.<name>. Deterministic, so a
 * create interrupted by a crash is found by name afterwards instead of repeated. A namespace never
 * holds a dot, so the first dot after the prefix ends it: no two resources share a name (a dash
 * would: "a-b"/"c" and "a"/"b-c"). Names that would be too long keep a readable prefix and end in a
 * hash of the full name, so they stay distinct.
 */
export function defaultKeyName(namespace: string, name: string): string {
  const full = `certbridge.${namespace}.${name}`;
  if (full.length <= MAX_KEY_NAME) return full;
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 10);
  return `${full.slice(0, MAX_KEY_NAME - hash.length - 1)}-${hash}`;
}

export function keyNameOf(spec: Pick<ProvisioningKeySpec, "name">, namespace: string, name: string): string {
  return spec.name ?? defaultKeyName(namespace, name);
}

/**
 * certbridge.<namespace>.… names are the default names of that namespace's resources: another
 * namespace naming one could squat a key before its owner is even created. Undefined when allowed.
 */
export function reservedNameProblem(specName: string | undefined, namespace: string): string | undefined {
  if (specName === undefined) return undefined;
  const owner = /^certbridge\.([^.]*)\./.exec(normalizeKeyName(specName))?.[1];
  if (owner === undefined || owner === namespace) return undefined;
  return `spec.name: names certbridge.${owner}.… are reserved for the default key names of namespace ${owner}`;
}

/** Where a key found in ZPA came from, as far as this resource can tell. */
export type KeyOrigin = "recorded" | "createdByUs" | "preExisting";

/**
 * How long after a create was sent ZPA may still commit it, when its answer was lost (our client gives
 * up after 30 s). Until then "not found" means "look again", never "create again".
 */
export const CREATE_SETTLE_MS = 2 * 60_000;
/** ZPA's creationTime has second precision and its clock is not ours. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Ours if status recorded it; ours if our create intent names it and ZPA made it in the intent's
 * window (a create that ran but was not recorded, say before a crash); anything else pre-existed
 * (made in the console, by Terraform, by another resource) and may only be adopted.
 */
export function originOf(found: { readonly id: string; readonly name: string; readonly createdAt?: number | undefined }, recordedId: string | undefined, intent: ProvisioningKeyStatus["createIntent"]): KeyOrigin {
  if (recordedId !== undefined && found.id === recordedId) return "recorded";
  if (intent === undefined || normalizeKeyName(intent.name) !== normalizeKeyName(found.name)) return "preExisting";
  const since = Date.parse(intent.since);
  if (found.createdAt === undefined || !Number.isFinite(since)) return "createdByUs";
  return found.createdAt >= since - CLOCK_SKEW_MS && found.createdAt <= since + CREATE_SETTLE_MS + CLOCK_SKEW_MS ? "createdByUs" : "preExisting";
}

/**
 * Nothing found under `keyName`, but a create for it was announced less than CREATE_SETTLE_MS ago:
 * its outcome is unknown (a lost answer, a crash), so how long to keep looking before creating again.
 * Undefined when creating now is safe.
 */
export function createSettlingMs(intent: ProvisioningKeyStatus["createIntent"], keyName: string, now: number): number | undefined {
  if (intent === undefined || normalizeKeyName(intent.name) !== normalizeKeyName(keyName)) return undefined;
  const left = Date.parse(intent.since) + CREATE_SETTLE_MS - now;
  return Number.isFinite(left) && left > 0 ? left : undefined;
}

/**
 * The intent to write before a create. A recent one for the same name keeps its time: the create it
 * announced may still land. One older than CREATE_SETTLE_MS is renewed: whatever it announced would
 * have landed by now, and the lookup just before this create found nothing.
 */
export function createIntentFor(current: ProvisioningKeyStatus["createIntent"], keyName: string, now: Date): NonNullable<ProvisioningKeyStatus["createIntent"]> {
  const since = current === undefined ? Number.NaN : Date.parse(current.since);
  const recent = Number.isFinite(since) && now.getTime() - since < CREATE_SETTLE_MS;
  if (current !== undefined && recent && normalizeKeyName(current.name) === normalizeKeyName(keyName)) return current;
  return { name: keyName, since: now.toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/**
 * A ProvisioningKey being deleted whose key cannot be deleted (its connection or credentials are gone
 * for good) holds its finalizer this long after deletion was asked for, then lets go and leaves the key.
 */
export const DEFAULT_CLEANUP_GRACE_MS = 15 * 60_000;

/** Is the grace for an impossible cleanup over? */
export function cleanupGraceOver(deletionTimestamp: string | undefined, now: number, graceMs: number): boolean {
  const since = deletionTimestamp === undefined ? Number.NaN : Date.parse(deletionTimestamp);
  return !Number.isFinite(since) || now >= since + graceMs;
}

/** The key ZPA should hold, once group and enrollment certificate are resolved to ids. */
export function desiredKey(
  spec: ProvisioningKeySpec,
  keyName: string,
  resolved: { readonly group: NamedRef; readonly enrollmentCertificate: NamedRef },
  microtenantId: string | undefined,
): ProvisioningKeyDesired {
  return {
    name: keyName,
    associationType: spec.associationType,
    enabled: spec.enabled,
    maxUsage: spec.maxUsage,
    enrollmentCertId: resolved.enrollmentCertificate.id,
    groupId: resolved.group.id,
    ...(microtenantId === undefined ? {} : { microtenantId }),
  };
}

/** The fields the controller owns in ZPA; anything else (usageCount) is ZPA's. */
export const MANAGED_FIELDS = ["name", "enabled", "maxUsage", "enrollmentCertId", "groupId"] as const;
export type ManagedField = (typeof MANAGED_FIELDS)[number];

/** Managed fields where ZPA differs from the spec; empty means no update is needed. */
export function driftedFields(desired: ProvisioningKeyDesired, observed: ProvisioningKeyRecord): ManagedField[] {
  return MANAGED_FIELDS.filter((f) => desired[f] !== observed[f]);
}

export interface RotationRequest {
  /** True when spec.rotation or the rotate annotation asks for a rotation not yet carried out. */
  readonly requested: boolean;
  /** What to record in status once the key in ZPA is a new one. */
  readonly rotation: number;
  readonly rotateRequest: string | undefined;
}

/**
 * Is a rotation asked for? spec.rotation above status.observedRotation, or a rotate-request
 * annotation value other than the one already carried out. A first reconcile has nothing to
 * rotate: the key it creates is new anyway.
 */
export function rotationRequest(pk: Pick<ProvisioningKey, "metadata" | "spec" | "status">): RotationRequest {
  const rotation = pk.spec.rotation;
  const rotateRequest = pk.metadata.annotations?.[annotations.rotateRequest] || undefined;
  const status = pk.status ?? {};
  const byCounter = rotation > (status.observedRotation ?? 0);
  const byAnnotation = rotateRequest !== undefined && rotateRequest !== status.observedRotateRequest;
  return { requested: status.id !== undefined && (byCounter || byAnnotation), rotation, rotateRequest };
}

/**
 * The rotation is carried out by replacing the key ZPA holds. If the key found is not the one status
 * recorded (a crash after the re-create, or the key was replaced meanwhile), the value is already
 * new: deleting it again would rotate twice.
 */
export function mustRotate(request: RotationRequest, observedId: string, recordedId: string | undefined): boolean {
  return request.requested && recordedId !== undefined && observedId === recordedId;
}

export function usageExhausted(k: Pick<ProvisioningKeyRecord, "usageCount" | "maxUsage">): boolean {
  return k.usageCount >= k.maxUsage;
}

/** When ZPA must be looked at now, rather than at the next drift check. The first reason wins. */
export type SyncReason =
  | "NoKeyRecorded"
  | "SpecChanged"
  | "RotationRequested"
  | "SecretNeedsRepair"
  | "LastSyncFailed"
  | "DriftCheckDue";

export function syncReason(input: {
  readonly recordedId: string | undefined;
  readonly generation: number | undefined;
  readonly observedGeneration: number | undefined;
  readonly rotationRequested: boolean;
  readonly secretIntact: boolean;
  readonly lastSyncSucceeded: boolean;
  readonly now: number;
  readonly nextDriftCheckAt: number;
}): SyncReason | undefined {
  if (input.recordedId === undefined) return "NoKeyRecorded";
  if (input.generation !== input.observedGeneration) return "SpecChanged";
  if (input.rotationRequested) return "RotationRequested";
  if (!input.secretIntact) return "SecretNeedsRepair";
  if (!input.lastSyncSucceeded) return "LastSyncFailed";
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
