// Client (S/MIME) certificates. The version split is documented and deliberate: details, enroll,
// renew/{id} and revoke are v1; list, collect and renew by order/serial are v2. A collect before
// issuance answers 400 `{code: -183, "Certificate is not collectable."}` → kind "pending".
import type { VendorHttp } from "../shared/http.ts";
import type { CollectedCertificate } from "./collect.ts";
import { DATES, collect, countVia, listCustomFields, listPage, listProfiles, noContent, revokeBody, revokeTolerant, sig, type CallOptions, type Query, type RevokeOutcome, type RevokeRequest } from "./common.ts";
import { commentsWithMarker, markerMatches, type OrderMarker } from "./order-marker.ts";
import { collectAll, type Page, type PageRequest } from "./pagination.ts";
import { pollOnce, type PollOutcome } from "./progress.ts";
import { JSON_CONTENT_TYPE } from "./transport.ts";
import {
  clientDetailsSchema,
  clientListSchema,
  clientOrderResponseSchema,
  type CertProfile,
  type ClientDetailsWire,
  type ClientListItem,
  type ClientOrderResponse,
  type CollectFormat,
  type CustomFieldDef,
  type CustomFieldValue,
} from "./wire.ts";

export interface ClientEnrollRequest {
  readonly orgId: number;
  readonly csr: string;
  readonly certType: number;
  readonly term: number;
  /** The person: e-mail (≤128) and first + last name are required; first+middle+last is 1..64. */
  readonly email: string;
  readonly firstName: string;
  readonly middleName?: string;
  readonly lastName: string;
  readonly phone?: string;
  readonly secondaryEmails?: readonly string[];
  /** ≤64; built from the person's name when omitted. */
  readonly commonName?: string;
  readonly eppn?: string;
  readonly upn?: string;
  readonly customFields?: readonly CustomFieldValue[];
  readonly comments?: string;
  readonly marker?: OrderMarker;
}

export interface ClientListFilter {
  readonly email?: string;
  readonly state?: string;
  readonly certTypeId?: number;
  readonly serialNumber?: string;
  readonly backendCertId?: string;
  readonly personId?: number;
  readonly keyVault?: boolean;
}

export type ClientCertificate = ClientDetailsWire;

export class ClientCertClient {
  readonly #http: VendorHttp;
  constructor(http: VendorHttp) {
    this.#http = http;
  }

