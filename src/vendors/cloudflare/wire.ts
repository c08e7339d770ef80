// Cloudflare API Shield mTLS client-certificate wire shapes (DIGEST §2, doc [S2]). Parsed once here;
// the rest of the code sees camelCase objects with Dates.
import { z } from "zod";
import { arrayOrEmpty, isoDate, numberish, optionalOmitted } from "../shared/wire.ts";

export const CLIENT_CERTIFICATE_STATUSES = ["active", "pending_reactivation", "pending_revocation", "revoked"] as const;
export type ClientCertificateStatus = (typeof CLIENT_CERTIFICATE_STATUSES)[number];
export const LIST_STATUS_FILTERS = ["all", ...CLIENT_CERTIFICATE_STATUSES] as const;
export type ListStatusFilter = (typeof LIST_STATUS_FILTERS)[number];

/** `{code, message}`; newer schemas add documentation_url, source.pointer and (for 6003) error_chain. */
export interface CloudflareMessage {
  readonly code: number;
  readonly message: string;
  readonly error_chain?: readonly CloudflareMessage[];
}
export const MessageSchema: z.ZodType<CloudflareMessage> = z.lazy(() =>
  z.object({
    code: z.number().int(),
    message: z.string(),
    error_chain: z.array(MessageSchema).optional(),
  }),
);

export const ResultInfoSchema = z
  .object({
    count: numberish.optional(),
    page: numberish.optional(),
    per_page: numberish.optional(),
    total_count: numberish.optional(),
  })
  .transform((r) => ({ count: r.count, page: r.page, perPage: r.per_page, totalCount: r.total_count }));
export type ResultInfo = z.output<typeof ResultInfoSchema>;

/** Envelope with an unparsed result: used to read errors out of any response. */
export const LooseEnvelopeSchema = z.object({
  success: z.boolean(),
  errors: arrayOrEmpty(MessageSchema),
  messages: arrayOrEmpty(MessageSchema),
});

export function envelope<T extends z.ZodType>(result: T) {
  return z.object({
    success: z.boolean(),
    errors: arrayOrEmpty(MessageSchema),
    messages: arrayOrEmpty(MessageSchema),
    result,
    result_info: ResultInfoSchema.optional(),
  });
}

// Unknown future statuses are kept as "unknown" rather than failing the whole response.
const StatusSchema = z
  .string()
  .transform((s): ClientCertificateStatus | "unknown" =>
    (CLIENT_CERTIFICATE_STATUSES as readonly string[]).includes(s) ? (s as ClientCertificateStatus) : "unknown",
  );

const opt = <T extends z.ZodType>(s: T) => optionalOmitted(s);

export const ClientCertificateSchema = z
  .object({
    id: z.string().min(1).max(64),
    status: StatusSchema,
    certificate: opt(z.string()),
    certificate_authority: opt(z.object({ id: opt(z.string()), name: opt(z.string()) })),
    common_name: opt(z.string()),
    country: opt(z.string()),
    state: opt(z.string()),
    location: opt(z.string()),
    organization: opt(z.string()),
    organizational_unit: opt(z.string()),
    csr: opt(z.string()),
    expires_on: opt(isoDate),
    issued_on: opt(isoDate),
    fingerprint_sha256: opt(z.string()),
    serial_number: opt(z.string()),
    signature: opt(z.string()),
    ski: opt(z.string()),
    validity_days: opt(z.number().int()),
  })
  .transform((c) => ({
    id: c.id,
    status: c.status,
    certificatePem: c.certificate,
    certificateAuthority: c.certificate_authority,
    commonName: c.common_name,
    country: c.country,
    state: c.state,
    location: c.location,
    organization: c.organization,
    organizationalUnit: c.organizational_unit,
    csr: c.csr,
    expiresOn: c.expires_on,
    issuedOn: c.issued_on,
    fingerprintSha256: c.fingerprint_sha256,
    serialNumber: c.serial_number,
    signature: c.signature,
    ski: c.ski,
    validityDays: c.validity_days,
  }));
export type ClientCertificate = z.output<typeof ClientCertificateSchema>;

export const SingleCertificateEnvelope = envelope(ClientCertificateSchema);
// The doc marks a list result nullable: null reads as no items.
export const CertificateListEnvelope = envelope(arrayOrEmpty(ClientCertificateSchema));

export interface CreateClientCertificateBody {
  readonly csr: string;
  readonly validity_days: number;
}
