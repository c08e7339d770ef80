// The issuance path, in the order that makes it safe under any fault (ADR 0005):
//   1. key for revision R persisted (key Secret)                          → "key-persisted"
//   2. intent + this paid call's time and settle deadline (guarded write) → "intent-recorded"
//   3. the paid submit, counted against the budget                        → "submitted"
//   4. vendorRef in status right after                                    → "vendor-ref-recorded"
//   5. collect (safe to repeat; doubling poll backoff)                     → "collected"
//   6. the TLS Secret, written once                                       → "secret-written"
//   7. status: revision R, serial, times; intent cleared                  → "status-written"
// A submit whose answer we did not see (timeout, reset, 5xx/429, a crash: an intent with a deadline
// and no vendorRef) leaves the outcome unknown: the intent's orders are looked up ("found") until the
// settle deadline, and only then, with nothing found, is the order placed again. Once a vendorRef
// exists, only the vendor's explicit verdict on that order (declined, rejected, revoked) ends it;
// every other error keeps it and backs off, visibly.
import { X509Certificate, type KeyObject } from "node:crypto";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { annotations } from "../../api/v1alpha1/labels.ts";
import { requestedLifetimeMs } from "../../api/v1alpha1/managedcertificate.ts";
import { type CertificateOrder, type IssueOutcome, lookupNameOf as portLookupNameOf, orderOptionsOf, submitMayHavePlaced } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { classifySecret, type Secret, writeOwnedSecret } from "../shared/owned-secret.ts";
import { chooseKey, desiredKeySecret, keySecretName, publicKeySha256, storedKey } from "./keys.ts";
import { iso, intentMatchesSpec, knownVendorRefs, markerOf, markerSpecHash, needsSweep, nextLookupAt, orderIntentOf, outcomePending, settleDeadlineOf, sweepFor } from "./ordering.ts";
import { backoffRemainingMs, businessBackoffMs, type Decision, pollDelayMs, ReissueReason, renewalTime } from "./trigger.ts";
import { CONFLICT_RECHECK_MS, issuedCondition, type ManagedCertificateReconciler, type Work } from "./reconciler.ts";
import { processRevocations } from "./revocation.ts";
import { KEYSTORE_RECHECK_MS, keystoreData } from "./keystore.ts";
import { desiredTlsSecret, keyInSecret, leafOf } from "./secret.ts";
import { type ConditionValue, notIssuing, type Status, readyOf, withConditions } from "./status.ts";

type Pending = NonNullable<Status["pendingIssuance"]>;

export { iso, markerOf };

export function connectionKey(c: ResolvedConnection): string {
  return `${c.kind}/${c.namespace ?? ""}/${c.name}`;
}

/** The revision a new attempt orders: failed attempts move it on, so a dead order is never "found" again. */
export function nextRevision(status: Status): number {
  return (status.revision ?? 0) + 1 + (status.failedIssuanceAttempts ?? 0);
}

export async function buildOrder(w: Work, key: KeyObject, revision: number): Promise<CertificateOrder> {
  const spec = w.mc.spec;
  const commonName = spec.commonName ?? spec.dnsNames?.[0] ?? spec.ipAddresses?.[0] ?? spec.emailAddresses?.[0];
  const sans = { dnsNames: spec.dnsNames ?? [], ipAddresses: spec.ipAddresses ?? [], emailAddresses: spec.emailAddresses ?? [], uris: spec.uris ?? [] };
  const csrPem = await createCsr({ privateKey: key, subject: { ...(spec.subject ?? {}), ...(commonName === undefined ? {} : { commonName }) }, sans });
  const lifetime = requestedLifetimeMs(spec);
  return {
    owner: { uid: w.owner.uid, namespace: w.owner.namespace, name: w.owner.name, revision, specHash: w.specHash.slice(0, 16) },
    csrPem,
    publicKeySha256: publicKeySha256(key),
    ...(commonName === undefined ? {} : { commonName }),
    ...sans,
    lifetimeDays: lifetime === undefined ? 0 : Math.max(1, Math.ceil(lifetime / 86_400_000)),
    vendorOptions: orderOptionsOf(spec),
  };
}

