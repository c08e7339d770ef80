// An in-memory ZPA tenant behind the ProvisioningKeyService port: provisioning keys (names are not
// unique and stored verbatim; a lookup by name ignores blanks at either end, an exact match first,
// as the port documents), groups and enrollment certificates to resolve. Every key
// remembers which namespace's reconcile created it, so the invariants can tell whose it is.
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord, ProvisioningKeyService } from "../../../src/ports/provisioning-keys.ts";
import { VendorError } from "../../../src/ports/vendor-error.ts";
import { vendorLost, vendorRefused } from "../faults.ts";
import { Invariant, type Ledger } from "../ledger.ts";
import type { Rng } from "../rng.ts";
import { currentTask, type Scheduler } from "../scheduler.ts";

type AssociationType = ProvisioningKeyDesired["associationType"];

export interface KeyRecord {
  id: string;
  name: string;
  associationType: AssociationType;
  value: string;
  enabled: boolean;
  maxUsage: number;
  usageCount: number;
  enrollmentCertId: string;
  groupId: string;
  microtenantId?: string;
  readonly tenant: string;
  /** The namespace and resource whose reconcile created it; "(console)" for keys made by a person. */
  readonly creator: { readonly namespace: string; readonly key: string; readonly uid: string | undefined };
  readonly createdAt: number;
  deletedAt?: number;
  deletedBy?: string;
  /** Reconciles (ns/name) that updated or deleted it. */
  readonly writers: Set<string>;
  /** Secrets (ns/name) the operator wrote its value into. */
  readonly deliveredTo: Set<string>;
}

export const CONSOLE = "(console)";

const GROUPS: Record<AssociationType, NamedRef[]> = {
  CONNECTOR_GRP: [
    { id: "72058304855015424", name: "connectors-a" },
    { id: "72058304855015425", name: "connectors-b" },
  ],
  SERVICE_EDGE_GRP: [{ id: "72058304855015500", name: "edges-a" }],
};
const ENROLLMENT: Record<AssociationType, NamedRef> = {
  CONNECTOR_GRP: { id: "2519", name: "Connector" },
  SERVICE_EDGE_GRP: { id: "2520", name: "Service Edge" },
};

export class ZpaModel {
  /** Every key ever made, deleted ones included (marked). */
  readonly keys: KeyRecord[] = [];
  readonly #scheduler: Scheduler;
  readonly #rng: Rng;
  readonly #ledger: Ledger;
  #seq = 0;

  constructor(scheduler: Scheduler, rng: Rng, ledger: Ledger) {
    this.#scheduler = scheduler;
    this.#rng = rng;
    this.#ledger = ledger;
  }

  live(tenant?: string): KeyRecord[] {
    return this.keys.filter((k) => k.deletedAt === undefined && (tenant === undefined || k.tenant === tenant));
  }

  byValue(value: string): KeyRecord | undefined {
    return this.keys.find((k) => k.value === value);
  }

  byId(id: string): KeyRecord | undefined {
    return this.keys.find((k) => k.id === id);
  }

  /** A key a person made in the console (pre-existing, owned by no namespace). */
  consoleKey(tenant: string, desired: ProvisioningKeyDesired): KeyRecord {
    return this.#create(tenant, desired, { namespace: CONSOLE, key: CONSOLE, uid: undefined });
  }

