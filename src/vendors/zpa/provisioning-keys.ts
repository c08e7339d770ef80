// ProvisioningKeyService over the ZPA client: the port the ProvisioningKey controller talks to.
// Name → id lookups for groups and enrollment certificates are cached per type and microtenant: a
// whole list is fetched once per TTL (one GET serves every key in the tenant), concurrent callers
// share the one request in flight, and a miss refreshes at most once per `missRefreshMs`.
import {
  normalizeKeyName,
  type NamedRef,
  type ProvisioningKeyDesired,
  type ProvisioningKeyRecord,
  type ProvisioningKeyService,
} from "../../ports/provisioning-keys.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { isVendorError } from "../shared/errors.ts";
import { search, type CallOptions, type ZpaClient } from "./client.ts";
import type { AssociationType, EnrollmentCert, Group, ProvisioningKey } from "./wire.ts";

/** ZPA's default enrollment certificates, one per association type (names as the tenant creates them). */
export const DEFAULT_ENROLLMENT_CERT_NAMES: Readonly<Record<AssociationType, string>> = {
  CONNECTOR_GRP: "Connector",
  SERVICE_EDGE_GRP: "Service Edge",
};

export interface ZpaProvisioningKeyServiceOptions {
  readonly clock?: Clock;
  /** How long a fetched list of groups or enrollment certificates is trusted (default 5 min). */
  readonly cacheTtlMs?: number;
  /** A name or id not in the cached list triggers a refetch, but not more often than this (default 30 s). */
  readonly missRefreshMs?: number;
}

type Ref = { readonly id?: string; readonly name?: string };

interface CachedList<T> {
  fetchedAt: number;
  items: Promise<readonly T[]>;
}

/** A TTL cache of whole lists with request coalescing; a failed fetch is not cached. */
class ListCache<T> {
  readonly #entries = new Map<string, CachedList<T>>();
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #missRefreshMs: number;

  constructor(clock: Clock, ttlMs: number, missRefreshMs: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
    this.#missRefreshMs = missRefreshMs;
  }

