// One reconciler for both connection kinds: parse, resolve the credentials Secret, verify with one
// cheap vendor call when something changed (or the interval passed), and report Ready. While
// resources use the connection it holds the in-use finalizer and the operator keeps a copy of its
// credentials, so their cleanup still works during a teardown (ADR 0007).
import {
  ConditionType,
  type ConnectionStatus,
  Reason,
  finalizers,
  kinds,
  parseClusterVendorConnection,
  parseVendorConnection,
  problemsMessage,
  resourceTypes,
  vendorOf,
} from "../../api/v1alpha1/index.ts";
import type { ConnectionVerifier } from "../../ports/connection.ts";
import { isVendorError } from "../../ports/vendor-error.ts";
import { type Clock, systemClock } from "../../runtime/clock.ts";
import { type Condition, type ConditionInput, findCondition, setCondition } from "../../runtime/conditions.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { splitKey } from "../../runtime/kube/resource.ts";
import type { StatusApplied } from "../../runtime/status.ts";
import { type Key, type ReconcileContext, type Reconciler, type Result, TerminalError } from "../../runtime/reconcile.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import type { ConnectionId, ConsumerSummary } from "../shared/connection-consumers.ts";
import { endpointOf, failedVerification, type LastAttempt, REVERIFY_INTERVAL_MS, SECRET_RECHECK_MS, verificationDue, verifiedCondition } from "./policy.ts";
import type { RetainedData } from "./retained.ts";
import { heldDeletionCondition, teardownPlan } from "./teardown.ts";

export type ConnectionKind = "VendorConnection" | "ClusterVendorConnection";

export type ConnectionObject = KubeObject & { spec?: Record<string, unknown>; status?: ConnectionStatus };

/** The status writer (runtime/status.ts's StatusApplier): compare, write once guarded by resourceVersion, read-your-writes. */
export interface ConnectionStatusWriter {
  apply(object: ConnectionObject, status: ConnectionStatus, opts: { signal?: AbortSignal }): Promise<StatusApplied<ConnectionObject>>;
  freshest(key: string, cached: ConnectionObject | undefined): ConnectionObject | undefined;
  forget(key: string): void;
}

export interface ConnectionReconcilerDeps {
  readonly kind: ConnectionKind;
  /** The informer cache of this kind. */
  readonly get: (key: Key) => KubeObject | undefined;
  /** The shared resolver (namespace undefined = no consumer: the connection itself). */
  readonly resolve: (ref: ConnectionRef, namespace: string | undefined, signal: AbortSignal) => Promise<ConnectionLookup>;
  readonly verifier: ConnectionVerifier;
  readonly status: ConnectionStatusWriter;
  readonly events: EventRecorder;
  /** Who uses the connection (the consumer index). Without it, nothing holds a connection. */
  readonly consumers?: (id: ConnectionId) => ConsumerSummary;
  /**
   * Adds or drops certbridge.dev/in-use (runtime/finalizers.ts: a merge patch guarded by
   * resourceVersion); returns the object as the API server then holds it (undefined: gone).
   */
  readonly finalizer?: { set(object: ConnectionObject, present: boolean, signal: AbortSignal): Promise<ConnectionObject | undefined> };
  /** The retained credentials copies in the operator's namespace. */
  readonly retained?: {
    /** `replace: false` writes only a missing copy: unverified credentials never replace known-good ones. */
    ensure(id: ConnectionId, connectionUid: string, data: RetainedData, signal: AbortSignal, opts?: { replace?: boolean }): Promise<boolean>;
    remove(id: ConnectionId, keepUid: string | undefined, signal: AbortSignal, knownUid?: string): Promise<number>;
  };
  readonly clock?: Clock;
  readonly reverifyIntervalMs?: number;
  readonly secretRecheckMs?: number;
}

export class ConnectionReconciler implements Reconciler {
  readonly name: string;
  readonly #d: ConnectionReconcilerDeps;
  readonly #type: ResourceType;
  readonly #last = new Map<Key, LastAttempt>();

  constructor(deps: ConnectionReconcilerDeps) {
    this.#d = deps;
    this.#type = deps.kind === "VendorConnection" ? resourceTypes.vendorConnections : resourceTypes.clusterVendorConnections;
    this.name = kinds[deps.kind].singular;
  }

