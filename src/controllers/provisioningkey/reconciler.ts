// The ProvisioningKey reconciler: ZPA key ⇄ spec, key value → Secret, status written once.
//
// Vendor calls happen only when something asks for them (no key recorded yet, a spec change, a
// rotation, a Secret that needs repair, a failed last sync, or the jittered drift check); a Ready
// key costs nothing between checks. Create is crash-safe: the name is deterministic, always looked up
// before a create, and a create intent is recorded in status before the create is sent, so a key
// created by a run that died is found and known as ours, not repeated.
//
// Tenancy (ADR 0006): before any vendor call, the resource must hold its claim on the key (no other
// ProvisioningKey, in any namespace, reaches the same key through the same tenant), its Secret must
// not be foreign, and a key it did not create is taken over only when spec.adopt asks and the
// connection allows it (ObserveOnly always counts as taking over).
import { isDeepStrictEqual } from "node:util";
import {
  annotations,
  finalizers,
  normalizeKeyName,
  kinds,
  parseProvisioningKey,
  problemsMessage,
  Reason,
  resourceTypes,
  ConditionType,
  type ProvisioningKey,
  type ProvisioningKeyStatus,
} from "../../api/v1alpha1/index.ts";
import { type ResolvedConnection, zpaMicrotenantOf } from "../../ports/connection.ts";
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord, ProvisioningKeyService } from "../../ports/provisioning-keys.ts";
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
import { classifySecret, writeOwnedSecret, type Secret, type SecretOwner, type SecretOwnership } from "../shared/owned-secret.ts";
import { claimantFromRaw, claimantOf, claimLostMessage, idClaim, verdictOf, type Claim, type Claimant, type ClaimVerdict } from "./claims.ts";
import {
  cleanupGraceOver, createIntentFor, createSettlingMs, DEFAULT_CLEANUP_GRACE_MS, desiredKey, driftedFields, keyNameOf, mustRotate, nextDriftCheckAt, originOf,
  reservedNameProblem, rotationRequest, syncReason, type KeyOrigin, type RotationRequest,
} from "./decisions.ts";
import type { UsageMetrics } from "./metrics.ts";
import { desiredSecret, secretIntact } from "./secret.ts";
import { nextStatus, onlySyncTimeChanged, type Outcome, type SyncAction } from "./status.ts";
import { connectionIdentityTenancy, type TenancyPort } from "./tenancy.ts";

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
  | "intent-recorded"
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
  /** purpose "cleanup" only on the deletion path (contract C1); the default is "provision". */
  resolve(ref: ConnectionRef, namespace: string, expectedVendor: "zpa", signal: AbortSignal, opts?: { purpose?: "provision" | "cleanup" }): Promise<ConnectionLookup>;
}

/** Every resource's claims on ZPA keys (claims.ts), kept by the caller from the informer. */
export interface ClaimsPort {
  /** The resources claiming `claimId` (this one may be among them). */
  claimants(claimId: string): Iterable<Claimant>;
  /** This resource's claims as just computed (its connection, hence its tenant, may have changed). */
  refresh?(claimant: Claimant): void;
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
  /** Default: a scan of `keys` with connection identities as tenants (setup passes the index). */
  readonly claims?: ClaimsPort;
  /** Default: connectionIdentityTenancy (a ClusterVendorConnection never allows adoption). */
  readonly tenancy?: TenancyPort;
  /** How long a deletion whose ZPA key cannot be deleted holds the finalizer (default 15 min). */
  readonly cleanupGraceMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** A seam for crash tests; throwing here stops the reconcile exactly as a kill would. */
  readonly checkpoint?: (step: Checkpoint, key: string) => void | Promise<void>;
}

