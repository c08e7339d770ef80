// The invariants, checked on the final state of a schedule (after faults stopped and everything
// that was due ran), in addition to the violations the models flagged while it ran. Each check says
// what it found in words a reader of the trace can follow.
import type { CertificateObject } from "../../src/controllers/managedcertificate/context.ts";
import { intentOf } from "../../src/controllers/managedcertificate/intent.ts";
import { keySecretName } from "../../src/controllers/managedcertificate/keys.ts";
import { keyNameOf } from "../../src/controllers/provisioningkey/names.ts";
import { ConditionType, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Invariant, type Ledger } from "./ledger.ts";
import type { OrderRecord } from "./vendors/certificates.ts";
import { CONSOLE } from "./vendors/zpa.ts";
import type { World } from "./world.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

type Resource = KubeObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };
};

type McSpec = { secretName: string; commonName?: string; dnsNames?: string[]; revocationPolicy?: { onDelete?: string; superseded?: string } };
type McStatus = { vendorRef?: string; serialNumber?: string; revision?: number; pendingIssuance?: { vendorRef?: string; startedTime?: string } };
type PkSpec = {
  name?: string;
  secretName: string;
  secretKey?: string;
  managementPolicy?: string;
  deletionPolicy?: string;
  enabled?: boolean;
  maxUsage?: number;
};

export interface Expectations {
  /** Whether this resource should end Ready (default: yes). */
  readonly ready?: (world: World, kind: "ManagedCertificate" | "ProvisioningKey", namespace: string, name: string) => boolean;
}

/** An issuance in progress this long (vendor delays and approval are minutes) is stuck. */
const STUCK_ISSUANCE_MS = 60 * 60_000;
const LIVE_ORDER = new Set(["issued", "pending", "awaiting-approval"]); // see vendors/certificates.ts isLive
const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
const ready = (o: Resource) => o.status?.conditions?.find((c) => c.type === ConditionType.Ready);
const pemBody = (pem: string | undefined) => (pem ?? "").replace(/-----[^-]+-----|\s+/g, "");
const firstCertificate = (text: string) => /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text)?.[0];
const decode = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8"));

export function checkInvariants(w: World, expect: Expectations = {}): void {
  const l = w.ledger;
  checkConvergence(w, l, expect);
  checkCertificates(w, l);
  checkKeys(w, l);
  for (const [site, count] of l.globalReads) l.flag(Invariant.InjectedClock, `${site} read the global clock (${count}×) instead of the injected one (C4)`);
}

function checkConvergence(w: World, l: Ledger, expect: Expectations): void {
  for (const type of [resourceTypes.managedCertificates, resourceTypes.provisioningKeys]) {
    const kind = type.kind as "ManagedCertificate" | "ProvisioningKey";
    const controller = kind === "ManagedCertificate" ? "managedcertificate" : "provisioningkey";
    for (const o of w.model.all<Resource>(type)) {
      const lastError = l.lastErrors.get(`${controller}/${keyOf(o)}`);
      const failing = lastError === undefined ? "" : ` (its last reconcile failed: ${lastError})`;
      if (o.metadata.deletionTimestamp !== undefined) {
        l.flag(Invariant.Converges, `${kind} ${keyOf(o)} was deleted but still holds finalizers ${JSON.stringify(o.metadata.finalizers)}${failing}`);
        continue;
      }
      const r = ready(o);
      if (r === undefined || !r.reason || !r.message) {
        l.flag(Invariant.Converges, `${kind} ${keyOf(o)} has no Ready condition with a reason and message${failing}`);
        continue;
      }
      // The Ready condition speaks about the current spec (its own observedGeneration, else the status's).
      const seen = r.observedGeneration ?? o.status?.observedGeneration;
      if (seen !== o.metadata.generation) {
        l.flag(Invariant.Converges, `${kind} ${keyOf(o)} Ready condition is for generation ${seen}, the spec is at ${o.metadata.generation}`);
      }
      const wantReady = expect.ready?.(w, kind, o.metadata.namespace ?? "", o.metadata.name ?? "") ?? true;
      if (wantReady && r.status !== "True")
        l.flag(Invariant.Converges, `${kind} ${keyOf(o)} did not become Ready: ${r.reason}: ${r.message.slice(0, 200)}${failing}`);
      // A renewal may be under way when the schedule ends; one that started long before is stuck.
      // The intent in flight wherever it is kept (status, or a first intent in its annotation).
      const started = kind === "ManagedCertificate" ? Date.parse(intentOf(o as CertificateObject)?.record.startedTime ?? "") : Number.NaN;
      if (kind === "ManagedCertificate" && wantReady && Number.isFinite(started) && w.clock.now() - started > STUCK_ISSUANCE_MS) {
        l.flag(Invariant.Converges, `ManagedCertificate ${keyOf(o)} has had an issuance in progress since ${new Date(started).toISOString()}`);
      }
    }
  }
  for (const ns of w.model.all(core.namespaces)) {
    if (ns.metadata.deletionTimestamp !== undefined) l.flag(Invariant.Converges, `namespace ${ns.metadata.name} is still terminating`);
  }
}

