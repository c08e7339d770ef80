// The resources the soak creates, changes, renews and deletes, and the ledger of what was asked of
// each: how many vendor orders every content version of a ManagedCertificate may legitimately cause
// (one, plus one per renew request made while that version was the spec), how many ZPA keys a
// ProvisioningKey may cause (one, plus one per rotation). Every change is applied until it is
// visible in the API (an API outage or a lost response must not leave the ledger guessing), and
// only then counted.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isAlreadyExists, isNotFound } from "../../src/runtime/kube/errors.ts";
import type { KubeObject, ResourceType } from "../../src/runtime/kube/resource.ts";
import { API_VERSION, resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { annotations } from "../../src/api/v1alpha1/labels.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import type { SoakVendor } from "./options.ts";
import type { Random } from "./random.ts";

export const SOAK_DOMAIN = { cloudflare: "soak.example", sectigo: "soak.example.com" } as const;
export const NAMESPACES: Record<SoakVendor, string> = { cloudflare: "soak-cloudflare", sectigo: "soak-sectigo", zpa: "soak-zpa" };
const PREFIX: Record<SoakVendor, string> = { cloudflare: "cf", sectigo: "sc", zpa: "pk" };
export const ZPA_GROUP = "Connector Group A";

export type Kind = "ManagedCertificate" | "ProvisioningKey";

export interface TrackedResource {
  /** Unique for the whole run (names are never reused, so vendor objects map to one resource). */
  readonly name: string;
  readonly kind: Kind;
  readonly vendor: SoakVendor;
  readonly namespace: string;
  readonly policy: {
    readonly revokeOnDelete?: boolean;
    readonly deleteSecretOnDelete?: boolean;
    /** privateKey.rotationPolicy Never: every revision reuses the key, so only the intent tells orders apart. */
    readonly keepKey?: boolean;
    readonly deleteKeyOnDelete?: boolean;
  };
  uid: string | undefined;
  phase: "live" | "deleting" | "gone";
  createdAt: number;
  deletedAt: number | undefined;
  goneAt: number | undefined;
  /** ManagedCertificate: the content version in its names (cf-0007-v3…). */
  version: number;
  /** ManagedCertificate: orders each content version may cause. */
  readonly intents: Map<number, number>;
  /** ProvisioningKey: keys it may cause (create + rotations). */
  keyIntents: number;
  rotation: number;
  renewRequests: number;
  rotateRequests: number;
  touches: number;
  maxUsage: number;
  enabled: boolean;
  /** The newest status the observer saw (vendorRef/revision, or the ZPA key id). */
  lastVendorRef: string | undefined;
  lastRevision: number | undefined;
  /** Last observer sample: not Ready, behind its generation, or with an issuance/revocation pending. */
  busy: boolean;
  /** Every vendor ref the resource's status ever named (observer samples). */
  readonly seenVendorRefs: Set<string>;
  readonly history: string[];
}

/** The DNS name / common name carrying a certificate's resource and content version. */
export function certName(r: Pick<TrackedResource, "name" | "vendor">, version: number): string {
  return `${r.name}-v${version}.${r.vendor === "cloudflare" ? SOAK_DOMAIN.cloudflare : SOAK_DOMAIN.sectigo}`;
}

/** Which soak resource and content version a certificate name belongs to. */
export function parseCertName(name: string): { resource: string; version: number } | undefined {
  const m = /^((?:cf|sc)-\d{4})-v(\d+)\.soak\.example(?:\.com)?$/.exec(name);
  return m === null ? undefined : { resource: m[1]!, version: Number(m[2]) };
}

export function zpaKeyName(r: Pick<TrackedResource, "namespace" | "name">): string {
  return `certbridge.${r.namespace}.${r.name}`;
}

function typeOf(kind: Kind): ResourceType {
  return kind === "ManagedCertificate" ? resourceTypes.managedCertificates : resourceTypes.provisioningKeys;
}

export function manifest(r: TrackedResource): KubeObject {
  const metadata = { name: r.name, namespace: r.namespace, labels: { "soak.certbridge.dev/run": "true" } };
  if (r.kind === "ProvisioningKey") {
    return {
      apiVersion: API_VERSION,
      kind: "ProvisioningKey",
      metadata,
      spec: {
        connectionRef: { name: "zpa" },
        associationType: "CONNECTOR_GRP",
        group: { name: ZPA_GROUP },
        maxUsage: r.maxUsage,
        enabled: r.enabled,
        secretName: `${r.name}-key`,
        deletionPolicy: r.policy.deleteKeyOnDelete ? "Delete" : "Orphan",
        rotation: r.rotation,
      },
    } as KubeObject;
  }
  const common = {
    connectionRef: { kind: "VendorConnection", name: r.vendor },
    secretName: `${r.name}-tls`,
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: r.policy.keepKey ? "Never" : "Always" },
    revocationPolicy: { onDelete: r.policy.revokeOnDelete ? "Revoke" : "Retain", superseded: "Revoke" },
    secretPolicy: { onDelete: r.policy.deleteSecretOnDelete ? "Delete" : "Retain" },
  };
  const vendorSpec =
    r.vendor === "cloudflare"
      ? { commonName: certName(r, r.version), cloudflare: { validityDays: 30 } }
      : { dnsNames: [certName(r, r.version)], sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields } };
  return { apiVersion: API_VERSION, kind: "ManagedCertificate", metadata, spec: { ...common, ...vendorSpec } } as KubeObject;
}

