// The issuance path, in the order that makes it crash-safe:
//   1. key for revision R persisted (key Secret)          → "key-persisted"
//   2. intent in status.pendingIssuance (guarded write)   → "intent-recorded"
//   3. after a crash: find at the vendor first            → "found"
//   4. the paid submit, counted against the budget        → "submitted"
//   5. vendorRef in status right after                    → "vendor-ref-recorded"
//   6. collect (safe to repeat; doubling poll backoff)    → "collected"
//   7. the TLS Secret, written once                       → "secret-written"
//   8. status: revision R, serial, times; intent cleared  → "status-written"
// A crash between any two steps resumes from what status and the key Secret say.
import { X509Certificate, type KeyObject } from "node:crypto";
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { annotations } from "../../api/v1alpha1/labels.ts";
import { requestedLifetimeMs } from "../../api/v1alpha1/managedcertificate.ts";
import type { CertificateOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { classifySecret, type Secret, writeOwnedSecret } from "../shared/owned-secret.ts";
import { chooseKey, desiredKeySecret, keySecretName, publicKeySha256, storedKey } from "./keys.ts";
import { backoffRemainingMs, businessBackoffMs, type Decision, pollDelayMs, ReissueReason, renewalTime } from "./policies.ts";
import { CONFLICT_RECHECK_MS, issuedCondition, type ManagedCertificateReconciler, type Work } from "./reconciler.ts";
import { processRevocations } from "./revocation.ts";
import { KEYSTORE_RECHECK_MS, keystoreData } from "./keystore.ts";
import { desiredTlsSecret, keyInSecret, leafOf } from "./secret.ts";
import { type ConditionValue, notIssuing, type Status, readyOf, withConditions } from "./status.ts";

type Pending = NonNullable<Status["pendingIssuance"]>;

export const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export function connectionKey(c: ResolvedConnection): string {
  return `${c.kind}/${c.namespace ?? ""}/${c.name}`;
}

/** The revision a new attempt orders: failed attempts move it on, so a dead order is never "found" again. */
export function nextRevision(status: Status): number {
  return (status.revision ?? 0) + 1 + (status.failedIssuanceAttempts ?? 0);
}

export function markerOf(uid: string, revision: number, specHash: string): string {
  return `uid=${uid} rev=${revision} spec=${specHash.slice(0, 16)}`;
}

function markerSpecHash(marker: string | undefined): string | undefined {
  return /spec=([0-9a-f]{16})/.exec(marker ?? "")?.[1];
}

export async function buildOrder(w: Work, key: KeyObject, revision: number): Promise<CertificateOrder> {
  const spec = w.mc.spec;
  const commonName = spec.commonName ?? spec.dnsNames?.[0] ?? spec.ipAddresses?.[0] ?? spec.emailAddresses?.[0];
  const sans = { dnsNames: spec.dnsNames ?? [], ipAddresses: spec.ipAddresses ?? [], emailAddresses: spec.emailAddresses ?? [], uris: spec.uris ?? [] };
  const csrPem = await createCsr({ privateKey: key, subject: { ...(spec.subject ?? {}), ...(commonName === undefined ? {} : { commonName }) }, sans });
  const lifetime = requestedLifetimeMs(spec);
  return {
    owner: { uid: w.owner.uid, namespace: w.owner.namespace, name: w.owner.name, revision },
    csrPem,
    publicKeySha256: publicKeySha256(key),
    ...(commonName === undefined ? {} : { commonName }),
    ...sans,
    lifetimeDays: lifetime === undefined ? 0 : Math.max(1, Math.ceil(lifetime / 86_400_000)),
    vendorOptions: (spec.sectigo ?? spec.cloudflare ?? {}) as Record<string, unknown>,
  };
}

/** Ready while an issuance runs: a valid certificate already in place stays Ready. */
function readyWhileIssuing(w: Work, fallback: ConditionValue): ConditionValue {
  const status = w.obj.status ?? {};
  const current = readyOf(status);
  const valid = status.notAfter !== undefined && Date.parse(status.notAfter) > w.now.getTime();
  return current?.status === "True" && valid ? current : fallback;
}

/** The key Secret and the key it holds for `revision` (cache first, then the API server). */
async function loadKey(r: ManagedCertificateReconciler, w: Work, revision: number, checkSpec: boolean): Promise<{ secret: Secret | undefined; key: KeyObject | undefined }> {
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
  const pending: Pending = {
    revision,
    state: "Submitting",
    startedTime: iso(w.now),
    publicKeySha256: publicKeySha256(key),
    marker: markerOf(w.owner.uid, revision, w.specHash),
    pollCount: 0,
  };
  const issuing: ConditionValue = { status: "True", reason: decision.reason, message: `${decision.message} Ordering revision ${revision} from ${w.vendor}.` };
  // A missing or broken Secret is not Ready, whatever the certificate on record says.
  const secretBroken = decision.reason === ReissueReason.SecretMissing || decision.reason === ReissueReason.SecretMismatch;
  const notReady: ConditionValue = { status: "False", reason: Reason.Pending, message: `${decision.message} Ordering revision ${revision} from ${w.vendor}.` };
  const next = withConditions({ ...status, pendingIssuance: pending }, w.obj.metadata.generation, w.now, secretBroken ? notReady : readyWhileIssuing(w, notReady), issuing);
  w.obj = await r.save(w.obj, next, w.signal, { guard: true });
  await r.step("intent-recorded", w.key);
  // Nothing can have been ordered for this intent yet: go straight to the submit, no lookup.
  return continueIssuance(r, w, key, true);
}

export async function continueIssuance(r: ManagedCertificateReconciler, w: Work, knownKey?: KeyObject, justRecorded = false): Promise<Result> {
  const p = w.obj.status?.pendingIssuance;
  if (p === undefined) return {};
  if (p.vendorRef !== undefined && p.nextPollTime !== undefined && Date.parse(p.nextPollTime) > Date.now()) {
    // Woken early (our own status write, a resync): keep the planned poll instead of polling now.
    return { requeueAfterMs: Date.parse(p.nextPollTime) - Date.now() };
  }
  const key = knownKey ?? (await loadKey(r, w, p.revision, false)).key;
  if (key === undefined) {
    // The key for this order is gone: a certificate for it would be useless. Start over.
    w.log.warn({ revision: p.revision }, "private key for the pending issuance is missing; abandoning it");
    const { pendingIssuance: _, ...rest } = w.obj.status ?? {};
    w.obj = await r.save(w.obj, { ...rest, failedIssuanceAttempts: (rest.failedIssuanceAttempts ?? 0) + 1, lastFailureTime: iso(w.now), lastFailureMessage: "the private key for the pending order was lost; starting over" }, w.signal, { guard: true });
    return { requeueAfterMs: 1_000 };
  }
  const order = await buildOrder(w, key, p.revision);
  const metrics = r.deps.metrics;
  let vendorRef = p.vendorRef;
  try {
    if (vendorRef === undefined) {
      if (!justRecorded) {
        // An intent without a vendorRef: we may have crashed after the vendor accepted the order.
        vendorRef = await w.ca.find(order, w.signal);
        metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "find" });
        await r.step("found", w.key);
      }
      if (vendorRef !== undefined) {
        w.log.info({ vendorRef, revision: p.revision }, "found the order placed before a restart; not ordering again");
        w.obj = await r.save(w.obj, { ...(w.obj.status ?? {}), pendingIssuance: { ...p, vendorRef, state: "Pending" } }, w.signal, { guard: true });
        await r.step("vendor-ref-recorded", w.key);
      } else {
        const budget = r.deps.budget.take(connectionKey(w.connection), w.connection.issuanceBudgetPerHour);
        if (!budget.ok) {
          const message = `The issuance budget of ${w.connection.kind} ${w.connection.name} (${budget.limit} per hour) is spent; retrying in ${Math.ceil(budget.retryAfterMs / 60_000)} min.`;
          w.obj = await r.save(w.obj, withConditions(w.obj.status ?? {}, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason: Reason.BudgetExhausted, message }), { status: "False", reason: Reason.BudgetExhausted, message }), w.signal);
          return { requeueAfterMs: budget.retryAfterMs };
        }
        const placed = await w.ca.submit(order, w.signal);
        metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "submit" });
        await r.step("submitted", w.key);
        vendorRef = placed.vendorRef;
        w.obj = await r.save(w.obj, { ...(w.obj.status ?? {}), pendingIssuance: { ...p, vendorRef, state: placed.state === "issued" ? "Pending" : placed.reason } }, w.signal, { guard: true });
        await r.step("vendor-ref-recorded", w.key);
        if (placed.state === "issued") return await finish(r, w, key, p, placed);
      }
    }
    const out = await w.ca.collect(vendorRef, order, w.signal);
    metrics?.vendorCalls.inc({ vendor: w.vendor, operation: "collect" });
    await r.step("collected", w.key);
    if (out.state === "issued") return await finish(r, w, key, p, out);
    // Planned from now (not from the start of this reconcile), rounded up to the second status keeps.
    const nextPoll = Math.ceil((Date.now() + pollDelayMs(out.reason, p.pollCount ?? 0, out.retryAfterMs, r.deps.pollBackoff)) / 1000) * 1000;
    const pending: Pending = { ...p, vendorRef, state: out.reason, pollCount: (p.pollCount ?? 0) + 1, nextPollTime: iso(new Date(nextPoll)) };
    const reason = out.reason === "Pending" ? Reason.Pending : out.reason === "AwaitingApproval" ? Reason.AwaitingApproval : Reason.AwaitingValidation;
    const issuing: ConditionValue = { status: "True", reason, message: out.message };
    w.obj = await r.save(w.obj, withConditions({ ...(w.obj.status ?? {}), pendingIssuance: pending }, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message: out.message }), issuing), w.signal);
    return { requeueAfterMs: Math.max(0, nextPoll - Date.now()) };
  } catch (error) {
    return failed(r, w, error, vendorRef);
  }
}

