// The CertificateRequest controller for `issuerRef.group: certbridge.dev`: guard clauses in
// cert-manager's order (ours? deleted? approved? finished?), then the ordering engine with the request
// as the place the intent lives (an annotation, ADR 0017). A newcomer follows one request through
// reconcile → issue → ordering/engine.ts → outcome.ts.
import { VendorError } from "../../ports/vendor-error.ts";
import { type Clock, systemClock } from "../../runtime/clock.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { WrittenObjects } from "../../runtime/read-your-writes.ts";
import type { Key, ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { type OrderJob, type OrderingOutcome, advanceOrder, startOrder } from "../ordering/engine.ts";
import { SETTLE_WINDOW_MS } from "../ordering/timing.ts";
import { vendorDisplayName } from "../ordering/words.ts";
import { connectionKey } from "../managedcertificate/order.ts";
import { vendorFailure } from "../shared/vendor-failure.ts";
import { type IssuerKind, issuerName } from "../vendorissuer/issuer.ts";
import { issuerIsReady, lookUpIssuer, vendorAccess } from "./access.ts";
import { type CertificateRequest, CrReason, certificateRequests, ourIssuerRef, parseCertificateRequest } from "./cert-manager.ts";
import type { CertificateRequestDeps, RequestContext } from "./context.ts";
import { whileDeleting } from "./deletion.ts";
import { finishLeftovers } from "./finished.ts";
import { mapRequest } from "./mapping.ts";
import { buildRequestOrder, ownerOf, requestIdentity } from "./order.ts";
import { ORDER_ANNOTATION, type ReadAnnotation, holdsAnything, readOrderAnnotation } from "./order-annotation.ts";
import { afterOrdering, failRequest } from "./outcome.ts";
import { phaseOf } from "./phase.ts";
import { type CheckedAnnotation, checkOrderAnnotation, rejectionNote, withTrustedFingerprints } from "./record-check.ts";
import { RequestPort } from "./request-port.ts";

/** A connection that cannot be used for a request's namespace is looked at again this often (nothing else wakes it). */
export const CONNECTION_RECHECK_MS = 60_000;

export const DENIED_MESSAGE = "The CertificateRequest was denied by an approval controller; certbridge orders nothing for it.";

export class CertificateRequestReconciler implements Reconciler {
  readonly name = "certificaterequest";
  readonly #d: CertificateRequestDeps;
  readonly #clock: Clock;
  readonly #written = new WrittenObjects<KubeObject>();

  constructor(deps: CertificateRequestDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? systemClock;
  }

  async reconcile(ctx: ReconcileContext, key: Key): Promise<Result> {
    const object = this.#written.freshest(key, this.#d.requests.get(key));
    if (object === undefined) return {};
    const ref = ourIssuerRef(object);
    if (ref === undefined) return {}; // another issuer's request
    const parsed = parseCertificateRequest(object);
    if (!parsed.ok) {
      ctx.log.warn({ problem: parsed.problem }, "CertificateRequest is malformed; ignored");
      return {};
    }
    const cr = parsed.cr;
    const now = this.#clock.now();
    // The annotation is user-editable: only what is proven to be this request's is acted on (record-check.ts).
    const checked = await this.#checkRecord(cr, readOrderAnnotation(cr), now);
    if (checked.adjusted.length > 0) ctx.log.info({ adjusted: checked.adjusted }, "the order annotation's times were bounded to what this request allows");
    const port = new RequestPort({
      obj: cr,
      record: checked.record,
      api: this.#d.api,
      written: this.#written,
      now,
      signal: ctx.signal,
      log: ctx.log,
    });
    const c = this.#context(ctx, key, port, now, issuerName(ref.kind, cr.metadata.namespace, ref.name));
    if (cr.metadata.deletionTimestamp !== undefined) {
      if (checked.rejected.length > 0) rejected(c, checked, "If an order was placed for this request, cancel it at the vendor.");
      return whileDeleting(this.#d, c, ref);
    }
    const phase = phaseOf(cr.status);
    switch (phase.kind) {
      case "awaitingApproval":
        return {}; // never order before approval; cert-manager's approver acts first
      case "denied":
        await c.port.writeStatus({ ready: { status: "False", reason: CrReason.Denied, message: DENIED_MESSAGE }, failed: true });
        c.record({ type: "Warning", reason: "Denied", action: "Issue", note: DENIED_MESSAGE });
        return {};
      case "finished":
        if (checked.rejected.length > 0) {
          rejected(c, checked, "If an order was placed for this request, cancel it at the vendor.");
          await c.port.saveRecord(checked.record);
        }
        return finishLeftovers(this.#d, c, phase.outcome, ref);
      case "approved":
        return checked.rejected.length > 0 ? this.#rejectedWhileIssuing(c, checked, ref) : this.#issue(c, ref);
    }
  }

  /**
   * The annotation as far as it is proven this request's (ADR 0022). Deadlines are bounded from now, or
   * from the deletion time: a deletion never waits on a deadline written after it began.
   */
  async #checkRecord(cr: CertificateRequest, read: ReadAnnotation, now: Date): Promise<CheckedAnnotation> {
    if (read.ok && !holdsAnything(read.value)) return { record: {}, rejected: [], adjusted: [] };
    const deletedAt = Date.parse(cr.metadata.deletionTimestamp ?? "");
    return checkOrderAnnotation(read, {
      identity: read.ok ? await requestIdentity(cr) : undefined,
      anchor: new Date(Number.isFinite(deletedAt) ? Math.min(deletedAt, now.getTime()) : now.getTime()),
      windowMs: Math.max(...Object.values({ ...SETTLE_WINDOW_MS, ...this.#d.settleWindowMs }).filter((ms) => ms !== undefined)),
    });
  }

  /**
   * An approved request whose annotation holds something not its own. A rejected sweep is only dropped.
   * A rejected (or unreadable) order record cannot say whether an order exists: the request fails rather
   * than maybe pay twice — status first, then the record dropped, so a crash in between still fails it.
   */
  async #rejectedWhileIssuing(c: RequestContext, checked: CheckedAnnotation, ref: { kind: IssuerKind; name: string }): Promise<Result> {
    if (checked.rejected.every((r) => r.part === "sweep")) {
      rejected(c, checked, "The sweep was dropped; the order goes on.");
      await c.port.saveRecord(checked.record);
      return this.#issue(c, ref);
    }
    const why = checked.rejected.map((r) => r.message).join("; ");
    const result = await failRequest(
      c,
      `annotation ${ORDER_ANNOTATION} was edited outside certbridge (${why}); it is ignored and certbridge cannot tell whether an order was placed for this request. cert-manager makes a new request after its backoff`,
    );
    rejected(c, checked, "The request is failed; cert-manager makes a new one after its backoff. Do not edit this annotation.");
    await c.port.saveRecord(checked.record);
    return result;
  }

  /** Approved and not finished: order, or move the order in flight on. */
  async #issue(c: RequestContext, ref: { kind: IssuerKind; name: string }): Promise<Result> {
    await c.step("start");
    const cr = c.port.obj;
    const namespace = cr.metadata.namespace ?? "";
    const inFlight = c.port.record.order;
    const found = lookUpIssuer(this.#d, ref.kind, namespace, ref.name, c.issuerLabel);
    if (!found.ok) {
      await c.port.note(`${found.message}; waiting for it.`);
      return inFlight === undefined ? {} : { requeueAfterMs: CONNECTION_RECHECK_MS };
    }
    // Only a new order waits for the issuer to be Ready; an order in flight is collected whatever it says.
    const ready = issuerIsReady(found);
    if (inFlight === undefined && !ready.ok) {
      await c.port.note(`Waiting for ${c.issuerLabel} to become ready: ${ready.message}.`);
      return {};
    }
    const mapped = mapRequest(found.issuer.options, cr.spec);
    if (!mapped.ok) return failRequest(c, mapped.message);
    const built = await buildRequestOrder(cr, mapped);
    if (!built.ok) return failRequest(c, built.message);
    const access = await vendorAccess(this.#d, found.issuer, namespace, "provision", c.signal);
    if (!access.ok) {
      await c.port.note(`${access.reason}: ${access.message}.`);
      return { requeueAfterMs: CONNECTION_RECHECK_MS };
    }
    const { connection, ca, timing, issuer } = access.access;
    const vendor = issuer.options.vendor;
    const job: OrderJob = {
      vendor,
      owner: ownerOf(cr),
      ca,
      store: c.port.intentStore(),
      timing,
      vendorOptions: built.order.vendorOptions,
      knownVendorRefs: inFlight?.vendorRef === undefined ? [] : [inFlight.vendorRef],
      order: async () => built.order,
      spend: () => this.#d.budget.take(connectionKey(connection), connection.issuanceBudgetPerHour, c.now.getTime()),
      now: c.now,
      clock: () => this.#clock.now(),
      signal: c.signal,
      log: c.log,
      step: (step) => c.step(step),
      onCall: (operation) => this.#d.countCall?.(vendor, operation),
    };
    let outcome: OrderingOutcome;
    try {
      // A fingerprint is used to find orders only when it is the one computed now for this CSR and issuer.
      const trusted = withTrustedFingerprints({ order: inFlight }, await ca.fingerprint?.(built.order)).record.order;
      outcome =
        trusted === undefined
          ? await startOrder(job, built.order, { reason: CrReason.Pending, message: `Ordering from ${vendorDisplayName(vendor)} through ${c.issuerLabel}.` })
          : await advanceOrder(job, trusted);
    } catch (error) {
      // A look-up or fingerprint failed outside the engine's own handling: say so, and retry with backoff.
      if (!(error instanceof VendorError) || c.signal.aborted) throw error;
      const failure = vendorFailure(error);
      await c.port.note(`${failure.reason}: ${failure.message}`);
      if (failure.action === "waitForPerson" || failure.action === "credentials") return failure.finish();
      throw error;
    }
    if (outcome.kind === "issued" || outcome.kind === "failed" || outcome.kind === "abandoned")
      c.countIssuance(vendor, outcome.kind === "issued" ? "issued" : "failed");
    return afterOrdering(c, outcome, connection, vendorDisplayName(vendor));
  }

  #context(ctx: ReconcileContext, key: Key, port: RequestPort, now: Date, issuerLabel: string): RequestContext {
    const d = this.#d;
    return {
      key,
      port,
      issuerLabel,
      now,
      signal: ctx.signal,
      log: ctx.log,
      step: async (step) => {
        await d.step?.(step, key);
      },
      record: (event) => d.events?.record({ type: certificateRequests, object: port.obj }, event),
      countIssuance: (vendor, result) => d.countIssuance?.(vendor, result),
    };
  }
}

/** The Warning that says what in the annotation was ignored, and what to do. */
function rejected(c: RequestContext, checked: CheckedAnnotation, nextStep: string): void {
  c.log.warn({ rejected: checked.rejected.map((r) => r.part) }, "the order annotation holds a record that is not this request's; ignored");
  c.record({ type: "Warning", reason: "OrderRecordRejected", action: "Verify", note: rejectionNote(checked.rejected, nextStep) });
}