  async find(key: string, fetch: () => Promise<readonly T[]>, match: (item: T) => boolean): Promise<T | undefined> {
    const now = this.#clock.now();
    let entry = this.#entries.get(key);
    if (entry === undefined || now - entry.fetchedAt >= this.#ttlMs) entry = this.#fill(key, fetch);
    const hit = (await entry.items).find(match);
    if (hit !== undefined) return hit;
    // Created in ZPA since we looked? Refresh once, but never hammer ZPA for a name that is not there.
    if (this.#clock.now() - entry.fetchedAt < this.#missRefreshMs) return undefined;
    return (await this.#fill(key, fetch).items).find(match);
  }

  #fill(key: string, fetch: () => Promise<readonly T[]>): CachedList<T> {
    const entry: CachedList<T> = { fetchedAt: this.#clock.now(), items: fetch() };
    this.#entries.set(key, entry);
    entry.items.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  clear(): void {
    this.#entries.clear();
  }
}

export class ZpaProvisioningKeyService implements ProvisioningKeyService {
  readonly #client: ZpaClient;
  readonly #groups: ListCache<Group>;
  readonly #certs: ListCache<EnrollmentCert>;

  constructor(client: ZpaClient, options: ZpaProvisioningKeyServiceOptions = {}) {
    const clock = options.clock ?? systemClock;
    const ttl = options.cacheTtlMs ?? 5 * 60_000;
    const miss = options.missRefreshMs ?? 30_000;
    this.#client = client;
    this.#groups = new ListCache(clock, ttl, miss);
    this.#certs = new ListCache(clock, ttl, miss);
  }

  /** Drop cached lookups (e.g. after ZPA said a cached id does not exist). */
  invalidateLookups(): void {
    this.#groups.clear();
    this.#certs.clear();
  }

  async findByName(type: AssociationType, name: string, microtenantId: string | undefined, signal: AbortSignal): Promise<ProvisioningKeyRecord | undefined> {
    const wanted = normalizeKeyName(name);
    if (wanted === "") return undefined;
    // LIKE ("contains") rather than EQ: ZPA trims the search value, so EQ cannot find a key stored as
    // " name". Every page is read (the client pages by totalPages), then the names are compared here.
    const candidates = await this.#client.listProvisioningKeys(type, { ...callOptions(signal, microtenantId), search: search.like("name", wanted) });
    const found = pickByName(candidates, wanted);
    return found === undefined ? undefined : toRecord(type, found);
  }

  async get(type: AssociationType, id: string, microtenantId: string | undefined, signal: AbortSignal): Promise<ProvisioningKeyRecord | undefined> {
    try {
      return toRecord(type, await this.#client.getProvisioningKey(type, id, callOptions(signal, microtenantId)));
    } catch (e) {
      if (isVendorError(e) && e.kind === "notFound") return undefined;
      throw e;
    }
  }

  async create(desired: ProvisioningKeyDesired, signal: AbortSignal): Promise<ProvisioningKeyRecord> {
    const created = await this.#client.createProvisioningKey(desired.associationType, toInput(desired), callOptions(signal, desired.microtenantId));
    return toRecord(desired.associationType, created);
  }

  async update(id: string, desired: ProvisioningKeyDesired, signal: AbortSignal): Promise<void> {
    await this.#client.updateProvisioningKey(desired.associationType, id, toInput(desired), callOptions(signal, desired.microtenantId));
  }

  async delete(type: AssociationType, id: string, microtenantId: string | undefined, signal: AbortSignal): Promise<void> {
    try {
      await this.#client.deleteProvisioningKey(type, id, callOptions(signal, microtenantId));
    } catch (e) {
      if (isVendorError(e) && e.kind === "notFound") return; // already gone: the goal is reached
      throw e;
    }
  }

  async resolveGroup(type: AssociationType, ref: Ref, microtenantId: string | undefined, signal: AbortSignal): Promise<NamedRef | undefined> {
    const match = matcher<Group>(ref);
    if (match === undefined) return undefined;
    const found = await this.#groups.find(`${type}|${microtenantId ?? ""}`, () => this.#client.listGroups(type, callOptions(signal, microtenantId)), match);
    return found === undefined ? undefined : { id: found.id, name: found.name };
  }

  async resolveEnrollmentCertificate(type: AssociationType, ref: Ref | undefined, signal: AbortSignal): Promise<NamedRef | undefined> {
    const match = matcher<EnrollmentCert>(ref ?? { name: DEFAULT_ENROLLMENT_CERT_NAMES[type] });
    if (match === undefined) return undefined;
    // Only certificates with a private key can sign enrollments; ZPA filters them server-side.
    const found = await this.#certs.find(
      "signing",
      () => this.#client.listSigningEnrollmentCerts({ signal }),
      (c) => c.privateKeyPresent && match(c),
    );
    return found === undefined ? undefined : { id: found.id, name: found.name };
  }
}

/** The exact name if present, else the lowest id among names equal once blanks are ignored. */
export function pickByName<T extends { id: string; name: string }>(candidates: readonly T[], wanted: string): T | undefined {
  const same = candidates.filter((k) => normalizeKeyName(k.name) === wanted);
  return same.find((k) => k.name === wanted) ?? same.sort((a, b) => compareIds(a.id, b.id))[0];
}

/** ZPA ids are decimal strings beyond 2^53: compare by length, then lexically. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function matcher<T extends { id: string; name: string }>(ref: Ref): ((item: T) => boolean) | undefined {
  if (ref.id !== undefined) return (item) => item.id === ref.id;
  if (ref.name !== undefined) return (item) => item.name === ref.name;
  return undefined;
}

/** Only pass microtenantId when set: an explicit undefined would override the client's default. */
function callOptions(signal: AbortSignal, microtenantId: string | undefined): CallOptions {
  return microtenantId === undefined ? { signal } : { signal, microtenantId };
}

function toInput(d: ProvisioningKeyDesired) {
  return { name: d.name, maxUsage: d.maxUsage, enrollmentCertId: d.enrollmentCertId, zcomponentId: d.groupId, enabled: d.enabled };
}

function toRecord(type: AssociationType, k: ProvisioningKey): ProvisioningKeyRecord {
  return {
    id: k.id,
    name: k.name,
    associationType: type,
    value: k.provisioningKey,
    enabled: k.enabled,
    maxUsage: k.maxUsage,
    usageCount: k.usageCount,
    enrollmentCertId: k.enrollmentCertId,
    groupId: k.zcomponentId,
    ...(k.microtenantId === undefined ? {} : { microtenantId: k.microtenantId }),
    ...(k.creationTime === undefined ? {} : { createdAt: k.creationTime.getTime() }),
  };
}
