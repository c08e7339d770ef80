// CertificateAuthority over Sectigo Certificate Manager: SSL, client (S/MIME) and device orders.
// Enroll is asynchronous (submit → pending), collect is safe to repeat, and every order carries the
// marker (resource UID, revision and spec hash) in its comments so an enroll whose answer was lost is
// found again (by its common name or e-mail plus the marker) instead of paid for twice. The vendorRef
// names the family ("ssl:812") because revoke gets no order to tell them apart. Only an order status
// that can never issue (declined, rejected, revoked, …) is a failed order; any other error while
// collecting leaves the order in place.
import {
  type CancelOutcome,
  type CertificateAuthority,
  type CertificateOrder,
  type CertificateOrderOptions,
  type FoundOrder,
  type IssueOutcome,
  type OrderIntent,
  type ValidityAnswer,
  notPlaced,
} from "../../ports/certificate-authority.ts";
import { VendorError, isRetryable } from "../../ports/vendor-error.ts";
import type { SectigoClient } from "./client.ts";
import type { OrderMarker } from "./order-marker.ts";
import { progressOf, type PollOutcome } from "./progress.ts";
import type { CertProfile } from "./wire.ts";

export type SectigoFamily = "ssl" | "client" | "device";

/** spec.sectigo as the API schema parsed it. */
type SectigoOptions = Extract<CertificateOrderOptions, { vendor: "sectigo" }>["options"];

/** Which SCM API each spec.sectigo.type enrolls through. */
const FAMILY_OF_TYPE = { SSL: "ssl", Client: "client", Device: "device" } as const satisfies Record<SectigoOptions["type"], SectigoFamily>;

export interface SectigoCertificateAuthorityOptions {
  readonly client: SectigoClient;
  /** The connection's default organization or department (spec.sectigo.orgId overrides it). */
  readonly orgId?: number;
  /** How long resolved profiles are trusted. */
  readonly profileTtlMs?: number;
  readonly now?: () => number;
}

const FAMILY_API = { ssl: "ssl", client: "smime", device: "device" } as const;

/**
 * The order's spec.sectigo. Options of another vendor mean the order reached the wrong adapter (the
 * connection and the spec disagree): refused as invalid, before anything is sent.
 */
