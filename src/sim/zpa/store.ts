// The simulator's tenant: groups, enrollment certificates, provisioning keys, browser-access
// certificates and (app-segments.ts) application segments with their segment and server groups, with
// the validation ZPA applies (some of it inferred, marked (inf)) and counters a test can assert on
// ("exactly one key created").

import { AppSegmentStore, type StoredApplication, type StoredSegmentGroup, type StoredServerGroup } from "./app-segments.ts";
import {
  asObject,
  optionalBoolean,
  optionalString,
  present,
  requiredId,
  requiredInteger,
  requiredString,
  visibleIn,
  writeTenant,
  type MicrotenantScope,
} from "./body.ts";
import { zpaErrors } from "./errors.ts";
import {
  associationTypes,
  certificateToWire,
  enrollmentCertToWire,
  groupToWire,
  provisioningKeyToWire,
  type AssociationType,
  type Microtenant,
  type StoredCertificate,
  type StoredEnrollmentCert,
  type StoredGroup,
  type StoredProvisioningKey,
} from "./model.ts";
import type { ParsedCertBlob } from "./cert-blob.ts";
import { PROFILES, type ProfileFacts } from "./profile.ts";

export type { MicrotenantScope } from "./body.ts";

export type Counters = {
  created: { provisioningKey: Record<AssociationType, number>; certificate: number };
  updated: { provisioningKey: Record<AssociationType, number>; certificate: number };
  deleted: { provisioningKey: Record<AssociationType, number>; certificate: number };
  rejectedWrites: number;
};

const zeroByType = (): Record<AssociationType, number> => ({ CONNECTOR_GRP: 0, SERVICE_EDGE_GRP: 0 });

export type StoreOptions = {
  readonly nowSeconds: () => number;
  readonly newKeyValue: () => string;
  readonly adminId: string;
  readonly notFoundStatus: 400 | 404;
  /** Which side of the documents-vs-traffic differences to play (profile.ts). Default: recorded traffic. */
  readonly facts?: ProfileFacts;
  /** The tenant id, for the CNAMEs ZPA gives browser-access apps. */
  readonly customerId?: () => string;
};

export type StoreSeed = {
  microtenants: readonly Microtenant[];
  groups: readonly StoredGroup[];
  enrollmentCerts: readonly StoredEnrollmentCert[];
  certificates: readonly StoredCertificate[];
  provisioningKeys: readonly StoredProvisioningKey[];
  segmentGroups?: readonly StoredSegmentGroup[];
  serverGroups?: readonly StoredServerGroup[];
  applications?: readonly StoredApplication[];
};

export class ZpaStore {
  readonly tenants: Microtenant[] = [];
  readonly groups = new Map<string, StoredGroup>();
  readonly enrollmentCerts = new Map<string, StoredEnrollmentCert>();
  readonly keys = new Map<string, StoredProvisioningKey>();
  readonly certificates = new Map<string, StoredCertificate>();
  readonly counters: Counters = {
    created: { provisioningKey: zeroByType(), certificate: 0 },
    updated: { provisioningKey: zeroByType(), certificate: 0 },
    deleted: { provisioningKey: zeroByType(), certificate: 0 },
    rejectedWrites: 0,
  };
  readonly #opts: StoreOptions;
  /** Application segments, segment groups and server groups. */
  readonly segments: AppSegmentStore;
  facts: ProfileFacts;
  // Ids above 2^53 on purpose: a client that passes one through Number corrupts it and the tests see it.
  #nextId = 72057594038100000n;

  constructor(opts: StoreOptions) {
    this.#opts = opts;
    this.facts = opts.facts ?? PROFILES.recorded;
    this.segments = new AppSegmentStore({
      nowSeconds: opts.nowSeconds,
      newId: () => this.newId(),
      adminId: opts.adminId,
      customerId: opts.customerId ?? (() => "0"),
      facts: () => this.facts,
      notFound: (id) => this.#notFound(id),
      tenants: this.tenants,
      connectorGroup: (id) => this.groups.get(id),
      certificate: (id) => this.certificates.get(id),
    });
  }

  /** Replace the tenant's contents and zero the counters. */
  load(seed: StoreSeed): void {
    this.tenants.splice(0, this.tenants.length, ...seed.microtenants);
    this.groups.clear();
    this.enrollmentCerts.clear();
    this.keys.clear();
    this.certificates.clear();
    for (const g of seed.groups) this.groups.set(g.id, structuredClone(g));
    for (const c of seed.enrollmentCerts) this.enrollmentCerts.set(c.id, structuredClone(c));
    for (const k of seed.provisioningKeys) this.keys.set(k.id, structuredClone(k));
    for (const c of seed.certificates) this.certificates.set(c.id, structuredClone(c));
    this.segments.load(seed);
    const zero = (): Counters => ({
      created: { provisioningKey: zeroByType(), certificate: 0 },
      updated: { provisioningKey: zeroByType(), certificate: 0 },
      deleted: { provisioningKey: zeroByType(), certificate: 0 },
      rejectedWrites: 0,
    });
    Object.assign(this.counters, zero());
  }