const FINALIZER = finalizers.cleanup;
const CONNECTION_RETRY_MS = 5 * 60_000;
const NOT_FOUND_RETRY_MS = 5 * 60_000;
const CREDENTIALS_RETRY_MS = 10 * 60_000;
/** A refusal that changes only when another resource or the connection does (both wake us) or by time. */
const REFUSED_RETRY_MS = 5 * 60_000;
const SECRET_CONFLICT_RETRY_MS = 60_000;
const CLEANUP_RETRY_MS = 60_000;
/** While a create's outcome is unknown, how often ZPA is asked whether it landed. */
const SETTLE_LOOK_MS = 15_000;
/** How long a Secret we wrote may be missing from the cache before it counts as deleted. */
const SECRET_CACHE_GRACE_MS = 10_000;

type Raw = KubeObject & { spec?: Record<string, unknown>; status?: ProvisioningKeyStatus };

export class ProvisioningKeyReconciler implements Reconciler {
  readonly name = CONTROLLER_NAME;
  readonly #d: ProvisioningKeyReconcilerDeps;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #tenancy: TenancyPort;
  readonly #claims: ClaimsPort;
  /** uid → when ZPA is next looked at; planned once so repeated reconciles do not re-roll the jitter. */
  readonly #nextCheck = new Map<string, number>();
  readonly #uidByKey = new Map<string, string>();
  /**
   * Per uid, the object as this process last wrote it (status, finalizers) and the resourceVersions
   * between the cached one and it, all ours. Until the cache shows the last of them, decisions use what
   * we wrote: a reconcile triggered by our own Secret write must not see the pre-write status and sync
   * with ZPA again, nor base a write on a version we know to be stale.
   */
  readonly #written = new Map<string, { chain: readonly string[]; latest: Raw }>();
  /** Secrets written but not yet seen by the Secret cache (cleared by `secretObserved`). */
  readonly #pendingSecrets = new Map<string, number>();