function sectigoOptionsOf(options: CertificateOrderOptions, operation: string): SectigoOptions {
  if (options.vendor === "sectigo") return options.options;
  throw notPlaced(
    new VendorError({ kind: "invalid", vendor: "sectigo", operation, message: `a ${options.vendor} order cannot be placed through a Sectigo connection` }),
  );
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

  /** The term submit would ask for (SCM terms are discrete per profile), read from the profile before anything is ordered. */
  async validityDays(options: CertificateOrderOptions, lifetimeDays: number, signal: AbortSignal): Promise<ValidityAnswer> {
    const o = sectigoOptionsOf(options, "listProfiles");
    const family = FAMILY_OF_TYPE[o.type];
    const orgId = o.orgId ?? this.#orgId;
    if (orgId === undefined)
      throw new VendorError({
        kind: "invalid",
        vendor: "sectigo",
        operation: "listProfiles",
        message: "no orgId: set spec.sectigo.orgId or the connection's orgId",
      });
    const profile = await this.resolveProfile(family, o.profile, orgId, signal);
    const terms = [...profile.terms].sort((a, b) => a - b);
    const offered = terms.length === 0 ? `any term (profile "${profile.name}")` : `terms of ${terms.join(", ")} days (profile "${profile.name}")`;
    return { days: pickTerm(profile, o.term ?? lifetimeDays), offered };
  }

  async submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    // Everything up to the enroll itself only reads: a failure there has placed nothing.
    const o = sectigoOptionsOf(order.vendorOptions, "enroll");
    const family = FAMILY_OF_TYPE[o.type];
    const orgId = o.orgId ?? this.#orgId;
    if (orgId === undefined)
      throw notPlaced(
        new VendorError({ kind: "invalid", vendor: "sectigo", operation: "enroll", message: "no orgId: set spec.sectigo.orgId or the connection's orgId" }),
      );
    if (family === "client" && o.person === undefined)
      throw notPlaced(
        new VendorError({ kind: "invalid", vendor: "sectigo", operation: "smime.enroll", message: "client certificates need spec.sectigo.person" }),
      );
    let profile: CertProfile;
    try {
      profile = await this.resolveProfile(family, o.profile, orgId, signal);
    } catch (e) {
      throw notPlaced(e);
    }
    const term = pickTerm(profile, o.term ?? order.lifetimeDays);
    const marker = markerOf(order);
    const common = {
      orgId,
      csr: order.csrPem,
      certType: profile.id,
      term,
      marker,
      ...(o.comments === undefined ? {} : { comments: o.comments }),
      ...(o.customFields === undefined ? {} : { customFields: o.customFields }),
    };
    const call = { signal };
    switch (family) {
      case "ssl": {
        const sans = [...order.dnsNames, ...order.ipAddresses];
        const res = await this.#scm.ssl.enroll(
          {
            ...common,
            subjAltNames: sans,
            ...(o.externalRequester === undefined
              ? {}
              : {
                  externalRequester: o.externalRequester
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
                }),
            ...(o.dcv === undefined ? {} : { dcvMode: o.dcv.mode, ...(o.dcv.email === undefined ? {} : { dcvEmail: o.dcv.email }) }),
          },
          call,
        );
        return pending(formatVendorRef("ssl", res.sslId));
      }
      case "client": {
        const p = o.person!;
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
          const found = await this.findOrders(intentOf(order, p.email), signal);
          const newest = found[found.length - 1];
          if (newest === undefined)
            throw new VendorError({
              kind: "transient",
              vendor: "sectigo",
              operation: "smime.enroll",
              message: "enroll answered without an id and the order is not listed yet",
            });
          return pending(newest.vendorRef);
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
    try {
      outcome = await this.#api(family).poll(id, "x509", call);
    } catch (e) {
      // Only the order's own status may end it; a proxy's garbage or a refused collect must not.
      if (e instanceof VendorError && !isRetryable(e.kind) && e.kind !== "blocked") {
        const verdict = await this.#terminalStatus(family, id, signal).catch(() => undefined);
        if (verdict !== undefined) return { state: "failed", vendorRef, message: `Sectigo order ${vendorRef} cannot issue: ${verdict}` };
      }
      throw e;
    }
    if (outcome.state === "issued") {
      const c = outcome.certificate;
      if (c.leafPem === undefined)
        throw new VendorError({
          kind: "transient",
          vendor: "sectigo",
          operation: `${FAMILY_API[family]}.collect`,
          message: "collect returned no end-entity certificate",
        });
      const chainPem = [c.leafPem, ...c.intermediatesPem].map((p) => p.trim() + "\n").join("");
      return { state: "issued", vendorRef, chainPem, ...(c.rootPem === undefined ? {} : { caPem: c.rootPem.trim() + "\n" }) };
    }
    if (outcome.state === "blocked") {
      const dcv = /domain control/i.test(outcome.reason);
      return { state: "pending", vendorRef, reason: dcv ? "AwaitingValidation" : "AwaitingApproval", message: `Sectigo order ${vendorRef}: ${outcome.reason}` };
    }
    return { state: "pending", vendorRef, reason: "Pending", message: `Sectigo order ${vendorRef}: ${outcome.reason}` };
  }

  /**
   * Orders carrying this intent's marker (UID, revision, spec hash) under its common name (SSL,
   * device) or the person's e-mail (client), oldest first; orders the resource knows are left out.
   */
  async findOrders(intent: OrderIntent, signal: AbortSignal): Promise<readonly FoundOrder[]> {
    const family = FAMILY_OF_TYPE[sectigoOptionsOf(intent.vendorOptions, "findOrders").type];
    const name = intent.lookupName;
    if (name === undefined || name === "") return [];
    const marker = { uid: intent.owner.uid, revision: intent.owner.revision, spec: intent.specHash };
    const call = { signal };
    const known = new Set(intent.knownVendorRefs);
    const api = FAMILY_API[family];
    let found: Array<{ id: number; status: string | undefined; requested?: Date | undefined }>;
    switch (family) {
      case "ssl":
        found = await this.#scm.ssl.findOrders(name, marker, call);
        break;
      case "client":
        found = (await this.#scm.smime.findOrders(name, marker, call)).map((c) => ({ id: c.id, status: c.state }));
        break;
      case "device":
        found = await this.#scm.device.findOrders(name, marker, call);
        break;
    }
    return found
      .filter((f) => !known.has(formatVendorRef(family, f.id)))
      .sort((a, b) => a.id - b.id)
      .map((f) => ({
        vendorRef: formatVendorRef(family, f.id),
        state: foundState(api, f.status),
        ...(f.requested === undefined ? {} : { placedAt: f.requested }),
      }));
  }

  async revoke(vendorRef: string, reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void> {
    const { family, id } = parseVendorRef(vendorRef);
    await this.#api(family).revoke(id, { reason, message: `certbridge: ${reason}` }, { signal });
  }

  /**
   * An order nobody will collect: declined while it awaits approval (SSL, device: the documented
   * decline), revoked once issued, done when already final or gone. An order the CA is working on
   * cannot be stopped through the API: "not yet", and the caller looks again until it issues.
   */
  async cancel(vendorRef: string, signal: AbortSignal): Promise<CancelOutcome> {
    const { family, id } = parseVendorRef(vendorRef);
    const api = this.#api(family);
    let status: string;
    try {
      status = (await api.get(id, { signal })).status ?? "";
    } catch (e) {
      if (e instanceof VendorError && e.kind === "notFound") return { done: true, how: "gone" };
      throw e;
    }
    const progress = progressOf(FAMILY_API[family], status);
    switch (progress.state) {
      case "failed":
        return { done: true, how: "alreadyFinal" };
      case "issued":
        await api.revoke(id, { reason: "cessationOfOperation", message: "certbridge: the order was cancelled" }, { signal });
        return { done: true, how: "revoked" };
      case "blocked":
        if (family !== "client" && /approval/i.test(progress.reason)) {
          try {
            await (family === "ssl" ? this.#scm.ssl : this.#scm.device).decline(
              id,
              "certbridge: the requesting resource was deleted or replaced; this order is no longer wanted",
              { signal },
            );
            return { done: true, how: "declined" };
          } catch (e) {
            // The state moved on under us (approved meanwhile): look again later.
            if (e instanceof VendorError && (e.kind === "conflict" || e.kind === "invalid"))
              return { done: false, message: `Sectigo order ${vendorRef} could not be declined (${e.detail.slice(0, 120)}); it is looked at again` };
            throw e;
          }
        }
        return { done: false, message: `Sectigo order ${vendorRef} waits for ${progress.reason}; it is revoked once issued` };
      case "pending":
        return { done: false, message: `Sectigo order ${vendorRef} is ${progress.reason} and cannot be stopped through the API; it is revoked once issued` };
    }
  }

  async #terminalStatus(family: SectigoFamily, id: number, signal: AbortSignal): Promise<string | undefined> {
    const status = (await this.#api(family).get(id, { signal })).status ?? "";
    const p = progressOf(FAMILY_API[family], status);
    return p.state === "failed" ? `${p.reason} (status ${status.slice(0, 40)})` : undefined;
  }

  #api(family: SectigoFamily): SectigoClient["ssl"] | SectigoClient["smime"] | SectigoClient["device"] {
    return { ssl: this.#scm.ssl, client: this.#scm.smime, device: this.#scm.device }[family];
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
      throw new VendorError({
        kind: "invalid",
        vendor: "sectigo",
        operation: `${FAMILY_API[family]}.listProfiles`,
        message: `no ${family} certificate profile ${what}`,
      });
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

/** The marker an order carries: this resource, this revision, this spec. */
function markerOf(order: CertificateOrder): OrderMarker {
  return { uid: order.owner.uid, revision: order.owner.revision, ...(order.owner.specHash === undefined ? {} : { spec: order.owner.specHash.slice(0, 16) }) };
}

/** The intent of an order just placed (the 25.5 enroll answered without an id). */
function intentOf(order: CertificateOrder, email: string): OrderIntent {
  return {
    owner: order.owner,
    specHash: (order.owner.specHash ?? "").slice(0, 16),
    publicKeySha256: order.publicKeySha256,
    lookupName: email,
    vendorOptions: order.vendorOptions,
    recordedAt: new Date(0),
    knownVendorRefs: [],
  };
}

function foundState(api: "ssl" | "smime" | "device", status: string | undefined): FoundOrder["state"] {
  if (status === undefined) return "pending";
  const p = progressOf(api, status).state;
  return p === "issued" ? "issued" : p === "failed" ? "failed" : "pending";
}

function pending(vendorRef: string): IssueOutcome {
  return { state: "pending", vendorRef, reason: "Pending", message: `Sectigo order ${vendorRef} placed; waiting for issuance` };
}
