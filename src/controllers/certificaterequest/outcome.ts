// What the ordering engine's outcome means for a CertificateRequest. Issued: status.certificate (and
// ca) with Ready=True/Issued, then the record released (its sweep kept when it needs one). Failed: a
// one-shot request fails for good, Ready=False/Failed with a failure time; cert-manager's backoff decides
// when its Certificate asks again, with a new request. Waiting and a spent budget: Pending.
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { Result } from "../../runtime/reconcile.ts";
import { needsSweep } from "../ordering/decide.ts";
import type { OrderingOutcome } from "../ordering/engine.ts";
import type { OrderSweep } from "../ordering/record.ts";
import { nextSweepDue } from "../ordering/sweeps.ts";
import { CrReason } from "./cert-manager.ts";
import type { RequestContext } from "./context.ts";

/** cert-manager's words for a signed request (its own issuers write the same). */
export const ISSUED_MESSAGE = "Certificate fetched from issuer successfully";

export async function afterOrdering(c: RequestContext, outcome: OrderingOutcome, connection: ResolvedConnection, vendor: string): Promise<Result> {
  switch (outcome.kind) {
    case "waiting":
      return { requeueAfterMs: outcome.requeueAfterMs };
    case "budgetSpent": {
      const minutes = Math.ceil(outcome.retryAfterMs / 60_000);
      await c.port.note(`The issuance budget of ${connection.kind} ${connection.name} (${outcome.limit} per hour) is spent; ordering again in ${minutes} min.`);
      return { requeueAfterMs: outcome.retryAfterMs };
    }
    case "issued": {
      const { issued } = outcome;
      // The delivered order must be known before delivery when a sweep will follow (a call went unanswered
      // or was repeated): a crash after delivery must not leave a sweep that cancels the certificate it
      // delivered. With one answered call there is nothing to sweep, and no extra write.
      if (needsSweep(outcome.record) && c.port.record.order?.vendorRef === undefined) await c.port.saveRecord({ ...c.port.record, order: outcome.record });
      await c.port.writeStatus({
        ready: { status: "True", reason: CrReason.Issued, message: ISSUED_MESSAGE },
        certificatePem: issued.chainPem,
        caPem: issued.caPem,
      });
      await c.step("status-written");
      await release(c, outcome.sweep);
      c.record({ type: "Normal", reason: "Issued", action: "Issue", note: `Issued by ${vendor} (order ${issued.vendorRef}) through ${c.issuerLabel}.` });
      c.log.info({ vendorRef: issued.vendorRef }, "certificate request issued");
      return sweepResult(outcome.sweep, c.now);
    }
    case "failed":
      c.log.warn({ reason: outcome.reason }, "certificate request failed at the vendor");
      return failRequest(c, `${vendor} ${outcome.reason === "Rejected" ? "rejected the order" : "refused the order"}: ${outcome.cause}`, outcome.sweep);
    case "abandoned":
      return failRequest(c, `the order cannot be completed: ${outcome.why}`, outcome.sweep);
  }
}

/** Ready=False/Failed with a failure time, then the record released (its sweep kept). */
export async function failRequest(c: RequestContext, message: string, sweep?: OrderSweep): Promise<Result> {
  await c.port.writeStatus({ ready: { status: "False", reason: CrReason.Failed, message }, failed: true });
  await c.step("status-written");
  await release(c, sweep);
  c.record({ type: "Warning", reason: "Failed", action: "Issue", note: message });
  return sweepResult(sweep, c.now);
}

/** The order is over: keep only its sweep (and the finalizer with it), or nothing. */
async function release(c: RequestContext, sweep: OrderSweep | undefined): Promise<void> {
  const record = c.port.record;
  const keep = sweep ?? record.sweep;
  if (record.order === undefined && keep === record.sweep) return;
  await c.port.saveRecord(keep === undefined ? {} : { sweep: keep });
  await c.step("released");
}

export function sweepResult(sweep: OrderSweep | undefined, now: Date): Result {
  const due = nextSweepDue(sweep === undefined ? [] : [sweep]);
  return due === undefined ? {} : { requeueAfterMs: Math.max(1_000, due.getTime() - now.getTime()) };
}
