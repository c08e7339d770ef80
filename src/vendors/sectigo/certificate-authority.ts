// CertificateAuthority over Sectigo Certificate Manager: SSL, client (S/MIME) and device orders.
// Enroll is asynchronous (submit → pending), collect is safe to repeat, and every order carries the
// marker (resource UID + revision) in its comments so a crash between enroll and "id persisted" is
// recovered with find instead of a second paid order. The vendorRef names the family ("ssl:812")
// because revoke gets no order to tell them apart.
import type { CertificateAuthority, CertificateOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import type { SectigoClient } from "./client.ts";
import type { PollOutcome } from "./progress.ts";
import type { CertProfile, CustomFieldValue, DcvMode } from "./wire.ts";

export type SectigoFamily = "ssl" | "client" | "device";

/** spec.sectigo as the API parses it (type SSL | Client | Device). */
interface SectigoOptions {
  readonly type?: string;
  readonly profile?: { readonly id?: number; readonly name?: string };
  readonly term?: number;
  readonly orgId?: number;
  readonly comments?: string;
  readonly customFields?: readonly CustomFieldValue[];
  readonly externalRequester?: string;
  readonly person?: {
    readonly email: string;
    readonly firstName: string;
    readonly middleName?: string;
    readonly lastName: string;
    readonly phone?: string;
    readonly secondaryEmails?: readonly string[];
    readonly eppn?: string;
    readonly upn?: string;
  };
  readonly dcv?: { readonly mode: DcvMode; readonly email?: string };
}

export interface SectigoCertificateAuthorityOptions {
  readonly client: SectigoClient;
  /** The connection's default organization or department (spec.sectigo.orgId overrides it). */
  readonly orgId?: number;
  /** How long resolved profiles are trusted. */
  readonly profileTtlMs?: number;
  readonly now?: () => number;
}

const FAMILY_API = { ssl: "ssl", client: "smime", device: "device" } as const;

export function familyOf(type: string | undefined): SectigoFamily {
  switch ((type ?? "").toLowerCase()) {
    case "ssl":
      return "ssl";
    case "client":
      return "client";
    case "device":
      return "device";
    default:
      throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "enroll", message: `unknown certificate type "${String(type).slice(0, 20)}"` });
  }
}

export function formatVendorRef(family: SectigoFamily, id: number): string {
  return `${family}:${id}`;
}

export function parseVendorRef(ref: string): { family: SectigoFamily; id: number } {
  const m = /^(ssl|client|device):(\d{1,10})$/.exec(ref);
  if (m === null) throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "parseVendorRef", message: "vendor reference is not <family>:<id>" });
  return { family: m[1] as SectigoFamily, id: Number(m[2]) };
}

export class SectigoCertificateAuthority implements CertificateAuthority {
  readonly #scm: SectigoClient;
  readonly #orgId: number | undefined;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #profiles = new Map<string, { at: number; profiles: CertProfile[] }>();

