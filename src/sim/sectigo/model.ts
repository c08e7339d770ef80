// The simulated SCM account: orders of the three certificate families and their state machine.
//
//   enroll ─► requested ─(approve)─► applied ─(delay elapsed and N collects seen)─► issued ─► revoked
//               │  (approval mode only)      └─(names without DCV, dcvMode given)─► waits for DCV
//               └─decline─► declined
//
// Without approval mode an order starts in `applied` (sent to the CA). Issuance happens lazily, when
// an order is read, so tests control it with the clock, the delay and the number of collects.
// Transitions are synchronous except issuing, which signs the CSR; a per-order promise keeps two
// concurrent reads from issuing twice.
import { randomBytes } from "node:crypto";
import { faults, ScmFault } from "./faults.ts";
import type { SectigoSeed, SeedProfile } from "./seed.ts";

export type Family = "ssl" | "smime" | "device";
export const FAMILIES: readonly Family[] = ["ssl", "smime", "device"];

export type Phase = "requested" | "applied" | "issued" | "declined" | "rejected" | "revoked" | "expired";

export interface IssuedMaterial {
  readonly leafPem: string;
  /** Issuer first, root last. */
  readonly chainPems: readonly string[];
  /** Upper-case hex, no separators. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: string;
  readonly issuer: string;
  readonly sha1: string;
  readonly sha256: string;
}

export interface Person {
  readonly email: string;
  readonly firstName: string;
  readonly middleName?: string;
  readonly lastName: string;
  readonly phone?: string;
  readonly secondaryEmails: readonly string[];
  readonly eppn?: string;
  readonly upn?: string;
}

export interface Order {
  readonly family: Family;
  readonly id: number;
  readonly backendCertId: string;
  readonly orderNumber: number;
  /** SSL only: the opaque id `renew/{renewId}` takes. */
  readonly renewId: string;
  readonly orgId: number;
  readonly profile: SeedProfile;
  readonly term: number;
  readonly commonName: string;
  readonly sans: readonly string[];
  readonly csrPem: string;
  /** From the CSR: "RSA"/"EC" and modulus bits or curve size. */
  readonly keyAlgorithm: string;
  readonly keySize: number;
  comments: string;
  customFields: { name: string; value: string }[];
  readonly externalRequester: string;
  readonly dcvMode?: string;
  readonly dcvEmail?: string;
  readonly person?: Person;
  readonly optionalFields: readonly { name: string; value: string }[];
  readonly requestedVia: string;
  /** Imported or discovered: the only ones DELETE accepts. */
  readonly imported: boolean;
  phase: Phase;
  needsApproval: boolean;
  /** Names still waiting for DCV (enrolled with dcvMode for unvalidated domains). */
  dcvPending: string[];
  readonly requestedAt: number;
  appliedAt?: number;
  approvedAt?: number;
  declinedAt?: number;
  revokedAt?: number;
  reasonCode?: number;
  revokeReason?: string;
  manualRevoke?: boolean;
  renewed: boolean;
  renewedAt?: number;
  renewedTo?: number;
  /** Collects answered "not yet" so far. */
  pendingCollects: number;
  collects: number;
  material?: IssuedMaterial;
  issuing?: Promise<void>;
}

export interface IssuanceSettings {
  /** Minimum time between the order reaching the CA and issuance. */
  delayMs: number;
  /** Collects answered "pending" before the certificate is issued. */
  collectsBeforeIssued: number;
  /** New orders wait in `requested` until approved (API approve or admin route). */
  approvalRequired: boolean;
}