/** What the vendor searches the intent's orders by (the port's rule: the person's e-mail for a Sectigo client certificate, else the common name). */
export const lookupNameOf = portLookupNameOf;

/** Ready while an issuance runs: a valid certificate already in place stays Ready. */
export function readyWhileIssuing(w: Work, fallback: ConditionValue): ConditionValue {
  const status = w.obj.status ?? {};
  const current = readyOf(status);
  const valid = status.notAfter !== undefined && Date.parse(status.notAfter) > w.now.getTime();
  return current?.status === "True" && valid ? current : fallback;
}

/** The key Secret and the key it holds for `revision` (cache first, then the API server). */
export async function loadKey(r: ManagedCertificateReconciler, w: Work, revision: number, checkSpec: boolean): Promise<{ secret: Secret | undefined; key: KeyObject | undefined }> {
  const name = keySecretName(w.owner.name);
  const spec = checkSpec ? w.mc.spec : undefined;
  const cached = r.deps.secrets.get(`${w.owner.namespace}/${name}`);
  const fromCache = classifySecret(cached, w.owner) === "ours" ? storedKey(cached, revision, spec) : undefined;
  if (fromCache !== undefined) return { secret: cached, key: fromCache };
  let live: Secret | undefined;
  try {
    live = await r.deps.client.get<Secret>(core.secrets, w.owner.namespace, name, w.signal);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return { secret: live, key: classifySecret(live, w.owner) === "ours" ? storedKey(live, revision, spec) : undefined };
}

export async function startIssuance(r: ManagedCertificateReconciler, w: Work, decision: Decision, currentTls: Secret | undefined): Promise<Result> {
  const status = w.obj.status ?? {};
  const wait = backoffRemainingMs(status, w.now);
  if (wait > 0) {
    const until = iso(new Date(w.now.getTime() + wait));
    const cause = status.lastFailureMessage ? ` Last failure: ${status.lastFailureMessage}` : "";
    const message = `Issuance failed ${status.failedIssuanceAttempts ?? 0} time(s); the next attempt is at ${until}.${cause}`;
    w.obj = await r.save(w.obj, withConditions(status, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason: Reason.Backoff, message }), { status: "False", reason: Reason.Backoff, message }), w.signal);
    return { requeueAfterMs: wait };
  }
  const revision = nextRevision(status);
  let { secret: keySecret, key } = await loadKey(r, w, revision, true);
  if (key === undefined) {
    key = await chooseKey(w.mc.spec, classifySecret(currentTls, w.owner) === "ours" ? keyInSecret(currentTls) : undefined);
    const wrote = await writeOwnedSecret(r.deps.client, w.owner, desiredKeySecret(w.owner, key, revision), keySecret, w.signal);
    if (wrote === "conflict") {
      const message = `Secret ${keySecretName(w.owner.name)} (where the operator keeps the private key) exists and is not managed by this ManagedCertificate; it is left untouched.`;
      w.obj = await r.save(w.obj, withConditions(status, w.obj.metadata.generation, w.now, { status: "False", reason: Reason.SecretConflict, message }, { status: "False", reason: Reason.SecretConflict, message }), w.signal);
      return { requeueAfterMs: CONFLICT_RECHECK_MS };
    }
  }
  await r.step("key-persisted", w.key);
  const order = await buildOrder(w, key, revision);
  const fingerprint = await w.ca.fingerprint?.(order);
  const lookupName = lookupNameOf(order);
  const intent: Pending = {
    revision,
    state: "Submitting",
    startedTime: iso(w.now),
    publicKeySha256: order.publicKeySha256,
    marker: markerOf(w.owner.uid, revision, w.specHash),
    ...(fingerprint === undefined ? {} : { fingerprint }),
    ...(lookupName === undefined ? {} : { lookupName }),
    submits: 0,
    pollCount: 0,
  };
  // A missing or broken Secret is not Ready, whatever the certificate on record says.
  const secretBroken = decision.reason === ReissueReason.SecretMissing || decision.reason === ReissueReason.SecretMismatch;
  const text = `${decision.message} Ordering revision ${revision} from ${w.vendor}.`;
  const notReady: ConditionValue = { status: "False", reason: Reason.Pending, message: text };
  return submit(r, w, key, order, intent, { ready: secretBroken ? notReady : readyWhileIssuing(w, notReady), issuing: { status: "True", reason: decision.reason, message: text } });
}

