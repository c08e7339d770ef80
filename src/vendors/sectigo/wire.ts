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

// --- shared pieces of details -------------------------------------------------------------------

export const customFieldValueSchema = z.object({ name: z.string(), value: z.string().nullish().transform((v) => v ?? "") });
export type CustomFieldValue = { readonly name: string; readonly value: string };

const certificateDetailsSchema = z
  .object({
    issuer: optionalOmitted(z.string()),
    subject: optionalOmitted(z.string()),
    subjectAltNames: optionalOmitted(z.string()),
    md5Hash: optionalOmitted(z.string()),
    sha1Hash: optionalOmitted(z.string()),
    sha256Hash: optionalOmitted(z.string()),
  })
  .nullish()
  .transform((v) => v ?? {});

const csrDetailsSchema = z
  .object({
    csr: optionalOmitted(z.string()),
    md5Hash: optionalOmitted(z.string()),
    sha1Hash: optionalOmitted(z.string()),
    sha256Hash: optionalOmitted(z.string()),
  })
  .nullish()
  .transform((v) => v ?? {});

// --- SSL ----------------------------------------------------------------------------------------

export const SSL_STATUSES = ["Invalid", "Requested", "Approved", "Declined", "Applied", "Issued", "Revoked", "Expired", "Replaced", "Rejected", "Unmanaged", "SAApproved", "Init"] as const;
export type SslStatus = (typeof SSL_STATUSES)[number];

export const sslEnrollResponseSchema = z.object({ sslId: scmId, renewId: z.string().min(1) });
export type SslEnrollResponse = z.infer<typeof sslEnrollResponseSchema>;

export const sslRenewByIdResponseSchema = z.object({ sslId: scmId });

export const sslListItemSchema = z.object({
  sslId: scmId,
  commonName: optionalOmitted(z.string()),
  subjectAlternativeNames: arrayOrEmpty(z.string()),
  serialNumber: optionalOmitted(z.string()),
});
export type SslListItem = z.infer<typeof sslListItemSchema>;
export const sslListSchema = z.array(sslListItemSchema);

export const sslDetailsSchema = z.object({
  // `sslId` is deprecated in details but still sent; `id` is the current name.
  id: optionalOmitted(scmId),
  sslId: optionalOmitted(scmId),
  commonName: optionalOmitted(z.string()),
  orgId: optionalOmitted(scmId),
  status: z.string(),
  orderNumber: optionalOmitted(integerish),
  backendCertId: optionalOmitted(looseString),
  vendor: optionalOmitted(z.string()),
  certType: optionalOmitted(certProfileSchema),
  validationType: optionalOmitted(z.string()),
  term: optionalOmitted(integerish),
  owner: optionalOmitted(z.string()),
  requester: optionalOmitted(z.string()),
  requestedVia: optionalOmitted(z.string()),
  externalRequester: optionalOmitted(z.string()),
  comments: optionalOmitted(z.string()),
  requested: optionalOmitted(scmDate),
  approved: optionalOmitted(scmDate),
  issued: optionalOmitted(scmDate),
  declined: optionalOmitted(scmDate),
  expires: optionalOmitted(scmDate),
  revoked: optionalOmitted(scmDate),
  reasonCode: optionalOmitted(integerish),
  renewed: optionalOmitted(z.boolean()),
  serialNumber: optionalOmitted(z.string()),
  keyAlgorithm: optionalOmitted(z.string()),
  keySize: optionalOmitted(integerish),
  keyType: optionalOmitted(z.string()),
  subjectAlternativeNames: arrayOrEmpty(z.string()),
  customFields: arrayOrEmpty(customFieldValueSchema),
  certificateDetails: certificateDetailsSchema,
  csrDetails: csrDetailsSchema,
});
export type SslDetailsWire = z.infer<typeof sslDetailsSchema>;

// --- client (S/MIME) ----------------------------------------------------------------------------

export const CLIENT_STATES = ["blank", "created", "requested", "issued", "downloaded", "expired", "revoked", "rejected", "pre_revoked"] as const;

/** Enroll and every renew answer this. The 25.5 edition's enroll had no `id` [P10]. */
export const clientOrderResponseSchema = z.object({
  id: optionalOmitted(scmId),
  orderNumber: optionalOmitted(integerish),
  backendCertId: optionalOmitted(looseString),
});
export type ClientOrderResponse = z.infer<typeof clientOrderResponseSchema>;