  constructor(deps: ProvisioningKeyReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
    this.#tenancy = deps.tenancy ?? connectionIdentityTenancy;
    this.#claims = deps.claims ?? scanningClaims(deps.keys, this.#tenancy);
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
    // A copy: the create intent is written into it mid-reconcile, and the cache's object is not ours.
    const raw = { ...this.#freshest(cached) };
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
    const keyName = keyNameOf(pk.spec, ns, name);

    const reserved = reservedNameProblem(pk.spec.name, ns);
    if (reserved !== undefined) {
      await this.#fail(raw, { reason: Reason.InvalidSpec, message: reserved, keepReady: false }, ctx.signal);
      throw new TerminalError(`invalid spec: ${reserved}`);
    }
    // Checked on every reconcile, not only before a sync: a Ready resource can lose its claim too
    // (two resources that recorded one key before claims existed).
    const me = this.#claimant(pk, keyName);
    const verdict = this.#verdict(me, me.claims);
    if (!verdict.held) return this.#claimLost(ctx, raw, pk, verdict);

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

    // The Secret must be free before anything is asked of ZPA: a key that can never be delivered is
    // not created, and its value is not even read.
    if (!secretPending && (await this.#secretOwnership(secret, owner, pk.spec.secretName, ctx.signal)) === "foreign") {
      const message = `Secret ${pk.spec.secretName} exists and is not owned by this ProvisioningKey; it is left untouched and nothing is done in ZPA until it is free (choose another secretName or delete that Secret)`;
      await this.#refuse(raw, Reason.SecretConflict, message, ctx.signal);
      return { requeueAfterMs: SECRET_CONFLICT_RETRY_MS };
    }

    const lookup = await this.#d.connections.resolve(pk.spec.connectionRef, ns, "zpa", ctx.signal, { purpose: "provision" });
    if (!lookup.ok) {
      await this.#fail(raw, { reason: lookup.reason, message: lookup.message, keepReady: false }, ctx.signal);
      return { requeueAfterMs: CONNECTION_RETRY_MS };
    }
    if (lookup.connection.deleting === true) {
      // Only a cleanup resolution returns a deleting connection; never provision through one anyway.
      await this.#fail(raw, { reason: "ConnectionDeleting", message: `${pk.spec.connectionRef.kind} ${pk.spec.connectionRef.name} is being deleted; nothing new is made through it`, keepReady: false }, ctx.signal);
      return { requeueAfterMs: CONNECTION_RETRY_MS };
    }
    await this.#checkpoint("connection-resolved", key);
    const connection = lookup.connection;
    const microtenantId = pk.spec.microtenantId ?? microtenantOf(connection);

    let outcome: Outcome;
    try {
      if (observeOnly) {
        // Observing is taking over a key this resource did not make: the connection must allow it.
        const permission = await this.#tenancy.adoption(pk.spec.connectionRef, ns, keyName, ctx.signal);
        if (!permission.allowed) {
          await this.#refuse(raw, Reason.AdoptionNotAllowed, `ObserveOnly delivers an existing ZPA key, which is taking it over: ${permission.message}`, ctx.signal);
          return { requeueAfterMs: REFUSED_RETRY_MS };
        }
      }
      const service = this.#d.ports().provisioningKeys(connection);
      const synced = observeOnly
        ? await this.#observe(ctx, key, pk, me, service, microtenantId)
        : await this.#manage(ctx, key, raw, pk, me, service, microtenantId, rotation);
      if (synced.kind === "wait") {
        ctx.log.debug({ waitMs: synced.retryAfterMs }, "a create's outcome is unknown: looking again before creating again");
        return { requeueAfterMs: synced.retryAfterMs };
      }
      if (synced.kind === "failed") {
        if (synced.refused) await this.#refuse(raw, synced.reason, synced.message, ctx.signal);
        else await this.#fail(raw, synced, ctx.signal);
        return { requeueAfterMs: synced.refused ? REFUSED_RETRY_MS : NOT_FOUND_RETRY_MS };
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
  async #manage(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey, me: Claimant, svc: ProvisioningKeyService, microtenantId: string | undefined, rotation: RotationRequest): Promise<SyncResult> {
    const type = pk.spec.associationType;
    const { namespace, name } = splitKey(key);
    const ns = namespace ?? "";
    const keyName = keyNameOf(pk.spec, ns, name);
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
    let origin: KeyOrigin = "recorded";
    if (observed === undefined) {
      observed = await svc.findByName(type, keyName, microtenantId, ctx.signal);
      if (observed !== undefined) {
        const refused = this.#foundElsewhere(me, observed.id, ns);
        if (refused !== undefined) return refused;
        origin = originOf(observed, recordedId, pk.status?.createIntent);
      }
    }
    await this.#checkpoint("looked-up", key);

    if (observed !== undefined && origin === "preExisting") {
      // Made outside this resource (console, Terraform, an earlier resource): never taken over silently.
      const what = `a provisioning key named ${observed.name} (id ${observed.id}) already exists in ZPA and was not created by this resource`;
      if (!pk.spec.adopt) return refusedAdoption(`${what}; set spec.adopt: true to take it over (the connection must allow it), or choose another spec.name`);
      const permission = await this.#tenancy.adoption(pk.spec.connectionRef, ns, keyName, ctx.signal);
      if (!permission.allowed) return refusedAdoption(`${what}; ${permission.message}`);
    }

    let action: SyncAction;
    if (observed === undefined) {
      // A create announced moments ago may still land (its answer was lost, or we crashed): look again
      // until it would have, never create a second key meanwhile.
      const settling = createSettlingMs(raw.status?.createIntent, keyName, this.#now());
      if (settling !== undefined) return { kind: "wait", retryAfterMs: Math.max(1000, Math.min(SETTLE_LOOK_MS, settling)) };
      observed = await this.#create(raw, svc, desired, key, ctx.signal);
      // Gone with a rotation pending: a rotation that died after its delete; this create completes it.
      action = recordedId === undefined ? "Created" : rotation.requested ? "Rotated" : "Recreated";
    } else if (mustRotate(rotation, observed.id, recordedId)) {
      await svc.delete(type, observed.id, microtenantId, ctx.signal);
      await this.#checkpoint("rotation-deleted", key);
      observed = await this.#create(raw, svc, desired, key, ctx.signal);
      action = "Rotated";
    } else {
      const drift = driftedFields(desired, observed);
      if (drift.length > 0) {
        await svc.update(observed.id, desired, ctx.signal);
        await this.#checkpoint("updated", key);
        ctx.log.info({ fields: drift, id: observed.id }, "updated the ZPA key to match the spec");
        observed = merged(observed, desired);
      }
      if (origin === "preExisting") action = "Adopted";
      // Made by an earlier run that stopped before recording it: its create, its (re-)creation or rotation.
      else if (origin === "createdByUs") action = recordedId === undefined ? "Created" : rotation.requested ? "Rotated" : "Recreated";
      else action = drift.length > 0 ? "Updated" : "InSync";
    }
    return { kind: "synced", key: observed, action, group, enrollmentCertificate: cert };
  }

  /** ObserveOnly: find the named key, report it and deliver it; never write to ZPA. */
  async #observe(ctx: ReconcileContext, key: string, pk: ProvisioningKey, me: Claimant, svc: ProvisioningKeyService, microtenantId: string | undefined): Promise<SyncResult> {
    const type = pk.spec.associationType;
    const { namespace, name } = splitKey(key);
    const keyName = keyNameOf(pk.spec, namespace ?? "", name);
    const recordedId = pk.status?.id;
    let observed = recordedId === undefined ? undefined : await svc.get(type, recordedId, microtenantId, ctx.signal);
    if (observed !== undefined && normalizeKeyName(observed.name) !== normalizeKeyName(keyName)) observed = undefined; // spec.name now names another key
    if (observed === undefined) {
      observed = await svc.findByName(type, keyName, microtenantId, ctx.signal);
      const refused = observed === undefined ? undefined : this.#foundElsewhere(me, observed.id, namespace ?? "");
      if (refused !== undefined) return refused;
    }
    await this.#checkpoint("looked-up", key);
    if (observed === undefined) return notFound(`no ${type} provisioning key named ${keyName} exists in ZPA to observe`);
    const group = await svc.resolveGroup(type, { id: observed.groupId }, microtenantId, ctx.signal);
    const cert = await svc.resolveEnrollmentCertificate(type, { id: observed.enrollmentCertId }, ctx.signal);
    return { kind: "synced", key: observed, action: recordedId === observed.id ? "InSync" : "Adopted", group, enrollmentCertificate: cert };
  }

  /**
   * A key found by name may be one another resource recorded (renamed since, or found through a
   * padded name): it is theirs, whatever this resource's name claim said. Its value goes nowhere.
   */
  #foundElsewhere(me: Claimant, id: string, namespace: string): SyncResult | undefined {
    const claim = idClaim(me, id);
    if (claim === undefined) return undefined;
    const verdict = this.#verdict(me, [claim]);
    if (verdict.held) return undefined;
    return { kind: "failed", reason: Reason.KeyClaimed, message: claimLostMessage(verdict, namespace), keepReady: false, refused: true };
  }

  /**
   * Announce, then create. An answer that says ZPA did not create it (refused, rate-limited, invalid)
   * withdraws the announcement, so the next attempt need not wait out a create that never happened;
   * a lost answer (timeout, 5xx, a crash) leaves it: that create may still land.
   */
  async #create(raw: Raw, svc: ProvisioningKeyService, desired: ProvisioningKeyDesired, key: string, signal: AbortSignal): Promise<ProvisioningKeyRecord> {
    await this.#recordCreateIntent(raw, desired.name, key, signal);
    try {
      const created = await svc.create(desired, signal);
      await this.#checkpoint("created", key);
      return created;
    } catch (e) {
      if (isVendorError(e) && CREATE_REFUSED.has(e.kind) && raw.status?.createIntent !== undefined) {
        const { createIntent: _withdrawn, ...rest } = raw.status;
        raw.status = rest; // the failure's status write (vendorFailure) drops it
      }
      throw e;
    }
  }

  /** Status says which key is about to be created before the create is sent (the crash-safety record). */
  async #recordCreateIntent(raw: Raw, keyName: string, key: string, signal: AbortSignal): Promise<void> {
    const intent = createIntentFor(raw.status?.createIntent, keyName, new Date(this.#now()));
    if (raw.status?.createIntent?.since === intent.since && raw.status.createIntent.name === intent.name) return;
    const next: ProvisioningKeyStatus = { ...(raw.status ?? {}), createIntent: intent };
    await this.#writeStatus(raw, next, signal); // raw follows: a later failure write keeps the intent
    await this.#checkpoint("intent-recorded", key);
  }

  /** This resource lost a claim: no vendor call; a copy of the holder's key it may hold goes. */
  async #claimLost(ctx: ReconcileContext, raw: Raw, pk: ProvisioningKey, verdict: Extract<ClaimVerdict, { held: false }>): Promise<Result> {
    const message = claimLostMessage(verdict, pk.metadata.namespace ?? "");
    const status = raw.status ?? {};
    const holdsTheirKey = verdict.claim.kind === "id" && status.id === verdict.claim.label;
    if (holdsTheirKey) {
      // Recorded before claims existed (two resources on one key): forget the key, and take its value
      // out of this resource's Secret: it belongs to the holder.
      const owner = ownerOf(pk);
      const secretName = status.secretName ?? pk.spec.secretName;
      const secret = this.#d.secrets.get(`${owner.namespace}/${secretName}`);
      if (secret?.metadata.annotations?.[annotations.vendorRef] === status.id) await this.#deleteOwnedSecret(secretName, owner, ctx.signal);
      const { id: _id, name: _name, usageCount: _u, maxUsage: _m, enabled: _e, group: _g, enrollmentCertificate: _c, lastSyncTime: _l, createIntent: _i, ...rest } = status;
      raw.status = rest;
    }
    await this.#refuse(raw, Reason.KeyClaimed, message, ctx.signal);
    ctx.log.info({ claim: verdict.claim.kind }, "another ProvisioningKey holds the ZPA key; no vendor call");
    return { requeueAfterMs: REFUSED_RETRY_MS };
  }

  // ------------------------------------------------------------------ deletion

  async #finalize(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey): Promise<Result> {
    if (!(pk.metadata.finalizers ?? []).includes(FINALIZER)) {
      this.#forget(key);
      return {};
    }
    if (pk.spec.managementPolicy === "Manage" && pk.spec.deletionPolicy === "Delete") {
      const { namespace, name } = splitKey(key);
      const ns = namespace ?? "";
      const me = this.#claimant(pk, keyNameOf(pk.spec, ns, name));
      // Only keys this resource holds: the one it recorded, and one it created but did not record
      // (its create intent). Never a key found by name alone: that may be anyone's.
      const recordedId = pk.status?.id;
      const intent = pk.status?.createIntent;
      const deleteRecorded = recordedId !== undefined && this.#holds(me, me.claims.find((c) => c.kind === "id" && c.label === recordedId));
      const lookForIntent = intent !== undefined && this.#holds(me, me.claims.find((c) => c.kind === "name" && c.label === normalizeKeyName(intent.name)));
      if (deleteRecorded || lookForIntent) {
        const lookup = await this.#d.connections.resolve(pk.spec.connectionRef, ns, "zpa", ctx.signal, { purpose: "cleanup" });
        if (!lookup.ok) return this.#cleanupBlocked(ctx, key, raw, pk, lookup.message);
        const microtenantId = pk.spec.microtenantId ?? microtenantOf(lookup.connection);
        const type = pk.spec.associationType;
        try {
          const svc = this.#d.ports().provisioningKeys(lookup.connection);
          const ids = new Set<string>(deleteRecorded && recordedId !== undefined ? [recordedId] : []);
          if (lookForIntent) {
            const byName = await svc.findByName(type, intent.name, microtenantId, ctx.signal);
            const ours = byName !== undefined && originOf(byName, recordedId, intent) !== "preExisting" && this.#foundElsewhere(me, byName.id, ns) === undefined;
            if (ours) ids.add(byName.id);
            // Its create may still land: letting go now would leave that key behind, tracked by nobody.
            const settling = byName === undefined ? createSettlingMs(intent, intent.name, this.#now()) : undefined;
            if (settling !== undefined) return { requeueAfterMs: Math.max(1000, Math.min(SETTLE_LOOK_MS, settling)) };
          }
          for (const id of ids) await svc.delete(type, id, microtenantId, ctx.signal);
        } catch (e) {
          if (!isVendorError(e)) throw e;
          // Credentials refused, or ZPA will never allow it (a Deception key): as impossible as a missing connection.
          if (e.kind === "credentials" || e.kind === "invalid" || e.kind === "permanent") return this.#cleanupBlocked(ctx, key, raw, pk, e.message);
          return this.#vendorFailure(ctx, raw, e);
        }
        // The Secret holds a key that no longer exists; do not leave it for workloads to trip over.
        await this.#deleteOwnedSecret(pk.status?.secretName ?? pk.spec.secretName, ownerOf(pk), ctx.signal);
        this.#event(raw, "Normal", "Deleted", "Delete", "deleted the provisioning key in ZPA (deletionPolicy Delete)");
      }
    }
    await this.#removeFinalizer(raw, ctx.signal);
    this.#forget(key);
    return {};
  }

  /**
   * The key cannot be deleted (connection or credentials gone for good, ZPA refuses). Say so, with the
   * way out; after the grace, release the resource and leave the key in ZPA, said in a Warning Event.
   */
  async #cleanupBlocked(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey, why: string): Promise<Result> {
    const graceMs = this.#d.cleanupGraceMs ?? DEFAULT_CLEANUP_GRACE_MS;
    const deletionAt = Date.parse(pk.metadata.deletionTimestamp ?? "");
    const keyText = pk.status?.id === undefined ? `the ZPA key ${pk.status?.createIntent?.name ?? ""}`.trimEnd() : `ZPA key ${pk.status.name ?? ""} (id ${pk.status.id})`;
    if (cleanupGraceOver(pk.metadata.deletionTimestamp, this.#now(), graceMs)) {
      this.#event(raw, "Warning", "KeyOrphaned", "Delete", `released without deleting ${keyText}: ${why}. Delete it in the ZPA console if it is no longer used`);
      ctx.log.warn({ id: pk.status?.id }, "cleanup impossible within the grace; finalizer released, ZPA key left");
      await this.#removeFinalizer(raw, ctx.signal);
      this.#forget(key);
      return {};
    }
    const until = new Date(deletionAt + graceMs).toISOString().replace(/\.\d{3}Z$/, "Z");
    const message = `cannot delete ${keyText}: ${why}. Restore the connection or its credentials, or set spec.deletionPolicy: Orphan to release this resource now; at ${until} it is released and the key left in ZPA`;
    const changed = await this.#fail(raw, { reason: Reason.CleanupBlocked, message, keepReady: false }, ctx.signal);
    if (changed) this.#event(raw, "Warning", Reason.CleanupBlocked, "Delete", message);
    return { requeueAfterMs: clampDelay(Math.min(CLEANUP_RETRY_MS, Math.max(1000, deletionAt + graceMs - this.#now()))) };
  }

  // ------------------------------------------------------------------ claims

  #claimant(pk: ProvisioningKey, keyName: string): Claimant {
    const me = claimantOf(pk, this.#tenancy.tenantOf(pk.spec.connectionRef, pk.metadata.namespace ?? ""), keyName);
    this.#claims.refresh?.(me);
    return me;
  }

  #verdict(me: Claimant, claims: readonly Claim[]): ClaimVerdict {
    return verdictOf(me, claims, (id) => this.#claims.claimants(id));
  }

  #holds(me: Claimant, claim: Claim | undefined): boolean {
    return claim !== undefined && this.#verdict(me, [claim]).held;
  }

  /** The owned-Secret cache holds only labelled Secrets: one it does not hold may be absent or foreign. */
  async #secretOwnership(cached: Secret | undefined, owner: SecretOwner, secretName: string, signal: AbortSignal): Promise<SecretOwnership> {
    const fromCache = classifySecret(cached, owner);
    if (fromCache !== "absent") return fromCache;
    try {
      return classifySecret(await this.#d.client.get<Secret>(core.secrets, owner.namespace, secretName, signal), owner);
    } catch (e) {
      if (isNotFound(e)) return "absent";
      throw e;
    }
  }

  // ------------------------------------------------------------------ helpers

  async #ensureFinalizer(ctx: ReconcileContext, key: string, raw: Raw, pk: ProvisioningKey): Promise<void> {
    const has = (raw.metadata.finalizers ?? []).includes(FINALIZER);
    // ObserveOnly never deletes in ZPA, so it has nothing to finish before the resource goes.
    const wants = pk.spec.managementPolicy === "Manage";
    if (has === wants) return;
    const list = wants ? [...(raw.metadata.finalizers ?? []), FINALIZER] : (raw.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    const basedOn = raw.metadata.resourceVersion;
    const patched = await this.#d.client.mergePatch<Raw>(resourceTypes.provisioningKeys, raw.metadata.namespace, raw.metadata.name ?? "", {
      metadata: { finalizers: list, resourceVersion: basedOn },
    }, { signal: ctx.signal });
    raw.metadata = { ...raw.metadata, finalizers: list, ...(patched?.metadata?.resourceVersion ? { resourceVersion: patched.metadata.resourceVersion } : {}) };
    this.#remember(raw, basedOn);
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
      case "Adopted":
        if (outcome.observeOnly) this.#event(raw, "Normal", Reason.Adopted, "Observe", `observing ${keyText}`);
        else this.#event(raw, "Normal", Reason.Adopted, "Adopt", `took over ${keyText}, which existed in ZPA before this resource (spec.adopt)`);
        break;
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

  /** A refusal the user must act on: not Ready, and a Warning Event when it is new. */
  async #refuse(raw: Raw, reason: string, message: string, signal: AbortSignal): Promise<void> {
    const changed = await this.#fail(raw, { reason, message, keepReady: false }, signal);
    if (changed) this.#event(raw, "Warning", reason, "Sync", message);
  }

  async #fail(raw: Raw, failure: { reason: string; message: string; keepReady: boolean }, signal: AbortSignal): Promise<boolean> {
    const next = nextStatus(raw.status, raw.metadata.generation, { kind: "failed", ...failure, now: new Date(this.#now()) });
    return this.#writeStatus(raw, next, signal);
  }

  /**
   * Server-side apply of the status, conditional on the resourceVersion the decision was made from
   * (409 when stale: the reconcile runs again on a fresher cache). Unconditional, a write computed
   * from a lagging cache — after a restart, say — would erase what a newer write recorded, the create
   * intent above all. `raw` follows the write, so later writes of the same reconcile build on it.
   */
  async #writeStatus(raw: Raw, next: ProvisioningKeyStatus, signal: AbortSignal): Promise<boolean> {
    if (isDeepStrictEqual(withoutUndefined(raw.status ?? {}), withoutUndefined(next))) return false;
    const basedOn = raw.metadata.resourceVersion;
    const written = await this.#d.client.apply<Raw>(resourceTypes.provisioningKeys, {
      metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace, ...(basedOn === undefined ? {} : { resourceVersion: basedOn }) },
      status: next,
    } as Raw, { subresource: "status", force: true, signal });
    raw.status = next;
    const rv = written?.metadata?.resourceVersion;
    if (rv !== undefined) raw.metadata = { ...raw.metadata, resourceVersion: rv };
    this.#remember(raw, basedOn);
    return true;
  }

  /** `raw` is now what the API server holds, reached from `basedOn` by our own write. */
  #remember(raw: Raw, basedOn: string | undefined): void {
    const uid = raw.metadata.uid;
    if (uid === undefined || basedOn === undefined) return;
    const previous = this.#written.get(uid);
    const continues = previous !== undefined && (previous.chain.includes(basedOn) || previous.latest.metadata.resourceVersion === basedOn);
    this.#written.set(uid, { chain: continues ? [...previous.chain, basedOn] : [basedOn], latest: { ...raw, metadata: { ...raw.metadata } } });
  }