/**
 * One paid call: budget, then the attempt recorded (time and settle deadline, guarded by
 * resourceVersion so a stale cache fails with 409 instead of ordering twice), then the call.
 */
async function submit(r: ManagedCertificateReconciler, w: Work, key: KeyObject, order: CertificateOrder, p: Pending, conditions: { ready: ConditionValue; issuing: ConditionValue }): Promise<Result> {
  const budget = r.deps.budget.take(connectionKey(w.connection), w.connection.issuanceBudgetPerHour, w.now.getTime());
  if (!budget.ok) {
    const message = `The issuance budget of ${w.connection.kind} ${w.connection.name} (${budget.limit} per hour) is spent; retrying in ${Math.ceil(budget.retryAfterMs / 60_000)} min.`;
    w.obj = await r.save(w.obj, withConditions(w.obj.status ?? {}, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason: Reason.BudgetExhausted, message }), { status: "False", reason: Reason.BudgetExhausted, message }), w.signal);
    return { requeueAfterMs: budget.retryAfterMs };
  }
  const { nextPollTime: _n, ...rest } = p;
  const attempt: Pending = { ...rest, state: "Submitting", submits: (p.submits ?? 0) + 1, submittedTime: iso(w.now), settleDeadline: iso(new Date(w.now.getTime() + r.settleWindowMs(w.vendor))) };
  w.obj = await r.save(w.obj, withConditions({ ...(w.obj.status ?? {}), pendingIssuance: attempt }, w.obj.metadata.generation, w.now, conditions.ready, conditions.issuing), w.signal, { guard: true });
  await r.step("intent-recorded", w.key);
  let placed: IssueOutcome;
  try {
    placed = await w.ca.submit(order, w.signal);
  } catch (error) {
    return submitFailed(r, w, attempt, error);
  }
  r.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "submit" });
  await r.step("submitted", w.key);
  const recorded = await recordVendorRef(r, w, attempt, placed.vendorRef, placed.state === "pending" ? placed.reason : "Pending");
  if (placed.state === "issued") return finish(r, w, key, recorded, placed);
  if (placed.state === "failed") return failedOrder(r, w, recorded, placed.message);
  return collectPending(r, w, recorded, key);
}

async function recordVendorRef(r: ManagedCertificateReconciler, w: Work, p: Pending, vendorRef: string, state: Pending["state"]): Promise<Pending> {
  const { settleDeadline: _d, nextPollTime: _n, ...rest } = p;
  const next: Pending = { ...rest, vendorRef, state, pollCount: 0 };
  w.obj = await r.save(w.obj, { ...(w.obj.status ?? {}), pendingIssuance: next }, w.signal, { guard: true });
  await r.step("vendor-ref-recorded", w.key);
  return next;
}