export const clientListItemSchema = z.object({
  id: scmId,
  state: optionalOmitted(z.string()),
  certificateDetails: certificateDetailsSchema,
  serialNumber: optionalOmitted(z.string()),
  orderNumber: optionalOmitted(integerish),
  backendCertId: optionalOmitted(looseString),
  expires: optionalOmitted(scmDate),
  comments: optionalOmitted(z.string()),
});
export type ClientListItem = z.infer<typeof clientListItemSchema>;
export const clientListSchema = z.array(clientListItemSchema);

export const clientDetailsSchema = z.object({
  id: scmId,
  commonName: optionalOmitted(z.string()),
  orgId: optionalOmitted(scmId),
  status: z.string(),
  backendCertId: optionalOmitted(looseString),
  certType: optionalOmitted(certProfileSchema),
  term: optionalOmitted(integerish),
  requestedVia: optionalOmitted(z.string()),
  comments: optionalOmitted(z.string()),
  requested: optionalOmitted(scmDate),
  issued: optionalOmitted(scmDate),
  expires: optionalOmitted(scmDate),
  revoked: optionalOmitted(scmDate),
  reasonCode: optionalOmitted(integerish),
  serialNumber: optionalOmitted(z.string()),
  keyAlgorithm: optionalOmitted(z.string()),
  keySize: optionalOmitted(integerish),
  keyType: optionalOmitted(z.string()),
  subjectAlternativeNames: arrayOrEmpty(z.string()),
  customFields: arrayOrEmpty(customFieldValueSchema),
  certificateDetails: certificateDetailsSchema,
  csrDetails: csrDetailsSchema,
});
export type ClientDetailsWire = z.infer<typeof clientDetailsSchema>;

// --- device -------------------------------------------------------------------------------------

export const DEVICE_STATUSES = ["REQUESTED", "APPROVED", "DECLINED", "APPLIED", "ISSUED", "DOWNLOADED", "EXPIRED", "REVOKED", "REJECTED", "AWAITING_APPROVAL"] as const;

/** Enroll and renew answer this; `status` is upper-case here ("APPROVED"). */
export const deviceOrderResponseSchema = z.object({
  deviceCertId: scmId,
  status: optionalOmitted(z.string()),
  backendCertId: optionalOmitted(looseString),
  orderNumber: optionalOmitted(integerish),
});
export type DeviceOrderResponse = z.infer<typeof deviceOrderResponseSchema>;

export const deviceListItemSchema = z.object({
  id: scmId,
  status: optionalOmitted(z.string()),
  backendCertId: optionalOmitted(looseString),
  certificateDetails: certificateDetailsSchema,
});
export type DeviceListItem = z.infer<typeof deviceListItemSchema>;
export const deviceListSchema = z.array(deviceListItemSchema);

/** Details: `status` is title-case here ("Approved"), unlike list/enroll. */
export const deviceDetailsSchema = z.object({
  id: scmId,
  commonName: optionalOmitted(z.string()),
  orgId: optionalOmitted(scmId),
  status: z.string(),
  orderNumber: optionalOmitted(integerish),
  backendCertId: optionalOmitted(looseString),
  certType: optionalOmitted(certProfileSchema),
  term: optionalOmitted(integerish),
  owner: optionalOmitted(z.string()),
  requester: optionalOmitted(z.string()),
  comments: optionalOmitted(z.string()),
  requested: optionalOmitted(scmDate),
  approved: optionalOmitted(scmDate),
  expires: optionalOmitted(scmDate),
  keyAlgorithm: optionalOmitted(z.string()),
  keySize: optionalOmitted(integerish),
  keyType: optionalOmitted(z.string()),
  serialNumber: optionalOmitted(z.string()),
  customFields: arrayOrEmpty(customFieldValueSchema),
  certificateDetails: certificateDetailsSchema,
  csrDetails: csrDetailsSchema,
});
export type DeviceDetailsWire = z.infer<typeof deviceDetailsSchema>;

// --- requests (what we send; typed, not parsed) -------------------------------------------------

export const DCV_MODES = ["CNAME", "EMAIL", "HTTP", "HTTPS", "TXT"] as const;
export type DcvMode = (typeof DCV_MODES)[number];

/** Revocation reasons the API accepts: "Allowed ranges 0,1 and 3-5". */
export const REVOCATION_REASONS = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** Collect formats, as documented for SSL and client collect. `base64` (PKCS#7 PEM) is the default. */
export const COLLECT_FORMATS = ["x509", "x509CO", "base64", "bin", "x509IO", "x509IOR", "pem", "pemco", "pemia", "x509R"] as const;
export type CollectFormat = (typeof COLLECT_FORMATS)[number];
