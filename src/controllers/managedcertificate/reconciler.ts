// The ManagedCertificate reconciler: a thin orchestrator over single-job pieces that coordinate
// through status (ADR 0012). Level-based, keyed "ns/name", one queue. Guard clauses first (gone,
// invalid, deleting → finalizer.ts, connection, Secret conflicts → conflicts.ts / adoption.ts), due
// stray-order sweeps (../ordering/sweeps.ts), then one of three paths: an issuance in flight
// continues, a reason to issue (trigger.ts) starts one (request.ts → ../ordering engine), or the
// certificate is in place (steady: key repair, readiness, publish, revocation). An issued certificate
// is written (issuing.ts), then status (readiness.ts). All time comes from the injected clock; the
// reconciler starts no timers, it returns requeueAfterMs.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { annotations, finalizers } from "../../api/v1alpha1/labels.ts";
import { parseManagedCertificate, problemsMessage } from "../../api/v1alpha1/parse.ts";
import { meaningOf, vendorConditionMessage } from "../../ports/error-policy.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { type Clock, systemClock } from "../../runtime/clock.ts";
import { hasFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import { splitKey } from "../../runtime/kube/resource.ts";
import type { ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { StatusApplier } from "../../runtime/status.ts";
import { clampDelay, jitter } from "../../runtime/timers.ts";
import { type OrderTiming, LOOKUP_FIRST_MS, settleWindowMs } from "../ordering/timing.ts";
import { nextSweepDue, runSweeps } from "../ordering/sweeps.ts";
import { orderOptionsOf } from "../../ports/certificate-authority.ts";
import type { SecretOwner } from "../shared/owned-secret.ts";
import { adoptRetainedSecret } from "./adoption.ts";
import { olderSiblingNaming } from "./conflicts.ts";
import type { CertificateContext, CertificateObject, IssuanceStep, ResourcePort, Status } from "./context.ts";
import type { ManagedCertificateDeps } from "./deps.ts";
import { CertificateDeletion, needsCleanupFinalizer } from "./finalizer.ts";
import { intentOf, takenOver } from "./intent.ts";
import { annotationIntentTrusted } from "./intent-trust.ts";
import { UnsentKeys } from "./unsent-keys.ts";
import { restoreSecret, writeCertificateSecret } from "./issuing.ts";
import { repairKeySecret } from "./key-repair.ts";
import { KEYSTORE_RECHECK_MS } from "./keystore.ts";
import { knownVendorRefs } from "./order.ts";
import { publishPortsOf, publishZpa } from "./publish.ts";
import { type ConditionValue, issuedCondition, issuedStatus, notIssuing, whileOrdering, withConditions, withRenewalTime } from "./readiness.ts";
import { CONFLICT_RECHECK_MS, type RequestOutcome, type RequestPorts, continueIssuance, startIssuance } from "./request.ts";
import { processRevocations, withRevocations } from "./revocation.ts";
import { SecretReader, leafOf, readTargetSecret } from "./secret.ts";
import { settledSecretName } from "./secret-cleanup.ts";
import { CertificateStatus } from "./status.ts";
import { ReissueReason, certificateSpecHash, needsIssuance } from "./trigger.ts";

export type { IssuanceStep, ManagedCertificateDeps };
export { CONFLICT_RECHECK_MS };

const CONNECTION_RECHECK_MS = 60_000;
const DEFAULT_RESYNC_MS = 10 * 3_600_000;

/** One reconcile of a resource that may order: the pieces' inputs. */
interface Work {
  readonly ctx: CertificateContext;
  readonly port: ResourcePort;
  readonly ports: RequestPorts;
}

export class ManagedCertificateReconciler implements Reconciler {
  readonly name = "managedcertificate";
  readonly deps: ManagedCertificateDeps;
  readonly statusApplier: StatusApplier<CertificateObject, Status>;
  readonly #clock: Clock;
  readonly #status: CertificateStatus;
  readonly #secretReader = new SecretReader();
  readonly #deletion = new CertificateDeletion();
  readonly #unsent = new UnsentKeys();

  constructor(deps: ManagedCertificateDeps) {
    this.deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.statusApplier = new StatusApplier<CertificateObject, Status>({ api: deps.client, type: resourceTypes.managedCertificates });
    this.#status = new CertificateStatus({ api: deps.client, applier: this.statusApplier, events: deps.events, metrics: deps.metrics });
  }

  async reconcile(rc: ReconcileContext, key: string): Promise<Result> {
    await this.deps.hooks?.step?.("start", key);
    const obj = this.statusApplier.freshest(key, this.deps.certificates.get(key) as CertificateObject | undefined);
    const { namespace, name } = splitKey(key);
    if (obj === undefined) {
      // Gone (finalizer done or never ours): forget what we remembered about it.
      this.statusApplier.forget(key);
      this.deps.metrics?.forget(namespace ?? "", name);
      return {};
    }
    const now = this.#clock.now();
    const port = this.#status.port(obj, rc.signal);
    const parsed = parseManagedCertificate(obj);
    if (!parsed.ok) {
      if (obj.metadata.deletionTimestamp) {
        await removeFinalizer(this.deps.client, resourceTypes.managedCertificates, obj, finalizers.cleanup, rc.signal);
        return {};
      }
      const message = `The spec is invalid: ${problemsMessage(parsed.problems)}`;
      await port.save(withConditions(port.status, obj.metadata.generation, now, { status: "False", reason: Reason.InvalidSpec, message }, notIssuing()));
      return {};
    }
    const mc = parsed.value;
    const owner: SecretOwner = { kind: "ManagedCertificate", namespace: namespace ?? "", name, uid: obj.metadata.uid ?? "" };
    const ctx: CertificateContext = {
      key,
      mc,
      owner,
      vendor: mc.spec.sectigo !== undefined ? "sectigo" : "cloudflare",
      now,
      specHash: certificateSpecHash(mc.spec),
      signal: rc.signal,
      log: rc.log,
      countCall: (vendor, operation) => this.deps.metrics?.vendorCalls.inc({ vendor, operation }),
    };
    if (obj.metadata.deletionTimestamp) return this.#delete(ctx, port);

    // Anything from here may pay for an order: refused while the connection or namespace is being deleted (C1).
    const lookup = await this.deps.connections.resolve(mc.spec.connectionRef, owner.namespace, ctx.vendor, rc.signal, { purpose: "provision" });
    // The finalizer is added when there is something for deletion to undo; a first issuance adds it with
    // its first intent, in one write (intent.ts, ADR 0020). Here: everything after that (an intent in
    // flight, a certificate, sweeps, a ZPA copy) whose finalizer was removed by hand.
    if (!hasFinalizer(obj, finalizers.cleanup) && needsCleanupFinalizer(obj)) {
      await port.ensureFinalizer();
      // Deleted since the cache saw it: nothing may be ordered now; the next reconcile takes the deletion path.
      if (port.obj.metadata.deletionTimestamp !== undefined) return { requeueAfterMs: 1 };
    }
    if (!lookup.ok) {
      await this.#notReady(ctx, port, {
        status: "False",
        reason: lookup.reason === "SecretNotFound" ? Reason.SecretNotFound : lookup.reason,
        message: lookup.message,
      });
      return { requeueAfterMs: CONNECTION_RECHECK_MS };
    }
    // A first intent in the annotation is acted on only when it proves to be the operator's (intent-trust.ts).
    await annotationIntentTrusted(ctx, port, this.deps, lookup.connection.credentials);
    const w: Work = {
      ctx,
      port,
      ports: {
        io: this.deps,
        ca: this.deps.ports.certificateAuthority(lookup.connection),
        connection: lookup.connection,
        budget: this.deps.budget,
        timing: this.#timing(ctx.vendor),
        step: (step) => this.#step(step, key),
        countFailure: () => this.deps.metrics?.issuances.inc({ vendor: ctx.vendor, result: "failed" }),
        unsent: this.#unsent,
        clock: () => this.#clock.now(),
      },
    };
    try {
      return await this.#provision(w);
    } catch (error) {
      await this.#showVendorError(w, error);
      throw error;
    }
  }

  async #provision(w: Work): Promise<Result> {
    const { ctx, port } = w;
    const candidates = this.deps.certificates.namingSecret?.(ctx.owner.namespace, ctx.mc.spec.secretName) ?? this.deps.certificates.list();
    const sibling = olderSiblingNaming(port.obj, ctx.mc.spec.secretName, candidates);
    if (sibling !== undefined) {
      await this.#notReady(ctx, port, {
        status: "False",
        reason: Reason.SecretConflict,
        message: `Secret ${ctx.mc.spec.secretName} is also named by ManagedCertificate ${sibling}, which was created first; this one waits.`,
      });
      return {};
    }
    const target = await readTargetSecret(this.deps, ctx.owner, ctx.mc.spec.secretName, false, ctx.signal);
    if (target.ownership === "foreign") {
      const adoption = await adoptRetainedSecret(ctx, this.deps, w.ports.ca, port, target.secret);
      if (adoption === "takenOver") return { requeueAfterMs: 1_000 };
      return adoption === "adopted" ? this.#steady(w) : this.#foreign(ctx, port);
    }
    await this.#sweepIfDue(w);
    return this.#withSweepTime(ctx, port, await this.#decide(w, target.secret));
  }

  async #decide(w: Work, targetSecret: Parameters<SecretReader["view"]>[0] | undefined): Promise<Result> {
    const { ctx, port } = w;
    if (intentOf(port.obj) !== undefined) return this.#afterRequest(w, await continueIssuance(ctx, port, w.ports));
    const status = withRenewalTime(port.status, ctx.mc.spec.renewBefore);
    const renewRequest = port.obj.metadata.annotations?.[annotations.renewRequest];
    const decide = (secret: typeof targetSecret) =>
      needsIssuance({
        spec: ctx.mc.spec,
        status,
        specHash: ctx.specHash,
        now: ctx.now,
        secret: secret === undefined ? undefined : this.#secretReader.view(secret),
        renewRequest,
      });
    const decision = decide(targetSecret);
    if (decision === undefined) return this.#steady(w);
    if (decision.reason !== ReissueReason.SecretMissing && decision.reason !== ReissueReason.SecretMismatch)
      return this.#afterRequest(w, await startIssuance(ctx, port, w.ports, decision, targetSecret));
    // The cache may lag our own write: confirm with the API server before acting on the Secret.
    const live = await readTargetSecret(this.deps, ctx.owner, ctx.mc.spec.secretName, true, ctx.signal);
    if (live.ownership === "foreign") return this.#foreign(ctx, port);
    const again = decide(live.secret);
    if (again === undefined) return this.#steady(w);
    if (again.reason === ReissueReason.SecretMissing || again.reason === ReissueReason.SecretMismatch) {
      const restored = await restoreSecret(ctx, this.deps, w.ports.ca, port.status, live.secret);
      if (restored.kind === "restored") return this.#steady(w, { keyCurrent: true });
      if (restored.kind === "keystoreMissing") return this.#keystoreMissing(ctx, port, restored.message, notIssuing());
    }
    return this.#afterRequest(w, await startIssuance(ctx, port, w.ports, again, live.secret));
  }

  /** An issued certificate: the TLS Secret first, then status (revision, serial, times; intent cleared), then steady. */
  async #afterRequest(w: Work, outcome: RequestOutcome): Promise<Result> {
    if (outcome.kind === "done") return outcome.result;
    const { ctx, port } = w;
    const { record, issued, key } = outcome;
    const delivered = await writeCertificateSecret(ctx, this.deps, { ...issued, revision: record.revision, key });
    if (delivered.kind === "keystoreMissing")
      return this.#keystoreMissing(ctx, port, delivered.message, { status: "True", reason: Reason.SecretNotFound, message: delivered.message });
    if (delivered.kind === "conflict") {
      // The certificate is paid for: keep the order and write it once the Secret is free.
      await port.save(
        withConditions(
          port.status,
          port.obj.metadata.generation,
          ctx.now,
          { status: "False", reason: Reason.SecretConflict, message: delivered.message },
          { status: "True", reason: Reason.SecretConflict, message: delivered.message },
        ),
      );
      return { requeueAfterMs: CONFLICT_RECHECK_MS };
    }
    await this.#step("secret-written", ctx.key);
    const next = issuedStatus(takenOver(port.status, port.obj), {
      spec: ctx.mc.spec,
      specHash: ctx.specHash,
      record,
      startedBecause: intentOf(port.obj)?.record.reason,
      vendorRef: issued.vendorRef,
      leafPem: leafOf(issued.chainPem) ?? "",
      sweep: outcome.sweep,
      renewRequest: port.obj.metadata.annotations?.[annotations.renewRequest],
      issuedAt: ctx.now,
    });
    await port.save(withConditions(next, port.obj.metadata.generation, ctx.now, issuedCondition(next, ctx.mc.spec), notIssuing()));
    await this.#step("status-written", ctx.key);
    this.deps.metrics?.issuances.inc({ vendor: ctx.vendor, result: "issued" });
    ctx.log.info({ revision: record.revision, vendorRef: issued.vendorRef, notAfter: next.notAfter }, "certificate issued");
    if ((next.pendingRevocations ?? []).length > 0) await this.#revoke(w);
    return this.#steady(w, { keyCurrent: true });
  }

  /**
   * The certificate is in place: no vendor calls; a status write only if something visible changed.
   * `keyCurrent`: the caller just read the key of the current revision (no need to look at the key Secret).
   */
  async #steady(w: Work, opts: { keyCurrent?: boolean } = {}): Promise<Result> {
    const { ctx, port } = w;
    if (opts.keyCurrent !== true) await repairKeySecret(ctx, this.deps, port.obj, this.deps.secrets.get(`${ctx.owner.namespace}/${ctx.mc.spec.secretName}`));
    const status = withRenewalTime(port.status, ctx.mc.spec.renewBefore);
    // After spec.secretName changed, the earlier Secrets go before status names the new one (secret-cleanup.ts).
    const secretName = await settledSecretName(ctx, this.deps, port);
    const next = withConditions({ ...status, secretName }, port.obj.metadata.generation, ctx.now, issuedCondition(status, ctx.mc.spec), notIssuing());
    const published = await publishZpa(ctx, publishPortsOf(this.deps), next, port.obj.metadata.generation);
    await port.save(published.status);
    if ((port.status.pendingRevocations ?? []).length > 0) await this.#revoke(w);
    this.deps.metrics?.setExpiration(ctx.owner.namespace, ctx.owner.name, ctx.mc.spec.secretName, status.notAfter);
    const renewIn = status.renewalTime === undefined ? 0 : Date.parse(status.renewalTime) - ctx.now.getTime();
    const resync = jitter(this.deps.resyncMs ?? DEFAULT_RESYNC_MS, 0.2);
    const retry = Math.min((port.status.pendingRevocations ?? []).length > 0 ? 60_000 : Infinity, published.retryMs ?? Infinity);
    return { requeueAfterMs: clampDelay(Math.max(1_000, Math.min(renewIn, resync, retry))) };
  }

  async #revoke(w: Work): Promise<void> {
    const remaining = await processRevocations(w.ctx, w.ports.ca, w.port.status.pendingRevocations ?? [], (e) => w.port.record(e));
    await w.port.save(withRevocations(w.port.status, remaining));
  }

  /**
   * Stray-order sweeps that are due. Paused while the resource's own next order is unsettled (no
   * vendorRef yet): its look-up must find a late commit before a sweep could cancel it.
   */
  async #sweepIfDue(w: Work): Promise<void> {
    const { ctx, port } = w;
    const status = port.status;
    const due = nextSweepDue(status.orderSweeps);
    if (due === undefined || due.getTime() > ctx.now.getTime()) return;
    const inFlight = intentOf(port.obj)?.record;
    if (inFlight !== undefined && inFlight.vendorRef === undefined) return;
    const swept = await runSweeps(
      {
        owner: ctx.owner,
        ca: w.ports.ca,
        vendorOptions: orderOptionsOf(ctx.mc.spec),
        vendor: ctx.vendor,
        now: ctx.now,
        windowMs: w.ports.timing.windowMs,
        signal: ctx.signal,
        log: ctx.log,
        notify: (e) => port.record(e),
        onCall: (operation) => ctx.countCall(ctx.vendor, operation),
      },
      status.orderSweeps ?? [],
      knownVendorRefs(port.obj),
    );
    const { orderSweeps: _s, ...rest } = status;
    await port.save(swept.remaining.length > 0 ? { ...rest, orderSweeps: swept.remaining } : rest);
  }

  /** A planned sweep pass wakes the resource even when nothing else would. */
  #withSweepTime(ctx: CertificateContext, port: ResourcePort, result: Result): Result {
    const due = nextSweepDue(port.status.orderSweeps);
    if (due === undefined) return result;
    const inMs = Math.max(1_000, due.getTime() - ctx.now.getTime());
    return { requeueAfterMs: Math.min(result.requeueAfterMs ?? Infinity, inMs) };
  }

  async #delete(ctx: CertificateContext, port: ResourcePort): Promise<Result> {
    // Cleanup may use a connection that is itself being deleted (C1).
    const lookup = await this.deps.connections.resolve(ctx.mc.spec.connectionRef, ctx.owner.namespace, ctx.vendor, ctx.signal, { purpose: "cleanup" });
    const ca = lookup.ok ? this.deps.ports.certificateAuthority(lookup.connection) : undefined;
    await annotationIntentTrusted(ctx, port, this.deps, lookup.ok ? lookup.connection.credentials : undefined);
    const ports = {
      io: this.deps,
      publish: publishPortsOf(this.deps),
      windowMs: this.#timing(ctx.vendor).windowMs,
    };
    const outcome = await this.#deletion.run(ctx, port, ports, ca);
    if (outcome.released) {
      this.statusApplier.forget(ctx.key);
      this.deps.metrics?.forget(ctx.owner.namespace, ctx.owner.name);
    }
    return outcome.result;
  }

  /**
   * A vendor error that escaped a step of an issuance in flight (a look-up, a sweep, a restore) is
   * written to the Issuing condition with the vendor's reason, and returned: the queue backs off (at
   * least its Retry-After) as issuer-lib does. Nothing else is written; a failed write is ignored.
   */
  async #showVendorError(w: Work, error: unknown): Promise<void> {
    if (!(error instanceof VendorError) || w.ctx.signal.aborted || intentOf(w.port.obj) === undefined) return;
    const note = { reason: meaningOf(error).reason, message: vendorConditionMessage(error) };
    await w.port.save(whileOrdering(w.port.status, w.port.obj.metadata.generation, w.ctx.now, note)).catch((e: unknown) => {
      w.ctx.log.debug({ err: e instanceof Error ? e.message : String(e) }, "could not show the vendor error in status");
    });
  }

  async #notReady(ctx: CertificateContext, port: ResourcePort, ready: ConditionValue): Promise<void> {
    // A certificate already in the Secret stays usable; Ready says why the resource is not in order.
    await port.save(withConditions(port.status, port.obj.metadata.generation, ctx.now, ready, notIssuing()));
  }

  async #foreign(ctx: CertificateContext, port: ResourcePort): Promise<Result> {
    await this.#notReady(ctx, port, {
      status: "False",
      reason: Reason.SecretConflict,
      message: `Secret ${ctx.mc.spec.secretName} exists and is not managed by this ManagedCertificate; it is left untouched.`,
    });
    return { requeueAfterMs: CONFLICT_RECHECK_MS };
  }

  /** The PKCS12 password Secret or its key is missing: say so, write nothing, look again later. */
  async #keystoreMissing(ctx: CertificateContext, port: ResourcePort, message: string, issuing: ConditionValue): Promise<Result> {
    await port.save(withConditions(port.status, port.obj.metadata.generation, ctx.now, { status: "False", reason: Reason.SecretNotFound, message }, issuing));
    return { requeueAfterMs: KEYSTORE_RECHECK_MS };
  }

  #timing(vendor: "cloudflare" | "sectigo"): OrderTiming {
    return {
      windowMs: settleWindowMs(vendor, this.deps.settleWindowMs),
      lookupFirstMs: this.deps.lookupFirstMs ?? LOOKUP_FIRST_MS,
      pollBackoff: this.deps.pollBackoff,
    };
  }

  async #step(step: IssuanceStep, key: string): Promise<void> {
    await this.deps.hooks?.step?.(step, key);
  }
}
