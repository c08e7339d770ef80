// SSL certificates (`/api/ssl/v1`): enroll a CSR → poll collect → details, list, renew, revoke.
import type { VendorHttp } from "../shared/http.ts";
import { VendorError } from "../shared/errors.ts";
import type { CollectedCertificate } from "./collect.ts";
import { DATES, collect, countVia, listCustomFields, listPage, listProfiles, noContent, revokeBody, revokeTolerant, sig, type CallOptions, type Query, type RevokeOutcome, type RevokeRequest } from "./common.ts";
import { commentsWithMarker, markerMatches, type OrderMarker } from "./order-marker.ts";
import { collectAll, type Page, type PageRequest } from "./pagination.ts";
import { JSON_CONTENT_TYPE } from "./transport.ts";
import {
  sslDetailsSchema,
  sslEnrollResponseSchema,
  sslListSchema,
  sslRenewByIdResponseSchema,
  type CertProfile,
  type CollectFormat,
  type CustomFieldDef,
  type CustomFieldValue,
  type DcvMode,
  type SslDetailsWire,
  type SslEnrollResponse,
  type SslListItem,
} from "./wire.ts";
import { z } from "zod";
import { pollOnce, type PollOutcome } from "./progress.ts";

export interface SslEnrollRequest {
  /** Organization or department id. */
  readonly orgId: number;
  /** PEM CSR. The common name comes from it. */
  readonly csr: string;
  /** Certificate profile id (`certType` on the wire). */
  readonly certType: number;
  /** Days; must be one of the profile's `terms` (otherwise -36). */
  readonly term: number;
  /** Sent as one comma-separated `subjAltNames` string. */
  readonly subjAltNames?: readonly string[];
  readonly comments?: string;
  /** Must include every mandatory custom field (otherwise -62). */
  readonly customFields?: readonly CustomFieldValue[];
  /** E-mail addresses; sent comma-separated (≤512 characters). */
  readonly externalRequester?: readonly string[];
  /** Required when DCV pre-validation is disabled for the names. */
  readonly dcvMode?: DcvMode;
  /** Required with dcvMode EMAIL. */
  readonly dcvEmail?: string;
  /** Appended to `comments` so the order can be found again after a crash. */
  readonly marker?: OrderMarker;
}

/**
 * `PUT /api/ssl/v1` (the id goes in the body). Comments, custom fields and the external requester
 * can change at any time; the core fields only while the order is Requested, Declined, Rejected or
 * Invalid. Note the name quirks: `certTypeId` here, `certType` on enroll; SANs as an array here.
 */
export interface SslUpdateRequest {
  readonly comments?: string;
  readonly customFields?: readonly CustomFieldValue[];
  readonly externalRequester?: readonly string[];
  readonly term?: number;
  readonly certTypeId?: number;
  readonly orgId?: number;
  readonly commonName?: string;
  readonly csr?: string;
  readonly subjectAlternativeNames?: readonly string[];
}

export interface SslCertificate {
  readonly id: number;
  readonly status: string;
  readonly commonName: string | undefined;
  readonly orgId: number | undefined;
  readonly profileId: number | undefined;
  readonly term: number | undefined;
  readonly backendCertId: string | undefined;
  readonly orderNumber: number | undefined;
  readonly serialNumber: string | undefined;
  readonly subjectAlternativeNames: readonly string[];
  readonly comments: string | undefined;
  readonly customFields: readonly CustomFieldValue[];
  readonly externalRequester: string | undefined;
  readonly requested: Date | undefined;
  readonly approved: Date | undefined;
  readonly issued: Date | undefined;
  readonly expires: Date | undefined;
  readonly revoked: Date | undefined;
  readonly reasonCode: number | undefined;
  readonly renewed: boolean;
}

/** Filters of `GET /api/ssl/v1` (documented names; `sslTypeId` is the profile id here). */
export interface SslListFilter {
  readonly commonName?: string;
  readonly subjectAlternativeName?: string;
  readonly status?: string;
  readonly sslTypeId?: number;
  readonly orgId?: number;
  readonly serialNumber?: string;
  readonly externalRequester?: string;
  readonly requester?: string;
  readonly issuer?: string;
  readonly requestedVia?: string;
}

