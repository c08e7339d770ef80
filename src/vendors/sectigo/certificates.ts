// One client for every certificate family, driven by its row in families.ts: the calls the
// CertificateAuthority port needs (profiles, enroll, collect/poll, details, find an intent's orders,
// revoke, decline) and nothing else. Enroll is a paid POST and is never repeated by the transport.
import { z } from "zod";
import { isVendorError, VendorError } from "../shared/errors.ts";
import type { VendorHttp } from "../shared/http.ts";
import { parseCollected, type CollectedCertificate } from "./collect.ts";
import { DATES, sig, type CallOptions } from "./common.ts";
import type { FamilyKey, FamilySpec, FamilyTypes } from "./families.ts";
import { commentsWithMarker, markerMatches } from "./order-marker.ts";
import { collectAll, pageParams, type Page, type PageRequest } from "./pagination.ts";
import { pollOnce, type PollOutcome } from "./progress.ts";
import { JSON_CONTENT_TYPE, totalCount } from "./transport.ts";
import {
  certProfilesSchema,
  dcvSchema,
  listedOrdersSchema,
  orderDetailsSchema,
  REVOCATION_REASONS,
  type CertProfile,
  type CollectFormat,
  type CustomFieldValue,
  type ListedOrder,
  type OrderDetailsWire,
  type RevocationReason,
} from "./wire.ts";

/** An order's details as the operator reads them, whatever the family. */
export interface CertificateDetails {
  readonly id: number;
  /** As SCM spells it for the family ("Issued", "issued", "Approved"): compare through progressOf. */
  readonly status: string;
  readonly commonName: string | undefined;
  readonly orgId: number | undefined;
  readonly backendCertId: string | undefined;
  readonly term: number | undefined;
  readonly comments: string | undefined;
  readonly externalRequester: string | undefined;
  readonly serialNumber: string | undefined;
  readonly subjectAlternativeNames: readonly string[];
  readonly customFields: readonly CustomFieldValue[];
  readonly requested: Date | undefined;
  readonly issued: Date | undefined;
  readonly expires: Date | undefined;
  readonly revoked: Date | undefined;
  readonly reasonCode: number | undefined;
  readonly renewed: boolean;
}

/** What findOrders answers: the details where the marker was read there, the list entry otherwise. */
export type FoundCertificate<F extends FamilyKey> = F extends "smime" ? ListedOrder : CertificateDetails;

export interface RevokeRequest {
  readonly reason: RevocationReason;
  /** SSL requires 1..512 characters (an empty one is replaced); client and device accept empty. */
  readonly message: string;
}

export interface RevokeOutcome {
  /** True when SCM answered -159 "Your certificate already revoked": the goal is met anyway. */
  readonly alreadyRevoked: boolean;
}

/** Filters of a family's list, by their documented names (`commonName`, `email`, `status`, `state`, …). */
export type ListFilter = Readonly<Record<string, string | number | boolean | undefined>>;

/** Empty success bodies (204) are parsed as "anything". */
const noContent = z.unknown();

export function toCertificateDetails(w: OrderDetailsWire, operation: string): CertificateDetails {
  const id = w.id ?? w.sslId;
  if (id === undefined) throw new VendorError({ kind: "permanent", vendor: "sectigo", operation, message: "details carry neither id nor sslId" });
  return {
    id,
    status: w.status,
    commonName: w.commonName,
    orgId: w.orgId,
    backendCertId: w.backendCertId,
    term: w.term,
    comments: w.comments,
    externalRequester: w.externalRequester,
    serialNumber: w.serialNumber,
    subjectAlternativeNames: w.subjectAlternativeNames,
    customFields: w.customFields,
    requested: w.requested,
    issued: w.issued,
    expires: w.expires,
    revoked: w.revoked,
    reasonCode: w.reasonCode,
    renewed: w.renewed ?? false,
  };
}

export class CertificateFamilyClient<F extends FamilyKey> {
  readonly family: F;
  readonly #http: VendorHttp;
  readonly #spec: FamilySpec<F>;

  constructor(http: VendorHttp, spec: FamilySpec<F>) {
    this.#http = http;
    this.#spec = spec;
    this.family = spec.family;
  }