  constructor(opts: SectigoCertificateAuthorityOptions) {
    this.#scm = opts.client;
    this.#orgId = opts.orgId;
    this.#ttlMs = opts.profileTtlMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  async submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    const o = order.vendorOptions as SectigoOptions;
    const family = familyOf(o.type);
    const orgId = o.orgId ?? this.#orgId;
    if (orgId === undefined) throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "enroll", message: "no orgId: set spec.sectigo.orgId or the connection's orgId" });
    const profile = await this.resolveProfile(family, o.profile ?? {}, orgId, signal);
    const term = pickTerm(profile, o.term ?? order.lifetimeDays);
    const marker = { uid: order.owner.uid, revision: order.owner.revision };
    const common = { orgId, csr: order.csrPem, certType: profile.id, term, marker, ...(o.comments === undefined ? {} : { comments: o.comments }), ...(o.customFields === undefined ? {} : { customFields: o.customFields }) };
    const call = { signal };
    switch (family) {
      case "ssl": {
        const sans = [...order.dnsNames, ...order.ipAddresses];
        const res = await this.#scm.ssl.enroll(
          {
            ...common,
            subjAltNames: sans,
            ...(o.externalRequester === undefined ? {} : { externalRequester: o.externalRequester.split(",").map((s) => s.trim()).filter(Boolean) }),
            ...(o.dcv === undefined ? {} : { dcvMode: o.dcv.mode, ...(o.dcv.email === undefined ? {} : { dcvEmail: o.dcv.email }) }),
          },
          call,
        );
        return pending(formatVendorRef("ssl", res.sslId));
      }
      case "client": {
        const p = o.person;
        if (p === undefined) throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: "smime.enroll", message: "client certificates need spec.sectigo.person" });
        const res = await this.#scm.smime.enroll(
          {
            ...common,
            email: p.email,
            firstName: p.firstName,
            lastName: p.lastName,
            ...(p.middleName === undefined ? {} : { middleName: p.middleName }),
            ...(p.phone === undefined ? {} : { phone: p.phone }),
            ...(p.secondaryEmails === undefined ? {} : { secondaryEmails: p.secondaryEmails }),
            ...(p.eppn === undefined ? {} : { eppn: p.eppn }),
            ...(p.upn === undefined ? {} : { upn: p.upn }),
            ...(order.commonName === undefined ? {} : { commonName: order.commonName }),
          },
          call,
        );
        // The 25.5 edition answered without an id; the order is then found by its marker.
        if (res.id === undefined) {
          const found = await this.find(order, signal);
          if (found === undefined) throw new VendorError({ kind: "transient", vendor: "sectigo", operation: "smime.enroll", message: "enroll answered without an id and the order is not listed yet" });
          return pending(found);
        }
        return pending(formatVendorRef("client", res.id));
      }
      case "device": {
        const cn = order.commonName ?? order.dnsNames[0];
        const res = await this.#scm.device.enroll({ ...common, ...(cn === undefined ? {} : { optionalFields: [{ name: "commonName", value: cn }] }) }, call);
        return pending(formatVendorRef("device", res.deviceCertId));
      }
    }
  }

  async collect(vendorRef: string, _order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    const { family, id } = parseVendorRef(vendorRef);
    const call = { signal };
    let outcome: PollOutcome;
    switch (family) {
      case "ssl":
        outcome = await this.#scm.ssl.poll(id, "x509", call);
        break;
      case "client":
        outcome = await this.#scm.smime.poll(id, "x509", call);
        break;
      case "device":
        outcome = await this.#scm.device.poll(id, "x509", call);
        break;
    }
    if (outcome.state === "issued") {
      const c = outcome.certificate;
      if (c.leafPem === undefined) throw new VendorError({ kind: "transient", vendor: "sectigo", operation: `${FAMILY_API[family]}.collect`, message: "collect returned no end-entity certificate" });
      const chainPem = [c.leafPem, ...c.intermediatesPem].map((p) => p.trim() + "\n").join("");
      return { state: "issued", vendorRef, chainPem, ...(c.rootPem === undefined ? {} : { caPem: c.rootPem.trim() + "\n" }) };
    }
    if (outcome.state === "blocked") {
      const dcv = /domain control/i.test(outcome.reason);
      return { state: "pending", vendorRef, reason: dcv ? "AwaitingValidation" : "AwaitingApproval", message: `Sectigo order ${vendorRef}: ${outcome.reason}` };
    }
    return { state: "pending", vendorRef, reason: "Pending", message: `Sectigo order ${vendorRef}: ${outcome.reason}` };
  }

  /** Orders for this resource's UID and revision, newest first: by common name (SSL, device) or the person's email (client). */
  async find(order: CertificateOrder, signal: AbortSignal): Promise<string | undefined> {
    const o = order.vendorOptions as SectigoOptions;
    const family = familyOf(o.type);
    const marker = { uid: order.owner.uid, revision: order.owner.revision };
    const call = { signal };
    switch (family) {
      case "ssl": {
        const cn = order.commonName ?? order.dnsNames[0];
        if (cn === undefined) return undefined;
        const found = await this.#scm.ssl.findOrders(cn, marker, call);
        return found[0] === undefined ? undefined : formatVendorRef("ssl", found[0].id);
      }
      case "client": {
        const email = o.person?.email;
        if (email === undefined) return undefined;
        const found = await this.#scm.smime.findOrders(email, marker, call);
        return found[0] === undefined ? undefined : formatVendorRef("client", found[0].id);
      }
      case "device": {
        const cn = order.commonName ?? order.dnsNames[0];
        if (cn === undefined) return undefined;
        const found = await this.#scm.device.findOrders(cn, marker, call);
        return found[0] === undefined ? undefined : formatVendorRef("device", found[0].id);
      }
    }
  }

  async revoke(vendorRef: string, reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void> {
    const { family, id } = parseVendorRef(vendorRef);
    const req = { reason, message: `certbridge: ${reason}` };
    const call = { signal };
    switch (family) {
      case "ssl":
        await this.#scm.ssl.revoke(id, req, call);
        return;
      case "client":
        await this.#scm.smime.revoke(id, req, call);
        return;
      case "device":
        await this.#scm.device.revoke(id, req, call);
        return;
    }
  }

  /** A profile by id or by name (case-insensitive), from a cached listing per family and organization. */
  async resolveProfile(family: SectigoFamily, ref: { id?: number; name?: string }, orgId: number | undefined, signal: AbortSignal): Promise<CertProfile> {
    const key = `${family}/${orgId ?? ""}`;
    let cached = this.#profiles.get(key);
    if (cached === undefined || this.#now() - cached.at > this.#ttlMs) {
      const api = { ssl: this.#scm.ssl, client: this.#scm.smime, device: this.#scm.device }[family];
      cached = { at: this.#now(), profiles: await api.listProfiles(orgId, { signal }) };
      this.#profiles.set(key, cached);
    }
    const found =
      ref.id !== undefined
        ? cached.profiles.find((p) => p.id === ref.id)
        : ref.name !== undefined
          ? cached.profiles.find((p) => p.name.toLowerCase() === ref.name!.toLowerCase())
          : cached.profiles.length === 1
            ? cached.profiles[0]
            : undefined;
    if (found === undefined) {
      const what = ref.id !== undefined ? `id ${ref.id}` : ref.name !== undefined ? `"${ref.name.slice(0, 64)}"` : "(none given)";
      throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: `${FAMILY_API[family]}.listProfiles`, message: `no ${family} certificate profile ${what}` });
    }
    return found;
  }
}

/** The profile term to ask for: the requested days if allowed, else the shortest allowed term that covers them, else the longest. */
export function pickTerm(profile: Pick<CertProfile, "terms">, wantDays: number | undefined): number {
  const terms = [...profile.terms].sort((a, b) => a - b);
  if (terms.length === 0) return Math.max(1, Math.ceil(wantDays ?? 365));
  if (wantDays === undefined || wantDays <= 0) return terms[0]!;
  return terms.find((t) => t >= wantDays) ?? terms[terms.length - 1]!;
}

function pending(vendorRef: string): IssueOutcome {
  return { state: "pending", vendorRef, reason: "Pending", message: `Sectigo order ${vendorRef} placed; waiting for issuance` };
}
