// The managed-resource reconciler (ADR 0013): one external object per Kubernetes resource, kept in
// line with its spec the way crossplane's managed reconciler does — connect, observe, then create,
// update or nothing — under the resource's management policy (Manage / ObserveOnly) and deletion
// policy (Delete / Orphan), with the create-pending protection, claims and the adoption gate as
// pluggable checks. The kind (kind.ts) supplies what is its own. The deletion path is finalize.ts.
//
// Order of a live reconcile, and why:
//   spec the kind refuses     → InvalidSpec, stop
//   a claim lost              → no vendor call at all for the object (checked every time: a Ready
//                               resource can lose one too)
//   connection                → resolved every time (a cache read), so a connection lost or no longer
//                               admitting the namespace shows at once, not at the next drift check
//   nothing due               → no vendor call (a Ready resource costs nothing between checks)
//   target not ours           → nothing asked of the vendor for an object that could not be delivered
//   ObserveOnly not consented → observing is taking over: refused before any vendor call
//   sync, publish, record
import { Reason } from "../../api/v1alpha1/index.ts";
import { isVendorError } from "../../ports/vendor-error.ts";
import { ConflictError } from "../../runtime/errors.ts";
import { ensureFinalizer, hasFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { TerminalError, type ReconcileContext, type Reconciler, type Result } from "../../runtime/reconcile.ts";
import { clampDelay } from "../../runtime/timers.ts";
import { CONNECTION_RETRY_MS, MISSING_RETRY_MS, REFUSED_RETRY_MS, wantsFinalizer } from "./decide.ts";
import { finalizeManaged } from "./finalize.ts";
import type { AnyClient, ManagedKind } from "./kind.ts";
import { syncExternal } from "./sync.ts";
import type { ManagedTools } from "./tools.ts";
import type { ConnectionLookupPort, ManagedObject, ManagedView, ObjectCache, Tracked } from "./types.ts";

export interface ManagedReconcilerInit<T extends ManagedObject, P, C extends AnyClient, D> {
  readonly name: string;
  readonly kind: ManagedKind<T, P, C, D>;
  readonly api: KubeApi;
  readonly cache: ObjectCache<T>;
  readonly connections: ConnectionLookupPort;
  readonly tools: ManagedTools<T>;
  /** How long a deletion whose external object cannot be deleted holds the finalizer. */
  readonly cleanupGraceMs: number;
}

export class ManagedReconciler<T extends ManagedObject, P, C extends AnyClient, D> implements Reconciler {
  readonly name: string;
  readonly #d: ManagedReconcilerInit<T, P, C, D>;

  constructor(init: ManagedReconcilerInit<T, P, C, D>) {
    this.name = init.name;
    this.#d = init;
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<Result> {
    const { kind, tools } = this.#d;
    const cached = this.#d.cache.get(key);
    if (cached === undefined) {
      this.#forget(key);
      return {};
    }
    // A copy: writes replace it as the reconcile goes, and the cache's object is not ours.
    const t: Tracked<T> = { key, object: { ...(tools.applier.freshest(key, cached) ?? cached) } };
    const parsed = kind.parse(t.object);
    const deleting = t.object.metadata.deletionTimestamp !== undefined;
    if (!parsed.ok) {
      if (deleting) {
        // Nothing can be deleted safely from a spec we cannot read: release the resource, keep the object.
        ctx.log.warn({ problems: parsed.message }, `invalid spec while deleting; the ${kind.words.system} ${kind.words.noun} (if any) is orphaned`);
        await removeFinalizer(this.#d.api, kind.type, t.object, kind.finalizer, ctx.signal);
        return {};
      }
      await tools.fail(t, { reason: Reason.InvalidSpec, message: parsed.message, keepReady: false }, ctx.signal);
      throw new TerminalError(`invalid spec: ${parsed.message}`);
    }
    const resource = parsed.value;
    const view = kind.view(resource);
    if (deleting) {
      const result = await finalizeManaged({
        ctx,
        t,
        resource,
        view,
        kind,
        tools,
        api: this.#d.api,
        connections: this.#d.connections,
        cleanupGraceMs: this.#d.cleanupGraceMs,
      });
      if (result.released) this.#forget(key);
      return result.result;
    }
    if (!(await this.#finalizerFor(ctx, t, view))) return {};
    return this.#live(ctx, t, resource, view);
  }

  async #live(ctx: ReconcileContext, t: Tracked<T>, resource: P, view: ManagedView): Promise<Result> {
    const { kind, tools } = this.#d;
    const invalid = kind.invalid?.(resource);
    if (invalid !== undefined) {
      await tools.fail(t, { reason: Reason.InvalidSpec, message: invalid, keepReady: false }, ctx.signal);
      throw new TerminalError(`invalid spec: ${invalid}`);
    }
    const claims = kind.claims(resource);
    const lost = claims.lost();
    if (lost !== undefined) {
      if (lost.forgetRecorded && t.object.status !== undefined) {
        // Recorded before claims existed (two resources on one object): forget it, and take its copy back.
        await kind.publisher.withdraw(ctx, t, resource);
        t.object = { ...t.object, status: kind.forgetRecorded(t.object.status as NonNullable<T["status"]>) };
      }
      await tools.refuse(t, lost, ctx.signal);
      ctx.log.info({ claim: lost.reason }, "another resource holds the external object; no vendor call");
      return { requeueAfterMs: REFUSED_RETRY_MS };
    }

    const ref = kind.connectionRef(resource);
    const lookup = await this.#d.connections.resolve(ref, t.object.metadata.namespace ?? "", kind.vendor, ctx.signal, { purpose: "provision" });
    if (!lookup.ok) {
      await tools.fail(t, { reason: lookup.reason, message: lookup.message, keepReady: false }, ctx.signal);
      return { requeueAfterMs: CONNECTION_RETRY_MS };
    }
    if (lookup.connection.deleting === true) {
      // Only a cleanup resolution returns a deleting connection; never provision through one anyway.
      await tools.fail(
        t,
        { reason: Reason.ConnectionDeleting, message: `${ref.kind} ${ref.name} is being deleted; nothing new is made through it`, keepReady: false },
        ctx.signal,
      );
      return { requeueAfterMs: CONNECTION_RETRY_MS };
    }
    await tools.checkpoint("connection-resolved", t.key);

    const due = kind.schedule.due(t, resource, view);
    if (due.reason === undefined) {
      kind.schedule.idle?.(t, resource);
      return { requeueAfterMs: clampDelay(due.nextAt - tools.now()) };
    }
    ctx.log.debug({ reason: due.reason }, `syncing with ${kind.words.system}`);
    const blocked = await kind.publisher.blocked(ctx, t, resource);
    if (blocked !== undefined) {
      await tools.refuse(t, blocked, ctx.signal);
      return { requeueAfterMs: blocked.retryAfterMs };
    }

    try {
      if (view.management === "ObserveOnly") {
        const consent = await kind.adoption(resource)(undefined, ctx.signal);
        if (!consent.allowed) {
          await tools.refuse(t, { reason: Reason.AdoptionNotAllowed, message: kind.words.observeRefused(consent.message) }, ctx.signal);
          return { requeueAfterMs: REFUSED_RETRY_MS };
        }
      }
      const client = kind.connect(lookup.connection, resource, view);
      const outcome = await syncExternal({
        t,
        view,
        client,
        claims,
        adoption: kind.adoption(resource),
        words: kind.words,
        sameName: kind.sameName,
        tools,
        log: ctx.log,
        signal: ctx.signal,
      });
      if (outcome.kind === "wait") return { requeueAfterMs: outcome.retryAfterMs };
      if (outcome.kind === "refused") {
        await tools.refuse(t, outcome, ctx.signal);
        return { requeueAfterMs: REFUSED_RETRY_MS };
      }
      if (outcome.kind === "missing") {
        await tools.fail(t, { reason: Reason.NotFound, message: outcome.message, keepReady: false }, ctx.signal);
        return { requeueAfterMs: MISSING_RETRY_MS };
      }
      const delivered = await kind.publisher.publish(ctx, t, resource, client, outcome);
      return await kind.record(ctx, t, resource, outcome, delivered, due.reason, tools);
    } catch (e) {
      // Vendor errors (observe, create, update, delete, the report) are the error policy's; the rest goes to the queue.
      if (!isVendorError(e)) throw e;
      return tools.vendorFailure(ctx, t, e);
    }
  }

  /** Manage holds a finalizer (its deletion has vendor work to do); ObserveOnly none. False: the object is gone. */
  async #finalizerFor(ctx: ReconcileContext, t: Tracked<T>, view: ManagedView): Promise<boolean> {
    const { kind, tools } = this.#d;
    const wants = wantsFinalizer(view.management);
    if (hasFinalizer(t.object, kind.finalizer) === wants) return true;
    const basedOn = t.object.metadata.resourceVersion;
    const updated = wants
      ? await ensureFinalizer(this.#d.api, kind.type, t.object, kind.finalizer, ctx.signal)
      : await removeFinalizer(this.#d.api, kind.type, t.object, kind.finalizer, ctx.signal);
    if (updated === undefined) return false;
    // Being deleted since the cache saw it (the answer may carry our finalizer and a deletionTimestamp):
    // nothing new may be made from here; the deletion path takes it from the next reconcile.
    if (hasFinalizer(updated, kind.finalizer) !== wants || updated.metadata.deletionTimestamp !== undefined)
      throw new ConflictError(`${kind.type.kind} ${t.key}`);
    t.object = updated;
    tools.applier.remember(updated, basedOn);
    if (wants) await tools.checkpoint("finalizer-added", t.key);
    return true;
  }

  #forget(key: string): void {
    this.#d.tools.applier.forget(key);
    this.#d.kind.forget(key);
  }
}