  listProfiles(orgId?: number, o?: CallOptions): Promise<CertProfile[]> {
    return listProfiles(this.#http, "smime", orgId, o);
  }

  listCustomFields(o?: CallOptions): Promise<CustomFieldDef[]> {
    return listCustomFields(this.#http, "smime", o);
  }

  /** POST /api/smime/v1/enroll → 200 `{id, orderNumber, backendCertId}`. */
  async enroll(req: ClientEnrollRequest, o?: CallOptions): Promise<ClientOrderResponse> {
    const comments = req.marker === undefined ? req.comments : commentsWithMarker(req.marker, req.comments);
    const body = {
      orgId: req.orgId,
      csr: req.csr,
      certType: req.certType,
      term: req.term,
      email: req.email,
      firstName: req.firstName,
      middleName: req.middleName ?? "",
      lastName: req.lastName,
      ...(req.phone === undefined ? {} : { phone: req.phone }),
      secondaryEmails: req.secondaryEmails ?? [],
      ...(req.commonName === undefined ? {} : { commonName: req.commonName }),
      ...(req.eppn === undefined ? {} : { eppn: req.eppn }),
      ...(req.upn === undefined ? {} : { upn: req.upn }),
      customFields: req.customFields ?? [],
      ...(comments === undefined ? {} : { comments }),
    };
    const res = await this.#http.request({ operation: "smime.enroll", method: "POST", path: "/api/smime/v1/enroll", headers: JSON_CONTENT_TYPE, json: body, schema: clientOrderResponseSchema, ...sig(o) });
    return res.data;
  }

  /** GET /api/smime/v2/collect/{id}?format= */
  collect(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<CollectedCertificate> {
    return collect(this.#http, "smime.collect", `/api/smime/v2/collect/${id}`, format, o);
  }

  /** GET /api/smime/v2/collect/order/{backendCertId}?format= */
  collectByBackendId(backendCertId: string, format: CollectFormat = "x509", o?: CallOptions): Promise<CollectedCertificate> {
    return collect(this.#http, "smime.collectByBackendId", `/api/smime/v2/collect/order/${encodeURIComponent(backendCertId)}`, format, o);
  }

  /** GET /api/smime/v1/{id}; `status` is lower-case ("issued"). */
  /** One safe-to-repeat poll: issued certificate, pending, or blocked (permanent error if it can never issue). */
  poll(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<PollOutcome> {
    return pollOnce("smime", "smime.poll", { collect: () => this.collect(id, format, o), status: async () => (await this.get(id, o)).status });
  }

  async get(id: number, o?: CallOptions): Promise<ClientCertificate> {
    const res = await this.#http.request({ operation: "smime.get", method: "GET", path: `/api/smime/v1/${id}`, query: DATES, schema: clientDetailsSchema, ...sig(o) });
    return res.data;
  }

  /** GET /api/smime/v2 — items carry `state` and `comments`. */
  /** PUT /api/smime/v1/{id} `{customFields, comments}` → 200 details. */
  async update(id: number, req: { comments?: string; customFields?: readonly CustomFieldValue[] }, o?: CallOptions): Promise<ClientCertificate> {
    const res = await this.#http.request({ operation: "smime.update", method: "PUT", path: `/api/smime/v1/${id}`, query: DATES, headers: JSON_CONTENT_TYPE, json: req, schema: clientDetailsSchema, ...sig(o) });
    return res.data;
  }

  /** Re-writes the order marker, keeping the human part of the comments (renewals inherit comments). */
  async mark(id: number, marker: OrderMarker, o?: CallOptions): Promise<ClientCertificate> {
    const current = await this.get(id, o);
    return this.update(id, { comments: commentsWithMarker(marker, current.comments ?? "") }, o);
  }

  list(filter: ClientListFilter = {}, page: PageRequest = {}, o?: CallOptions): Promise<Page<ClientListItem>> {
    return listPage(this.#http, "smime.list", "/api/smime/v2", filter as Query, page, clientListSchema, o);
  }

  listAll(filter: ClientListFilter = {}, o?: CallOptions): Promise<ClientListItem[]> {
    return collectAll((position, size) => this.list(filter, { position, size }, o));
  }

  count(filter: ClientListFilter = {}, o?: CallOptions): Promise<number> {
    return countVia(this.#http, "smime.count", "/api/smime/v2", filter as Query, o);
  }

  /** POST /api/smime/v1/renew/{id} (no body) → 200 with the new order's ids. */
  renew(id: number, o?: CallOptions): Promise<ClientOrderResponse> {
    return this.#renew("smime.renew", `/api/smime/v1/renew/${id}`, o);
  }

  /** POST /api/smime/v2/renew/order/{backendCertId} */
  renewByBackendId(backendCertId: string, o?: CallOptions): Promise<ClientOrderResponse> {
    return this.#renew("smime.renewByBackendId", `/api/smime/v2/renew/order/${encodeURIComponent(backendCertId)}`, o);
  }

  /** POST /api/smime/v2/renew/serial/{serial} */
  renewBySerial(serialNumber: string, o?: CallOptions): Promise<ClientOrderResponse> {
    return this.#renew("smime.renewBySerial", `/api/smime/v2/renew/serial/${encodeURIComponent(serialNumber)}`, o);
  }

  /** POST /api/smime/v1/revoke/{id} `{reasonCode, reason (may be empty)}` → 204. */
  revoke(id: number, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("smime.revoke", `/api/smime/v1/revoke/${id}`, revokeBody(req), o));
  }

  revokeByBackendId(backendCertId: string, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("smime.revokeByBackendId", `/api/smime/v1/revoke/order/${encodeURIComponent(backendCertId)}`, revokeBody(req), o));
  }

  revokeBySerial(serialNumber: string, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("smime.revokeBySerial", `/api/smime/v1/revoke/serial/${encodeURIComponent(serialNumber)}`, revokeBody(req), o));
  }

  /** Crash recovery: the person's orders whose comments carry the marker (the list has comments). */
  async findOrders(email: string, marker: { uid: string; revision?: number }, o?: CallOptions): Promise<ClientListItem[]> {
    const all = await this.listAll({ email }, o);
    return all.filter((c) => markerMatches(c.comments, marker)).sort((a, b) => b.id - a.id);
  }

  async #renew(operation: string, path: string, o?: CallOptions): Promise<ClientOrderResponse> {
    const res = await this.#http.request({ operation, method: "POST", path, schema: clientOrderResponseSchema, ...sig(o) });
    return res.data;
  }

  async #post(operation: string, path: string, json: unknown, o?: CallOptions): Promise<void> {
    await this.#http.request({ operation, method: "POST", path, headers: JSON_CONTENT_TYPE, json, schema: noContent, ...sig(o) });
  }
}