export interface IssueRequest {
  readonly family: Family;
  readonly csrPem: string;
  readonly commonName: string;
  readonly sans: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Signs an order's CSR; the simulator wires the test CA in here. */
export type Issuer = (req: IssueRequest) => Promise<IssuedMaterial>;

export interface EnrollInput {
  readonly orgId: number;
  readonly profile: SeedProfile;
  readonly term: number;
  readonly commonName: string;
  readonly sans: readonly string[];
  readonly csrPem: string;
  readonly keyAlgorithm: string;
  readonly keySize: number;
  readonly comments: string;
  readonly customFields: readonly { name: string; value: string }[];
  readonly externalRequester?: string;
  readonly dcvMode?: string;
  readonly dcvEmail?: string;
  readonly person?: Person;
  readonly optionalFields?: readonly { name: string; value: string }[];
  readonly requestedVia?: string;
  readonly imported?: boolean;
  /** Force ids (admin seeding of documented examples). */
  readonly id?: number;
  readonly backendCertId?: string;
  readonly renewId?: string;
  /** Put there by a test (admin seeding), not by an API enroll: not counted. */
  readonly seeded?: boolean;
}

export interface Counters {
  requests: Record<string, number>;
  enrolls: Record<Family, number>;
  renewals: Record<Family, number>;
  collects: Record<Family, number>;
  pendingCollects: Record<Family, number>;
  revocations: Record<Family, number>;
  approvals: number;
  declines: number;
  authFailures: number;
  rateLimitViolations: number;
}

const DAY_MS = 86_400_000;

function zeroes(): Record<Family, number> {
  return { ssl: 0, smime: 0, device: 0 };
}

export class SectigoModel {
  readonly seed: SectigoSeed;
  readonly issuance: IssuanceSettings;
  readonly orders = new Map<number, Order>();
  readonly counters: Counters = {
    requests: {},
    enrolls: zeroes(),
    renewals: zeroes(),
    collects: zeroes(),
    pendingCollects: zeroes(),
    revocations: zeroes(),
    approvals: 0,
    declines: 0,
    authFailures: 0,
    rateLimitViolations: 0,
  };
  readonly validatedDomains: Set<string>;
  readonly #initialIssuance: IssuanceSettings;
  readonly #issuer: Issuer;
  readonly #now: () => number;
  // One id space for all families keeps admin routes unambiguous; the doc's ids are all distinct too.
  #nextId = 1000;
  #nextBackend = 7_344_000;

  constructor(opts: { seed: SectigoSeed; issuance: IssuanceSettings; issuer: Issuer; now: () => number }) {
    this.seed = opts.seed;
    this.issuance = opts.issuance;
    this.#initialIssuance = { ...opts.issuance };
    this.#issuer = opts.issuer;
    this.#now = opts.now;
    this.validatedDomains = new Set(opts.seed.validatedDomains.map((d) => d.toLowerCase()));
  }

  now(): number {
    return this.#now();
  }