/**
 * Should a deleted resource have revoked this certificate? onDelete: Revoke covers the one it held when
 * deleted; superseded: Revoke covers the ones it had replaced (still waiting to be revoked).
 */
function isCurrentAtDelete(l: Ledger, uid: string, ref: string): boolean {
  const d = l.deleted.get(uid);
  const policy = (d?.spec as McSpec | undefined)?.revocationPolicy;
  const current = (d?.status as McStatus | undefined)?.vendorRef === ref;
  return current ? policy?.onDelete === "Revoke" : policy?.superseded === "Revoke";
}

function checkCertificates(w: World, l: Ledger): void {
  const all = w.model.all<Resource>(resourceTypes.managedCertificates);
  const live = new Map(all.map((o) => [keyOf(o), o]));
  const orders = w.certificates.orders;
  const ownerKey = (o: OrderRecord) => `${o.owner.namespace}/${o.owner.name}`;
  const describe = (o: OrderRecord) =>
    `${o.ref} (${o.vendor}, ${o.state}, rev ${o.owner.revision}, for ${ownerKey(o)} uid ${o.owner.uid}, sent at ${((o.sentAt - w.start) / 1000).toFixed(1)} s)`;

  // ≤ 1 live order per (resource, revision).
  const byIntent = new Map<string, OrderRecord[]>();
  for (const o of orders) {
    if (!LIVE_ORDER.has(o.state)) continue;
    const k = `${o.owner.uid}#${o.owner.revision}`;
    byIntent.set(k, [...(byIntent.get(k) ?? []), o]);
  }
  for (const group of byIntent.values()) {
    if (group.length > 1) l.flag(Invariant.OneOrderPerRevision, `${group.length} live orders for one revision: ${group.map(describe).join("; ")}`);
  }

  for (const o of orders) {
    if (!LIVE_ORDER.has(o.state)) continue;
    // The resource of that namespace/name now (a re-created one may have re-adopted the certificate).
    const mc = live.get(ownerKey(o));
    const status = mc?.status as McStatus | undefined;
    if (status?.vendorRef === o.ref || (mc !== undefined && intentOf(mc as CertificateObject)?.record.vendorRef === o.ref)) continue;
    if (o.state !== "issued") {
      l.flag(Invariant.NoUntrackedVendorObject, `pending order ${describe(o)} is not awaited by any resource`);
      continue;
    }
    const recorder = l.recordedCertificates.get(o.ref);
    if (recorder === undefined || recorder.key !== ownerKey(o)) {
      l.flag(Invariant.NoUntrackedVendorObject, `issued order ${describe(o)} was never recorded by its resource and is not revoked`);
      continue;
    }
    // A certificate its (last) holder replaced, or left behind when deleted: kept only if that one's policy says so.
    if (mc !== undefined && mc.metadata.uid === recorder.uid) {
      if ((mc.spec as McSpec).revocationPolicy?.superseded === "Revoke") {
        l.flag(Invariant.CleanupPerPolicy, `superseded certificate ${describe(o)} is not revoked (revocationPolicy.superseded: Revoke)`);
      }
    } else if (isCurrentAtDelete(l, recorder.uid, o.ref)) {
      l.flag(
        Invariant.CleanupPerPolicy,
        `certificate ${describe(o)} of deleted ${ownerKey(o)} (uid ${recorder.uid}) is not revoked (its revocationPolicy says Revoke)`,
      );
    }
  }

  // The Secret of a Ready resource holds the certificate its status names, issued for its current spec.
  for (const mc of live.values()) {
    if (mc.metadata.deletionTimestamp !== undefined || ready(mc)?.status !== "True") continue;
    const spec = mc.spec as McSpec;
    const status = (mc.status ?? {}) as McStatus;
    const order = status.vendorRef === undefined ? undefined : w.certificates.order(status.vendorRef);
    if (order === undefined) {
      l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(mc)} names vendorRef ${status.vendorRef}, which the vendor does not know`);
      continue;
    }
    if (ownerKey(order) !== keyOf(mc)) l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(mc)} names ${describe(order)}, an order for another resource`);
    if (order.state !== "issued") l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(mc)} names ${describe(order)}, which is not a valid certificate`);
    const names = [...(spec.dnsNames ?? [])].sort().join(",");
    if (order.commonName !== (spec.commonName ?? spec.dnsNames?.[0]) || [...order.dnsNames].sort().join(",") !== names) {
      l.flag(
        Invariant.SecretMatchesVendor,
        `Ready ${keyOf(mc)} names ${describe(order)} issued for ${order.commonName} [${order.dnsNames.join(",")}], but the spec asks for ${spec.commonName} [${names}]`,
      );
    }
    if (order.serial !== undefined && status.serialNumber !== order.serial)
      l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(mc)} status serial ${status.serialNumber} ≠ vendor serial ${order.serial} of ${order.ref}`);
    const secret = w.model.peek<KubeObject & { data?: Record<string, string> }>(core.secrets, mc.metadata.namespace, spec.secretName);
    const leaf = firstCertificate(decode(secret?.data?.["tls.crt"]) ?? "");
    if (secret === undefined) l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(mc)} has no Secret ${spec.secretName}`);
    else if (pemBody(leaf) !== pemBody(order.leafPem))
      l.flag(
        Invariant.SecretMatchesVendor,
        `Secret ${mc.metadata.namespace}/${spec.secretName} of Ready ${keyOf(mc)} does not hold the certificate of ${order.ref}`,
      );
  }

  // Leftovers of deleted resources: the key Secret always goes.
  for (const d of l.deleted.values()) {
    if (d.kind !== "ManagedCertificate" || live.has(`${d.namespace}/${d.name}`)) continue;
    const keySecret = w.model.peek<KubeObject>(core.secrets, d.namespace, keySecretName(d.name));
    if (keySecret !== undefined && keySecret.metadata.labels?.["certbridge.dev/owner-uid"] === d.uid) {
      l.flag(Invariant.CleanupPerPolicy, `the private key Secret of deleted ${d.namespace}/${d.name} is still there`);
    }
  }
}

function checkKeys(w: World, l: Ledger): void {
  const live = w.model.all<Resource>(resourceTypes.provisioningKeys);
  const tracked = new Set(live.map((pk) => String((pk.status as { id?: string } | undefined)?.id ?? "")));
  for (const k of w.zpa.live()) {
    if (k.creator.namespace === CONSOLE || tracked.has(k.id)) continue;
    // Whose key it is: the resource that recorded it, else the one whose reconcile created it.
    const responsible = l.recordedKeys.get(k.id) ?? k.creator.uid;
    const deleted = responsible === undefined ? undefined : l.deleted.get(responsible);
    const orphaned = deleted !== undefined && (deleted.spec as PkSpec).deletionPolicy === "Orphan";
    if (orphaned) continue;
    if (deleted !== undefined) {
      l.flag(
        Invariant.CleanupPerPolicy,
        `ZPA key ${k.id} "${k.name}" of deleted ${deleted.namespace}/${deleted.name} was not deleted (deletionPolicy: Delete)`,
      );
      continue;
    }
    l.flag(Invariant.NoUntrackedVendorObject, `ZPA key ${k.id} "${k.name}" created by ${k.creator.key} is tracked by no ProvisioningKey`);
  }
  for (const pk of live) {
    if (pk.metadata.deletionTimestamp !== undefined || ready(pk)?.status !== "True") continue;
    const spec = pk.spec as PkSpec;
    const id = (pk.status as { id?: string } | undefined)?.id;
    const key = id === undefined ? undefined : w.zpa.byId(id);
    if (key === undefined || key.deletedAt !== undefined) {
      l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(pk)} names ZPA key ${id}, which does not exist`);
      continue;
    }
    const secret = w.model.peek<KubeObject & { data?: Record<string, string> }>(core.secrets, pk.metadata.namespace, spec.secretName);
    if (decode(secret?.data?.[spec.secretKey ?? "provisioningKey"]) !== key.value) {
      l.flag(
        Invariant.SecretMatchesVendor,
        `Secret ${pk.metadata.namespace}/${spec.secretName} of Ready ${keyOf(pk)} does not hold the value of ZPA key ${key.id}`,
      );
    }
    const wantName = keyNameOf(spec, pk.metadata.namespace ?? "", pk.metadata.name ?? "").trim();
    if (key.name.trim() !== wantName)
      l.flag(Invariant.SecretMatchesVendor, `Ready ${keyOf(pk)} holds ZPA key ${key.id} named "${key.name}", the spec names "${wantName}"`);
    if (spec.managementPolicy !== "ObserveOnly" && (key.enabled !== (spec.enabled ?? true) || key.maxUsage !== spec.maxUsage)) {
      l.flag(
        Invariant.SecretMatchesVendor,
        `Ready ${keyOf(pk)}: ZPA key ${key.id} has enabled=${key.enabled} maxUsage=${key.maxUsage}, the spec says enabled=${spec.enabled ?? true} maxUsage=${spec.maxUsage}`,
      );
    }
  }
}
