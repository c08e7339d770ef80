// The ProvisioningKey reconciler: ZPA key ⇄ spec, key value → Secret, status written once.
//
// Vendor calls happen only when something asks for them (no key recorded yet, a spec change, a
// rotation, a Secret that needs repair, a failed last sync, or the jittered drift check); a Ready
// key costs nothing between checks. Create is crash-safe without a marker: the name is deterministic
// and always looked up before a create, so a key created by a run that died is found, not repeated.
import {
  finalizers,
  kinds,
  parseProvisioningKey,
  problemsMessage,
  Reason,
  resourceTypes,
  ConditionType,
  type ProvisioningKey,
  type ProvisioningKeyStatus,
} from "../../api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { NamedRef, ProvisioningKeyRecord, ProvisioningKeyService } from "../../ports/provisioning-keys.ts";
import { isVendorError, type VendorError } from "../../ports/vendor-error.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import { findCondition, type Condition } from "../../runtime/conditions.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core, splitKey, type KubeObject } from "../../runtime/kube/resource.ts";
import { TerminalError, type ReconcileContext, type Reconciler, type Result } from "../../runtime/reconcile.ts";
import { clampDelay } from "../../runtime/timers.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import { classifySecret, writeOwnedSecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { applyStatus } from "../shared/status.ts";
import { desiredKey, driftedFields, keyNameOf, mustRotate, nextDriftCheckAt, rotationRequest, syncReason, type RotationRequest } from "./decisions.ts";
import type { UsageMetrics } from "./metrics.ts";
import { desiredSecret, secretIntact } from "./secret.ts";
import { nextStatus, onlySyncTimeChanged, type Outcome, type SyncAction } from "./status.ts";

export const CONTROLLER_NAME = "provisioningkey";

/**
 * The await points of the create path, in order. Tests stop a reconcile at each one (as a SIGKILL
 * would) and check that the next run neither duplicates nor leaks a key.
 */
export type Checkpoint =
  | "finalizer-added"
  | "connection-resolved"
  | "references-resolved"
  | "looked-up"
  | "created"
  | "rotation-deleted"
  | "updated"
  | "secret-written"
  | "status-written";

export interface ObjectCache<T> {
  get(key: string): T | undefined;
  list(): T[];
}

export interface ConnectionLookupPort {
  resolve(ref: ConnectionRef, namespace: string, expectedVendor: "zpa", signal: AbortSignal): Promise<ConnectionLookup>;
}

export interface ProvisioningKeyReconcilerDeps {
  readonly client: KubeApi;
  readonly keys: ObjectCache<KubeObject>;
  /** Operator-owned Secrets (label-selected); a foreign Secret is never in here. */
  readonly secrets: ObjectCache<Secret>;
  readonly connections: ConnectionLookupPort;
  /** Looked up per reconcile, so the composition root may provide it after controllers register. */
  readonly ports: () => VendorPorts;
  readonly events: EventRecorder;
  readonly metrics: UsageMetrics;
  /** How often ZPA is checked for drift and usage (jittered by up to 20 %). */
  readonly driftIntervalMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** A seam for crash tests; throwing here stops the reconcile exactly as a kill would. */
  readonly checkpoint?: (step: Checkpoint, key: string) => void | Promise<void>;
}

const FINALIZER = finalizers.cleanup;
const CONNECTION_RETRY_MS = 5 * 60_000;
const NOT_FOUND_RETRY_MS = 5 * 60_000;
const CREDENTIALS_RETRY_MS = 10 * 60_000;
/** How long a Secret we wrote may be missing from the cache before it counts as deleted. */
const SECRET_CACHE_GRACE_MS = 10_000;

type Raw = KubeObject & { spec?: Record<string, unknown>; status?: ProvisioningKeyStatus };

export class ProvisioningKeyReconciler implements Reconciler {
  readonly name = CONTROLLER_NAME;
  readonly #d: ProvisioningKeyReconcilerDeps;
  readonly #now: () => number;
  readonly #random: () => number;
  /** uid → when ZPA is next looked at; planned once so repeated reconciles do not re-roll the jitter. */
  readonly #nextCheck = new Map<string, number>();
  readonly #uidByKey = new Map<string, string>();
  /**
   * The last status this process wrote per uid, and the resourceVersion it was based on. Until the
   * cache shows a newer version, decisions use what we wrote: a reconcile triggered by our own
   * Secret write must not see the pre-write status and sync with ZPA again.
   */
  readonly #writtenStatus = new Map<string, { basedOn: string | undefined; status: ProvisioningKeyStatus }>();
  /** Secrets written but not yet seen by the Secret cache (cleared by `secretObserved`). */
  readonly #pendingSecrets = new Map<string, number>();

