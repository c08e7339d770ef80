// Gathered objects → the status report (pure). Which facts each kind shows, and how a Secret's
// ownership, the issuance budget and the failure backoff read; the next step is decided in next-step.ts.
import { MANAGED_LABEL_VALUE, annotations, labels } from "../../../api/v1alpha1/labels.ts";
import { backoffRemainingMs } from "../../../controllers/managedcertificate/trigger.ts";
import { DEFAULT_ISSUANCES_PER_HOUR } from "../../../controllers/ordering/budget.ts";
import {
  type CertificateObject,
  type Condition,
  type ConnectionObject,
  type EventObject,
  type KeyObject,
  conditionOf,
  eventTimeOf,
  vendorOfSpec,
} from "../objects.ts";
import type { ConnectionLookup, Gathered, SecretFacts } from "./gather.ts";
import { decideNextStep } from "./next-step.ts";
import type { BudgetView, ConditionView, ConnectionView, EventView, KeyView, PublishView, SecretView, StatusReport } from "./report.ts";

const HOUR_MS = 3_600_000;
/** How many Events the screen shows. */
export const EVENTS_SHOWN = 5;

export const conditionView = (c: Condition): ConditionView => ({
  type: c.type,
  status: c.status,
  reason: c.reason,
  message: c.message,
  ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
});

/** Whose a Secret is, read from the owner labels the operator puts on everything it writes. */
export function secretView(facts: SecretFacts, owner: { kind: string; name: string; uid?: string | undefined }): SecretView {
  const base = { name: facts.name, namespace: facts.namespace, present: facts.present, ...(facts.error ? { error: facts.error } : {}) };
  if (!facts.present) return base;
  const l = facts.labels ?? {};
  const a = facts.annotations ?? {};
  const managed = l[labels.managed] === MANAGED_LABEL_VALUE;
  const ownedByName = l[labels.ownerKind] === owner.kind && l[labels.ownerName] === owner.name;
  const [who, text] = !managed
    ? (["foreign", "not written by certbridge (no owner labels): left untouched"] as const)
    : ownedByName && l[labels.ownerUid] === owner.uid
      ? (["this", `${owner.kind} ${owner.name} (this resource)`] as const)
      : ownedByName
        ? (["previous", `an earlier ${owner.kind} ${owner.name} (another UID): taken over again`] as const)
        : (["other", `${l[labels.ownerKind] ?? "?"} ${l[labels.ownerName] ?? "?"}`] as const);
  const hash = a[annotations.contentHash];
  return {
    ...base,
    ...(facts.type ? { type: facts.type } : {}),
    owner: who,
    ownerText: text,
    ...(hash ? { contentHash: hash, hashMatches: hash === facts.computedHash } : {}),
    ...(a[annotations.revision] ? { revision: a[annotations.revision] } : {}),
    ...(a[annotations.vendorRef] ? { vendorRef: a[annotations.vendorRef] } : {}),
    dataKeys: facts.dataKeys ?? [],
  };
}

export function connectionView(lookup: ConnectionLookup): ConnectionView {
  const o = lookup.object;
  const ready = o ? conditionOf(o, "Ready") : undefined;
  return {
    kind: lookup.kind,
    name: lookup.name,
    ...(lookup.namespace ? { namespace: lookup.namespace } : {}),
    found: o !== undefined,
    ...(lookup.error ? { error: lookup.error } : {}),
    ...(o ? { vendor: o.status?.vendor ?? vendorOfSpec(o.spec) } : {}),
    ...(ready ? { ready: conditionView(ready) } : {}),
    ...(o?.status?.lastVerifiedTime ? { lastVerifiedTime: o.status.lastVerifiedTime } : {}),
    ...(o?.status?.consumers !== undefined ? { consumers: o.status.consumers } : {}),
    ...(o?.metadata.deletionTimestamp ? { deleting: true } : {}),
  };
}

/**
 * The connection's paid-issuance budget. The operator counts spent issuances in its memory, so the
 * CLI shows the limit, the orders still in flight that status shows, and who reports it spent.
 */
export function budgetView(connection: ConnectionObject, peers: readonly CertificateObject[] | undefined, now: Date): BudgetView {
  const max = connection.spec?.issuanceBudget?.maxPerHour;
  const recent = (iso: string | undefined) => iso !== undefined && now.getTime() - Date.parse(iso) < HOUR_MS;
  const placed = peers?.reduce((n, mc) => {
    const p = mc.status?.pendingIssuance;
    return p !== undefined && recent(p.submittedTime) ? n + Math.max(1, p.submits ?? 1) : n;
  }, 0);
  const spent = (mc: CertificateObject) => ["Ready", "Issuing"].some((t) => conditionOf(mc, t)?.reason === "BudgetExhausted");
  return {
    perHour: max ?? DEFAULT_ISSUANCES_PER_HOUR,
    fromSpec: max !== undefined,
    ...(placed === undefined ? {} : { placedWithinHour: placed }),
    exhaustedOn: (peers ?? []).filter(spent).map((mc) => `${mc.metadata.namespace}/${mc.metadata.name}`),
  };
}

