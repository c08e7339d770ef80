// A finished request (issued, failed or denied) may still carry what its order left behind: the record,
// when the process died between writing the outcome and releasing it, and a sweep, when a call went
// unanswered (ADR 0005: its extra orders, committed late, are cancelled). Both are finished here; the
// finalizer goes with the last of them. Both have passed record-check.ts (ADR 0022), so the sweep's
// look-up can find only this request's orders.
import type { Result } from "../../runtime/reconcile.ts";
import { sweepWhenEnded } from "../ordering/decide.ts";
import { runSweeps } from "../ordering/sweeps.ts";
import { SETTLE_WINDOW_MS, settleWindowMs } from "../ordering/timing.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { lookUpIssuer, vendorAccess } from "./access.ts";
import type { CertificateRequestDeps, RequestContext } from "./context.ts";
import { sweepResult } from "./outcome.ts";
import { sweepContextOf, withFingerprintsChecked } from "./own-orders.ts";

export async function finishLeftovers(
  deps: CertificateRequestDeps,
  c: RequestContext,
  outcome: "issued" | "failed" | "denied",
  ref: { kind: IssuerKind; name: string },
): Promise<Result> {
  const namespace = c.port.obj.metadata.namespace ?? "";
  const found = lookUpIssuer(deps, ref.kind, namespace, ref.name, c.issuerLabel);
  const vendor = found.ok ? found.issuer.options.vendor : undefined;
  const record = c.port.record;
  if (record.order !== undefined) {
    // The outcome is written; the record was not yet released. An issued order is the one delivered: it
    // is kept. Its vendorRef is on record whenever a sweep follows (outcome.ts); without one, the single
    // answered call placed exactly the delivered order and nothing is left to sweep.
    const order = record.order;
    const windowMs = vendor === undefined ? Math.max(...Object.values(SETTLE_WINDOW_MS)) : settleWindowMs(vendor, deps.settleWindowMs);
    const delivered = outcome === "issued";
    const sweep =
      delivered && order.vendorRef === undefined
        ? record.sweep
        : (sweepWhenEnded(order, delivered && order.vendorRef !== undefined ? [order.vendorRef] : [], c.now, windowMs) ?? record.sweep);
    await c.port.saveRecord(sweep === undefined ? {} : { sweep });
    await c.step("released");
  }
  const sweep = c.port.record.sweep;
  if (sweep === undefined) return {};
  if (sweep.nextTime !== undefined && Date.parse(sweep.nextTime) > c.now.getTime()) return sweepResult(sweep, c.now);
  if (!found.ok) {
    c.log.info({ problem: found.message }, "the sweep of this request's order waits for its issuer");
    return { requeueAfterMs: 60_000 };
  }
  const access = await vendorAccess(deps, found.issuer, namespace, "cleanup", c.signal);
  if (!access.ok) {
    c.log.info({ reason: access.reason }, "the sweep of this request's order waits for its connection");
    return { requeueAfterMs: 60_000 };
  }
  // Proven by record-check.ts; its fingerprint is used only when it is the one computed now.
  const trusted = (await withFingerprintsChecked({ sweep }, c, access.access)).sweep ?? sweep;
  const swept = await runSweeps(sweepContextOf(deps, c, access.access), [trusted], []);
  const remaining = swept.remaining[0];
  await c.port.saveRecord(remaining === undefined ? {} : { sweep: remaining });
  return sweepResult(remaining, c.now);
}