  constructor(deps: ProvisioningKeyReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
  }

  /** The Secret cache reported a change to `secretKey` ("ns/name"): it is no longer behind our write. */
  secretObserved(secretKey: string): void {
    this.#pendingSecrets.delete(secretKey);
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result> {
    const cached = this.#d.keys.get(key) as Raw | undefined;
    if (cached === undefined) {
      this.#forget(key);
      return {};
    }
    const raw = this.#freshest(cached);
    const parsed = parseProvisioningKey({ apiVersion: "certbridge.dev/v1alpha1", kind: kinds.ProvisioningKey.kind, ...raw });
    if (!parsed.ok) {
      if (raw.metadata.deletionTimestamp !== undefined) {
        // Nothing can be deleted safely from a spec we cannot read: release the resource, keep the key.
        ctx.log.warn({ problems: parsed.problems }, "invalid spec while deleting; the ZPA key (if any) is orphaned");
        await this.#removeFinalizer(raw, ctx.signal);
        return {};
      }
      const message = problemsMessage(parsed.problems);
      await this.#fail(raw, { reason: Reason.InvalidSpec, message, keepReady: false }, ctx.signal);
      throw new TerminalError(`invalid spec: ${message}`);
    }
    const pk = parsed.value;
    if (pk.metadata.deletionTimestamp !== undefined) return this.#finalize(ctx, key, raw, pk);
    await this.#ensureFinalizer(ctx, key, raw, pk);
    return this.#reconcileLive(ctx, key, raw, pk);
  }

  // ------------------------------------------------------------------ live resources

  async #reconcileLive(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const ns = namespace ?? "";
    const uid = pk.metadata.uid ?? "";
    const status = pk.status;
    const owner = ownerOf(pk);
    const observeOnly = pk.spec.managementPolicy === "ObserveOnly";
    const rotation = rotationRequest(pk);
    const secretKey = `${ns}/${pk.spec.secretName}`;
    const secret = this.#d.secrets.get(secretKey);
    const now = this.#now();
    const secretPending = now - (this.#pendingSecrets.get(secretKey) ?? -Infinity) < SECRET_CACHE_GRACE_MS;
    const planned = this.#plannedCheck(uid, status?.lastSyncTime, now);
    const reason = syncReason({
      recordedId: status?.id,
      generation: pk.metadata.generation,
      observedGeneration: status?.observedGeneration,
      rotationRequested: rotation.requested && !observeOnly,
      secretIntact: secretPending || secretIntact(secret, owner, pk.spec, status?.id),
      lastSyncSucceeded: findCondition(status?.conditions as Condition[] | undefined, ConditionType.Synced)?.status === "True",
      now,
      nextDriftCheckAt: planned,
    });
    if (reason === undefined) {
      this.#publishUsage(ns, name, status);
      return { requeueAfterMs: clampDelay(planned - now) };
    }
    ctx.log.debug({ reason }, "syncing with ZPA");

    const lookup = await this.#d.connections.resolve(pk.spec.connectionRef, ns, "zpa", ctx.signal);
    if (!lookup.ok) {
      await this.#fail(raw, { reason: lookup.reason, message: lookup.message, keepReady: false }, ctx.signal);
      return { requeueAfterMs: CONNECTION_RETRY_MS };
    }
    await this.#checkpoint("connection-resolved", key);
    const connection = lookup.connection;
    const microtenantId = pk.spec.microtenantId ?? microtenantOf(connection);

    let outcome: Outcome;
    try {
      const service = this.#d.ports().provisioningKeys(connection);
      const synced = observeOnly
        ? await this.#observe(ctx, key, pk, service, microtenantId)
        : await this.#manage(ctx, key, pk, service, microtenantId, rotation);
      if (synced.kind === "failed") {
        await this.#fail(raw, synced, ctx.signal);
        return { requeueAfterMs: NOT_FOUND_RETRY_MS };
      }
      const write = await writeOwnedSecret(this.#d.client, owner, desiredSecret(owner, pk.spec, synced.key), secret, ctx.signal);
      if (write === "created" || write === "updated") this.#pendingSecrets.set(secretKey, this.#now());
      await this.#checkpoint("secret-written", key);
      if (write !== "conflict") await this.#removeStaleSecret(pk, owner, ctx.signal);
      outcome = {
        kind: "synced",
        action: synced.action,
        key: synced.key,
        group: synced.group,
        enrollmentCertificate: synced.enrollmentCertificate,
        secret: write === "conflict" ? "conflict" : "delivered",
        secretName: pk.spec.secretName,
        rotation,
        now: new Date(this.#now()),
        observeOnly,
      };
      if (write === "created" || write === "updated") {
        if (synced.action === "InSync" && status?.id !== undefined) this.#event(raw, "Normal", "SecretRestored", "Restore", `Secret ${pk.spec.secretName} was missing or altered; restored from ZPA without rotating the key`);
      }
    } catch (e) {
      if (!isVendorError(e)) throw e;
      return this.#vendorFailure(ctx, raw, e);
    }

    await this.#record(ctx, raw, pk, outcome, reason === "DriftCheckDue");
    await this.#checkpoint("status-written", key);
    this.#publishUsage(ns, name, { usageCount: outcome.key.usageCount, maxUsage: outcome.key.maxUsage });
    const next = nextDriftCheckAt(this.#now(), this.#d.driftIntervalMs, this.#now(), this.#random);
    this.#nextCheck.set(uid, next);
    return { requeueAfterMs: clampDelay(next - this.#now()) };
  }

  /** Manage: make ZPA hold the desired key, creating, updating or rotating as needed. */
  async #manage(ctx: ReconcileContext, key: string, pk: ProvisioningKey, svc: ProvisioningKeyService, microtenantId: string | undefined, rotation: RotationRequest): Promise<SyncResult> {
    const type = pk.spec.associationType;
    const { namespace, name } = splitKey(key);
    const keyName = keyNameOf(pk.spec, namespace ?? "", name);
    const group = await svc.resolveGroup(type, pk.spec.group, microtenantId, ctx.signal);
    if (group === undefined) return notFound(`${type === "CONNECTOR_GRP" ? "App Connector" : "Service Edge"} group ${describeRef(pk.spec.group)} does not exist in ZPA`);
    const cert = await svc.resolveEnrollmentCertificate(type, pk.spec.enrollmentCertificate, ctx.signal);
    if (cert === undefined) {
      return notFound(`enrollment certificate ${pk.spec.enrollmentCertificate ? describeRef(pk.spec.enrollmentCertificate) : "(default for " + type + ")"} does not exist in ZPA or has no private key`);
    }
    await this.#checkpoint("references-resolved", key);
    const desired = desiredKey(pk.spec, keyName, { group, enrollmentCertificate: cert }, microtenantId);
    const recordedId = pk.status?.id;

    let observed = recordedId === undefined ? undefined : await svc.get(type, recordedId, microtenantId, ctx.signal);
    observed ??= await svc.findByName(type, keyName, microtenantId, ctx.signal);
    await this.#checkpoint("looked-up", key);

    let action: SyncAction;
    if (observed === undefined) {
      observed = await svc.create(desired, ctx.signal);
      await this.#checkpoint("created", key);
      // Gone with a rotation pending: a rotation that died after its delete; this create completes it.
      action = recordedId === undefined ? "Created" : rotation.requested ? "Rotated" : "Recreated";
    } else if (mustRotate(rotation, observed.id, recordedId)) {
      await svc.delete(type, observed.id, microtenantId, ctx.signal);
      await this.#checkpoint("rotation-deleted", key);
      observed = await svc.create(desired, ctx.signal);
      await this.#checkpoint("created", key);
      action = "Rotated";
    } else {
      const drift = driftedFields(desired, observed);
      if (drift.length > 0) {
        await svc.update(observed.id, desired, ctx.signal);
        await this.#checkpoint("updated", key);
        ctx.log.info({ fields: drift, id: observed.id }, "updated the ZPA key to match the spec");
        observed = { ...observed, ...desired, id: observed.id, value: observed.value, usageCount: observed.usageCount };
        action = "Updated";
      } else if (recordedId === undefined) {
        action = "Created"; // made by an earlier run that stopped before recording it
      } else if (observed.id !== recordedId) {
        // Not the key we recorded: after a rotation's re-create that was not recorded, that is the rotation.
        action = rotation.requested ? "Rotated" : "Adopted";
      } else {
        action = "InSync";
      }
    }
    return { kind: "synced", key: observed, action, group, enrollmentCertificate: cert };
  }

  /** ObserveOnly: find the named key, report it and deliver it; never write to ZPA. */
  async #observe(ctx: ReconcileContext, key: string, pk: ProvisioningKey, svc: ProvisioningKeyService, microtenantId: string | undefined): Promise<SyncResult> {
    const type = pk.spec.associationType;
    const { namespace, name } = splitKey(key);
    const keyName = keyNameOf(pk.spec, namespace ?? "", name);
    const recordedId = pk.status?.id;
    let observed = recordedId === undefined ? undefined : await svc.get(type, recordedId, microtenantId, ctx.signal);
    if (observed !== undefined && observed.name !== keyName) observed = undefined; // spec.name now names another key
    observed ??= await svc.findByName(type, keyName, microtenantId, ctx.signal);
    await this.#checkpoint("looked-up", key);
    if (observed === undefined) return notFound(`no ${type} provisioning key named ${keyName} exists in ZPA to observe`);
    const group = await svc.resolveGroup(type, { id: observed.groupId }, microtenantId, ctx.signal);
    const cert = await svc.resolveEnrollmentCertificate(type, { id: observed.enrollmentCertId }, ctx.signal);
    return { kind: "synced", key: observed, action: recordedId === observed.id ? "InSync" : "Adopted", group, enrollmentCertificate: cert };
  }

  // ------------------------------------------------------------------ deletion

  async #finalize(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey): Promise<Result> {
    if (!(pk.metadata.finalizers ?? []).includes(FINALIZER)) {
      this.#forget(key);
      return {};
    }
    if (pk.spec.managementPolicy === "Manage" && pk.spec.deletionPolicy === "Delete") {
      const { namespace, name } = splitKey(key);
      const lookup = await this.#d.connections.resolve(pk.spec.connectionRef, namespace ?? "", "zpa", ctx.signal);
      if (!lookup.ok) {
        await this.#fail(raw, { reason: lookup.reason, message: `cannot delete the ZPA key: ${lookup.message}`, keepReady: false }, ctx.signal);
        return { requeueAfterMs: 60_000 };
      }
      const microtenantId = pk.spec.microtenantId ?? microtenantOf(lookup.connection);
      const type = pk.spec.associationType;
      try {
        const svc = this.#d.ports().provisioningKeys(lookup.connection);
        // The recorded key, and any key under our name: one created by a run that died before recording it.
        const ids = new Set<string>(pk.status?.id === undefined ? [] : [pk.status.id]);
        const byName = await svc.findByName(type, keyNameOf(pk.spec, namespace ?? "", name), microtenantId, ctx.signal);
        if (byName !== undefined) ids.add(byName.id);
        for (const id of ids) await svc.delete(type, id, microtenantId, ctx.signal);
      } catch (e) {
        if (!isVendorError(e)) throw e;
        return this.#vendorFailure(ctx, raw, e);
      }
      // The Secret holds a key that no longer exists; do not leave it for workloads to trip over.
      await this.#deleteOwnedSecret(pk.status?.secretName ?? pk.spec.secretName, ownerOf(pk), ctx.signal);
      this.#event(raw, "Normal", "Deleted", "Delete", "deleted the provisioning key in ZPA (deletionPolicy Delete)");
    }
    await this.#removeFinalizer(raw, ctx.signal);
    this.#forget(key);
    return {};
  }

  // ------------------------------------------------------------------ helpers

  async #ensureFinalizer(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey): Promise<void> {
    const has = (raw.metadata.finalizers ?? []).includes(FINALIZER);
    // ObserveOnly never deletes in ZPA, so it has nothing to finish before the resource goes.
    const wants = pk.spec.managementPolicy === "Manage";
    if (has === wants) return;
    const list = wants ? [...(raw.metadata.finalizers ?? []), FINALIZER] : (raw.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.#d.client.mergePatch(resourceTypes.provisioningKeys, raw.metadata.namespace, raw.metadata.name ?? "", {
      metadata: { finalizers: list, resourceVersion: raw.metadata.resourceVersion },
    }, { signal: ctx.signal });
    if (wants) await this.#checkpoint("finalizer-added", key);
  }

  async #removeFinalizer(raw: Raw, signal: AbortSignal): Promise<void> {
    const list = raw.metadata.finalizers ?? [];
    if (!list.includes(FINALIZER)) return;
    try {
      await this.#d.client.mergePatch(resourceTypes.provisioningKeys, raw.metadata.namespace, raw.metadata.name ?? "", {
        metadata: { finalizers: list.filter((f) => f !== FINALIZER), resourceVersion: raw.metadata.resourceVersion },
      }, { signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** After spec.secretName changed, the Secret we wrote before goes (only if it is still ours). */
  async #removeStaleSecret(pk: ProvisioningKey, owner: SecretOwner, signal: AbortSignal): Promise<void> {
    const previous = pk.status?.secretName;
    if (previous === undefined || previous === pk.spec.secretName) return;
    await this.#deleteOwnedSecret(previous, owner, signal);
  }

  async #deleteOwnedSecret(secretName: string, owner: SecretOwner, signal: AbortSignal): Promise<void> {
    const secret = this.#d.secrets.get(`${owner.namespace}/${secretName}`);
    if (classifySecret(secret, owner) !== "ours") return;
    try {
      await this.#d.client.delete(core.secrets, owner.namespace, secretName, { signal, ...(secret?.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}) });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async #record(ctx: ReconcileContext, raw: Raw, pk: ProvisioningKey, outcome: Extract<Outcome, { kind: "synced" }>, driftCheckOnly: boolean): Promise<void> {
    const before = pk.status;
    const next = nextStatus(before, pk.metadata.generation, outcome);
    if (!(driftCheckOnly && onlySyncTimeChanged(before, next))) await this.#writeStatus(raw, next, ctx.signal);
    this.#transitionEvents(raw, outcome, before, next);
  }

  #transitionEvents(raw: Raw, outcome: Extract<Outcome, { kind: "synced" }>, before: ProvisioningKeyStatus | undefined, after: ProvisioningKeyStatus): void {
    const k = outcome.key;
    const keyText = `provisioning key ${k.name} (id ${k.id})`;
    switch (outcome.action) {
      case "Created": if (before?.id === undefined) this.#event(raw, "Normal", Reason.Created, "Create", `created ${keyText}`); break;
      case "Recreated": this.#event(raw, "Warning", "Recreated", "Create", `the key had been deleted in ZPA; created ${keyText} and updated the Secret`); break;
      case "Adopted": this.#event(raw, "Normal", Reason.Adopted, "Observe", `observing ${keyText}`); break;
      case "Updated": this.#event(raw, "Normal", Reason.Updated, "Update", `updated ${keyText} in ZPA to match the spec`); break;
      case "Rotated": this.#event(raw, "Normal", Reason.Rotated, "Rotate", `rotated: ${keyText} replaces the previous key; Secret updated`); break;
      case "InSync": break;
    }
    const wasReady = findCondition(before?.conditions as Condition[] | undefined, ConditionType.Ready);
    const isReady = findCondition(after.conditions as Condition[] | undefined, ConditionType.Ready);
    if (isReady?.reason !== wasReady?.reason && (isReady?.reason === Reason.UsageExhausted || isReady?.reason === Reason.SecretConflict)) {
      this.#event(raw, "Warning", isReady.reason, "Deliver", isReady.message);
    }
  }

