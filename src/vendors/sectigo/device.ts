// Device certificates (`/api/device/v1`). Quirks: enroll and renew answer `deviceCertId` (other calls
// say `id`); revoke and renew by id live under `/order/{id}` although they take the deviceCertId;
// `status` is upper-case in list/enroll/renew ("APPROVED") and title-case in details ("Approved").
import type { VendorHttp } from "../shared/http.ts";
import type { CollectedCertificate } from "./collect.ts";
import { DATES, collect, countVia, listCustomFields, listPage, listProfiles, noContent, revokeBody, revokeTolerant, sig, type CallOptions, type Query, type RevokeOutcome, type RevokeRequest } from "./common.ts";
import { commentsWithMarker, markerMatches, type OrderMarker } from "./order-marker.ts";
import { collectAll, type Page, type PageRequest } from "./pagination.ts";
import { pollOnce, type PollOutcome } from "./progress.ts";
import { JSON_CONTENT_TYPE } from "./transport.ts";
import {
  deviceDetailsSchema,
  deviceListSchema,
  deviceOrderResponseSchema,
  type CertProfile,
  type CollectFormat,
  type CustomFieldDef,
  type CustomFieldValue,
  type DeviceDetailsWire,
  type DeviceListItem,
  type DeviceOrderResponse,
} from "./wire.ts";

export interface DeviceEnrollRequest {
  readonly orgId: number;
  readonly csr: string;
  readonly certType: number;
  readonly term: number;
  readonly comments?: string;
  readonly customFields?: readonly CustomFieldValue[];
  /** e.g. `{name: "commonName", value: "device-1"}`. */
  readonly optionalFields?: readonly CustomFieldValue[];
  readonly marker?: OrderMarker;
}

export interface DeviceListFilter {
  readonly commonName?: string;
  readonly email?: string;
  readonly status?: string;
  readonly orgId?: number;
  readonly certTypeId?: number;
  readonly serialNumber?: string;
  readonly backendCertId?: string;
}

export type DeviceCertificate = DeviceDetailsWire;

/** Compare device statuses across their two spellings. */
export function sameDeviceStatus(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toUpperCase() === b.toUpperCase();
}

export class DeviceCertClient {
  readonly #http: VendorHttp;
  constructor(http: VendorHttp) {
    this.#http = http;
  }

