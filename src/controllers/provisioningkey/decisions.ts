// Pure decisions for the ProvisioningKey controller: what ZPA should hold, whether it does, whether
// a rotation is asked for, and when ZPA must be looked at again. No I/O here; tested as tables.
import { createHash } from "node:crypto";
import { annotations, type ProvisioningKey, type ProvisioningKeySpec } from "../../api/v1alpha1/index.ts";
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
