// Status: conditions computed as values, then written once through the status subresource (skipped
// when nothing changed). Every write carries the resourceVersion we read, so a stale cache makes the
// write fail (409) instead of ordering twice or erasing a recorded intent.
import { isDeepStrictEqual } from "node:util";
import { ConditionType } from "../../api/v1alpha1/conditions.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { ManagedCertificateStatus } from "../../api/v1alpha1/managedcertificate.ts";
import { type Condition, setCondition } from "../../runtime/conditions.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";

export type Status = ManagedCertificateStatus;
export interface CertificateObject extends KubeObject {
  spec?: unknown;
  status?: Status;
}

export interface ConditionValue {
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/** The status with Ready and Issuing set (lastTransitionTime moves only on flips). */
export function withConditions(status: Status, generation: number | undefined, now: Date, ready: ConditionValue, issuing: ConditionValue): Status {
  let conditions = setCondition(status.conditions as Condition[] | undefined, { type: ConditionType.Ready, ...ready }, generation, now);
  conditions = setCondition(conditions, { type: ConditionType.Issuing, ...issuing }, generation, now);
  return { ...status, conditions: conditions as Status["conditions"], ...(generation === undefined ? {} : { observedGeneration: generation }) };
}

export function readyOf(status: Status | undefined): ConditionValue | undefined {
  const c = status?.conditions?.find((x) => x.type === ConditionType.Ready);
  return c === undefined ? undefined : { status: c.status, reason: c.reason, message: c.message };
}

export const notIssuing = (message = "No issuance in progress."): ConditionValue => ({ status: "False", reason: "Idle", message });

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out;
}

export function sameStatus(a: Status | undefined, b: Status): boolean {
  return isDeepStrictEqual(stripUndefined(a ?? {}), stripUndefined(b));
}

/**
 * Remembers the newest object this process wrote per key. The informer may lag our own writes; a
 * reconcile starts from whichever is newer, so it never acts on a status it has already replaced.
 */
export class FreshObjects {
  readonly #latest = new Map<string, CertificateObject>();

  remember(object: CertificateObject): void {
    this.#latest.set(keyOf(object.metadata), object);
  }

  forget(key: string): void {
    this.#latest.delete(key);
  }

  freshest(key: string, cached: CertificateObject | undefined): CertificateObject | undefined {
    const mine = this.#latest.get(key);
    if (cached === undefined) return undefined; // deleted: the cache is the truth
    if (mine === undefined || mine.metadata.uid !== cached.metadata.uid) return cached;
    const a = Number(mine.metadata.resourceVersion);
    const b = Number(cached.metadata.resourceVersion);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return cached;
    if (b >= a) {
      this.#latest.delete(key);
      return cached;
    }
    return mine;
  }
}

export class StatusWriter {
  readonly #client: KubeApi;
  readonly #fresh: FreshObjects;
  writes = 0;

  constructor(client: KubeApi, fresh: FreshObjects) {
    this.#client = client;
    this.#fresh = fresh;
  }

  /**
   * Writes `status` if it differs, always conditional on the resourceVersion we read: a server-side
   * apply drops every field of ours it does not carry, so a write computed from a lagging cache would
   * erase an intent recorded meanwhile (and the next reconcile would order again). A conflict throws
   * and the reconcile retries on fresh data. Returns the object as written. (`guard` is kept for
   * callers that say so explicitly; every write is guarded.)
   */
  async write(object: CertificateObject, status: Status, opts: { guard?: boolean; signal?: AbortSignal } = {}): Promise<CertificateObject> {
    if (sameStatus(object.status, status)) return object;
    const metadata = {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    };
    this.writes++;
    const written = await this.#client.apply<CertificateObject>(resourceTypes.managedCertificates, { metadata, status } as CertificateObject, {
      subresource: "status",
      force: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    this.#fresh.remember(written);
    return written;
  }
}