/** A submit failed: refused (nothing placed) or unanswered (outcome unknown until the deadline). */
async function submitFailed(r: ManagedCertificateReconciler, w: Work, attempt: Pending, error: unknown): Promise<Result> {
  // Shutting down: nothing can be written now; the recorded deadline makes the next run look it up.
  if (w.signal.aborted) throw error;
  const status = w.obj.status ?? {};
  const cause = causeOf(w, error);
  if (!submitMayHavePlaced(error)) {
    const { settleDeadline: _d, ...rest } = attempt;
    const cleared: Pending = { ...rest, submits: Math.max(0, (attempt.submits ?? 1) - 1) };
    if (error instanceof VendorError && (isRetryable(error.kind) || error.kind === "blocked")) {
      // Refused for now (throttled, a person must act): the intent stays, the call is tried again later.
      const next = new Date(w.now.getTime() + pollDelayMs(error.kind === "blocked" ? "AwaitingValidation" : "Pending", attempt.pollCount ?? 0, error.retryAfterMs, r.deps.pollBackoff));
      const reason = reasonOf(error);
      const message = `${cause}. Nothing was ordered; ${nextStep(error)}the order is tried again at ${iso(next)}.`;
      w.obj = await r.save(w.obj, withConditions({ ...status, pendingIssuance: { ...cleared, pollCount: (attempt.pollCount ?? 0) + 1, nextPollTime: iso(next) } }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message }), { status: "True", reason, message }), w.signal);
      return { requeueAfterMs: Math.max(1_000, next.getTime() - w.now.getTime()) };
    }
    return failedAttempt(r, w, cleared, error);
  }
  const deadline = settleDeadlineOf(attempt, r.settleWindowMs(w.vendor));
  const next = nextLookupAt(w.now, deadline, 0, r.lookupFirstMs);
  const unknown: Pending = { ...attempt, state: "OutcomeUnknown", unknownOutcomes: (attempt.unknownOutcomes ?? 0) + 1, pollCount: 0, nextPollTime: iso(next) };
  const message = `The order for revision ${attempt.revision} (sent ${attempt.submittedTime}) got no answer: ${cause}. ${vendorName(w)} may still place it, so it is looked up until ${iso(deadline)} before anything is ordered again.`;
  w.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), revision: attempt.revision, settleDeadline: iso(deadline) }, "order outcome unknown; looking it up before ordering again");
  w.obj = await r.save(w.obj, withConditions({ ...status, pendingIssuance: unknown }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason: Reason.OutcomeUnknown, message }), { status: "True", reason: Reason.OutcomeUnknown, message }), w.signal);
  return { requeueAfterMs: Math.max(1_000, next.getTime() - w.now.getTime()) };
}

export async function continueIssuance(r: ManagedCertificateReconciler, w: Work): Promise<Result> {
  const p = w.obj.status?.pendingIssuance;
  if (p === undefined) return {};
  if (p.nextPollTime !== undefined && Date.parse(p.nextPollTime) > w.now.getTime()) {
    // Woken early (our own status write, a resync): keep the planned poll or look-up.
    return { requeueAfterMs: Date.parse(p.nextPollTime) - w.now.getTime() };
  }
  if (p.vendorRef !== undefined) return collectPending(r, w, p);
  let intent = p;
  if (outcomePending(p)) {
    const settled = await settle(r, w, p);
    if (settled.result !== undefined) return settled.result;
    intent = settled.notPlaced;
  }
  // No paid call in flight. A spec edited since the intent was recorded needs a new intent first.
  if (!intentMatchesSpec(intent, w.specHash)) return abandon(r, w, intent, "the spec changed before the order was placed");
  const { key } = await loadKey(r, w, intent.revision, false);
  if (key === undefined) return abandon(r, w, intent, "the private key for the pending order was lost");
  const order = await buildOrder(w, key, intent.revision);
  const text = `Ordering revision ${intent.revision} from ${w.vendor} (attempt ${(intent.submits ?? 0) + 1}).`;
  return submit(r, w, key, order, intent, { ready: readyWhileIssuing(w, { status: "False", reason: Reason.Pending, message: text }), issuing: { status: "True", reason: Reason.Pending, message: text } });
}

/**
 * The latest paid call of the intent may have placed an order: look it up. Found: record it and go on
 * collecting. Not found before the deadline: look again later. After the deadline: nothing was placed.
 */