export interface DcvInstruction {
  readonly domainName: string;
  readonly dcvMode: string | undefined;
  readonly host?: string;
  readonly point?: string;
  readonly url?: string;
  readonly file?: string;
  readonly dcvEmail?: string;
}

export const dcvSchema = z.object({
  dcvLog: z
    .object({
      log: z
        .array(z.object({ domainName: z.string(), dcvStatus: z.string().nullish(), dcvMethod: z.string().nullish() }))
        .nullish()
        .transform((v) => v ?? []),
    })
    .nullish(),
  instructions: z
    .array(
      z.object({
        domainName: z.string(),
        dcvMode: z.string().nullish(),
        host: z.string().nullish(),
        point: z.string().nullish(),
        url: z.string().nullish(),
        file: z.string().nullish(),
        dcvEmail: z.string().nullish(),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});

export function toSslCertificate(w: SslDetailsWire): SslCertificate {
  const id = w.id ?? w.sslId;
  if (id === undefined) throw new VendorError({ kind: "permanent", vendor: "sectigo", operation: "ssl.get", message: "details carry neither id nor sslId" });
  return {
    id,
    status: w.status,
    commonName: w.commonName,
    orgId: w.orgId,
    profileId: w.certType?.id,
    term: w.term,
    backendCertId: w.backendCertId,
    orderNumber: w.orderNumber,
    serialNumber: w.serialNumber,
    subjectAlternativeNames: w.subjectAlternativeNames,
    comments: w.comments,
    customFields: w.customFields,
    externalRequester: w.externalRequester,
    requested: w.requested,
    approved: w.approved,
    issued: w.issued,
    expires: w.expires,
    revoked: w.revoked,
    reasonCode: w.reasonCode,
    renewed: w.renewed ?? false,
  };
}

/** Statuses where the order is still moving toward issuance (DIGEST §3.8). */
export const SSL_IN_PROGRESS: ReadonlySet<string> = new Set(["requested", "approved", "applied", "saapproved", "sa approved", "init"]);

export class SslClient {
  readonly #http: VendorHttp;
  constructor(http: VendorHttp) {
    this.#http = http;
  }

  listProfiles(orgId?: number, o?: CallOptions): Promise<CertProfile[]> {
    return listProfiles(this.#http, "ssl", orgId, o);
  }

  listCustomFields(o?: CallOptions): Promise<CustomFieldDef[]> {
    return listCustomFields(this.#http, "ssl", o);
  }

  /** POST /api/ssl/v1/enroll → 200 `{sslId, renewId}`. Never retried by the transport (it costs money). */
  async enroll(req: SslEnrollRequest, o?: CallOptions): Promise<SslEnrollResponse> {
    const comments = req.marker === undefined ? req.comments : commentsWithMarker(req.marker, req.comments);
    const body = {
      orgId: req.orgId,
      csr: req.csr,
      certType: req.certType,
      term: req.term,
      ...(req.subjAltNames === undefined || req.subjAltNames.length === 0 ? {} : { subjAltNames: req.subjAltNames.join(",") }),
      ...(comments === undefined ? {} : { comments }),
      customFields: req.customFields ?? [],
      ...(req.externalRequester === undefined ? {} : { externalRequester: req.externalRequester.join(",") }),
      ...(req.dcvMode === undefined ? {} : { dcvMode: req.dcvMode }),
      ...(req.dcvEmail === undefined ? {} : { dcvEmail: req.dcvEmail }),
    };
    const res = await this.#http.request({ operation: "ssl.enroll", method: "POST", path: "/api/ssl/v1/enroll", headers: JSON_CONTENT_TYPE, json: body, schema: sslEnrollResponseSchema, ...sig(o) });
    return res.data;
  }

  /**
   * GET /api/ssl/v1/collect/{sslId}?format=. Before issuance SCM answers 400 `{code: 0, "Being
   * processed by Sectigo"}`, which surfaces as a VendorError of kind "pending".
   */
  collect(sslId: number, format: CollectFormat = "x509", o?: CallOptions): Promise<CollectedCertificate> {
    return collect(this.#http, "ssl.collect", `/api/ssl/v1/collect/${sslId}`, format, o);
  }

  /**
   * One safe-to-repeat poll: the certificate if issued; otherwise pending, or blocked with the reason
   * (awaiting approval, DCV); a VendorError of kind "permanent" if the order can never issue.
   */
  poll(sslId: number, format: CollectFormat = "x509", o?: CallOptions): Promise<PollOutcome> {
    return pollOnce("ssl", "ssl.poll", {
      collect: () => this.collect(sslId, format, o),
      status: async () => (await this.get(sslId, o)).status,
      dcvPending: async () => {
        try {
          const dcv = await this.dcv(sslId, o);
          return dcv.log.filter((l) => l.dcvStatus !== undefined && !/^validated$/i.test(l.dcvStatus)).map((l) => l.domainName);
        } catch (e) {
          // DCV details are a hint; an account without DCV (-1608) or any refusal just means "no hint".
          if (e instanceof VendorError && e.kind !== "transient" && e.kind !== "rateLimited") return [];
          throw e;
        }
      },
    });
  }

  async get(sslId: number, o?: CallOptions): Promise<SslCertificate> {
    const res = await this.#http.request({ operation: "ssl.get", method: "GET", path: `/api/ssl/v1/${sslId}`, query: DATES, schema: sslDetailsSchema, ...sig(o) });
    return toSslCertificate(res.data);
  }

  list(filter: SslListFilter = {}, page: PageRequest = {}, o?: CallOptions): Promise<Page<SslListItem>> {
    return listPage(this.#http, "ssl.list", "/api/ssl/v1", filter as Query, page, sslListSchema, o);
  }

  listAll(filter: SslListFilter = {}, o?: CallOptions): Promise<SslListItem[]> {
    return collectAll((position, size) => this.list(filter, { position, size }, o));
  }

  count(filter: SslListFilter = {}, o?: CallOptions): Promise<number> {
    return countVia(this.#http, "ssl.count", "/api/ssl/v1", filter as Query, o);
  }

  /** PUT /api/ssl/v1 → 200 details. */
  async update(sslId: number, req: SslUpdateRequest, o?: CallOptions): Promise<SslCertificate> {
    const { externalRequester, ...rest } = req;
    const body = { sslId, ...rest, ...(externalRequester === undefined ? {} : { externalRequester: externalRequester.join(",") }) };
    const res = await this.#http.request({ operation: "ssl.update", method: "PUT", path: "/api/ssl/v1", query: DATES, headers: JSON_CONTENT_TYPE, json: body, schema: sslDetailsSchema, ...sig(o) });
    return toSslCertificate(res.data);
  }

  /**
   * Re-writes the order marker, keeping the human part of the comments. Renewals inherit the
   * original's comments, marker included: mark the new order with the revision it now serves.
   */
  async mark(sslId: number, marker: OrderMarker, o?: CallOptions): Promise<SslCertificate> {
    const current = await this.get(sslId, o);
    return this.update(sslId, { comments: commentsWithMarker(marker, current.comments ?? "") }, o);
  }

  /** POST /api/ssl/v1/renew/{renewId} → 204 with no body: the new sslId is NOT returned. */
  async renewByRenewId(renewId: string, csr?: string, o?: CallOptions): Promise<void> {
    await this.#http.request({
      operation: "ssl.renew",
      method: "POST",
      path: `/api/ssl/v1/renew/${encodeURIComponent(renewId)}`,
      headers: JSON_CONTENT_TYPE,
      json: csr === undefined ? {} : { csr },
      schema: noContent,
      ...sig(o),
    });
  }

  /** POST /api/ssl/v1/renewById/{sslId} → 200 `{sslId}`: the id of the NEW order. */
  async renewById(sslId: number, req: { csr?: string; dcvMode?: DcvMode; dcvEmail?: string } = {}, o?: CallOptions): Promise<{ sslId: number }> {
    const res = await this.#http.request({
      operation: "ssl.renewById",
      method: "POST",
      path: `/api/ssl/v1/renewById/${sslId}`,
      headers: JSON_CONTENT_TYPE,
      json: req,
      schema: sslRenewByIdResponseSchema,
      ...sig(o),
    });
    return res.data;
  }

  /** POST /api/ssl/v1/revoke/{sslId} → 204. `reason` 1..512 is required; -159 "already revoked" is success. */
  revoke(sslId: number, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("ssl.revoke", `/api/ssl/v1/revoke/${sslId}`, revokeBody(sslReason(req)), o));
  }

  /** POST /api/ssl/v1/revoke/serial/{serialNumber} (colon hex) → 204. */
  revokeBySerial(serialNumber: string, req: RevokeRequest, o?: CallOptions): Promise<RevokeOutcome> {
    return revokeTolerant(() => this.#post("ssl.revokeBySerial", `/api/ssl/v1/revoke/serial/${encodeURIComponent(serialNumber)}`, revokeBody(sslReason(req)), o));
  }

  /** POST /api/ssl/v1/approve/{sslId} `{message}` → 204. */
  async approve(sslId: number, message: string, o?: CallOptions): Promise<void> {
    await this.#post("ssl.approve", `/api/ssl/v1/approve/${sslId}`, { message: nonEmpty(message) }, o);
  }

  /** POST /api/ssl/v1/decline/{sslId} `{message}` → 204. */
  async decline(sslId: number, message: string, o?: CallOptions): Promise<void> {
    await this.#post("ssl.decline", `/api/ssl/v1/decline/${sslId}`, { message: nonEmpty(message) }, o);
  }

  /** GET /api/ssl/v1/{sslId}/dcv: per-domain DCV status and what to publish. */
  async dcv(sslId: number, o?: CallOptions): Promise<{ log: { domainName: string; dcvStatus: string | undefined }[]; instructions: DcvInstruction[] }> {
    const res = await this.#http.request({ operation: "ssl.dcv", method: "GET", path: `/api/ssl/v1/${sslId}/dcv`, schema: dcvSchema, ...sig(o) });
    return {
      log: (res.data.dcvLog?.log ?? []).map((l) => ({ domainName: l.domainName, dcvStatus: l.dcvStatus ?? undefined })),
      instructions: res.data.instructions.map((i) => {
        const out: { -readonly [K in keyof DcvInstruction]: DcvInstruction[K] } = { domainName: i.domainName, dcvMode: i.dcvMode ?? undefined };
        for (const k of ["host", "point", "url", "file", "dcvEmail"] as const) if (i[k] != null) out[k] = i[k];
        return out;
      }),
    };
  }

  /** POST /api/ssl/v1/{sslId}/dcv/recheck → 202. */
  async recheckDcv(sslId: number, o?: CallOptions): Promise<void> {
    await this.#http.request({ operation: "ssl.recheckDcv", method: "POST", path: `/api/ssl/v1/${sslId}/dcv/recheck`, headers: JSON_CONTENT_TYPE, schema: noContent, expectStatus: [202, 200, 204], ...sig(o) });
  }

  /**
   * Crash recovery: orders for `commonName` whose comments carry the marker, newest first. The list
   * has no comments, so each candidate's details are read.
   */
  async findOrders(commonName: string, marker: { uid: string; revision?: number }, o?: CallOptions): Promise<SslCertificate[]> {
    const candidates = await this.listAll({ commonName }, o);
    const found: SslCertificate[] = [];
    for (const c of candidates) {
      const details = await this.get(c.sslId, o);
      if (markerMatches(details.comments, marker)) found.push(details);
    }
    return found.sort((a, b) => b.id - a.id);
  }

  async #post(operation: string, path: string, json: unknown, o?: CallOptions): Promise<void> {
    await this.#http.request({ operation, method: "POST", path, headers: JSON_CONTENT_TYPE, json, schema: noContent, ...sig(o) });
  }
}

function sslReason(req: RevokeRequest): RevokeRequest {
  return { reason: req.reason, message: nonEmpty(req.message) };
}

/** SSL approve/decline/revoke messages must be 1..512 characters. */
function nonEmpty(message: string): string {
  const m = message.trim() === "" ? "certbridge" : message;
  return m.slice(0, 512);
}