  /** Back to the seeded account: no orders, zero counters, initial issuance mode and domains. */
  reset(): void {
    this.orders.clear();
    Object.assign(this.issuance, this.#initialIssuance);
    const c = this.counters;
    c.requests = {};
    for (const k of ["enrolls", "renewals", "collects", "pendingCollects", "revocations"] as const) c[k] = zeroes();
    c.approvals = c.declines = c.authFailures = c.rateLimitViolations = 0;
    this.validatedDomains.clear();
    for (const d of this.seed.validatedDomains) this.validatedDomains.add(d.toLowerCase());
    this.#nextId = 1000;
    this.#nextBackend = 7_344_000;
  }

  // --- lookups ----------------------------------------------------------------------------------

  /** Organization or department ids are both valid enroll targets. */
  orgExists(id: number): boolean {
    return this.seed.organizations.some((o) => o.id === id || o.departments.some((d) => d.id === id));
  }

  profile(family: Family, id: number): SeedProfile | undefined {
    return this.seed.profiles[family].find((p) => p.id === id);
  }

  isValidated(name: string): boolean {
    let n = name.toLowerCase().replace(/^\*\./, "");
    for (;;) {
      if (this.validatedDomains.has(n)) return true;
      const dot = n.indexOf(".");
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  }

  get(family: Family, id: number): Order | undefined {
    const o = this.orders.get(id);
    return o !== undefined && o.family === family ? o : undefined;
  }

  byBackendId(family: Family, backendCertId: string): Order | undefined {
    for (const o of this.orders.values()) if (o.family === family && o.backendCertId === backendCertId) return o;
    return undefined;
  }

  bySerial(family: Family, serial: string): Order | undefined {
    const want = normalizeSerial(serial);
    for (const o of this.orders.values()) if (o.family === family && o.material !== undefined && normalizeSerial(o.material.serialHex) === want) return o;
    return undefined;
  }

  byRenewId(renewId: string): Order | undefined {
    for (const o of this.orders.values()) if (o.family === "ssl" && o.renewId === renewId) return o;
    return undefined;
  }

  list(family: Family): Order[] {
    return [...this.orders.values()].filter((o) => o.family === family).sort((a, b) => a.id - b.id);
  }

  // --- transitions ------------------------------------------------------------------------------

  enroll(family: Family, input: EnrollInput): Order {
    const id = input.id ?? this.#allocateId();
    if (this.orders.has(id)) throw new Error(`order id ${id} already exists`);
    if (id >= this.#nextId) this.#nextId = id + 1;
    const backend = this.#nextBackend++;
    const dcvPending = family === "ssl" && input.dcvMode !== undefined ? [input.commonName, ...input.sans].filter((n) => n !== "" && !this.isValidated(n)) : [];
    const now = this.#now();
    const needsApproval = this.issuance.approvalRequired && input.imported !== true;
    const order: Order = {
      family,
      id,
      backendCertId: input.backendCertId ?? String(backend),
      orderNumber: input.backendCertId !== undefined && /^\d{1,9}$/.test(input.backendCertId) ? Number(input.backendCertId) : backend,
      renewId: input.renewId ?? randomRenewId(),
      orgId: input.orgId,
      profile: input.profile,
      term: input.term,
      commonName: input.commonName,
      sans: [...new Set(input.sans)],
      csrPem: input.csrPem,
      keyAlgorithm: input.keyAlgorithm,
      keySize: input.keySize,
      comments: input.comments,
      customFields: input.customFields.map((f) => ({ ...f })),
      externalRequester: input.externalRequester ?? "",
      ...(input.dcvMode === undefined ? {} : { dcvMode: input.dcvMode }),
      ...(input.dcvEmail === undefined ? {} : { dcvEmail: input.dcvEmail }),
      ...(input.person === undefined ? {} : { person: input.person }),
      optionalFields: input.optionalFields ?? [],
      requestedVia: input.requestedVia ?? "REST API",
      imported: input.imported === true,
      phase: needsApproval ? "requested" : "applied",
      needsApproval,
      dcvPending: [...new Set(dcvPending)],
      requestedAt: now,
      ...(needsApproval ? {} : { appliedAt: now }),
      renewed: false,
      pendingCollects: 0,
      collects: 0,
    };
    this.orders.set(id, order);
    if (input.imported !== true && input.seeded !== true) this.counters.enrolls[family]++;
    return order;
  }

  /** Renew: a new order with the old one's parameters (and optionally a new CSR). */
  renew(old: Order, csr?: { pem: string; keyAlgorithm: string; keySize: number }, commonName?: string, sans?: readonly string[]): Order {
    if (old.profile.allowRenew === false) throw new ScmFault(400, -180, "This SSL Certificate Profile doesn''t allow renew");
    if (old.phase !== "issued" && old.phase !== "expired") throw faults.renewError(statusText(old));
    const next = this.enroll(old.family, {
      orgId: old.orgId,
      profile: old.profile,
      term: old.term,
      commonName: commonName ?? old.commonName,
      sans: sans ?? old.sans,
      csrPem: csr?.pem ?? old.csrPem,
      keyAlgorithm: csr?.keyAlgorithm ?? old.keyAlgorithm,
      keySize: csr?.keySize ?? old.keySize,
      comments: old.comments,
      customFields: old.customFields,
      externalRequester: old.externalRequester,
      ...(old.dcvMode === undefined ? {} : { dcvMode: old.dcvMode }),
      ...(old.dcvEmail === undefined ? {} : { dcvEmail: old.dcvEmail }),
      ...(old.person === undefined ? {} : { person: old.person }),
      optionalFields: old.optionalFields,
    });
    this.counters.enrolls[old.family]--;
    this.counters.renewals[old.family]++;
    old.renewed = true;
    old.renewedAt = this.#now();
    old.renewedTo = next.id;
    return next;
  }

  approve(order: Order): void {
    if (order.phase !== "requested") throw faults.cannotApprove(statusText(order));
    order.phase = "applied";
    order.needsApproval = false;
    order.approvedAt = this.#now();
    order.appliedAt = order.approvedAt;
    this.counters.approvals++;
  }

  decline(order: Order): void {
    if (order.phase !== "requested") throw faults.cannotApprove(statusText(order));
    order.phase = "declined";
    order.declinedAt = this.#now();
    this.counters.declines++;
  }

  /** The CA refuses the order (only before issuance). */
  reject(order: Order): void {
    if (order.phase !== "requested" && order.phase !== "applied") throw faults.cannotApprove(statusText(order));
    order.phase = "rejected";
  }

  revoke(order: Order, reasonCode: number, reason: string, manual = false): void {
    if (order.phase === "revoked") throw faults.alreadyRevoked();
    if (!manual && order.phase !== "issued") throw faults.onlyIssuedRevoked();
    order.phase = "revoked";
    order.revokedAt = this.#now();
    order.reasonCode = reasonCode;
    order.revokeReason = reason;
    order.manualRevoke = manual;
    this.counters.revocations[order.family]++;
  }

  validateDomain(domain: string): void {
    this.validatedDomains.add(domain.toLowerCase());
    for (const o of this.orders.values()) o.dcvPending = o.dcvPending.filter((n) => !this.isValidated(n));
  }

  /** Moves time-driven transitions forward: issuance once due, expiry once past notAfter. */
  async refresh(order: Order): Promise<void> {
    if (order.issuing !== undefined) await order.issuing;
    if (order.phase === "issued" && order.material !== undefined && this.#now() >= order.material.notAfter.getTime()) order.phase = "expired";
    if (!this.#due(order)) return;
    order.issuing = this.#issue(order).finally(() => {
      delete order.issuing;
    });
    await order.issuing;
  }

  /** A collect: counts it, issues if due, and returns the order or the documented "not yet" fault. */
  async collect(order: Order): Promise<IssuedMaterial> {
    this.counters.collects[order.family]++;
    order.collects++;
    await this.refresh(order);
    if (order.phase === "revoked") throw faults.revokedNoDownload();
    if (order.phase === "declined" || order.phase === "rejected") throw faults.notAvailable();
    if ((order.phase === "issued" || order.phase === "expired") && order.material !== undefined) return order.material;
    order.pendingCollects++;
    this.counters.pendingCollects[order.family]++;
    throw order.family === "smime" ? faults.notCollectable() : faults.beingProcessed();
  }

  #due(order: Order): boolean {
    if (order.phase !== "applied" || order.dcvPending.length > 0) return false;
    const since = order.appliedAt ?? order.requestedAt;
    return this.#now() - since >= this.issuance.delayMs && order.pendingCollects >= this.issuance.collectsBeforeIssued;
  }

  async #issue(order: Order): Promise<void> {
    const notBefore = new Date(this.#now());
    const notAfter = new Date(notBefore.getTime() + order.term * DAY_MS);
    order.material = await this.#issuer({ family: order.family, csrPem: order.csrPem, commonName: order.commonName, sans: order.sans, notBefore, notAfter });
    order.phase = "issued";
  }

  /** Admin seeding: puts an order straight into `issued` (documented examples reference fixed ids). */
  async issueNow(order: Order): Promise<void> {
    if (order.phase === "issued") return;
    order.phase = "applied";
    order.dcvPending = [];
    order.needsApproval = false;
    order.issuing = this.#issue(order).finally(() => {
      delete order.issuing;
    });
    await order.issuing;
  }