  #create(tenant: string, desired: ProvisioningKeyDesired, creator: KeyRecord["creator"]): KeyRecord {
    const n = ++this.#seq;
    const key: KeyRecord = {
      id: `7205830485510${n.toString().padStart(4, "0")}`,
      name: desired.name,
      associationType: desired.associationType,
      value: `3|sim.zpa|${tenant}-k${n}-${this.#rng.int(1e9).toString(36)}`,
      enabled: desired.enabled,
      maxUsage: desired.maxUsage,
      usageCount: 0,
      enrollmentCertId: desired.enrollmentCertId,
      groupId: desired.groupId,
      ...(desired.microtenantId === undefined ? {} : { microtenantId: desired.microtenantId }),
      tenant,
      creator,
      createdAt: this.#scheduler.clock.now(),
      writers: new Set(),
      deliveredTo: new Set(),
    };
    this.keys.push(key);
    return key;
  }

  #find(tenant: string, type: AssociationType, id: string, microtenantId: string | undefined): KeyRecord | undefined {
    return this.live(tenant).find((k) => k.id === id && k.associationType === type && k.microtenantId === microtenantId);
  }

  #foreign(k: KeyRecord, actor: { namespace: string; key: string }, what: string): void {
    if (k.creator.namespace !== CONSOLE && k.creator.namespace !== actor.namespace) {
      this.#ledger.flag(Invariant.NoCrossNamespaceAccess, `${actor.key} (${what}) reached ZPA key ${k.id} "${k.name}" created by ${k.creator.key}`);
    }
  }

  /** The port a reconciler gets for a resolved ZPA connection of this tenant. */
  port(tenant: string): ProvisioningKeyService {
    const s = this.#scheduler;
    const rng = this.#rng;
    const record = (k: KeyRecord): ProvisioningKeyRecord => ({
      id: k.id,
      name: k.name,
      associationType: k.associationType,
      value: k.value,
      enabled: k.enabled,
      maxUsage: k.maxUsage,
      usageCount: k.usageCount,
      enrollmentCertId: k.enrollmentCertId,
      groupId: k.groupId,
      ...(k.microtenantId === undefined ? {} : { microtenantId: k.microtenantId }),
      createdAt: k.createdAt,
    });
    const actor = () => {
      const t = currentTask();
      return { namespace: t?.info.namespace ?? "", key: t?.info.key ?? "", uid: t?.info.uid };
    };
    const faults = (operation: string) => ({ fail: () => vendorRefused(rng, "zpa", operation), lost: () => vendorLost(rng, "zpa", operation) });
    return {
      findByName: (type, name, microtenantId) =>
        s.op({
          kind: "vendor",
          label: `zpa findByName "${name}"`,
          ...faults("findByName"),
          effect: () => {
            const candidates = this.live(tenant).filter((x) => x.associationType === type && x.microtenantId === microtenantId);
            const k =
              candidates.find((x) => x.name === name) ??
              candidates.filter((x) => x.name.trim() === name.trim()).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))[0];
            return k === undefined ? undefined : record(k);
          },
        }),
      get: (type, id, microtenantId) =>
        s.op({
          kind: "vendor",
          label: `zpa get ${id}`,
          ...faults("get"),
          effect: () => {
            const k = this.#find(tenant, type, id, microtenantId);
            return k === undefined ? undefined : record(k);
          },
        }),
      create: (desired) => {
        const task = currentTask();
        const who = actor();
        if (task?.sawDeletion)
          this.#ledger.flag(
            Invariant.NoOrderAfterDelete,
            `${who.key} created ZPA key "${desired.name}" after it had seen its resource, namespace or connection being deleted`,
          );
        return s.op({
          kind: "vendor",
          label: `zpa create "${desired.name}"`,
          ...faults("create"),
          deferMaxMs: 20_000,
          effect: () => record(this.#create(tenant, desired, who)),
        });
      },
      update: (id, desired) => {
        const who = actor();
        return s.op({
          kind: "vendor",
          label: `zpa update ${id}`,
          ...faults("update"),
          effect: () => {
            const k = this.#find(tenant, desired.associationType, id, desired.microtenantId);
            if (k === undefined)
              throw new VendorError({ kind: "notFound", vendor: "zpa", operation: "update", message: `provisioning key ${id} not found`, httpStatus: 404 });
            this.#foreign(k, who, "update");
            k.writers.add(who.key);
            k.name = desired.name;
            k.enabled = desired.enabled;
            k.maxUsage = desired.maxUsage;
            k.enrollmentCertId = desired.enrollmentCertId;
            k.groupId = desired.groupId;
          },
        });
      },
      delete: (type, id, microtenantId) => {
        const who = actor();
        return s.op({
          kind: "vendor",
          label: `zpa delete ${id}`,
          ...faults("delete"),
          effect: () => {
            const k = this.#find(tenant, type, id, microtenantId);
            if (k === undefined) return;
            this.#foreign(k, who, "delete");
            k.writers.add(who.key);
            k.deletedAt = s.clock.now();
            k.deletedBy = who.key;
          },
        });
      },
      resolveGroup: (type, ref) =>
        s.op({
          kind: "vendor",
          label: `zpa resolveGroup ${ref.id ?? ref.name}`,
          ...faults("resolveGroup"),
          effect: () => GROUPS[type].find((g) => (ref.id !== undefined ? g.id === ref.id : g.name === ref.name)),
        }),
      resolveEnrollmentCertificate: (type, ref) =>
        s.op({
          kind: "vendor",
          label: `zpa resolveEnrollmentCertificate`,
          ...faults("resolveEnrollmentCertificate"),
          effect: () => {
            const e = ENROLLMENT[type];
            if (ref === undefined) return e;
            return (ref.id !== undefined ? ref.id === e.id : ref.name === e.name) ? e : undefined;
          },
        }),
    };
  }
}

export const zpaGroups = GROUPS;
export const ZPA_ENROLLMENT = ENROLLMENT;