async function settle(r: ManagedCertificateReconciler, w: Work, p: Pending): Promise<{ result: Result; notPlaced?: never } | { result?: undefined; notPlaced: Pending }> {
  const status = w.obj.status ?? {};
  const deadline = settleDeadlineOf(p, r.settleWindowMs(w.vendor));
  const intent = orderIntentOf(w.owner, { ...p, since: p.startedTime }, orderOptionsOf(w.mc.spec), knownVendorRefs(status));
  const found = await w.ca.findOrders(intent, w.signal);
  r.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "find" });
  await r.step("found", w.key);
  const live = found.filter((f) => f.state !== "failed");
  if (live.length > 0) {
    w.log.info({ vendorRef: live[0]!.vendorRef, revision: p.revision, found: found.length }, "found the order whose answer was lost; not ordering again");
    const recorded = await recordVendorRef(r, w, p, live[0]!.vendorRef, "Pending");
    return { result: await collectPending(r, w, recorded) };
  }
  if (found.length > 0) {
    // Placed, and already ended by the vendor (declined, revoked): that attempt failed.
    return { result: await failedOrder(r, w, { ...p, vendorRef: found[0]!.vendorRef }, `the order ${found[0]!.vendorRef} was placed and ended by the vendor`) };
  }
  if (w.now.getTime() < deadline.getTime()) {
    const lookups = (p.pollCount ?? 0) + 1;
    const next = nextLookupAt(w.now, deadline, lookups, r.lookupFirstMs);
    const message = `The order for revision ${p.revision} (sent ${p.submittedTime ?? p.startedTime}) got no answer and is not at ${vendorName(w)} yet; it is looked up until ${iso(deadline)} (next ${iso(next)}) before anything is ordered again.`;
    w.obj = await r.save(w.obj, withConditions({ ...status, pendingIssuance: { ...p, state: "OutcomeUnknown", pollCount: lookups, nextPollTime: iso(next) } }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason: Reason.OutcomeUnknown, message }), { status: "True", reason: Reason.OutcomeUnknown, message }), w.signal);
    return { result: { requeueAfterMs: Math.max(1_000, next.getTime() - w.now.getTime()) } };
  }
  w.log.info({ revision: p.revision, settleDeadline: iso(deadline) }, "the unanswered order was never placed (not found after its settle deadline)");
  const { settleDeadline: _d, nextPollTime: _n, ...rest } = p;
  return { notPlaced: { ...rest, state: "Submitting", submits: rest.submits ?? 1, pollCount: 0 } };
}

/** An order exists (vendorRef): collect it. Only the vendor's explicit verdict ends it. */
async function collectPending(r: ManagedCertificateReconciler, w: Work, p: Pending & { vendorRef?: string }, knownKey?: KeyObject): Promise<Result> {
  const vendorRef = p.vendorRef!;
  const key = knownKey ?? (await loadKey(r, w, p.revision, false)).key;
  if (key === undefined) return abandon(r, w, p, "the private key for the pending order was lost");
  const order = await buildOrder(w, key, p.revision);
  let out: IssueOutcome;
  try {
    out = await w.ca.collect(vendorRef, order, w.signal);
  } catch (error) {
    return collectFailed(r, w, p, error);
  }
  r.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "collect" });
  await r.step("collected", w.key);
  if (out.state === "issued") return finish(r, w, key, p, out);
  if (out.state === "failed") return failedOrder(r, w, p, out.message);
  // Planned from now, rounded up to the second status keeps.
  const nextPoll = Math.ceil((w.now.getTime() + pollDelayMs(out.reason, p.pollCount ?? 0, out.retryAfterMs, r.deps.pollBackoff)) / 1000) * 1000;
  const pending: Pending = { ...p, vendorRef, state: out.reason, pollCount: (p.pollCount ?? 0) + 1, nextPollTime: iso(new Date(nextPoll)) };
  const reason = out.reason === "Pending" ? Reason.Pending : out.reason === "AwaitingApproval" ? Reason.AwaitingApproval : Reason.AwaitingValidation;
  const issuing: ConditionValue = { status: "True", reason, message: out.message };
  w.obj = await r.save(w.obj, withConditions({ ...(w.obj.status ?? {}), pendingIssuance: pending }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message: out.message }), issuing), w.signal);
  return { requeueAfterMs: Math.max(0, nextPoll - w.now.getTime()) };
}

/** Any error while an order exists keeps the order: say why, and ask again later. */
async function collectFailed(r: ManagedCertificateReconciler, w: Work, p: Pending, error: unknown): Promise<Result> {
  if (w.signal.aborted) throw error;
  const vendorRef = p.vendorRef ?? "";
  const kind = error instanceof VendorError ? error.kind : "unexpected";
  const hint = error instanceof VendorError ? error.retryAfterMs : undefined;
  const next = new Date(Math.ceil((w.now.getTime() + pollDelayMs(kind === "blocked" ? "AwaitingApproval" : "Pending", p.pollCount ?? 0, hint, r.deps.pollBackoff)) / 1000) * 1000);
  const reason = error instanceof VendorError ? reasonOf(error) : Reason.VendorError;
  const message = `${causeOf(w, error)}. Order ${vendorRef} is kept (only the vendor declining, rejecting or revoking it ends it); ${error instanceof VendorError ? nextStep(error) : ""}asking again at ${iso(next)}.`;
  w.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), vendorRef }, "collecting the order failed; keeping it");
  w.obj = await r.save(w.obj, withConditions({ ...(w.obj.status ?? {}), pendingIssuance: { ...p, pollCount: (p.pollCount ?? 0) + 1, nextPollTime: iso(next) } }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message }), { status: "True", reason, message }), w.signal);
  return { requeueAfterMs: Math.max(1_000, next.getTime() - w.now.getTime()) };
}