/** Retryable errors go back to the queue; the rest count as a failed attempt with business backoff. */
async function failed(r: ManagedCertificateReconciler, w: Work, error: unknown, vendorRef: string | undefined): Promise<Result> {
  if (!(error instanceof VendorError) || isRetryable(error.kind) || error.kind === "blocked") throw error;
  const status = w.obj.status ?? {};
  const attempts = (status.failedIssuanceAttempts ?? 0) + 1;
  const reason = error.kind === "credentials" ? Reason.CredentialsInvalid : vendorRef !== undefined && error.kind === "permanent" ? Reason.Rejected : Reason.VendorError;
  // Credentials trouble after the order was placed: the order is still good; keep it and retry later.
  const keepOrder = error.kind === "credentials" && vendorRef !== undefined;
  const { pendingIssuance, ...rest } = status;
  const cause = `${error.vendor} ${error.operation} failed (${error.kind}${error.vendorCode ? ` ${error.vendorCode}` : ""}): ${error.detail.slice(0, 300)}`;
  const next: Status = { ...rest, ...(keepOrder && pendingIssuance ? { pendingIssuance: { ...pendingIssuance, vendorRef } } : {}), failedIssuanceAttempts: attempts, lastFailureTime: iso(w.now), lastFailureMessage: cause.slice(0, 512) };
  const delay = businessBackoffMs(attempts);
  const message = `${cause}. Attempt ${attempts}; next in ${Math.round(delay / 60_000)} min.`;
  w.log.warn({ err: error.toJSON(), attempts }, "issuance failed");
  r.deps.metrics?.issuances.inc({ vendor: w.vendor, result: "failed" });
  w.obj = await r.save(w.obj, withConditions(next, w.obj.metadata.generation, w.now, readyWhileIssuing(w, { status: "False", reason, message }), { status: "False", reason, message }), w.signal);
  return { requeueAfterMs: delay };
}

async function finish(r: ManagedCertificateReconciler, w: Work, key: KeyObject, p: Pending, out: Extract<IssueOutcome, { state: "issued" }>): Promise<Result> {
  const leaf = leafOf(out.chainPem);
  if (leaf === undefined || !keyMatchesCertificate(key, leaf)) {
    throw new VendorError({ kind: "permanent", vendor: w.vendor, operation: "collect", message: `order ${out.vendorRef} returned a certificate that does not belong to this resource's key` });
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
    ...rest,
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
  return r.steady(w);
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
  return r.steady(w);
}

/** The PKCS12 password Secret or its key is missing: say so, write nothing, look again later. */
async function keystoreMissing(r: ManagedCertificateReconciler, w: Work, message: string, issuing: ConditionValue): Promise<Result> {
  w.obj = await r.save(w.obj, withConditions(w.obj.status ?? {}, w.obj.metadata.generation, w.now, { status: "False", reason: Reason.SecretNotFound, message }, issuing), w.signal);
  return { requeueAfterMs: KEYSTORE_RECHECK_MS };
}
