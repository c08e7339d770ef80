// One table row per certbridge resource (pure): Ready and its reason, the vendor, the certificate's
// expiry, and the next action — a person's step from the troubleshooting table when one must act,
// else what the operator does next and when (poll, retry, renew).
import type { KindName } from "../../../api/v1alpha1/group.ts";
import { backoffRemainingMs } from "../../../controllers/managedcertificate/trigger.ts";
import { firstClause, nextStepFor, onlyWaits, plainText } from "../next-steps.ts";
import { type CertificateObject, type Condition, type ResourceObject, conditionOf, vendorOfSpec } from "../objects.ts";
import { relative } from "../time.ts";

export interface GetRow {
  readonly kind: KindName;
  readonly namespace?: string;
  readonly name: string;
  readonly ready: string;
  readonly reason: string;
  readonly vendor: string;
  /** The certificate's notAfter (ManagedCertificates). */
  readonly notAfter?: string;
  /** What happens next, in a few words. */
  readonly next: string;
  /** When it happens, if the operator does it on a timer. */
  readonly nextTime?: string;
  readonly created?: string;
}

const at = (what: string, iso: string | undefined, now: Date): { next: string; nextTime?: string } | undefined => {
  if (iso === undefined) return undefined;
  const when = relative(iso, now);
  return { next: when.endsWith("ago") || when === "now" ? `${what} due` : `${what} ${when}`, nextTime: iso };
};

/** A person's step, when the reason asks one to act. */
function personStep(reason: string | undefined, kind: KindName): string | undefined {
  const todo = reason === undefined ? undefined : nextStepFor(reason, kind);
  return todo === undefined || onlyWaits(todo) ? undefined : firstClause(plainText(todo));
}

/** What the operator does next for a certificate, on its own timers. */
function certificateTimer(mc: CertificateObject, now: Date): { next: string; nextTime?: string } | undefined {
  const s = mc.status ?? {};
  const p = s.pendingIssuance;
  if (p?.state === "OutcomeUnknown" && p.settleDeadline) return at("look up until", p.settleDeadline, now) ?? { next: "look up" };
  if (p !== undefined) return at("poll", p.nextPollTime, now) ?? { next: "order in flight" };
  const remaining = backoffRemainingMs(s, now);
  if (remaining > 0) return at("retry", new Date(now.getTime() + remaining).toISOString(), now);
  if (conditionOf(mc, "Ready")?.status === "True") return at("renew", s.renewalTime, now);
  return undefined;
}

function nextOf(kind: KindName, o: ResourceObject, ready: Condition | undefined, now: Date): { next: string; nextTime?: string } {
  if (o.metadata.deletionTimestamp) return { next: "deleting" };
  if (ready === undefined) return { next: "not reconciled yet" };
  const mc = kind === "ManagedCertificate" ? (o as CertificateObject) : undefined;
  if (ready.status !== "True") {
    // Backoff's step points at the message ("the cause named there"), which a table cell cannot show: the timer says more.
    const step = ready.reason === "Backoff" ? undefined : personStep(ready.reason, kind);
    return step ? { next: step } : ((mc && certificateTimer(mc, now)) ?? { next: "wait" });
  }
  for (const type of ["Issuing", "Synced", "Published"]) {
    const c = conditionOf(o, type);
    const off = c !== undefined && c.status !== (type === "Issuing" ? "False" : "True");
    const step = off ? personStep(c.reason, kind) : undefined;
    if (step) return { next: step };
  }
  return (mc && certificateTimer(mc, now)) ?? { next: "-" };
}

export function rowOf(kind: KindName, o: ResourceObject, now: Date): GetRow {
  const ready = conditionOf(o, "Ready");
  const status = o.status as { vendor?: string; notAfter?: string } | undefined;
  const vendor =
    kind === "ProvisioningKey" ? "zpa" : (status?.vendor ?? vendorOfSpec((o as { spec?: { zpa?: unknown; cloudflare?: unknown; sectigo?: unknown } }).spec));
  const { next, nextTime } = nextOf(kind, o, ready, now);
  return {
    kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name ?? "",
    ready: ready?.status ?? "",
    reason: ready?.reason ?? "",
    vendor: vendor ?? "",
    ...(kind === "ManagedCertificate" && status?.notAfter ? { notAfter: status.notAfter } : {}),
    next,
    ...(nextTime ? { nextTime } : {}),
    ...(o.metadata.creationTimestamp ? { created: o.metadata.creationTimestamp } : {}),
  };
}