export function eventViews(events: readonly EventObject[]): EventView[] {
  return [...events]
    .map((e) => ({ e, time: eventTimeOf(e) }))
    .sort((a, b) => Date.parse(b.time ?? "") - Date.parse(a.time ?? ""))
    .slice(0, EVENTS_SHOWN)
    .map(({ e, time }) => {
      const count = e.series?.count ?? e.deprecatedCount;
      return {
        ...(time ? { time } : {}),
        ...(e.type ? { type: e.type } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
        ...(e.note ? { note: e.note } : {}),
        ...(count !== undefined && count > 1 ? { count } : {}),
      };
    });
}

function certificateParts(mc: CertificateObject, g: Gathered, now: Date): Partial<StatusReport> {
  const s = mc.status ?? {};
  const p = s.pendingIssuance;
  const remaining = backoffRemainingMs(s, now);
  const zpa = s.publish?.zpa;
  const published = conditionOf(mc, "Published");
  const publish: PublishView | undefined =
    mc.spec?.publish?.zpa === undefined && zpa === undefined
      ? undefined
      : {
          ...(published ? { condition: conditionView(published) } : {}),
          ...(zpa?.certificateId ? { certificateId: zpa.certificateId } : {}),
          ...(zpa?.name ? { zpaName: zpa.name } : {}),
          ...(zpa?.serialNumber ? { serialNumber: zpa.serialNumber } : {}),
          ...(zpa?.lastPublishTime ? { lastPublishTime: zpa.lastPublishTime } : {}),
        };
  const vendor = vendorOfSpec(mc.spec);
  return {
    certificate: {
      ...(vendor ? { vendor } : {}),
      ...pick(s, ["revision", "vendorRef", "serialNumber", "notBefore", "notAfter", "renewalTime"]),
    },
    ...(p
      ? {
          order: {
            revision: p.revision,
            state: p.state,
            ...pick(p, ["vendorRef", "startedTime", "submits", "settleDeadline", "pollCount", "nextPollTime"]),
          },
        }
      : {}),
    ...((s.failedIssuanceAttempts ?? 0) > 0
      ? {
          backoff: {
            failedAttempts: s.failedIssuanceAttempts!,
            ...pick(s, ["lastFailureTime", "lastFailureMessage"]),
            ...(remaining > 0 ? { nextAttemptTime: new Date(now.getTime() + remaining).toISOString() } : {}),
          },
        }
      : {}),
    ...(publish ? { publish } : {}),
    ...(g.connection?.object ? { budget: budgetView(g.connection.object, g.peers, now) } : {}),
  };
}

function keyParts(pk: KeyObject): Partial<StatusReport> {
  const s = pk.status ?? {};
  const requested = pk.metadata.annotations?.[annotations.rotateRequest];
  const key: KeyView = {
    ...(s.name ? { zpaName: s.name } : {}),
    ...pick(s, ["id", "usageCount", "maxUsage", "enabled", "lastSyncTime", "createIntent"]),
    ...(s.group ? { group: s.group.name ?? s.group.id ?? "" } : {}),
    ...pick(pk.spec ?? {}, ["managementPolicy", "deletionPolicy"]),
    rotation: { requested: pk.spec?.rotation ?? 0, done: s.observedRotation ?? 0 },
    ...(requested !== undefined || s.observedRotateRequest !== undefined
      ? { rotateRequest: { ...(requested ? { requested } : {}), ...(s.observedRotateRequest ? { done: s.observedRotateRequest } : {}) } }
      : {}),
  };
  return { key };
}

export function buildReport(g: Gathered, now: Date): StatusReport {
  const o = g.object;
  const meta = o.metadata;
  const ready = conditionOf(o, "Ready");
  const owner = { kind: g.kind, name: meta.name ?? "", uid: meta.uid };
  const base: StatusReport = {
    kind: g.kind,
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    name: meta.name ?? "",
    ...(meta.uid ? { uid: meta.uid } : {}),
    ready: ready?.status === "True" || ready?.status === "False" ? ready.status : "Unknown",
    ...(ready?.reason ? { readyReason: ready.reason } : {}),
    ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
    ...(o.status?.observedGeneration !== undefined ? { observedGeneration: o.status.observedGeneration } : {}),
    ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
    finalizers: meta.finalizers ?? [],
    conditions: (o.status?.conditions ?? []).map(conditionView),
    ...(g.kind === "ManagedCertificate" ? certificateParts(o as CertificateObject, g, now) : {}),
    ...(g.kind === "ProvisioningKey" ? keyParts(o as KeyObject) : {}),
    ...(g.connection ? { connection: connectionView(g.connection) } : {}),
    ...(g.credentials ? { credentials: secretView(g.credentials, owner) } : {}),
    ...(g.kind.endsWith("VendorConnection") && g.peers !== undefined ? { budget: budgetView(o as ConnectionObject, g.peers, now) } : {}),
    ...(g.secret ? { secret: secretView(g.secret, owner) } : {}),
    ...(g.keySecret ? { keySecret: secretView(g.keySecret, owner) } : {}),
    events: eventViews(g.events),
  };
  const nextStep = decideNextStep(base);
  return nextStep ? { ...base, nextStep } : base;
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): { [P in K]?: Exclude<T[P], undefined> } {
  const out: Partial<Record<K, unknown>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out as { [P in K]?: Exclude<T[P], undefined> };
}