  /** The cached object, or what we wrote on top of it if the cache has not caught up with our writes. */
  #freshest(cached: Raw): Raw {
    const uid = cached.metadata.uid;
    if (uid === undefined) return cached;
    this.#uidByKey.set(`${cached.metadata.namespace ?? ""}/${cached.metadata.name ?? ""}`, uid);
    const written = this.#written.get(uid);
    if (written === undefined) return cached;
    const rv = cached.metadata.resourceVersion;
    if (rv !== undefined && written.chain.includes(rv) && rv !== written.latest.metadata.resourceVersion) return written.latest;
    this.#written.delete(uid); // the cache has our last write, or something newer than it
    return cached;
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
    this.#written.delete(uid);
  }

  #event(raw: Raw, type: "Normal" | "Warning", reason: string, action: string, note: string): void {
    this.#d.events.record({ type: resourceTypes.provisioningKeys, object: raw }, { type, reason, action, note });
  }

  async #checkpoint(step: Checkpoint, key: string): Promise<void> {
    await this.#d.checkpoint?.(step, key);
  }
}

/** Vendor answers that say a create did not happen (as opposed to no answer: transient, timeouts). */
const CREATE_REFUSED: ReadonlySet<VendorError["kind"]> = new Set(["rateLimited", "credentials", "invalid", "conflict", "notFound", "blocked"]);