  newId(): string {
    this.#nextId += 1n;
    return this.#nextId.toString();
  }

  #notFound(id: string): Error {
    return zpaErrors.notFound(id, this.#opts.notFoundStatus);
  }

  /** creationTime, modifiedBy and (recorded profile) modifiedTime for an object born now. */
  #born(): { creationTime: number; modifiedBy: string; modifiedTime?: number } {
    const now = this.#opts.nowSeconds();
    return { creationTime: now, modifiedBy: this.#opts.adminId, ...(this.facts.modifiedTimeOnCreate ? { modifiedTime: now } : {}) };
  }

  /** Segment-store writes count towards rejectedWrites like the others. */
  rejecting<T>(fn: () => T): T {
    return this.#rejecting(fn);
  }

  #rejecting<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.counters.rejectedWrites += 1;
      throw e;
    }
  }

  // ---- groups (read-only through the API here) ----
  listGroups(type: AssociationType, scope: MicrotenantScope): Record<string, unknown>[] {
    return [...this.groups.values()].filter((g) => g.type === type && visibleIn(g.microtenantId, scope)).map((g) => groupToWire(g, this.tenants));
  }

  getGroup(type: AssociationType, id: string, scope: MicrotenantScope): Record<string, unknown> {
    const g = this.groups.get(id);
    if (g === undefined || g.type !== type || !visibleIn(g.microtenantId, scope)) throw this.#notFound(id);
    return groupToWire(g, this.tenants);
  }

  // ---- enrollment certificates (read-only) ----
  listEnrollmentCerts(): Record<string, unknown>[] {
    return [...this.enrollmentCerts.values()].map(enrollmentCertToWire);
  }

  getEnrollmentCert(id: string): Record<string, unknown> {
    const c = this.enrollmentCerts.get(id);
    if (c === undefined) throw this.#notFound(id);
    return enrollmentCertToWire(c);
  }

  // ---- provisioning keys ----
  #keyWire(k: StoredProvisioningKey, view: "read" | "created"): Record<string, unknown> {
    return provisioningKeyToWire(
      k,
      { group: this.groups.get(k.zcomponentId), cert: this.enrollmentCerts.get(k.enrollmentCertId), tenants: this.tenants },
      view,
      this.facts,
    );
  }

  #key(type: AssociationType, id: string, scope: MicrotenantScope): StoredProvisioningKey {
    const k = this.keys.get(id);
    // A key exists only under its own association type: the other type answers not-found.
    if (k === undefined || k.associationType !== type || !visibleIn(k.microtenantId, scope)) throw this.#notFound(id);
    return k;
  }

  listKeys(type: AssociationType, scope: MicrotenantScope): Record<string, unknown>[] {
    return [...this.keys.values()].filter((k) => k.associationType === type && visibleIn(k.microtenantId, scope)).map((k) => this.#keyWire(k, "read"));
  }

  getKey(type: AssociationType, id: string, scope: MicrotenantScope): Record<string, unknown> {
    return this.#keyWire(this.#key(type, id, scope), "read");
  }

  /**
   * On update, `current` fills what the body leaves out: ZPA answered 204 to a PUT of {"name": …} alone
   * (recorded: zscaler/zscaler-sdk-python, cassettes TestAppConnectorGroupProvisioningKey.yaml), and the
   * Python SDK's update_provisioning_key sends only the fields given. The official clients also send
   * back read-only fields (id, usageCount, provisioningKey, associationType "", zcomponentName, ipAcl,
   * appConnectorGroupId: the terraform-provider-zpa expandProvisioningKey payload) and nulls; those are
   * ignored, as the real API does.
   */
  #validateKeyBody(type: AssociationType, raw: unknown, current?: StoredProvisioningKey) {
    const body = asObject(raw);
    const has = (f: string) => current === undefined || present(body, f);
    const name = has("name") ? requiredString(body, "name") : current!.name;
    const maxUsage = has("maxUsage") ? requiredInteger(body, "maxUsage") : current!.maxUsage;
    if (maxUsage < 1) throw zpaErrors.invalid("maxUsage must be at least 1", "maxUsage");
    const enrollmentCertId = has("enrollmentCertId") ? requiredId(body, "enrollmentCertId") : current!.enrollmentCertId;
    const zcomponentId = has("zcomponentId") ? requiredId(body, "zcomponentId") : current!.zcomponentId;
    const enabled = optionalBoolean(body, "enabled");
    const cert = this.enrollmentCerts.get(enrollmentCertId);
    if (cert === undefined) throw this.#notFound(enrollmentCertId);
    // (inf) the field table says "ID of the existing enrollment certificate that has the private key".
    if (!cert.privateKeyPresent) throw zpaErrors.invalidAssociation("The enrollment certificate has no private key", "enrollmentCertId");
    const group = this.groups.get(zcomponentId);
    if (group === undefined) throw this.#notFound(zcomponentId);
    if (group.type !== type) throw zpaErrors.invalidAssociation(`The zcomponent is not a ${type} group`, "zcomponentId");
    return { name, maxUsage, enrollmentCertId, zcomponentId, enabled };
  }

  createKey(type: AssociationType, raw: unknown, tenantQuery: string | undefined): Record<string, unknown> {
    return this.#rejecting(() => {
      const v = this.#validateKeyBody(type, raw);
      const k: StoredProvisioningKey = {
        id: this.newId(),
        associationType: type,
        name: v.name,
        maxUsage: v.maxUsage,
        usageCount: 0,
        enabled: v.enabled ?? true,
        enrollmentCertId: v.enrollmentCertId,
        zcomponentId: v.zcomponentId,
        provisioningKey: this.#opts.newKeyValue(),
        microtenantId: writeTenant(tenantQuery, raw),
        ...this.#born(),
      };
      this.keys.set(k.id, k);
      this.counters.created.provisioningKey[type] += 1;
      return this.#keyWire(k, "created");
    });
  }

  updateKey(type: AssociationType, id: string, raw: unknown, tenantQuery: string | undefined): void {
    this.#rejecting(() => {
      const k = this.#key(type, id, tenantQuery);
      const v = this.#validateKeyBody(type, raw, k);
      // Undocumented: lowering maxUsage below usageCount. Accepted here; the key simply stops enrolling.
      k.name = v.name;
      k.maxUsage = v.maxUsage;
      k.enrollmentCertId = v.enrollmentCertId;
      k.zcomponentId = v.zcomponentId;
      if (v.enabled !== undefined) k.enabled = v.enabled;
      k.modifiedTime = this.#opts.nowSeconds();
      k.modifiedBy = this.#opts.adminId;
      this.counters.updated.provisioningKey[type] += 1;
    });
  }

  deleteKey(type: AssociationType, id: string, tenantQuery: string | undefined): void {
    this.#rejecting(() => {
      this.#key(type, id, tenantQuery);
      this.keys.delete(id);
      this.counters.deleted.provisioningKey[type] += 1;
    });
  }

  // ---- browser-access certificates ----
  #certificate(id: string, scope: MicrotenantScope): StoredCertificate {
    const c = this.certificates.get(id);
    if (c === undefined || !visibleIn(c.microtenantId, scope)) throw this.#notFound(id);
    return c;
  }

  listCertificates(scope: MicrotenantScope, opts: { legacy?: boolean } = {}): Record<string, unknown>[] {
    return [...this.certificates.values()]
      .filter((c) => visibleIn(c.microtenantId, scope))
      .map((c) => certificateToWire(c, this.tenants, { ...opts, facts: this.facts }));
  }

  getCertificate(id: string, scope: MicrotenantScope, opts: { legacy?: boolean } = {}): Record<string, unknown> {
    return certificateToWire(this.#certificate(id, scope), this.tenants, { ...opts, facts: this.facts });
  }

  async createCertificate(raw: unknown, tenantQuery: string | undefined, parse: (blob: string) => Promise<ParsedCertBlob>): Promise<Record<string, unknown>> {
    let parsed: ParsedCertBlob;
    let body: Record<string, unknown>;
    try {
      body = asObject(raw);
      const certBlob = requiredString(body, "certBlob");
      requiredString(body, "name");
      parsed = await parse(certBlob);
    } catch (e) {
      this.counters.rejectedWrites += 1;
      throw e;
    }
    return this.#rejecting(() => {
      const name = requiredString(body, "name");
      const description = body["description"];
      if (description !== undefined && description !== null && typeof description !== "string")
        throw zpaErrors.invalid("description must be a string", "description");
      const c: StoredCertificate = {
        id: this.newId(), // a client-sent `id` is ignored on create
        name,
        ...(typeof description === "string" ? { description } : {}),
        microtenantId: writeTenant(tenantQuery, raw),
        ...this.#born(),
        ...parsed,
      };
      this.certificates.set(c.id, c);
      this.counters.created.certificate += 1;
      return certificateToWire(c, this.tenants, { facts: this.facts, view: "created" });
    });
  }

  updateCertificate(id: string, raw: unknown, tenantQuery: string | undefined): void {
    this.#rejecting(() => {
      const c = this.#certificate(id, tenantQuery);
      const body = asObject(raw);
      // zscaler-sdk-python's update_certificate sends only the keyword arguments given: a missing name
      // keeps the current one (inf). A missing description clears it, as a segment-group PUT did (recorded).
      const name = present(body, "name") ? requiredString(body, "name") : c.name;
      const description = optionalString(body, "description");
      // Only name and description can change; anything else in the body (certBlob too) is ignored.
      c.name = name;
      if (typeof description === "string") c.description = description;
      else delete c.description;
      c.modifiedTime = this.#opts.nowSeconds();
      c.modifiedBy = this.#opts.adminId;
      this.counters.updated.certificate += 1;
    });
  }

  deleteCertificate(id: string, tenantQuery: string | undefined): void {
    this.#rejecting(() => {
      this.#certificate(id, tenantQuery);
      // ZPA refuses to delete an object another one references (400 resource.referenced, errors.ts).
      const user = this.segments.applicationUsingCertificate(id);
      if (user !== undefined) throw zpaErrors.referenced("Application", user.name);
      this.certificates.delete(id);
      this.counters.deleted.certificate += 1;
    });
  }

  // ---- out-of-band changes (test hooks standing in for an admin or a connector enrolling) ----
  findKeyAnyType(id: string): StoredProvisioningKey | undefined {
    return this.keys.get(id);
  }

  removeKeyOutOfBand(id: string): boolean {
    return this.keys.delete(id);
  }

  alterKeyOutOfBand(
    id: string,
    change: { name?: string; maxUsage?: number; enabled?: boolean; usageCount?: number; rotateKey?: boolean; zcomponentId?: string; enrollmentCertId?: string },
  ): StoredProvisioningKey | undefined {
    const k = this.keys.get(id);
    if (k === undefined) return undefined;
    if (change.name !== undefined) k.name = change.name;
    if (change.maxUsage !== undefined) k.maxUsage = change.maxUsage;
    if (change.enabled !== undefined) k.enabled = change.enabled;
    if (change.zcomponentId !== undefined) k.zcomponentId = change.zcomponentId;
    if (change.enrollmentCertId !== undefined) k.enrollmentCertId = change.enrollmentCertId;
    if (change.rotateKey === true) k.provisioningKey = this.#opts.newKeyValue();
    const configChanged = Object.keys(change).some((f) => f !== "usageCount");
    // A connector enrolling bumps usageCount without making the key "modified" by an admin.
    if (change.usageCount !== undefined) k.usageCount = change.usageCount;
    if (configChanged) {
      k.modifiedTime = this.#opts.nowSeconds();
      k.modifiedBy = "72057594037928115";
    }
    return k;
  }

  /** A connector enrolling with the key: refused once disabled or used up (inf, the usual product rule). */
  enrollWithKey(keyValue: string): { ok: true; keyId: string } | { ok: false; reason: "unknown" | "disabled" | "exhausted" } {
    const k = [...this.keys.values()].find((x) => x.provisioningKey === keyValue);
    if (k === undefined) return { ok: false, reason: "unknown" };
    if (!k.enabled) return { ok: false, reason: "disabled" };
    if (k.usageCount >= k.maxUsage) return { ok: false, reason: "exhausted" };
    k.usageCount += 1;
    return { ok: true, keyId: k.id };
  }

  snapshot() {
    return {
      counts: {
        groups: this.groups.size,
        enrollmentCerts: this.enrollmentCerts.size,
        provisioningKeys: Object.fromEntries(associationTypes.map((t) => [t, [...this.keys.values()].filter((k) => k.associationType === t).length])) as Record<
          AssociationType,
          number
        >,
        certificates: this.certificates.size,
      },
      ...structuredClone(this.counters),
      // Key values are test data generated by the simulator, but they stay out of the report anyway.
      provisioningKeys: [...this.keys.values()].map(({ provisioningKey: _secret, ...rest }) => ({ ...rest })),
      certificates: [...this.certificates.values()].map((c) => ({ id: c.id, name: c.name, cName: c.cName, microtenantId: c.microtenantId })),
      segments: this.segments.snapshot(),
    };
  }
}
