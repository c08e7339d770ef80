// The ManagedCertificate reconciler: level-based, keyed by "ns/name". Guard clauses first (gone,
// invalid, deleting, connection, Secret conflicts), then one of three paths: an issuance in flight
// continues; a reason to (re)issue starts one; otherwise the certificate is in place and nothing is
// called or written. Issuance steps live in issuance.ts (ordering under unknown outcomes: ordering.ts,
// ADR 0005), stray orders in sweep.ts, cleanup in finalizer.ts and revocation.ts. All time comes from
// `deps.now` (C4): the reconciler reads no clock of its own and starts no timers.
import type { Logger } from "pino";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { annotations, finalizers } from "../../api/v1alpha1/labels.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { ManagedCertificate } from "../../api/v1alpha1/managedcertificate.ts";
import { parseManagedCertificate, problemsMessage } from "../../api/v1alpha1/parse.ts";
import { type CertificateAuthority, orderOptionsOf } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { VendorPorts } from "../../ports/vendors.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isConflict, isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core, splitKey } from "../../runtime/kube/resource.ts";
import type { ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { clampDelay, jitter } from "../../runtime/timers.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import { classifySecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import { adoptRetainedSecret } from "./adoption.ts";
import type { IssuanceBudget } from "../ordering/budget.ts";
import { finalize } from "./finalizer.ts";
import { continueIssuance, restoreSecret, startIssuance } from "./issuance.ts";
import { repairKeySecret } from "./key-repair.ts";
import { type CertificateVendor, LOOKUP_FIRST_MS, settleWindowMs } from "./ordering.ts";
import { nextSweepDue, runSweeps } from "./sweep.ts";
import type { CertificateMetrics } from "./metrics.ts";
import { certificateSpecHash, needsIssuance, type PollBackoff, ReissueReason, renewalTime } from "./trigger.ts";
import { processRevocations } from "./revocation.ts";
import { publishZpa } from "./publish.ts";
import { SecretReader } from "./secret.ts";
import { type CertificateObject, FreshObjects, type Status, StatusWriter, notIssuing, readyOf, withConditions, type ConditionValue } from "./status.ts";

/** Points in the issuance path where a test may inject a crash (throw) or observe progress. */
export type IssuanceStep = "start" | "key-persisted" | "intent-recorded" | "found" | "submitted" | "vendor-ref-recorded" | "collected" | "secret-written" | "status-written";

export interface ReconcilerHooks {
  step?(step: IssuanceStep, key: string): void | Promise<void>;
}

export interface ManagedCertificateDeps {
  readonly client: KubeApi;
  readonly certificates: {
    get(key: string): KubeObject | undefined;
    list(): KubeObject[];
    /** Resources in `namespace` naming Secret `secretName` (an index; falls back to scanning list()). */
    namingSecret?(namespace: string, secretName: string): KubeObject[];
  };
  readonly secrets: { get(key: string): Secret | undefined };
  /** C1: purpose "provision" refuses a deleting connection or namespace; "cleanup" is for the deletion path. */
  readonly connections: { resolve(ref: ConnectionRef, namespace: string, vendor: "cloudflare" | "sectigo" | "zpa", signal: AbortSignal, opts?: { purpose?: "provision" | "cleanup" }): Promise<ConnectionLookup> };
  /** browserCertificates only for spec.publish.zpa. */
  readonly ports: Pick<VendorPorts, "certificateAuthority"> & Partial<Pick<VendorPorts, "browserCertificates">>;
  readonly budget: IssuanceBudget;
  readonly events?: EventRecorder;
  readonly metrics?: CertificateMetrics;
  readonly now?: () => Date;
  readonly hooks?: ReconcilerHooks;
  /** Ready resources are looked at again at least this often (jittered), besides their renewal time. */
  readonly resyncMs?: number;
  /** Poll backoff for pending vendor orders (tests shorten it). */
  readonly pollBackoff?: PollBackoff;
  /** Settle windows per vendor (ordering.ts SETTLE_WINDOW_MS); tests and `--debug-order-settle-ms` shorten them. */
  readonly settleWindowMs?: Partial<Record<CertificateVendor, number>>;
  /** First look-up after an unanswered order (ordering.ts LOOKUP_FIRST_MS); tests shorten it. */
  readonly lookupFirstMs?: number;
}

/** Everything one reconcile works with, passed to the step modules. */
export interface Work {
  readonly key: string;
  obj: CertificateObject;
  readonly mc: ManagedCertificate;
  readonly owner: SecretOwner;
  readonly vendor: "cloudflare" | "sectigo";
  readonly connection: ResolvedConnection;
  readonly ca: CertificateAuthority;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly now: Date;
  readonly specHash: string;
}

export const CONFLICT_RECHECK_MS = 5 * 60_000;
const CONNECTION_RECHECK_MS = 60_000;
const DEFAULT_RESYNC_MS = 10 * 3_600_000;

export class ManagedCertificateReconciler implements Reconciler {
  readonly name = "managedcertificate";
  readonly deps: ManagedCertificateDeps;
  readonly fresh = new FreshObjects();
  readonly statusWriter: StatusWriter;
  readonly secretReader = new SecretReader();
  /** UIDs whose deletion cleanup this instance completed. */
  readonly finishedCleanups = new Set<string>();

  constructor(deps: ManagedCertificateDeps) {
    this.deps = deps;
    this.statusWriter = new StatusWriter(deps.client, this.fresh);
  }

  /** The injected clock; the system clock only when none was given (the composition root's default). */
  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  settleWindowMs(vendor: CertificateVendor): number {
    return settleWindowMs(vendor, this.deps.settleWindowMs);
  }

  get lookupFirstMs(): number {
    return this.deps.lookupFirstMs ?? LOOKUP_FIRST_MS;
  }

  async step(step: IssuanceStep, key: string): Promise<void> {
    await this.deps.hooks?.step?.(step, key);
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result> {
    await this.step("start", key);
    const obj = this.fresh.freshest(key, this.deps.certificates.get(key) as CertificateObject | undefined);
    const { namespace, name } = splitKey(key);
    if (obj === undefined) {
      // Gone (finalizer done or never ours): forget what we remembered about it.
      this.fresh.forget(key);
      this.deps.metrics?.forget(namespace ?? "", name);
      return {};
    }
    const now = this.now();
    const parsed = parseManagedCertificate(obj);
    if (!parsed.ok) {
      if (obj.metadata.deletionTimestamp) return this.#dropFinalizer(obj, ctx.signal);
      const message = `The spec is invalid: ${problemsMessage(parsed.problems)}`;
      await this.save(obj, withConditions(obj.status ?? {}, obj.metadata.generation, now, { status: "False", reason: Reason.InvalidSpec, message }, notIssuing()), ctx.signal);
      return {};
    }
    const mc = parsed.value;
    const vendor = mc.spec.sectigo !== undefined ? "sectigo" : "cloudflare";
    const owner: SecretOwner = { kind: "ManagedCertificate", namespace: namespace ?? "", name, uid: obj.metadata.uid ?? "" };

    if (obj.metadata.deletionTimestamp) {
      // Cleanup may use a connection that is itself being deleted (C1).
      const lookup = await this.deps.connections.resolve(mc.spec.connectionRef, owner.namespace, vendor, ctx.signal, { purpose: "cleanup" });
      return finalize(this, { obj, mc, owner, key, signal: ctx.signal, log: ctx.log, now, vendor, ...(lookup.ok ? { ca: this.deps.ports.certificateAuthority(lookup.connection) } : {}) });
    }
    // Anything from here may pay for an order: refused while the connection or namespace is being deleted (C1).
    const lookup = await this.deps.connections.resolve(mc.spec.connectionRef, owner.namespace, vendor, ctx.signal, { purpose: "provision" });
    let current = obj;
    if (!(current.metadata.finalizers ?? []).includes(finalizers.cleanup)) current = await this.#addFinalizer(current, ctx.signal);
    if (!lookup.ok) {
      const reason = lookup.reason === "SecretNotFound" ? Reason.SecretNotFound : lookup.reason;
      await this.#notReady(current, now, { status: "False", reason, message: lookup.message }, ctx.signal);
      return { requeueAfterMs: CONNECTION_RECHECK_MS };
    }

    const w: Work = {
      key, obj: current, mc, owner, vendor, connection: lookup.connection, ca: this.deps.ports.certificateAuthority(lookup.connection),
      signal: ctx.signal, log: ctx.log, now, specHash: certificateSpecHash(mc.spec),
    };

    const sibling = this.#olderSiblingNaming(w);
    if (sibling !== undefined) {
      await this.#notReady(w.obj, now, { status: "False", reason: Reason.SecretConflict, message: `Secret ${mc.spec.secretName} is also named by ManagedCertificate ${sibling}, which was created first; this one waits.` }, ctx.signal);
      return {};
    }
    const target = await this.targetSecret(w, false);
    if (target.ownership === "foreign") return (await adoptRetainedSecret(this, w, target.secret)) ?? this.#foreign(w);

    await this.#sweepIfDue(w);
    return this.#withSweepTime(w, await this.#decide(w, target.secret));
  }

  async #decide(w: Work, targetSecret: Secret | undefined): Promise<Result> {
    const mc = w.mc;
    const now = w.now;
    if (w.obj.status?.pendingIssuance !== undefined) return continueIssuance(this, w);
    const status = withRenewalTime(w.obj.status ?? {}, mc.spec.renewBefore);

    const decision = needsIssuance({
      spec: mc.spec, status, specHash: w.specHash, now,
      secret: targetSecret === undefined ? undefined : this.secretReader.view(targetSecret),
      renewRequest: w.obj.metadata.annotations?.[annotations.renewRequest],
    });
    if (decision !== undefined && (decision.reason === ReissueReason.SecretMissing || decision.reason === ReissueReason.SecretMismatch)) {
      // The cache may lag our own write: confirm with the API server before acting on the Secret.
      const live = await this.targetSecret(w, true);
      if (live.ownership === "foreign") return this.#foreign(w);
      const again = needsIssuance({ spec: mc.spec, status, specHash: w.specHash, now, secret: live.secret === undefined ? undefined : this.secretReader.view(live.secret), renewRequest: w.obj.metadata.annotations?.[annotations.renewRequest] });
      if (again === undefined) return this.steady(w);
      if (again.reason === ReissueReason.SecretMissing || again.reason === ReissueReason.SecretMismatch) {
        const restored = await restoreSecret(this, w, live.secret);
        if (restored !== undefined) return restored;
      }
      return startIssuance(this, w, again, live.secret);
    }
    if (decision !== undefined) return startIssuance(this, w, decision, targetSecret);
    return this.steady(w);
  }

  /**
   * Stray-order sweeps that are due. Paused while the resource's own next order is unsettled (no
   * vendorRef yet): its look-up must find a late commit before a sweep could cancel it.
   */
  async #sweepIfDue(w: Work): Promise<void> {
    const status = w.obj.status ?? {};
    const due = nextSweepDue(status);
    if (due === undefined || due.getTime() > w.now.getTime()) return;
    if (status.pendingIssuance !== undefined && status.pendingIssuance.vendorRef === undefined) return;
    const swept = await runSweeps({
      obj: w.obj, owner: w.owner, ca: w.ca, vendorOptions: orderOptionsOf(w.mc.spec), vendor: w.vendor, now: w.now,
      windowMs: this.settleWindowMs(w.vendor), signal: w.signal, log: w.log, ...(this.deps.events ? { events: this.deps.events } : {}),
      onCall: (operation) => this.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation }),
    }, status);
    w.obj = await this.save(w.obj, swept.status, w.signal);
  }

  /** A planned sweep pass wakes the resource even when nothing else would. */
  #withSweepTime(w: Work, result: Result): Result {
    const due = nextSweepDue(w.obj.status ?? {});
    if (due === undefined) return result;
    const inMs = Math.max(1_000, due.getTime() - w.now.getTime());
    return { requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, inMs) };
  }

  /** The certificate is in place: no vendor calls; a status write only if something visible changed. */
  /** `keyCurrent`: the caller just read the key of the current revision (no need to look at the key Secret). */
  async steady(w: Work, opts: { keyCurrent?: boolean } = {}): Promise<Result> {
    if (opts.keyCurrent !== true) await repairKeySecret(this, w, this.deps.secrets.get(`${w.owner.namespace}/${w.mc.spec.secretName}`));
    const status = withRenewalTime(w.obj.status ?? {}, w.mc.spec.renewBefore);
    const ready = issuedCondition(status, w.mc.spec);
    let next = withConditions({ ...status, secretName: w.mc.spec.secretName }, w.obj.metadata.generation, w.now, ready, notIssuing());
    const published = await publishZpa(this, w, next);
    next = published.status;
    w.obj = await this.save(w.obj, next, w.signal);
    if ((w.obj.status?.pendingRevocations ?? []).length > 0) {
      next = await processRevocations(this, w);
      w.obj = await this.save(w.obj, next, w.signal);
    }
    this.deps.metrics?.setExpiration(w.owner.namespace, w.owner.name, w.mc.spec.secretName, status.notAfter);
    const renewIn = status.renewalTime === undefined ? 0 : Date.parse(status.renewalTime) - w.now.getTime();
    const resync = jitter(this.deps.resyncMs ?? DEFAULT_RESYNC_MS, 0.2);
    const retry = Math.min((w.obj.status?.pendingRevocations ?? []).length > 0 ? 60_000 : Infinity, published.retryMs ?? Infinity);
    return { requeueAfterMs: clampDelay(Math.max(1_000, Math.min(renewIn, resync, retry))) };
  }

  /**
   * The Secret named by the spec: from the owned-Secret cache, or (absent there, or `live`) from the
   * API server, since a foreign Secret is never in our label-selected cache.
   */
  async targetSecret(w: Work, live: boolean): Promise<{ secret: Secret | undefined; ownership: "absent" | "ours" | "foreign" }> {
    const name = w.mc.spec.secretName;
    let secret = live ? undefined : this.deps.secrets.get(`${w.owner.namespace}/${name}`);
    if (secret === undefined || classifySecret(secret, w.owner) !== "ours") {
      try {
        secret = await this.deps.client.get<Secret>(core.secrets, w.owner.namespace, name, w.signal);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        secret = undefined;
      }
    }
    return { secret, ownership: classifySecret(secret, w.owner) };
  }

  /** Writes the status when it changed, and records an Event when Ready flips or changes reason. */
  async save(obj: CertificateObject, status: Status, signal: AbortSignal, opts: { guard?: boolean } = {}): Promise<CertificateObject> {
    const before = readyOf(obj.status);
    const written = await this.statusWriter.write(obj, status, { signal, ...(opts.guard ? { guard: true } : {}) });
    const after = readyOf(status);
    const { namespace, name } = splitKey(`${obj.metadata.namespace}/${obj.metadata.name}`);
    if (after !== undefined) this.deps.metrics?.setReady(namespace ?? "", name, after.status);
    if (after !== undefined && (before?.status !== after.status || before.reason !== after.reason) && written !== obj) {
      this.deps.events?.record(
        { type: resourceTypes.managedCertificates, object: written },
        { type: after.status === "True" || after.reason === Reason.Pending ? "Normal" : "Warning", reason: after.reason, action: "Reconcile", note: after.message },
      );
    }
    return written;
  }

  async #notReady(obj: CertificateObject, now: Date, ready: ConditionValue, signal: AbortSignal): Promise<void> {
    // A certificate already in the Secret stays usable; Ready says why the resource is not in order.
    await this.save(obj, withConditions(obj.status ?? {}, obj.metadata.generation, now, ready, notIssuing()), signal);
  }

  async #foreign(w: Work): Promise<Result> {
    await this.#notReady(w.obj, w.now, { status: "False", reason: Reason.SecretConflict, message: `Secret ${w.mc.spec.secretName} exists and is not managed by this ManagedCertificate; it is left untouched.` }, w.signal);
    return { requeueAfterMs: CONFLICT_RECHECK_MS };
  }

  /** Another live ManagedCertificate in this namespace that names the same Secret and was created first. */
  #olderSiblingNaming(w: Work): string | undefined {
    const mine = { at: w.obj.metadata.creationTimestamp ?? "", name: w.owner.name };
    const candidates = this.deps.certificates.namingSecret?.(w.owner.namespace, w.mc.spec.secretName) ?? this.deps.certificates.list();
    for (const other of candidates as CertificateObject[]) {
      if (other.metadata.namespace !== w.owner.namespace || other.metadata.uid === w.obj.metadata.uid || other.metadata.deletionTimestamp) continue;
      if ((other.spec as { secretName?: string } | undefined)?.secretName !== w.mc.spec.secretName) continue;
      const theirs = { at: other.metadata.creationTimestamp ?? "", name: other.metadata.name ?? "" };
      if (theirs.at < mine.at || (theirs.at === mine.at && theirs.name < mine.name)) return theirs.name;
    }
    return undefined;
  }

  async #addFinalizer(obj: CertificateObject, signal: AbortSignal): Promise<CertificateObject> {
    const list = [...(obj.metadata.finalizers ?? []), finalizers.cleanup];
    const patched = await this.deps.client.mergePatch<CertificateObject>(resourceTypes.managedCertificates, obj.metadata.namespace, obj.metadata.name ?? "", { metadata: { finalizers: list, resourceVersion: obj.metadata.resourceVersion } }, { signal });
    this.fresh.remember(patched);
    return patched;
  }

  async #dropFinalizer(obj: CertificateObject, signal: AbortSignal): Promise<Result> {
    await removeFinalizer(this.deps.client, obj, signal);
    return {};
  }
}

