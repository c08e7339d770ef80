// The request manager: turns "a new revision is needed" (trigger.ts) into an order for the ordering
// engine (../ordering), keeps the engine's intent in status.pendingIssuance, and turns the engine's
// outcome into status: a failed attempt and its business backoff, an abandoned intent, a spent
// budget. An issued certificate goes back to the reconciler, which has it written (issuing.ts).
//   start:    business backoff → key for revision R persisted (key Secret) → "key-persisted" → engine
//   continue: engine (planned poll kept; collect; look up an unanswered call; send again)
import type { KeyObject } from "node:crypto";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import { orderOptionsOf } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { meaningOf, vendorConditionMessage } from "../../ports/error-policy.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import type { Result } from "../../runtime/reconcile.ts";
import type { IssuanceBudget } from "../ordering/budget.ts";
import { withSweep } from "../ordering/decide.ts";
import { type IssuedOrder, type OrderJob, type OrderingOutcome, advanceOrder, startOrder } from "../ordering/engine.ts";
import { type IntentStore, type OrderSweep, type PendingOrder, intentMatchesSpec, iso } from "../ordering/record.ts";
import type { OrderTiming } from "../ordering/timing.ts";
import { classifySecret, hasData, type Secret } from "../shared/owned-secret.ts";
import type { CertificateContext, IssuanceStep, ResourcePort, SecretAccess, Status } from "./context.ts";
import { intentOf, takenOver } from "./intent.ts";
import { intentStore } from "./intent-store.ts";
import { type IntentKeyRef, keyOfIntent } from "./key-repair.ts";
import { keyForRevision, keySecretName } from "./keys.ts";
import { lostFirstIntent } from "./lost-intent.ts";
import { buildOrder, connectionKey, knownVendorRefs, nextRevision, orderedAsOf } from "./order.ts";
import { type Preflight, preflight } from "./preflight.ts";
import type { UnsentKeys } from "./unsent-keys.ts";
import { type ConditionValue, readyWhileIssuing, withConditions } from "./readiness.ts";
import { keyInSecret, readTargetSecret } from "./secret.ts";
import { backoffRemainingMs, businessBackoffMs, type Decision, ReissueReason } from "./trigger.ts";

/** A foreign Secret in the way is looked at again this often (foreign Secrets are not watched). */
export const CONFLICT_RECHECK_MS = 5 * 60_000;

export interface RequestPorts {
  readonly io: SecretAccess;
  readonly ca: CertificateAuthority;
  readonly connection: ResolvedConnection;
  readonly budget: IssuanceBudget;
  readonly timing: OrderTiming;
  readonly step: (step: IssuanceStep) => Promise<void>;
  /** A failed attempt (certbridge_certificate_issuances_total{result="failed"}). */
  readonly countFailure: () => void;
  /** The time now (the injected clock), read after vendor calls; absent: the reconcile's start. */
  readonly clock?: () => Date;
  /** Keys this process stored with nothing sent since (unsent-keys.ts); absent: none known. */
  readonly unsent?: UnsentKeys;
}

export type RequestOutcome =
  | { readonly kind: "done"; readonly result: Result }
  /** The certificate of `record` and its key: to be written, then the record cleared (issuing.ts, readiness.ts). */
  | { readonly kind: "issued"; readonly record: PendingOrder; readonly issued: IssuedOrder; readonly key: KeyObject; readonly sweep?: OrderSweep | undefined };

const done = (result: Result): RequestOutcome => ({ kind: "done", result });