type SyncResult =
  | { readonly kind: "synced"; readonly key: ProvisioningKeyRecord; readonly action: SyncAction; readonly group: NamedRef | undefined; readonly enrollmentCertificate: NamedRef | undefined }
  /** A create's outcome is unknown and it may still land: look again after this long, create nothing. */
  | { readonly kind: "wait"; readonly retryAfterMs: number }
  /** `refused`: a tenancy rule said no (a Warning Event goes with it), not a missing object. */
  | { readonly kind: "failed"; readonly reason: string; readonly message: string; readonly keepReady: boolean; readonly refused?: boolean };

function notFound(message: string): SyncResult {
  return { kind: "failed", reason: Reason.NotFound, message, keepReady: false };
}

function refusedAdoption(message: string): SyncResult {
  return { kind: "failed", reason: Reason.AdoptionNotAllowed, message, keepReady: false, refused: true };
}

/** The key as ZPA holds it after an update: the desired fields, ZPA's own id, value and usage. */
function merged(observed: ProvisioningKeyRecord, desired: ProvisioningKeyDesired): ProvisioningKeyRecord {
  return { ...observed, ...desired, id: observed.id, value: observed.value, usageCount: observed.usageCount };
}

/**
 * Claims by scanning the cache on every ask: what a reconciler built without an index uses (tests,
 * simulations). Correct, O(resources) per reconcile; the controller setup passes the index instead.
 */
function scanningClaims(keys: ObjectCache<KubeObject>, tenancy: TenancyPort): ClaimsPort {
  return {
    claimants: (claimId) =>
      keys
        .list()
        .map((raw) => claimantFromRaw(raw as Parameters<typeof claimantFromRaw>[0], (ref, ns) => tenancy.tenantOf(ref, ns)))
        .filter((c) => c.claims.some((x) => x.id === claimId)),
  };
}

function describeRef(ref: { id?: string | undefined; name?: string | undefined }): string {
  return ref.id !== undefined ? `id ${ref.id}` : `"${ref.name ?? ""}"`;
}

function ownerOf(pk: ProvisioningKey): SecretOwner {
  return { kind: "ProvisioningKey", namespace: pk.metadata.namespace ?? "", name: pk.metadata.name ?? "", uid: pk.metadata.uid ?? "" };
}

function microtenantOf(connection: ResolvedConnection): string | undefined {
  return zpaMicrotenantOf(connection);
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]));
}