/** The vendor ended the order itself (declined, rejected, revoked): a failed attempt; the next one is a new revision. */
async function failedOrder(r: ManagedCertificateReconciler, w: Work, p: Pending, message: string): Promise<Result> {
  return failedAttempt(r, w, p, new VendorError({ kind: "permanent", vendor: w.vendor, operation: "collect", message }), Reason.Rejected);
}

/** A failed attempt: business backoff in status; the intent goes, and its stray orders are swept. */
async function failedAttempt(r: ManagedCertificateReconciler, w: Work, p: Pending, error: unknown, reasonOverride?: string): Promise<Result> {
  const status = w.obj.status ?? {};
  const attempts = (status.failedIssuanceAttempts ?? 0) + 1;
  const reason = reasonOverride ?? (error instanceof VendorError && error.kind === "credentials" ? Reason.CredentialsInvalid : Reason.VendorError);
  const cause = causeOf(w, error);
  const { pendingIssuance: _p, ...rest } = status;
  const next: Status = { ...withSweep(r, w, rest, p, []), failedIssuanceAttempts: attempts, lastFailureTime: iso(w.now), lastFailureMessage: cause.slice(0, 512) };
  const delay = businessBackoffMs(attempts);
  const message = `${cause}. Attempt ${attempts}; next in ${Math.round(delay / 60_000)} min.`;
  w.log.warn({ err: error instanceof VendorError ? error.toJSON() : String(error), attempts }, "issuance failed");
  r.deps.metrics?.issuances.inc({ vendor: w.vendor, result: "failed" });
  w.obj = await r.save(w.obj, withConditions(next, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message }), { status: "False", reason, message }), w.signal);
  return { requeueAfterMs: delay };
}

/** The intent can no longer be completed (key lost, spec edited before ordering): drop it, sweep what it may have placed. */
async function abandon(r: ManagedCertificateReconciler, w: Work, p: Pending, why: string): Promise<Result> {
  w.log.warn({ revision: p.revision, vendorRef: p.vendorRef }, `abandoning the pending issuance: ${why}`);
  const { pendingIssuance: _p, ...rest } = w.obj.status ?? {};
  const keyLost = why.includes("key");
  const next: Status = { ...withSweep(r, w, rest, p, []), ...(keyLost ? { failedIssuanceAttempts: (rest.failedIssuanceAttempts ?? 0) + 1, lastFailureTime: iso(w.now), lastFailureMessage: `${why}; starting over` } : {}) };
  w.obj = await r.save(w.obj, next, w.signal, { guard: true });
  return { requeueAfterMs: 1_000 };
}

/** Adds the sweep for `p` when it may have left extra (or, abandoned, any) orders at the vendor. */
function withSweep(r: ManagedCertificateReconciler, w: Work, status: Status, p: Pending, keep: readonly string[]): Status {
  const mayHaveOrders = needsSweep(p) || (keep.length === 0 && (p.vendorRef !== undefined || outcomePending(p) || (p.submits ?? 0) > 0));
  if (!mayHaveOrders) return status;
  const sweep = sweepFor(p, keep, w.now, r.settleWindowMs(w.vendor));
  if (sweep === undefined) return status;
  const others = (status.orderSweeps ?? []).filter((s) => !(s.revision === sweep.revision && s.marker === sweep.marker));
  return { ...status, orderSweeps: [...others, sweep].slice(-8) };
}