/** A new revision, for `decision`'s reason. `currentTls`: the TLS Secret now (rotationPolicy Never keeps its key). */
export async function startIssuance(
  ctx: CertificateContext,
  port: ResourcePort,
  ports: RequestPorts,
  decision: Decision,
  currentTls: Secret | undefined,
): Promise<RequestOutcome> {
  const status = port.status;
  const generation = port.obj.metadata.generation;
  const wait = backoffRemainingMs(status, ctx.now);
  if (wait > 0) {
    const until = iso(new Date(ctx.now.getTime() + wait));
    const cause = status.lastFailureMessage ? ` Last failure: ${status.lastFailureMessage}` : "";
    const message = `Issuance failed ${status.failedIssuanceAttempts ?? 0} time(s); the next attempt is at ${until}.${cause}`;
    await port.save(
      withConditions(status, generation, ctx.now, readyWhileIssuing(status, ctx.now, { status: "False", reason: Reason.Backoff, message }), {
        status: "False",
        reason: Reason.Backoff,
        message,
      }),
    );
    return done({ requeueAfterMs: wait });
  }
  // A missing or broken Secret is not Ready, whatever the certificate on record says.
  const secretBroken = decision.reason === ReissueReason.SecretMissing || decision.reason === ReissueReason.SecretMismatch;
  const checked = await checkBeforeOrdering(ctx, port, ports, secretBroken);
  if (!checked.ok) return done(checked.result);
  const revision = nextRevision(status);
  const keyed = await keyForRevision(
    ports.io,
    ctx.owner,
    ctx.mc.spec,
    revision,
    await keptKey(ctx, ports.io, currentTls),
    ctx.signal,
    orderedAsOf(ctx.mc.spec, ctx.specHash),
  );
  if ("conflict" in keyed) {
    const message = `Secret ${keySecretName(ctx.owner.name)} (where the operator keeps the private key) exists and is not managed by this ManagedCertificate; it is left untouched.`;
    await port.save(
      withConditions(
        status,
        generation,
        ctx.now,
        { status: "False", reason: Reason.SecretConflict, message },
        { status: "False", reason: Reason.SecretConflict, message },
      ),
    );
    return done({ requeueAfterMs: CONFLICT_RECHECK_MS });
  }
  if (keyed.storedEarlier !== true) ports.unsent?.stored(ctx.owner.uid, revision);
  await ports.step("key-persisted");
  const keys = new KeyMemo(ports.io, ctx, { revision, key: keyed.key });
  const order = await buildOrder(ctx.mc.spec, ctx.owner, ctx.specHash, keyed.key, revision);
  const message = `${decision.message} Ordering revision ${revision} from ${ctx.vendor}.${checked.rounded === undefined ? "" : ` ${checked.rounded}`}`;
  if (checked.rounded !== undefined) port.record({ type: "Normal", reason: "DurationRounded", action: "Issue", note: checked.rounded });
  const outcome = await startOrder(
    orderJob(ctx, port, ports, keys, { secretBroken }),
    order,
    { reason: Reason.Pending, message, startedBecause: decision.reason },
    keyed.storedEarlier === true && ports.unsent?.neverSent(ctx.owner.uid, revision) !== true
      ? lostFirstIntent(port.obj, revision, keyed.orderedAs)
      : undefined,
  );
  return afterOrdering(ctx, port, ports, keys, outcome);
}

/**
 * preflight.ts before anything is paid: a refusal is shown (Ready kept while a valid certificate is in
 * place and its Secret intact) and nothing is ordered. A vendor error while asking is shown and, unless
 * the error policy says the same request can never pass, returned for the queue's backoff.
 */
async function checkBeforeOrdering(
  ctx: CertificateContext,
  port: ResourcePort,
  ports: RequestPorts,
  secretBroken: boolean,
): Promise<{ readonly ok: true; readonly rounded?: string | undefined } | { readonly ok: false; readonly result: Result }> {
  const show = async (value: ConditionValue) => {
    const ready = secretBroken ? value : readyWhileIssuing(port.status, ctx.now, value);
    await port.save(withConditions(port.status, port.obj.metadata.generation, ctx.now, ready, value));
  };
  let checked: Preflight;
  try {
    checked = await preflight(ctx, ports.io, ports.ca);
  } catch (error) {
    if (!(error instanceof VendorError)) throw error;
    const meaning = meaningOf(error);
    await show({ status: "False", reason: meaning.reason, message: vendorConditionMessage(error, meaning) });
    if (meaning.action === "stop") return { ok: false, result: {} };
    throw error;
  }
  if (checked.ok) return checked;
  await show({ status: "False", reason: checked.reason, message: checked.message });
  return { ok: false, result: { requeueAfterMs: checked.requeueAfterMs } };
}

/**
 * rotationPolicy Never: the key in the TLS Secret, for the new revision to keep. The owned-Secret cache
 * keeps no data (issue 13), so only then is the Secret read from the API server.
 */
async function keptKey(ctx: CertificateContext, io: SecretAccess, currentTls: Secret | undefined): Promise<KeyObject | undefined> {
  if (ctx.mc.spec.privateKey.rotationPolicy !== "Never" || classifySecret(currentTls, ctx.owner) !== "ours") return undefined;
  const source = hasData(currentTls) ? currentTls : (await readTargetSecret(io, ctx.owner, ctx.mc.spec.secretName, true, ctx.signal)).secret;
  return classifySecret(source, ctx.owner) === "ours" ? keyInSecret(source) : undefined;
}

/** The issuance in flight (intent.ts: status.pendingIssuance, or a first intent in the annotation) moves on. */
export async function continueIssuance(ctx: CertificateContext, port: ResourcePort, ports: RequestPorts): Promise<RequestOutcome> {
  const record = intentOf(port.obj)?.record;
  if (record === undefined) return done({});
  const keys = new KeyMemo(ports.io, ctx);
  return afterOrdering(ctx, port, ports, keys, await advanceOrder(orderJob(ctx, port, ports, keys, {}), record));
}

/**
 * The engine's view of this resource: the intent's place (intent.ts), the key Secret for its orders.
 * Without the cleanup finalizer (a first issuance) the first attempt rides with the finalizer in one
 * guarded patch of the object, and its note waits for the next status write (ADR 0020); otherwise the
 * record goes to status.pendingIssuance, taking over a live annotation intent.
 */