  async reconcile(ctx: ReconcileContext, key: Key): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const id: ConnectionId =
      this.#d.kind === "VendorConnection" ? { kind: "VendorConnection", namespace: namespace ?? "", name } : { kind: "ClusterVendorConnection", name };
    // The cache may lag our own last write: start from whichever is newer.
    let raw = this.#d.status.freshest(key, this.#d.get(key) as ConnectionObject | undefined);
    if (raw === undefined) {
      // Deleted: its retained copies go with it (normally already gone with the finalizer).
      this.#last.delete(key);
      this.#d.status.forget(key);
      await this.#d.retained?.remove(id, undefined, ctx.signal);
      return {};
    }
    const now = (this.#d.clock ?? systemClock).now();
    const generation = raw.metadata.generation;
    const uid = raw.metadata.uid ?? "";
    const consumers = this.#d.consumers?.(id) ?? { count: 0, names: [] };
    const deleting = raw.metadata.deletionTimestamp !== undefined;
    const plan = teardownPlan({ deleting, holdsFinalizer: (raw.metadata.finalizers ?? []).includes(finalizers.inUse), consumers: consumers.count });
    const counted: Partial<ConnectionStatus> = { consumers: consumers.count };
    // Each write starts from the object as the last one left it (its resourceVersion guards the next).
    const write = async (condition: ConditionInput, extra: Partial<ConnectionStatus>) => {
      raw = await this.#write(raw!, condition, { ...extra, ...counted }, generation, now, ctx.signal);
    };

    if (plan.addFinalizer) raw = (await this.#d.finalizer?.set(raw, true, ctx.signal)) ?? raw;
    if (plan.dropCopies) {
      // Copies first, finalizer last: a crash in between leaves the finalizer, and the next pass ends it.
      const dropped = await this.#d.retained?.remove(id, undefined, ctx.signal, uid);
      if (dropped) ctx.log.debug({ dropped }, "retained credentials copy deleted (no resource uses the connection)");
      if (plan.releaseFinalizer) raw = (await this.#d.finalizer?.set(raw, false, ctx.signal)) ?? raw;
    } else {
      // A re-created namesake's copy is not this connection's.
      await this.#d.retained?.remove(id, uid, ctx.signal);
    }
    if (plan.finished) {
      this.#last.delete(key);
      this.#d.status.forget(key);
      return {};
    }

    const parsed = this.#d.kind === "VendorConnection" ? parseVendorConnection(raw) : parseClusterVendorConnection(raw);
    if (!parsed.ok) {
      await write({ type: ConditionType.Ready, status: "False", reason: Reason.InvalidSpec, message: problemsMessage(parsed.problems) }, {});
      // A person must fix the spec; the next edit brings the key back.
      throw new TerminalError(`invalid spec: ${problemsMessage(parsed.problems)}`);
    }

    const lookup = await this.#d.resolve({ kind: this.#d.kind, name }, this.#d.kind === "VendorConnection" ? namespace : undefined, ctx.signal);
    const recheck = this.#d.secretRecheckMs ?? SECRET_RECHECK_MS;
    const spec = parsed.value.spec as { caBundleSecretRef?: unknown };
    const retain = async (replace: boolean) => {
      if (!lookup.ok || !plan.retain) return;
      const c = lookup.connection;
      const data: RetainedData = {
        credentials: c.credentials,
        ...(spec.caBundleSecretRef !== undefined && c.caBundlePem !== undefined ? { caBundlePem: c.caBundlePem } : {}),
      };
      if (await this.#d.retained?.ensure(id, uid, data, ctx.signal, { replace }))
        ctx.log.info({ replace }, "retained credentials copy written (resources use the connection)");
    };
    // Some copy at once (the vendor may be down now and the namespace gone later); it is replaced
    // only by credentials the vendor accepted, so a bad rotation never displaces the last good ones.
    await retain(false);
    if (deleting) {
      // Held for its consumers' cleanup: no vendor calls, just say who holds it. Their changes bring us back.
      await write(heldDeletionCondition(consumers), {});
      return { requeueAfterMs: recheck };
    }
    if (!lookup.ok) {
      const reason = lookup.reason === "SecretNotFound" ? Reason.SecretNotFound : lookup.reason === "InvalidSpec" ? Reason.InvalidSpec : lookup.reason;
      await write({ type: ConditionType.Ready, status: "False", reason, message: lookup.message }, {});
      this.#last.delete(key);
      if (reason === Reason.InvalidSpec) throw new TerminalError(lookup.message);
      // The Secret is not ours to watch: look again later (and at once when the connection changes).
      return { requeueAfterMs: recheck };
    }

    const connection = lookup.connection;
    const endpoint = endpointOf(connection);
    const decision = verificationDue({
      status: raw.status,
      generation,
      credentialsResourceVersion: lookup.credentialsResourceVersion,
      fingerprint: connection.fingerprint,
      last: this.#last.get(key),
      now: now.getTime(),
      intervalMs: this.#d.reverifyIntervalMs ?? REVERIFY_INTERVAL_MS,
    });
    if (!decision.due) {
      if (verifiedNow(raw.status, lookup.credentialsResourceVersion)) await retain(true);
      // Only the count may have moved; the applier writes nothing when it did not.
      if (raw.status !== undefined && raw.status.consumers !== consumers.count)
        await this.#d.status.apply(raw, { ...raw.status, ...counted }, { signal: ctx.signal });
      return { requeueAfterMs: Math.min(recheck, decision.nextInMs) };
    }

    ctx.log.debug({ vendor: connection.vendor, why: decision.why }, "verifying connection");
    const attempted = lookup.credentialsResourceVersion === undefined ? {} : { credentialsResourceVersion: lookup.credentialsResourceVersion };
    try {
      await this.#d.verifier.verify(connection, ctx.signal);
    } catch (error) {
      if (!isVendorError(error) || ctx.signal.aborted) throw error;
      const outcome = failedVerification(connection.vendor, endpoint, error);
      this.#last.set(key, { fingerprint: connection.fingerprint, at: now.getTime(), retryable: outcome.retry });
      await write(outcome.condition, attempted);
      if (outcome.retry) throw error; // the queue backs off (at least the vendor's Retry-After)
      return { requeueAfterMs: recheck };
    }
    this.#last.set(key, { fingerprint: connection.fingerprint, at: now.getTime(), retryable: false });
    await retain(true);
    await write(verifiedCondition(connection.vendor, endpoint), { ...attempted, lastVerifiedTime: rfc3339(now) });
    return { requeueAfterMs: Math.min(recheck, this.#d.reverifyIntervalMs ?? REVERIFY_INTERVAL_MS) };
  }

  /** Computes the whole status, writes it once if it changed, and records an Event on a Ready transition; returns the object as written. */
  async #write(
    raw: ConnectionObject,
    condition: ConditionInput,
    extra: Partial<ConnectionStatus>,
    generation: number | undefined,
    now: Date,
    signal: AbortSignal,
  ): Promise<ConnectionObject> {
    const previous = raw.status;
    const vendor = raw.spec === undefined ? undefined : vendorOf(raw.spec);
    const conditions = setCondition(previous?.conditions as Condition[] | undefined, condition, generation, now);
    const status: ConnectionStatus = {
      conditions: conditions as ConnectionStatus["conditions"],
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      ...(vendor === undefined ? {} : { vendor }),
      // lastVerifiedTime says when the credentials last passed: a failure keeps the old one.
      ...(previous?.lastVerifiedTime === undefined ? {} : { lastVerifiedTime: previous.lastVerifiedTime }),
      ...(previous?.credentialsResourceVersion === undefined ? {} : { credentialsResourceVersion: previous.credentialsResourceVersion }),
      ...(previous?.consumers === undefined ? {} : { consumers: previous.consumers }),
      ...extra,
    };
    const { object } = await this.#d.status.apply(raw, status, { signal });
    const before = findCondition(previous?.conditions as Condition[] | undefined, ConditionType.Ready);
    if (before?.status === condition.status && before.reason === condition.reason) return object;
    this.#d.events.record(
      { type: this.#type, object: raw },
      {
        type: condition.status === "True" || condition.reason === Reason.Deleting ? "Normal" : "Warning",
        reason: condition.reason,
        action: condition.reason === Reason.Deleting ? "Delete" : "Verify",
        note: condition.message,
      },
    );
    return object;
  }
}

/** Ready=True/Verified for exactly the credentials Secret version at hand. */
function verifiedNow(status: ConnectionStatus | undefined, credentialsResourceVersion: string | undefined): boolean {
  const ready = findCondition(status?.conditions as Condition[] | undefined, ConditionType.Ready);
  return ready?.status === "True" && ready.reason === Reason.Verified && status?.credentialsResourceVersion === credentialsResourceVersion;
}

/** RFC 3339 without fractional seconds, as Kubernetes timestamps are written. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