async function finish(r: ManagedCertificateReconciler, w: Work, key: KeyObject, p: Pending, out: Extract<IssueOutcome, { state: "issued" }>): Promise<Result> {
  const leaf = leafOf(out.chainPem);
  if (leaf === undefined || !keyMatchesCertificate(key, leaf)) {
    // The vendor's answer cannot be used, but the order is real and paid for: keep it, say so.
    return collectFailed(r, w, { ...p, vendorRef: out.vendorRef }, new VendorError({ kind: "permanent", vendor: w.vendor, operation: "collect", message: `order ${out.vendorRef} returned a certificate that does not belong to this resource's key; check the order at the vendor` }));
  }
  const target = await r.targetSecret(w, true);
  // No Secret without the keystore asked for: the order stays pending and is collected again (free).
  const keystore = await keystoreData(r.deps.client, w.owner.namespace, w.owner.name, w.mc.spec, out.chainPem, key, w.signal);
  if (!keystore.ok) return keystoreMissing(r, w, keystore.message, { status: "True", reason: Reason.SecretNotFound, message: keystore.message });
  const desired = desiredTlsSecret(w.owner, w.mc.spec, { chainPem: out.chainPem, ...(out.caPem === undefined ? {} : { caPem: out.caPem }), vendorRef: out.vendorRef, revision: p.revision }, key, keystore.data);
  const wrote = target.ownership === "foreign" ? "conflict" : await writeOwnedSecret(r.deps.client, w.owner, desired, target.secret, w.signal);
  if (wrote === "conflict") {
    // The certificate is paid for: keep the order and write it once the Secret is free.
    const message = `Secret ${w.mc.spec.secretName} exists and is not managed by this ManagedCertificate; it is left untouched.`;
    w.obj = await r.save(w.obj, withConditions(w.obj.status ?? {}, w.obj.metadata.generation, w.now, { status: "False", reason: Reason.SecretConflict, message }, { status: "True", reason: Reason.SecretConflict, message }), w.signal);
    return { requeueAfterMs: CONFLICT_RECHECK_MS };
  }
  await r.step("secret-written", w.key);

  const cert = new X509Certificate(leaf);
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  const status = w.obj.status ?? {};
  const revocations = [...(status.pendingRevocations ?? [])];
  if (status.vendorRef !== undefined && status.vendorRef !== out.vendorRef && w.mc.spec.revocationPolicy.superseded === "Revoke" && !revocations.some((x) => x.vendorRef === status.vendorRef)) {
    revocations.push({ vendorRef: status.vendorRef, ...(status.serialNumber === undefined ? {} : { serialNumber: status.serialNumber }), reason: "Superseded" });
  }
  const intentHash = markerSpecHash(p.marker);
  const { pendingIssuance: _p, failedIssuanceAttempts: _f, lastFailureTime: _l, lastFailureMessage: _m, pendingRevocations: _r, ...rest } = status;
  const renewRequest = w.obj.metadata.annotations?.[annotations.renewRequest];
  const issued: Status = {
    ...(needsSweep(p) ? withSweep(r, w, rest, p, [out.vendorRef]) : rest),
    revision: p.revision,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: iso(notBefore),
    notAfter: iso(notAfter),
    renewalTime: iso(renewalTime(notBefore, notAfter, w.mc.spec.renewBefore)),
    vendorRef: out.vendorRef,
    // The hash of the spec the order was placed for: a spec edited meanwhile still triggers a re-issue.
    issuedSpecHash: intentHash === undefined || w.specHash.startsWith(intentHash) ? w.specHash : intentHash,
    secretName: w.mc.spec.secretName,
    ...(renewRequest !== undefined ? { observedRenewRequest: renewRequest } : status.observedRenewRequest !== undefined ? { observedRenewRequest: status.observedRenewRequest } : {}),
    ...(revocations.length > 0 ? { pendingRevocations: revocations.slice(-32) } : {}),
  };
  const ready = issuedCondition(issued, w.mc.spec);
  w.obj = await r.save(w.obj, withConditions(issued, w.obj.metadata.generation, w.now, ready, notIssuing()), w.signal);
  await r.step("status-written", w.key);
  r.deps.metrics?.issuances.inc({ vendor: w.vendor, result: "issued" });
  w.log.info({ revision: p.revision, vendorRef: out.vendorRef, notAfter: iso(notAfter) }, "certificate issued");
  if (revocations.length > 0) w.obj = await r.save(w.obj, await processRevocations(r, w), w.signal);
  return r.steady(w, { keyCurrent: true });
}