function orderJob(ctx: CertificateContext, port: ResourcePort, ports: RequestPorts, keys: KeyMemo, opts: { secretBroken?: boolean }): OrderJob {
  const store = intentStore(ctx, port, ports.unsent, { ...opts, credentials: ports.connection.credentials });
  return {
    vendor: ctx.vendor,
    owner: ctx.owner,
    ca: ports.ca,
    store,
    timing: ports.timing,
    vendorOptions: orderOptionsOf(ctx.mc.spec),
    knownVendorRefs: knownVendorRefs(port.obj),
    order: async (record, purpose) => {
      // No paid call in flight: a spec edited since the intent was recorded needs a new intent first.
      if (purpose === "submit" && !intentMatchesSpec(record, ctx.specHash)) return { abandon: "the spec changed before the order was placed", failed: false };
      const key = await keys.get(record);
      if (key === undefined) return { abandon: "the private key for the pending order was lost", failed: true };
      return buildOrder(ctx.mc.spec, ctx.owner, ctx.specHash, key, record.revision);
    },
    spend: () => ports.budget.take(connectionKey(ports.connection), ports.connection.issuanceBudgetPerHour, ctx.now.getTime()),
    now: ctx.now,
    ...(ports.clock === undefined ? {} : { clock: ports.clock }),
    signal: ctx.signal,
    log: ctx.log,
    step: (step) => ports.step(step),
    onCall: (operation) => ctx.countCall(ctx.vendor, operation),
  };
}

/** What the engine's outcome means for this resource's status. */
async function afterOrdering(
  ctx: CertificateContext,
  port: ResourcePort,
  ports: RequestPorts,
  keys: KeyMemo,
  outcome: OrderingOutcome,
): Promise<RequestOutcome> {
  const generation = port.obj.metadata.generation;
  switch (outcome.kind) {
    case "waiting":
      return done({ requeueAfterMs: outcome.requeueAfterMs });
    case "issued": {
      const key = await keys.get(outcome.record);
      if (key === undefined) throw new Error("the key of an issued order was not loaded"); // the engine made its order from it
      return { kind: "issued", record: outcome.record, issued: outcome.issued, key, sweep: outcome.sweep };
    }
    case "budgetSpent": {
      const c = ports.connection;
      const message = `The issuance budget of ${c.kind} ${c.name} (${outcome.limit} per hour) is spent; retrying in ${Math.ceil(outcome.retryAfterMs / 60_000)} min.`;
      const value = { status: "False" as const, reason: Reason.BudgetExhausted, message };
      await port.save(withConditions(port.status, generation, ctx.now, readyWhileIssuing(port.status, ctx.now, value), value));
      return done({ requeueAfterMs: outcome.retryAfterMs });
    }
    case "failed": {
      // A failed attempt: business backoff in status; the intent goes, and its stray orders are swept.
      const status = port.status;
      const attempts = (status.failedIssuanceAttempts ?? 0) + 1;
      const { pendingIssuance: _p, ...rest } = takenOver(status, port.obj);
      const next: Status = {
        ...withSweepOf(rest, outcome.sweep),
        failedIssuanceAttempts: attempts,
        lastFailureTime: iso(ctx.now),
        lastFailureMessage: outcome.cause.slice(0, 512),
      };
      const delay = businessBackoffMs(attempts);
      const value = {
        status: "False" as const,
        reason: outcome.reason,
        message: `${outcome.cause}. Attempt ${attempts}; next in ${Math.round(delay / 60_000)} min.`,
      };
      ctx.log.warn({ err: outcome.error instanceof VendorError ? outcome.error.toJSON() : String(outcome.error), attempts }, "issuance failed");
      ports.countFailure();
      await port.save(withConditions(next, generation, ctx.now, readyWhileIssuing(status, ctx.now, value), value));
      return done({ requeueAfterMs: delay });
    }
    case "abandoned": {
      // The intent can no longer be completed (key lost, spec edited before ordering): drop it, sweep what it may have placed.
      const { pendingIssuance: _p, ...rest } = takenOver(port.status, port.obj);
      const failure = outcome.failed
        ? { failedIssuanceAttempts: (rest.failedIssuanceAttempts ?? 0) + 1, lastFailureTime: iso(ctx.now), lastFailureMessage: `${outcome.why}; starting over` }
        : {};
      await port.save({ ...withSweepOf(rest, outcome.sweep), ...failure });
      return done({ requeueAfterMs: 1_000 });
    }
  }
}

function withSweepOf(status: Status, sweep: OrderSweep | undefined): Status {
  return sweep === undefined ? status : { ...status, orderSweeps: withSweep(status.orderSweeps, sweep) };
}

/** The key of the intent, read once per reconcile (key-repair.ts: the key Secret, cache first, or written back from the TLS Secret). */
class KeyMemo {
  readonly #io: SecretAccess;
  readonly #ctx: CertificateContext;
  #known: { revision: number; key: KeyObject } | undefined;

  constructor(io: SecretAccess, ctx: CertificateContext, known?: { revision: number; key: KeyObject }) {
    this.#io = io;
    this.#ctx = ctx;
    this.#known = known;
  }

  async get(intent: IntentKeyRef): Promise<KeyObject | undefined> {
    if (this.#known?.revision === intent.revision) return this.#known.key;
    const key = await keyOfIntent(this.#io, this.#ctx.owner, this.#ctx.mc.spec.secretName, intent, this.#ctx.signal);
    if (key !== undefined) this.#known = { revision: intent.revision, key };
    return key;
  }
}