  listProfiles(orgId?: number, o?: CallOptions): Promise<CertProfile[]> {
    return listProfiles(this.#http, "device", orgId, o);
  }

  listCustomFields(o?: CallOptions): Promise<CustomFieldDef[]> {
    return listCustomFields(this.#http, "device", o);
  }

  /** POST /api/device/v1/enroll → 200 `{deviceCertId, status, backendCertId, orderNumber}`. */
  async enroll(req: DeviceEnrollRequest, o?: CallOptions): Promise<DeviceOrderResponse> {
    const comments = req.marker === undefined ? req.comments : commentsWithMarker(req.marker, req.comments);
    const body = {
      orgId: req.orgId,
      csr: req.csr,
      certType: req.certType,
      term: req.term,
      ...(comments === undefined ? {} : { comments }),
      customFields: req.customFields ?? [],
      optionalFields: req.optionalFields ?? [],
    };
    const res = await this.#http.request({ operation: "device.enroll", method: "POST", path: "/api/device/v1/enroll", headers: JSON_CONTENT_TYPE, json: body, schema: deviceOrderResponseSchema, ...sig(o) });
    return res.data;
  }

  /** GET /api/device/v1/collect/{id}?format= (PKCS#7 base64 by default). */
  collect(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<CollectedCertificate> {
    return collect(this.#http, "device.collect", `/api/device/v1/collect/${id}`, format, o);
  }

  /** One safe-to-repeat poll: issued certificate, pending, or blocked (permanent error if it can never issue). */
  poll(id: number, format: CollectFormat = "x509", o?: CallOptions): Promise<PollOutcome> {
    return pollOnce("device", "device.poll", { collect: () => this.collect(id, format, o), status: async () => (await this.get(id, o)).status });
  }

  async get(id: number, o?: CallOptions): Promise<DeviceCertificate> {
    const res = await this.#http.request({ operation: "device.get", method: "GET", path: `/api/device/v1/${id}`, query: DATES, schema: deviceDetailsSchema, ...sig(o) });
    return res.data;
  }

  /** PUT /api/device/v1/{id} `{customFields, comments}` → 200 details. */
  async update(id: number, req: { comments?: string; customFields?: readonly CustomFieldValue[] }, o?: CallOptions): Promise<DeviceCertificate> {
    const res = await this.#http.request({ operation: "device.update", method: "PUT", path: `/api/device/v1/${id}`, query: DATES, headers: JSON_CONTENT_TYPE, json: req, schema: deviceDetailsSchema, ...sig(o) });
    return res.data;
  }

  /** Re-writes the order marker, keeping the human part of the comments (renewals inherit comments). */
  async mark(id: number, marker: OrderMarker, o?: CallOptions): Promise<DeviceCertificate> {
    const current = await this.get(id, o);
    return this.update(id, { comments: commentsWithMarker(marker, current.comments ?? "") }, o);
  }

  list(filter: DeviceListFilter = {}, page: PageRequest = {}, o?: CallOptions): Promise<Page<DeviceListItem>> {
    return listPage(this.#http, "device.list", "/api/device/v1", filter as Query, page, deviceListSchema, o);
  }

  listAll(filter: DeviceListFilter = {}, o?: CallOptions): Promise<DeviceListItem[]> {
    return collectAll((position, size) => this.list(filter, { position, size }, o));
  }

  count(filter: DeviceListFilter = {}, o?: CallOptions): Promise<number> {
    return countVia(this.#http, "device.count", "/api/device/v1", filter as Query, o);
  }

  /** POST /api/device/v1/renew/order/{deviceCertId} (no body) → 200 with the NEW order. */
  renew(id: number, o?: CallOptions): Promise<DeviceOrderResponse> {
    return this.#renew("device.renew", `/api/device/v1/renew/order/${id}`, o);
  }

  renewBySerial(serialNumber: string, o?: CallOptions): Promise<DeviceOrderResponse> {
    return this.#renew("device.renewBySerial", `/api/device/v1/renew/serial/${encodeURIComponent(serialNumber)}`, o);
  }

  /** POST /api/device/v1/revoke/order/{deviceCertId} → 204; -159 "already revoked" is success. */
  revoke(id: number, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("device.revoke", `/api/device/v1/revoke/order/${id}`, revokeBody(req), o));
  }

  revokeBySerial(serialNumber: string, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("device.revokeBySerial", `/api/device/v1/revoke/serial/${encodeURIComponent(serialNumber)}`, revokeBody(req), o));
  }

  async approve(id: number, message: string, o?: CallOptions): Promise<void> {
    await this.#post("device.approve", `/api/device/v1/approve/${id}`, { message: message.slice(0, 512) || "certbridge" }, o);
  }

  async decline(id: number, message: string, o?: CallOptions): Promise<void> {
    await this.#post("device.decline", `/api/device/v1/decline/${id}`, { message: message.slice(0, 512) || "certbridge" }, o);
  }

  /** Crash recovery: orders for `commonName` whose comments carry the marker, newest first. */
  async findOrders(commonName: string, marker: { uid: string; revision?: number }, o?: CallOptions): Promise<DeviceCertificate[]> {
    const candidates = await this.listAll({ commonName }, o);
    const found: DeviceCertificate[] = [];
    for (const c of candidates) {
      const details = await this.get(c.id, o);
      if (markerMatches(details.comments, marker)) found.push(details);
    }
    return found.sort((a, b) => b.id - a.id);
  }

  async #renew(operation: string, path: string, o?: CallOptions): Promise<DeviceOrderResponse> {
    const res = await this.#http.request({ operation, method: "POST", path, schema: deviceOrderResponseSchema, ...sig(o) });
    return res.data;
  }

  async #post(operation: string, path: string, json: unknown, o?: CallOptions): Promise<void> {
    await this.#http.request({ operation, method: "POST", path, headers: JSON_CONTENT_TYPE, json, schema: noContent, ...sig(o) });
  }
}