/**
 * The TLS Secret is gone or damaged but the key of the current certificate is still in the key
 * Secret: collect the certificate again (free) and re-create the Secret instead of ordering anew.
 * Undefined when that is not possible; the caller then issues.
 */
export async function restoreSecret(r: ManagedCertificateReconciler, w: Work, live: Secret | undefined): Promise<Result | undefined> {
  const status = w.obj.status ?? {};
  if (status.vendorRef === undefined || status.revision === undefined || status.serialNumber === undefined) return undefined;
  const { key } = await loadKey(r, w, status.revision, false);
  if (key === undefined) return undefined;
  let out: IssueOutcome;
  try {
    out = await w.ca.collect(status.vendorRef, await buildOrder(w, key, status.revision), w.signal);
    r.deps.metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "collect" });
  } catch (error) {
    if (error instanceof VendorError && !isRetryable(error.kind)) return undefined;
    throw error;
  }
  if (out.state !== "issued") return undefined;
  const leaf = leafOf(out.chainPem);
  if (leaf === undefined || !keyMatchesCertificate(key, leaf) || new X509Certificate(leaf).serialNumber.toLowerCase() !== status.serialNumber.toLowerCase()) return undefined;
  const keystore = await keystoreData(r.deps.client, w.owner.namespace, w.owner.name, w.mc.spec, out.chainPem, key, w.signal);
  if (!keystore.ok) return keystoreMissing(r, w, keystore.message, notIssuing());
  const desired = desiredTlsSecret(w.owner, w.mc.spec, { chainPem: out.chainPem, ...(out.caPem === undefined ? {} : { caPem: out.caPem }), vendorRef: status.vendorRef, revision: status.revision }, key, keystore.data);
  const wrote = await writeOwnedSecret(r.deps.client, w.owner, desired, classifySecret(live, w.owner) === "absent" ? undefined : live, w.signal);
  if (wrote === "conflict") return undefined;
  w.log.info({ secret: w.mc.spec.secretName, revision: status.revision }, "re-created the Secret from the stored key and the vendor's copy of the certificate");
  return r.steady(w, { keyCurrent: true });
}

/** The PKCS12 password Secret or its key is missing: say so, write nothing, look again later. */
async function keystoreMissing(r: ManagedCertificateReconciler, w: Work, message: string, issuing: ConditionValue): Promise<Result> {
  w.obj = await r.save(w.obj, withConditions(w.obj.status ?? {}, w.obj.metadata.generation, w.now, { status: "False", reason: Reason.SecretNotFound, message }, issuing), w.signal);
  return { requeueAfterMs: KEYSTORE_RECHECK_MS };
}

// ---------------------------------------------------------------------------------------------------
// Words for conditions: the vendor's own reason, then what happens next.

function vendorName(w: Work): string {
  return w.vendor === "cloudflare" ? "Cloudflare" : "Sectigo";
}

function causeOf(w: Work, error: unknown): string {
  if (error instanceof VendorError) return `${error.vendor} ${error.operation} failed (${error.kind}${error.vendorCode ? ` ${error.vendorCode}` : ""}${error.httpStatus ? `, HTTP ${error.httpStatus}` : ""}): ${error.detail.slice(0, 300)}`;
  return `${w.vendor} call failed unexpectedly: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`;
}

function reasonOf(error: VendorError): string {
  switch (error.kind) {
    case "credentials":
      return Reason.CredentialsInvalid;
    case "rateLimited":
      return Reason.RateLimited;
    case "blocked":
      return /domain|dcv|validation/i.test(error.detail) ? Reason.AwaitingValidation : Reason.AwaitingApproval;
    default:
      return Reason.VendorError;
  }
}

/** What a person can do about it, if anything (ends with a space so it reads into the next clause). */
function nextStep(error: VendorError): string {
  switch (error.kind) {
    case "credentials":
      return "fix the connection's credentials; ";
    case "blocked":
      return "a person must act at the vendor (approve the request, complete domain control validation); ";
    case "invalid":
    case "permanent":
    case "notFound":
    case "conflict":
      return "if this persists, check the order at the vendor; ";
    default:
      return "";
  }
}