  /** `GET …/types?organizationId=`: the profiles (with their terms) an organization may enroll with. */
  async listProfiles(orgId?: number, o?: CallOptions): Promise<CertProfile[]> {
    const res = await this.#http.request({
      operation: this.#op("listProfiles"),
      method: "GET",
      path: this.#spec.profilesPath,
      query: { organizationId: orgId },
      schema: certProfilesSchema,
      ...sig(o),
    });
    return res.data;
  }

  /** `POST …/enroll` → 200. Never retried by the transport: it costs money. */
  async enroll(req: FamilyTypes[F]["enroll"], o?: CallOptions): Promise<FamilyTypes[F]["placed"]> {
    const comments = req.marker === undefined ? req.comments : commentsWithMarker(req.marker, req.comments);
    const body = {
      orgId: req.orgId,
      csr: req.csr,
      certType: req.certType,
      term: req.term,
      ...(comments === undefined ? {} : { comments }),
      customFields: req.customFields ?? [],
      ...this.#spec.enrollFields(req),
    };
    const res = await this.#http.request({
      operation: this.#op("enroll"),
      method: "POST",
      path: this.#spec.enrollPath,
      headers: JSON_CONTENT_TYPE,
      json: body,
      schema: this.#spec.enrollAnswer,
      ...sig(o),
    });
    return res.data;
  }

  /**
   * `GET …/collect/{id}?format=`: 200 is the certificate; before issuance SCM answers 400 (code 0 for
   * SSL and device, -183 for client certificates), which surfaces as a VendorError of kind "pending".
   */
  async collect(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<CollectedCertificate> {
    const operation = this.#op("collect");
    const res = await this.#http.requestRaw({
      operation,
      method: "GET",
      path: this.#spec.collectPath(id),
      query: { format },
      accept: "application/octet-stream, */*",
      ...sig(o),
    });
    return parseCollected(format, res.body, res.headers, operation, res.status);
  }

  /**
   * One safe-to-repeat poll: the certificate if issued; otherwise pending, or blocked with the reason
   * (awaiting approval, DCV); a VendorError of kind "permanent" if the order can never issue.
   */
  poll(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<PollOutcome> {
    const dcvPath = this.#spec.dcvPath;
    return pollOnce(this.family, this.#op("poll"), {
      collect: () => this.collect(id, format, o),
      status: async () => (await this.get(id, o)).status,
      ...(dcvPath === undefined ? {} : { dcvPending: () => this.#dcvPending(dcvPath(id), o) }),
    });
  }

  /** `GET …/{id}` with ISO dates. */
  async get(id: number, o?: CallOptions): Promise<CertificateDetails> {
    const operation = this.#op("get");
    const res = await this.#http.request({ operation, method: "GET", path: this.#spec.detailsPath(id), query: DATES, schema: orderDetailsSchema, ...sig(o) });
    return toCertificateDetails(res.data, operation);
  }

  /** One page of the family's list, with the total from `X-Total-Count`. */
  async list(filter: ListFilter = {}, page: PageRequest = {}, o?: CallOptions): Promise<Page<ListedOrder>> {
    const { position, size } = pageParams(page);
    const res = await this.#http.request({
      operation: this.#op("list"),
      method: "GET",
      path: this.#spec.listPath,
      query: { ...filter, ...DATES, position, size },
      schema: listedOrdersSchema,
      ...sig(o),
    });
    return { items: res.data, total: totalCount(res.headers), position, size };
  }

  /**
   * Crash recovery: the orders listed under `name` (the common name, or the person's e-mail for client
   * certificates) whose comments carry the marker, newest first. Where the list has no comments, each
   * candidate's details are read.
   */
  async findOrders(
    name: string,
    marker: { readonly uid: string; readonly revision?: number; readonly spec?: string },
    o?: CallOptions,
  ): Promise<Array<FoundCertificate<F>>> {
    const listed = await collectAll((position, size) => this.list({ [this.#spec.lookupFilter]: name }, { position, size }, o));
    const found: Array<ListedOrder | CertificateDetails> = [];
    for (const entry of listed) {
      if (this.#spec.markerIn === "list") {
        if (markerMatches(entry.comments, marker)) found.push(entry);
        continue;
      }
      const details = await this.get(entry.id, o);
      if (markerMatches(details.comments, marker)) found.push(details);
    }
    return found.sort((a, b) => b.id - a.id) as Array<FoundCertificate<F>>;
  }

  /** `POST …/revoke/{id}` `{reasonCode, reason}` → 204; -159 "already revoked" counts as success. */
  async revoke(id: number, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    const reason = this.#spec.revokeReasonRequired ? nonEmpty(req.message) : req.message.slice(0, 512);
    try {
      await this.#post("revoke", this.#spec.revokePath(id), { reasonCode: REVOCATION_REASONS[req.reason], reason }, o);
      return { alreadyRevoked: false };
    } catch (e) {
      if (isVendorError(e) && e.vendorCode === "-159" && /already revoked/i.test(e.message)) return { alreadyRevoked: true };
      throw e;
    }
  }

  /** `POST …/decline/{id}` `{message 1..512}` → 204: an order awaiting approval will never issue. */
  async decline(id: number, message: string, o?: CallOptions): Promise<void> {
    const path = this.#spec.declinePath;
    if (path === undefined)
      throw new VendorError({ kind: "invalid", vendor: "sectigo", operation: this.#op("decline"), message: `${this.family} orders cannot be declined` });
    await this.#post("decline", path(id), { message: nonEmpty(message) }, o);
  }

  /** Names still waiting for DCV: a hint only, so an account without DCV (-1608) or any refusal means none. */
  async #dcvPending(path: string, o?: CallOptions): Promise<readonly string[]> {
    try {
      const res = await this.#http.request({ operation: this.#op("dcv"), method: "GET", path, schema: dcvSchema, ...sig(o) });
      return (res.data.dcvLog?.log ?? []).filter((l) => l.dcvStatus !== undefined && !/^validated$/i.test(l.dcvStatus)).map((l) => l.domainName);
    } catch (e) {
      if (e instanceof VendorError && e.kind !== "transient" && e.kind !== "rateLimited") return [];
      throw e;
    }
  }

  async #post(what: string, path: string, json: unknown, o?: CallOptions): Promise<void> {
    await this.#http.request({ operation: this.#op(what), method: "POST", path, headers: JSON_CONTENT_TYPE, json, schema: noContent, ...sig(o) });
  }

  #op(what: string): string {
    return `${this.family}.${what}`;
  }
}

/** Approve/decline and SSL revoke messages must be 1..512 characters. */
function nonEmpty(message: string): string {
  return (message.trim() === "" ? "certbridge" : message).slice(0, 512);
}
