// SCM wire shapes, parsed once here. Field names are the documented ones, quirks included: the
// profile id is `certType` on enroll but `certTypeId` on lists; SANs are a comma string on SSL enroll
// but an array in details; SSL ids are `sslId` (and `id` in details), client ids `id`, device ids
// `deviceCertId` on enroll/renew and `id` elsewhere. IDs are JSON numbers (int32); `backendCertId`
// and `renewId` are strings. Dates default to MM/dd/yyyy in details and yyyy-MM-dd in the client list.
import { z } from "zod";
import { arrayOrEmpty, integerish, optionalOmitted } from "../shared/wire.ts";

/** An SCM id: a JSON number, tolerated as a numeric string. */
export const scmId = integerish;

/** A string id the vendor sometimes sends as a number (`backendCertId`, `orderNumber` in places). */
export const looseString = z.union([z.string(), z.number().transform((n) => String(n))]);

const US = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}):(\d{2}):(\d{2}))?$/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_SPACE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * The date shapes SCM sends without `dateFormat`: `12/04/2025` (details), `2345-06-07` (client list),
 * `2025-12-04 07:48:44` (DCV log), ISO_HMS. All read as UTC. Unreadable text reads as undefined: a
 * date we cannot parse must not make a whole response unusable.
 */
export function parseScmDate(text: string): Date | undefined {
  const s = text.trim();
  let m = US.exec(s);
  if (m !== null) return utc(m[3]!, m[1]!, m[2]!, m[4], m[5], m[6]);
  m = ISO_DAY.exec(s);
  if (m !== null) return utc(m[1]!, m[2]!, m[3]!);
  m = ISO_SPACE.exec(s);
  if (m !== null) return utc(m[1]!, m[2]!, m[3]!, m[4], m[5], m[6]);
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  return undefined;
}

function utc(y: string, mo: string, d: string, h = "0", mi = "0", se = "0"): Date | undefined {
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)));
  return Number.isNaN(date.getTime()) || date.getUTCMonth() !== Number(mo) - 1 ? undefined : date;
}

export const scmDate = z.string().transform((s) => parseScmDate(s));

// --- error body ---------------------------------------------------------------------------------

export const errorBodySchema = z.object({ code: integerish, description: z.string().nullish() });

// --- lookups ------------------------------------------------------------------------------------

export const certProfileSchema = z.object({
  id: scmId,
  name: z.string(),
  description: optionalOmitted(z.string()),
  terms: arrayOrEmpty(integerish),
  keyTypes: optionalOmitted(z.record(z.string(), z.array(z.string()))),
  useSecondaryOrgName: optionalOmitted(z.boolean()),
  /** Device profiles only: the default term, key usages and extended key usages. */
  term: optionalOmitted(integerish),
  ku: optionalOmitted(z.array(z.string())),
  eku: optionalOmitted(z.array(z.string())),
});
export type CertProfile = z.infer<typeof certProfileSchema>;
export const certProfilesSchema = z.array(certProfileSchema);

export const customFieldDefSchema = z.object({
  id: scmId,
  name: z.string(),
  mandatory: z.boolean().default(false),
});
export type CustomFieldDef = z.infer<typeof customFieldDefSchema>;
export const customFieldDefsSchema = z.array(customFieldDefSchema);

export const departmentSchema = z.object({
  id: scmId,
  name: z.string(),
  parentName: optionalOmitted(z.string()),
});
export const organizationSchema = z.object({
  id: scmId,
  name: z.string(),
  departments: arrayOrEmpty(departmentSchema),
});
export type Organization = z.infer<typeof organizationSchema>;
export const organizationsSchema = z.array(organizationSchema);

// --- orders (every family) ----------------------------------------------------------------------

export const customFieldValueSchema = z.object({
  name: z.string(),
  value: z
    .string()
    .nullish()
    .transform((v) => v ?? ""),
});
export type CustomFieldValue = { readonly name: string; readonly value: string };

/** Enroll answers differ per family: SSL `{sslId, renewId}`. */
export const sslEnrollResponseSchema = z.object({ sslId: scmId, renewId: z.string().min(1) });
export type SslEnrollResponse = z.infer<typeof sslEnrollResponseSchema>;

