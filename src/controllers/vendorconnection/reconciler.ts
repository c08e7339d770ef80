// One reconciler for both connection kinds: parse, resolve the credentials Secret, verify with one
// cheap vendor call when something changed (or the interval passed), and report Ready.
import {
  ConditionType,
  type ConnectionStatus,
  Reason,
  kinds,
  parseClusterVendorConnection,
  parseVendorConnection,
  problemsMessage,
  resourceTypes,
  vendorOf,
} from "../../api/v1alpha1/index.ts";
import type { ConnectionVerifier } from "../../ports/connection.ts";
import { isVendorError } from "../../ports/vendor-error.ts";
import { type Condition, type ConditionInput, findCondition, setCondition } from "../../runtime/conditions.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { splitKey } from "../../runtime/kube/resource.ts";
import { type Key, type ReconcileContext, type Reconciler, type Result, TerminalError } from "../../runtime/reconcile.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import { endpointOf, failedVerification, type LastAttempt, REVERIFY_INTERVAL_MS, SECRET_RECHECK_MS, verificationDue, verifiedCondition } from "./policy.ts";

export type ConnectionKind = "VendorConnection" | "ClusterVendorConnection";

type ConnectionObject = KubeObject & { spec?: Record<string, unknown>; status?: ConnectionStatus };

export interface ConnectionReconcilerDeps {
  readonly kind: ConnectionKind;
  /** The informer cache of this kind. */
  readonly get: (key: Key) => KubeObject | undefined;
  /** The shared resolver (namespace undefined = no consumer: the connection itself). */
  readonly resolve: (ref: ConnectionRef, namespace: string | undefined, signal: AbortSignal) => Promise<ConnectionLookup>;
  readonly verifier: ConnectionVerifier;
  /** Writes the status when it differs (applyStatus); returns whether it wrote. */
  readonly writeStatus: (type: ResourceType, object: KubeObject, status: Record<string, unknown>, signal: AbortSignal) => Promise<boolean>;
  readonly events: EventRecorder;
  readonly now?: () => Date;
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
    const raw = this.#d.get(key) as ConnectionObject | undefined;
    if (raw === undefined) {
      // Deleted: nothing of ours lives outside the object.
      this.#last.delete(key);
      return {};
    }
    const now = (this.#d.now ?? (() => new Date()))();
    const generation = raw.metadata.generation;
    const write = (condition: ConditionInput, extra: Partial<ConnectionStatus>) => this.#write(raw, condition, extra, generation, now, ctx.signal);

    const parsed = this.#d.kind === "VendorConnection" ? parseVendorConnection(raw) : parseClusterVendorConnection(raw);
    if (!parsed.ok) {
      await write({ type: ConditionType.Ready, status: "False", reason: Reason.InvalidSpec, message: problemsMessage(parsed.problems) }, {});
      // A person must fix the spec; the next edit brings the key back.
      throw new TerminalError(`invalid spec: ${problemsMessage(parsed.problems)}`);
    }

    const { namespace, name } = splitKey(key);
    const lookup = await this.#d.resolve({ kind: this.#d.kind, name }, this.#d.kind === "VendorConnection" ? namespace : undefined, ctx.signal);
    if (!lookup.ok) {
      const reason = lookup.reason === "SecretNotFound" ? Reason.SecretNotFound : lookup.reason === "InvalidSpec" ? Reason.InvalidSpec : lookup.reason;
      await write({ type: ConditionType.Ready, status: "False", reason, message: lookup.message }, {});
      this.#last.delete(key);
      if (reason === Reason.InvalidSpec) throw new TerminalError(lookup.message);
      // The Secret is not ours to watch: look again later (and at once when the connection changes).
      return { requeueAfterMs: this.#d.secretRecheckMs ?? SECRET_RECHECK_MS };
    }

    const connection = lookup.connection;
    const endpoint = endpointOf(connection.vendor, connection.settings);
    const recheck = this.#d.secretRecheckMs ?? SECRET_RECHECK_MS;
    const decision = verificationDue({
      status: raw.status,
      generation,
      credentialsResourceVersion: lookup.credentialsResourceVersion,
      fingerprint: connection.fingerprint,
      last: this.#last.get(key),
      now: now.getTime(),
      intervalMs: this.#d.reverifyIntervalMs ?? REVERIFY_INTERVAL_MS,
    });
    if (!decision.due) return { requeueAfterMs: Math.min(recheck, decision.nextInMs) };

    ctx.log.debug({ vendor: connection.vendor, why: decision.why }, "verifying connection");
    const attempted = lookup.credentialsResourceVersion === undefined ? {} : { credentialsResourceVersion: lookup.credentialsResourceVersion };
    try {
      await this.#d.verifier.verify(connection, ctx.signal);
    } catch (error) {
      if (!isVendorError(error) || ctx.signal.aborted) throw error;
      const outcome = failedVerification(connection.vendor, endpoint, error.kind, error.message);
      this.#last.set(key, { fingerprint: connection.fingerprint, at: now.getTime(), retryable: outcome.retry });
      await write(outcome.condition, attempted);
      if (outcome.retry) throw error; // the queue backs off (at least the vendor's Retry-After)
      return { requeueAfterMs: recheck };
    }
    this.#last.set(key, { fingerprint: connection.fingerprint, at: now.getTime(), retryable: false });
    await write(verifiedCondition(connection.vendor, endpoint), { ...attempted, lastVerifiedTime: rfc3339(now) });
    return { requeueAfterMs: Math.min(recheck, this.#d.reverifyIntervalMs ?? REVERIFY_INTERVAL_MS) };
  }

  /** Computes the whole status, writes it once if it changed, and records an Event on a Ready transition. */
  async #write(raw: ConnectionObject, condition: ConditionInput, extra: Partial<ConnectionStatus>, generation: number | undefined, now: Date, signal: AbortSignal): Promise<void> {
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
      ...extra,
    };
    await this.#d.writeStatus(this.#type, raw, status as Record<string, unknown>, signal);
    const before = findCondition(previous?.conditions as Condition[] | undefined, ConditionType.Ready);
    if (before?.status === condition.status && before.reason === condition.reason) return;
    this.#d.events.record(
      { type: this.#type, object: raw },
      { type: condition.status === "True" ? "Normal" : "Warning", reason: condition.reason, action: "Verify", note: condition.message },
    );
  }
}

/** RFC 3339 without fractional seconds, as Kubernetes timestamps are written. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