  async #vendorFailure(ctx: ReconcileContext, raw: Raw, e: VendorError): Promise<Result> {
    const reason = e.kind === "rateLimited" ? Reason.RateLimited
      : e.kind === "credentials" ? Reason.CredentialsInvalid
      : e.kind === "conflict" ? Reason.Conflict
      : e.kind === "invalid" ? Reason.InvalidSpec
      : e.kind === "notFound" ? Reason.NotFound
      : Reason.VendorError;
    // VendorError messages name the operation and vendor code, never a payload.
    const changed = await this.#fail(raw, { reason, message: e.message, keepReady: e.kind !== "invalid" && e.kind !== "credentials" }, ctx.signal);
    if (changed) this.#event(raw, "Warning", reason, "Sync", e.message);
    ctx.log.warn({ err: e.toJSON() }, "ZPA call failed");
    if (e.kind === "invalid" || e.kind === "permanent") throw new TerminalError(e.message);
    if (e.kind === "credentials") return { requeueAfterMs: CREDENTIALS_RETRY_MS };
    throw e; // rate-limited backoff, at least the vendor's retry-after
  }

  async #fail(raw: Raw, failure: { reason: string; message: string; keepReady: boolean }, signal: AbortSignal): Promise<boolean> {
    const next = nextStatus(raw.status, raw.metadata.generation, { kind: "failed", ...failure, now: new Date(this.#now()) });
    return this.#writeStatus(raw, next, signal);
  }

  async #writeStatus(raw: Raw, next: ProvisioningKeyStatus, signal: AbortSignal): Promise<boolean> {
    const wrote = await applyStatus(this.#d.client, resourceTypes.provisioningKeys, raw, next as Record<string, unknown>, signal);
    const uid = raw.metadata.uid;
    if (wrote && uid !== undefined) this.#writtenStatus.set(uid, { basedOn: raw.metadata.resourceVersion, status: next });
    return wrote;
  }

  /** The cached object, with the status we last wrote if the cache has not caught up with it yet. */
  #freshest(cached: Raw): Raw {
    const uid = cached.metadata.uid;
    if (uid === undefined) return cached;
    this.#uidByKey.set(`${cached.metadata.namespace ?? ""}/${cached.metadata.name ?? ""}`, uid);
    const written = this.#writtenStatus.get(uid);
    if (written === undefined) return cached;
    if (written.basedOn !== cached.metadata.resourceVersion) {
      this.#writtenStatus.delete(uid); // the cache has our write (or something newer)
      return cached;
    }
    return { ...cached, status: written.status };
  }

  #plannedCheck(uid: string, lastSyncTime: string | undefined, now: number): number {
    const planned = this.#nextCheck.get(uid);
    if (planned !== undefined) return planned;
    const last = lastSyncTime === undefined ? undefined : Date.parse(lastSyncTime);
    const next = nextDriftCheckAt(Number.isFinite(last) ? last : undefined, this.#d.driftIntervalMs, now, this.#random);
    this.#nextCheck.set(uid, next);
    return next;
  }

  #publishUsage(namespace: string, name: string, status: Pick<ProvisioningKeyStatus, "usageCount" | "maxUsage"> | undefined): void {
    if (status?.usageCount === undefined || status.maxUsage === undefined) return;
    this.#d.metrics.set(namespace, name, status.usageCount, status.maxUsage);
  }

  #forget(key: string): void {
    const { namespace, name } = splitKey(key);
    this.#d.metrics.remove(namespace ?? "", name);
    const uid = this.#uidByKey.get(key);
    this.#uidByKey.delete(key);
    if (uid === undefined) return;
    this.#nextCheck.delete(uid);
    this.#writtenStatus.delete(uid);
  }

  #event(raw: Raw, type: "Normal" | "Warning", reason: string, action: string, note: string): void {
    this.#d.events.record({ type: resourceTypes.provisioningKeys, object: raw }, { type, reason, action, note });
  }

  async #checkpoint(step: Checkpoint, key: string): Promise<void> {
    await this.#d.checkpoint?.(step, key);
  }
}

type SyncResult =
  | { readonly kind: "synced"; readonly key: ProvisioningKeyRecord; readonly action: SyncAction; readonly group: NamedRef | undefined; readonly enrollmentCertificate: NamedRef | undefined }
  | { readonly kind: "failed"; readonly reason: string; readonly message: string; readonly keepReady: boolean };

function notFound(message: string): SyncResult {
  return { kind: "failed", reason: Reason.NotFound, message, keepReady: false };
}

function describeRef(ref: { id?: string | undefined; name?: string | undefined }): string {
  return ref.id !== undefined ? `id ${ref.id}` : `"${ref.name ?? ""}"`;
}

function ownerOf(pk: ProvisioningKey): SecretOwner {
  return { kind: "ProvisioningKey", namespace: pk.metadata.namespace ?? "", name: pk.metadata.name ?? "", uid: pk.metadata.uid ?? "" };
}

function microtenantOf(connection: ResolvedConnection): string | undefined {
  const id = connection.settings["microtenantId"];
  return typeof id === "string" && id !== "" ? id : undefined;
}