  #allocateId(): number {
    while (this.orders.has(this.#nextId)) this.#nextId++;
    return this.#nextId++;
  }
}

/** Serial numbers compare without separators, case and leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial.replace(/[^0-9a-f]/gi, "").toUpperCase().replace(/^0+(?=.)/, "");
}

/** Colon-separated upper-case hex, as SCM shows serials. */
export function colonSerial(hex: string): string {
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return even.toUpperCase().match(/../g)!.join(":");
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 20 characters, like the documented examples ("kmITfPf3Gx8mqmK5D66L"). */
function randomRenewId(): string {
  return [...randomBytes(20)].map((b) => ALNUM[b % ALNUM.length]).join("");
}

// Status spelling differs per family and endpoint: SSL title-case; client lower-case (no approval
// states, so anything before issuance reads "requested"); device upper-case in list/enroll/renew and
// title-case in details.
const SSL_STATUS: Record<Phase, string> = {
  requested: "Requested",
  applied: "Applied",
  issued: "Issued",
  declined: "Declined",
  rejected: "Rejected",
  revoked: "Revoked",
  expired: "Expired",
};
const CLIENT_STATE: Record<Phase, string> = {
  requested: "requested",
  applied: "requested",
  issued: "issued",
  declined: "rejected",
  rejected: "rejected",
  revoked: "revoked",
  expired: "expired",
};
const DEVICE_STATUS: Record<Phase, string> = {
  requested: "REQUESTED",
  applied: "APPROVED",
  issued: "ISSUED",
  declined: "DECLINED",
  rejected: "REJECTED",
  revoked: "REVOKED",
  expired: "EXPIRED",
};

export function statusText(order: Order, where: "details" | "list" = "details"): string {
  switch (order.family) {
    case "ssl":
      return SSL_STATUS[order.phase];
    case "smime":
      return CLIENT_STATE[order.phase];
    case "device": {
      const upper = DEVICE_STATUS[order.phase];
      return where === "list" ? upper : upper.charAt(0) + upper.slice(1).toLowerCase();
    }
  }
}
