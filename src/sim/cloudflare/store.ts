// Client certificates per zone and their state machine [S2, P7]:
//   active ─DELETE→ pending_revocation ─(async)→ revoked
//   pending_revocation ─PATCH reactivate→ pending_reactivation ─(async)→ active
// Transitions are evaluated lazily against the clock, so a manual clock drives them exactly.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { inspectCertificate } from "../../pki/inspect.ts";
import type { TestCa } from "../../pki/test-ca.ts";
import type { Clock } from "../../vendors/shared/clock.ts";
import { pemToDer } from "../../pki/formats.ts";

export type CertStatus = "active" | "pending_reactivation" | "pending_revocation" | "revoked";

export interface StoredCert {
  readonly id: string;
  readonly zoneId: string;
  status: CertStatus;
  next?: { status: CertStatus; at: number };
  readonly wire: Record<string, unknown>;
  readonly createdSeq: number;
}

export class CertificateStore {
  readonly #certs = new Map<string, StoredCert>();
  readonly #clock: Clock;
  readonly #ca: TestCa;
  readonly caId = randomUUID();
  #seq = 0;
  transitionDelayMs: number;
  revocations = 0;
  reactivations = 0;

  constructor(opts: { clock: Clock; ca: TestCa; transitionDelayMs: number }) {
    this.#clock = opts.clock;
    this.#ca = opts.ca;
    this.transitionDelayMs = opts.transitionDelayMs;
  }

  reset(): void {
    this.#certs.clear();
    this.revocations = 0;
    this.reactivations = 0;
  }

  /** Issue a real certificate from the CSR, valid from now for `validityDays`. */
  async create(zoneId: string, csr: string, validityDays: number): Promise<StoredCert> {
    const issuedMs = Math.floor(this.#clock.now() / 1000) * 1000;
    const issued = new Date(issuedMs);
    const expires = new Date(issuedMs + validityDays * 86_400_000);
    const signed = await this.#ca.signCsr(csr, { usage: "client", notBefore: issued, notAfter: expires, serialBytes: 20 });
    const info = await inspectCertificate(signed.leafPem);
    const id = randomBytes(16).toString("hex");
    const s = info.subject;
    const wire: Record<string, unknown> = {
      id,
      certificate: signed.leafPem.trim(),
      certificate_authority: { id: this.caId, name: "Cloudflare Managed CA for account" },
      common_name: s.commonName ?? "",
      country: s.countries?.[0] ?? "",
      state: s.provinces?.[0] ?? "",
      location: s.localities?.[0] ?? "",
      organization: s.organizations?.[0] ?? "",
      organizational_unit: s.organizationalUnits?.[0] ?? "",
      csr,
      expires_on: rfc3339(expires),
      issued_on: rfc3339(issued),
      fingerprint_sha256: createHash("sha256").update(pemToDer(signed.leafPem)).digest("hex"),
      serial_number: info.serialHex,
      signature: info.signatureAlgorithm.startsWith("RSASSA") ? "SHA256WithRSA" : "SHA256WithECDSA",
      ski: info.skiHex,
      validity_days: validityDays,
    };
    const cert: StoredCert = { id, zoneId, status: "active", wire, createdSeq: this.#seq++ };
    this.#certs.set(id, cert);
    return cert;
  }

  get(zoneId: string, id: string): StoredCert | undefined {
    const c = this.#certs.get(id);
    if (c === undefined || c.zoneId !== zoneId) return undefined;
    return this.#settle(c);
  }

  list(zoneId: string): StoredCert[] {
    return [...this.#certs.values()]
      .filter((c) => c.zoneId === zoneId)
      .map((c) => this.#settle(c))
      .sort((a, b) => a.createdSeq - b.createdSeq);
  }

  /** DELETE: active → pending_revocation; repeating while pending is harmless. */
  revoke(c: StoredCert): "ok" | "invalidState" {
    if (c.status === "pending_revocation") return "ok";
    if (c.status !== "active") return "invalidState";
    this.revocations++;
    this.#move(c, "pending_revocation", "revoked");
    return "ok";
  }

  /** PATCH {reactivate:true}: only from pending_revocation. */
  reactivate(c: StoredCert): "ok" | "invalidState" {
    if (c.status !== "pending_revocation") return "invalidState";
    this.reactivations++;
    this.#move(c, "pending_reactivation", "active");
    return "ok";
  }

  toWire(c: StoredCert): Record<string, unknown> {
    return { ...c.wire, status: c.status };
  }

  countsByStatus(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.#certs.values()) {
      this.#settle(c);
      out[c.status] = (out[c.status] ?? 0) + 1;
    }
    return out;
  }

  get size(): number {
    return this.#certs.size;
  }

  #move(c: StoredCert, now: CertStatus, later: CertStatus): void {
    c.status = now;
    c.next = { status: later, at: this.#clock.now() + this.transitionDelayMs };
    this.#settle(c);
  }

  #settle(c: StoredCert): StoredCert {
    if (c.next !== undefined && this.#clock.now() >= c.next.at) {
      c.status = c.next.status;
      delete c.next;
    }
    return c;
  }
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