type Spec = Record<string, unknown>;
type Obj = KubeObject & { spec?: Spec; status?: Record<string, unknown> };

export type ActionKind = "create" | "edit" | "touch" | "renew" | "delete";

export interface WorkloadOptions {
  readonly client: KubeClient;
  readonly random: Random;
  readonly targets: Readonly<Record<SoakVendor, number>>;
  readonly log: (line: string) => void;
}

export class Workload {
  readonly resources: TrackedResource[] = [];
  readonly counts: Record<ActionKind, number> = { create: 0, edit: 0, touch: 0, renew: 0, delete: 0 };
  /** Changes whose outcome could not be confirmed within the retry window (counted as intents anyway). */
  unconfirmed = 0;
  readonly #o: WorkloadOptions;
  #serial = 0;

  constructor(options: WorkloadOptions) {
    this.#o = options;
  }

  live(vendor?: SoakVendor): TrackedResource[] {
    return this.resources.filter((r) => r.phase === "live" && (vendor === undefined || r.vendor === vendor));
  }

  /** Bring every vendor up to its target count (the start of the run). */
  async fill(): Promise<void> {
    for (const vendor of Object.keys(this.#o.targets) as SoakVendor[]) {
      while (this.live(vendor).length < this.#o.targets[vendor]) await this.create(vendor);
    }
  }

  /** One random action: below target creates are likely, otherwise edits, renewals, touches and deletes. */
  async step(): Promise<void> {
    const rnd = this.#o.random;
    const vendors = (Object.keys(this.#o.targets) as SoakVendor[]).filter((v) => this.#o.targets[v] > 0);
    if (vendors.length === 0) return;
    const vendor = rnd.pick(vendors);
    const live = this.live(vendor);
    const missing = this.#o.targets[vendor] - live.length;
    const action: ActionKind =
      live.length === 0
        ? "create"
        : rnd.weighted<ActionKind>([
            [missing > 0 ? 6 : 0, "create"],
            [4, "edit"],
            [2, "touch"],
            [3, "renew"],
            [live.length >= this.#o.targets[vendor] ? 2 : 0.5, "delete"],
          ]);
    if (action === "create") return void (await this.create(vendor));
    const r = rnd.pick(live);
    switch (action) {
      case "edit":
        return this.edit(r);
      case "touch":
        return this.touch(r);
      case "renew":
        return this.renew(r);
      case "delete":
        return this.delete(r);
    }
  }

  async create(vendor: SoakVendor): Promise<TrackedResource> {
    const rnd = this.#o.random;
    this.#serial += 1;
    const kind: Kind = vendor === "zpa" ? "ProvisioningKey" : "ManagedCertificate";
    const r: TrackedResource = {
      name: `${PREFIX[vendor]}-${String(this.#serial).padStart(4, "0")}`,
      kind,
      vendor,
      namespace: NAMESPACES[vendor],
      policy:
        kind === "ManagedCertificate"
          ? { revokeOnDelete: rnd.chance(0.75), deleteSecretOnDelete: rnd.chance(0.5), keepKey: rnd.chance(0.3) }
          : { deleteKeyOnDelete: rnd.chance(0.8) },
      uid: undefined,
      phase: "live",
      createdAt: Date.now(),
      deletedAt: undefined,
      goneAt: undefined,
      version: 1,
      intents: new Map(kind === "ManagedCertificate" ? [[1, 1]] : []),
      keyIntents: kind === "ProvisioningKey" ? 1 : 0,
      rotation: 0,
      renewRequests: 0,
      rotateRequests: 0,
      touches: 0,
      maxUsage: rnd.int(2, 20),
      enabled: true,
      lastVendorRef: undefined,
      lastRevision: undefined,
      busy: true,
      seenVendorRefs: new Set(),
      history: [],
    };
    this.resources.push(r);
    const type = typeOf(kind);
    await this.#until(
      r,
      "create",
      async () => {
        try {
          await this.#o.client.create(type, manifest(r), AbortSignal.timeout(10_000));
        } catch (error) {
          if (!isAlreadyExists(error)) throw error;
        }
      },
      async () => {
        const obj = await this.#o.client.get<Obj>(type, r.namespace, r.name, AbortSignal.timeout(5_000));
        r.uid = obj.metadata.uid;
        return true;
      },
    );
    this.counts.create += 1;
    return r;
  }

  /** A change that shapes the vendor object: a new certificate content version; a key's maxUsage or enabled. */
  async edit(r: TrackedResource): Promise<void> {
    if (r.kind === "ManagedCertificate") {
      const next = r.version + 1;
      const patch = r.vendor === "cloudflare" ? { spec: { commonName: certName(r, next) } } : { spec: { dnsNames: [certName(r, next)] } };
      await this.#patchUntil(r, `edit → v${next}`, patch, (o) => JSON.stringify(o.spec ?? {}).includes(certName(r, next)));
      r.version = next;
      r.intents.set(next, (r.intents.get(next) ?? 0) + 1);
    } else {
      const toggle = this.#o.random.chance(0.3);
      const maxUsage = toggle ? r.maxUsage : r.maxUsage + 1 + this.#o.random.int(0, 5);
      const enabled = toggle ? !r.enabled : r.enabled;
      await this.#patchUntil(
        r,
        `edit maxUsage=${maxUsage} enabled=${enabled}`,
        { spec: { maxUsage, enabled } },
        (o) => o.spec?.["maxUsage"] === maxUsage && o.spec?.["enabled"] === enabled,
      );
      r.maxUsage = maxUsage;
      r.enabled = enabled;
    }
    this.counts.edit += 1;
  }

  /** A change that must not reach the vendor at all (Secret template annotation). */
  async touch(r: TrackedResource): Promise<void> {
    const n = r.touches + 1;
    await this.#patchUntil(r, `touch ${n}`, { spec: { secretTemplate: { annotations: { "soak.certbridge.dev/touch": String(n) } } } }, (o) => {
      const t = (o.spec?.["secretTemplate"] as { annotations?: Record<string, string> } | undefined)?.annotations?.["soak.certbridge.dev/touch"];
      return t === String(n);
    });
    r.touches = n;
    this.counts.touch += 1;
  }

  /** Renew a certificate (annotation) or rotate a key (spec.rotation or the rotate-request annotation). */
  async renew(r: TrackedResource): Promise<void> {
    if (r.kind === "ManagedCertificate") {
      const value = `soak-${r.renewRequests + 1}`;
      await this.#patchUntil(
        r,
        `renew ${value}`,
        { metadata: { annotations: { [annotations.renewRequest]: value } } },
        (o) => o.metadata.annotations?.[annotations.renewRequest] === value,
      );
      r.renewRequests += 1;
      r.intents.set(r.version, (r.intents.get(r.version) ?? 0) + 1);
    } else if (this.#o.random.chance(0.5)) {
      const rotation = r.rotation + 1;
      await this.#patchUntil(r, `rotate spec.rotation=${rotation}`, { spec: { rotation } }, (o) => o.spec?.["rotation"] === rotation);
      r.rotation = rotation;
      r.keyIntents += 1;
    } else {
      const value = `soak-${r.rotateRequests + 1}`;
      await this.#patchUntil(
        r,
        `rotate annotation ${value}`,
        { metadata: { annotations: { [annotations.rotateRequest]: value } } },
        (o) => o.metadata.annotations?.[annotations.rotateRequest] === value,
      );
      r.rotateRequests += 1;
      r.keyIntents += 1;
    }
    this.counts.renew += 1;
  }

  async delete(r: TrackedResource): Promise<void> {
    r.phase = "deleting";
    r.deletedAt = Date.now();
    const type = typeOf(r.kind);
    await this.#until(
      r,
      "delete",
      async () => {
        try {
          await this.#o.client.delete(type, r.namespace, r.name, { signal: AbortSignal.timeout(10_000) });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      },
      async () => {
        try {
          const obj = await this.#o.client.get<Obj>(type, r.namespace, r.name, AbortSignal.timeout(5_000));
          return obj.metadata.deletionTimestamp !== undefined || obj.metadata.uid !== r.uid;
        } catch (error) {
          if (isNotFound(error)) return true;
          throw error;
        }
      },
    );
    this.counts.delete += 1;
  }

  /** Record what the status says now (called by the observer for every listed object). */
  observe(obj: Obj): void {
    const r = this.resources.find((x) => x.uid === obj.metadata.uid);
    if (r === undefined) return;
    const status = obj.status ?? {};
    const ref = r.kind === "ManagedCertificate" ? (status["vendorRef"] as string | undefined) : (status["id"] as string | undefined);
    if (ref !== undefined) {
      r.lastVendorRef = ref;
      r.seenVendorRefs.add(ref);
    }
    if (typeof status["revision"] === "number") r.lastRevision = status["revision"];
    const conditions = (status["conditions"] as Array<{ type: string; status: string }> | undefined) ?? [];
    const pendingRevocations = status["pendingRevocations"] as unknown[] | undefined;
    r.busy =
      !conditions.some((c) => c.type === "Ready" && c.status === "True") ||
      status["observedGeneration"] !== obj.metadata.generation ||
      status["pendingIssuance"] !== undefined ||
      (pendingRevocations !== undefined && pendingRevocations.length > 0) ||
      obj.metadata.deletionTimestamp !== undefined;
  }

  /** Whether the vendor's resources had work in flight at the last observer sample. */
  busy(vendor: SoakVendor): boolean {
    return this.resources.some((r) => r.vendor === vendor && (r.phase === "deleting" || (r.phase === "live" && r.busy)));
  }

  /** The observer saw the full list of a namespace: deleting resources not in it are gone. */
  observeGone(namespace: string, kind: Kind, presentUids: ReadonlySet<string>): void {
    for (const r of this.resources) {
      if (r.namespace === namespace && r.kind === kind && r.phase === "deleting" && r.uid !== undefined && !presentUids.has(r.uid)) {
        r.phase = "gone";
        r.goneAt = Date.now();
        r.history.push(`${new Date().toISOString()} gone`);
      }
    }
  }

  async #patchUntil(r: TrackedResource, what: string, patch: unknown, visible: (o: Obj) => boolean): Promise<void> {
    const type = typeOf(r.kind);
    await this.#until(
      r,
      what,
      async () => {
        await this.#o.client.mergePatch(type, r.namespace, r.name, patch, { signal: AbortSignal.timeout(10_000) });
      },
      async () => visible(await this.#o.client.get<Obj>(type, r.namespace, r.name, AbortSignal.timeout(5_000))),
    );
  }

  /**
   * Apply, then confirm with a read; on any failure wait and try again (the API server may be down),
   * for up to two minutes. A change never confirmed is still counted, so the ledger can only
   * over-allow orders, never accuse the operator of a duplicate it did not make.
   */
  async #until(r: TrackedResource, what: string, apply: () => Promise<void>, confirmed: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 120_000;
    let lastError: unknown;
    for (;;) {
      try {
        await apply();
      } catch (error) {
        lastError = error;
      }
      try {
        if (await confirmed()) {
          r.history.push(`${new Date().toISOString()} ${what}`);
          return;
        }
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        this.unconfirmed += 1;
        r.history.push(`${new Date().toISOString()} ${what} (unconfirmed: ${String(lastError).slice(0, 120)})`);
        this.#o.log(`workload: ${r.name} ${what} not confirmed within 2 min`);
        return;
      }
      await sleep(1_000);
    }
  }
}
