// Calls every certificate family makes the same way: profile and custom-field lookups, collect,
// revocation bodies, list paging.
import { z } from "zod";
import { isVendorError } from "../shared/errors.ts";
import type { VendorHttp } from "../shared/http.ts";
import { parseCollected, type CollectedCertificate } from "./collect.ts";
import { pageParams, type Page, type PageRequest } from "./pagination.ts";
import { totalCount } from "./transport.ts";
import { certProfilesSchema, customFieldDefsSchema, REVOCATION_REASONS, type CertProfile, type CollectFormat, type CustomFieldDef, type RevocationReason } from "./wire.ts";

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * Without `dateFormat`, SCM answers dates in a different shape per endpoint (MM/dd/yyyy in details,
 * yyyy-MM-dd in the client list) and to the day only; ISO_HMS is unambiguous and to the second.
 */
export const DATES = { dateFormat: "ISO_HMS" } as const;

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export function sig(o: CallOptions | undefined): { signal?: AbortSignal } {
  return o?.signal === undefined ? {} : { signal: o.signal };
}

/** `/api/{ssl|smime|device}/v1/types?organizationId=` */
export async function listProfiles(http: VendorHttp, family: "ssl" | "smime" | "device", orgId: number | undefined, o?: CallOptions): Promise<CertProfile[]> {
  const res = await http.request({
    operation: `${family}.listProfiles`,
    method: "GET",
    path: `/api/${family}/v1/types`,
    query: { organizationId: orgId },
    schema: certProfilesSchema,
    ...sig(o),
  });
  return res.data;
}

/** `/api/{ssl|smime|device}/v1/customFields`: every mandatory one must be sent on enroll. */
export async function listCustomFields(http: VendorHttp, family: "ssl" | "smime" | "device", o?: CallOptions): Promise<CustomFieldDef[]> {
  const res = await http.request({ operation: `${family}.listCustomFields`, method: "GET", path: `/api/${family}/v1/customFields`, schema: customFieldDefsSchema, ...sig(o) });
  return res.data;
}

/** A list page: filters plus position/size, total from X-Total-Count. */
export async function listPage<T>(http: VendorHttp, operation: string, path: string, filters: Query, page: PageRequest, schema: z.ZodType<T[]>, o?: CallOptions): Promise<Page<T>> {
  const { position, size } = pageParams(page);
  const res = await http.request({ operation, method: "GET", path, query: { ...filters, ...DATES, position, size }, schema, ...sig(o) });
  return { items: res.data, total: totalCount(res.headers), position, size };
}

/**
 * How many entries match: the documented count is `HEAD` on the list URL, which the shared transport
 * does not speak; a one-entry GET carries the same `X-Total-Count`.
 */
export async function countVia(http: VendorHttp, operation: string, path: string, filters: Query, o?: CallOptions): Promise<number> {
  const res = await http.request({ operation, method: "GET", path, query: { ...filters, position: 0, size: 1 }, schema: z.array(z.unknown()), ...sig(o) });
  const total = totalCount(res.headers);
  return total ?? res.data.length;
}

/** A collect: 200 is the certificate, anything else is classified (pending codes → kind "pending"). */
export async function collect(http: VendorHttp, operation: string, path: string, format: CollectFormat, o?: CallOptions): Promise<CollectedCertificate> {
  const res = await http.requestRaw({ operation, method: "GET", path, query: { format }, accept: "application/octet-stream, */*", ...sig(o) });
  return parseCollected(format, res.body, res.headers, operation, res.status);
}

export interface RevokeRequest {
  readonly reason: RevocationReason;
  /** SSL requires 1..512 characters; client and device accept empty. */
  readonly message: string;
}

export function revokeBody(r: RevokeRequest): { reasonCode: number; reason: string } {
  return { reasonCode: REVOCATION_REASONS[r.reason], reason: r.message.slice(0, 512) };
}

export interface RevokeOutcome {
  /** True when SCM answered -159 "Your certificate already revoked": the goal is met anyway. */
  readonly alreadyRevoked: boolean;
}

/** Runs a revoke; -159 "already revoked" counts as success. */
export async function revokeTolerant(run: () => Promise<unknown>): Promise<RevokeOutcome> {
  try {
    await run();
    return { alreadyRevoked: false };
  } catch (e) {
    if (isVendorError(e) && e.vendorCode === "-159" && /already revoked/i.test(e.message)) return { alreadyRevoked: true };
    throw e;
  }
}

/** Empty success bodies (204) are parsed as "anything". */
export const noContent = z.unknown();

export function textMax(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}