/** Client enroll (and renew) answers `{id, orderNumber, backendCertId}`; the 25.5 edition's had no `id` [P10]. */
export const clientOrderResponseSchema = z.object({
  id: optionalOmitted(scmId),
  orderNumber: optionalOmitted(integerish),
  backendCertId: optionalOmitted(looseString),
});
export type ClientOrderResponse = z.infer<typeof clientOrderResponseSchema>;

/** Device enroll (and renew) answers `deviceCertId` and an upper-case status ("APPROVED"). */
export const deviceOrderResponseSchema = z.object({
  deviceCertId: scmId,
  status: optionalOmitted(z.string()),
  backendCertId: optionalOmitted(looseString),
  orderNumber: optionalOmitted(integerish),
});
export type DeviceOrderResponse = z.infer<typeof deviceOrderResponseSchema>;

/**
 * An order's details, any family, read down to what the operator uses. SSL names the id `id` and the
 * deprecated `sslId`; the status is title-case for SSL and device ("Approved"), lower-case for client
 * certificates ("issued"). Absent fields are omitted by SCM.
 */
export const orderDetailsSchema = z.object({
  id: optionalOmitted(scmId),
  sslId: optionalOmitted(scmId),
  status: z.string(),
  commonName: optionalOmitted(z.string()),
  orgId: optionalOmitted(scmId),
  backendCertId: optionalOmitted(looseString),
  term: optionalOmitted(integerish),
  comments: optionalOmitted(z.string()),
  externalRequester: optionalOmitted(z.string()),
  requested: optionalOmitted(scmDate),
  issued: optionalOmitted(scmDate),
  expires: optionalOmitted(scmDate),
  revoked: optionalOmitted(scmDate),
  reasonCode: optionalOmitted(integerish),
  renewed: optionalOmitted(z.boolean()),
  serialNumber: optionalOmitted(z.string()),
  subjectAlternativeNames: arrayOrEmpty(z.string()),
  customFields: arrayOrEmpty(customFieldValueSchema),
});
export type OrderDetailsWire = z.infer<typeof orderDetailsSchema>;

/**
 * One entry of a family's list: SSL lists `sslId` (no status, no comments), client certificates `id`,
 * `state` and `comments`, device certificates `id` and an upper-case `status`. `state` here is whichever
 * of `state` or `status` the family sends.
 */
export const listedOrderSchema = z
  .object({
    id: optionalOmitted(scmId),
    sslId: optionalOmitted(scmId),
    state: optionalOmitted(z.string()),
    status: optionalOmitted(z.string()),
    commonName: optionalOmitted(z.string()),
    comments: optionalOmitted(z.string()),
    serialNumber: optionalOmitted(z.string()),
    backendCertId: optionalOmitted(looseString),
    expires: optionalOmitted(scmDate),
  })
  .refine((w) => w.id !== undefined || w.sslId !== undefined, "a listed order carries neither id nor sslId")
  .transform((w) => ({
    id: (w.id ?? w.sslId)!,
    state: w.state ?? w.status,
    commonName: w.commonName,
    comments: w.comments,
    serialNumber: w.serialNumber,
    backendCertId: w.backendCertId,
    expires: w.expires,
  }));
export type ListedOrder = z.output<typeof listedOrderSchema>;
export const listedOrdersSchema = z.array(listedOrderSchema);

/** Per-domain DCV state of an SSL order and what to publish (`GET /api/ssl/v1/{id}/dcv`). */
export const dcvSchema = z.object({
  dcvLog: z
    .object({
      log: arrayOrEmpty(z.object({ domainName: z.string(), dcvStatus: optionalOmitted(z.string()) })),
    })
    .nullish(),
});

// --- requests (what we send; typed, not parsed) -------------------------------------------------

export const DCV_MODES = ["CNAME", "EMAIL", "HTTP", "HTTPS", "TXT"] as const;
export type DcvMode = (typeof DCV_MODES)[number];

/** Revocation reasons the API accepts: "Allowed ranges 0,1 and 3-5". */
export const REVOCATION_REASONS = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** Collect formats, as documented for SSL and client collect. `base64` (PKCS#7 PEM) is the default. */
export const COLLECT_FORMATS = ["x509", "x509CO", "base64", "bin", "x509IO", "x509IOR", "pem", "pemco", "pemia", "x509R"] as const;
export type CollectFormat = (typeof COLLECT_FORMATS)[number];