/** Drops our finalizer, guarded by resourceVersion so another controller's finalizer is never lost; one re-read on conflict. */
export async function removeFinalizer(client: KubeApi, obj: CertificateObject, signal: AbortSignal): Promise<void> {
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const list = (current.metadata.finalizers ?? []).filter((f) => f !== finalizers.cleanup);
    if (list.length === (current.metadata.finalizers ?? []).length) return;
    try {
      await client.mergePatch(resourceTypes.managedCertificates, current.metadata.namespace, current.metadata.name ?? "", { metadata: { finalizers: list, resourceVersion: current.metadata.resourceVersion } }, { signal });
      return;
    } catch (error) {
      if (isNotFound(error)) return;
      if (!isConflict(error) || attempt > 0) throw error;
      try {
        current = await client.get<CertificateObject>(resourceTypes.managedCertificates, obj.metadata.namespace, obj.metadata.name ?? "", signal);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
  }
}

/** renewalTime follows spec.renewBefore, which may change without a new certificate. */
export function withRenewalTime(status: Status, renewBefore: string | undefined): Status {
  if (status.notBefore === undefined || status.notAfter === undefined) return status;
  const at = renewalTime(new Date(status.notBefore), new Date(status.notAfter), renewBefore).toISOString().replace(/\.\d{3}Z$/, "Z");
  return at === status.renewalTime ? status : { ...status, renewalTime: at };
}

/** Ready=True for the certificate on record. */
export function issuedCondition(status: Status, spec: ManagedCertificate["spec"]): ConditionValue {
  return { status: "True", reason: Reason.Issued, message: readyMessage(status, spec.secretName) };
}

export function readyMessage(status: Status, secretName: string): string {
  return `Certificate (serial ${status.serialNumber ?? "unknown"}) is in Secret ${secretName}, valid until ${status.notAfter ?? "unknown"}; renewal at ${status.renewalTime ?? "unknown"}.`;
}
