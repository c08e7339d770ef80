// ZPA wire schemas, parsed once at the edge. ZPA sends ids, counts and epochs as strings, omits
// optional fields (a missing boolean means false), and once sends epochs in milliseconds.
import { z } from "zod";
import { epochSeconds, idString, integerish, optionalOmitted } from "../shared/wire.ts";

export const associationTypes = ["CONNECTOR_GRP", "SERVICE_EDGE_GRP"] as const;
export type AssociationType = (typeof associationTypes)[number];

const optionalText = optionalOmitted(z.string());
const optionalEpoch = optionalOmitted(epochSeconds);
/** Booleans stay JSON booleans, but omitted ones mean false (a documented cause of drift). */
const flag = z
  .union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")])
  .nullish()
  .transform((v) => v ?? false);

/** The paged envelope: `totalPages` drives paging; `totalCount` is unreliable and only informative. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    totalPages: optionalOmitted(integerish).transform((n) => n ?? 0),
    totalCount: optionalOmitted(integerish),
    list: z
      .array(item)
      .nullish()
      .transform((v) => v ?? []),
  });
}
export type Page<T> = { totalPages: number; totalCount?: number | undefined; list: T[] };

export const provisioningKeySchema = z.object({
  id: idString,
  name: z.string(),
  creationTime: optionalEpoch,
  modifiedTime: optionalEpoch,
  modifiedBy: optionalOmitted(idString),
  usageCount: optionalOmitted(integerish).transform((n) => n ?? 0),
  maxUsage: integerish,
  autoSign: optionalText,
  zcomponentId: idString,
  zcomponentName: optionalText,
  enabled: flag,
  enrollmentCertId: idString,
  enrollmentCertName: optionalText,
  /** The secret. Never log a parsed key object whole. */
  provisioningKey: z.string().min(1),
  appConnectorGroupName: optionalText,
  microtenantId: optionalOmitted(idString),
  microtenantName: optionalText,
});
export type ProvisioningKey = z.infer<typeof provisioningKeySchema>;

/** What ZPA reports about any certificate it holds (enrollment and browser-access alike). */
const certificateCommon = {
  id: idString,
  name: z.string(),
  description: optionalText,
  creationTime: optionalEpoch,
  modifiedTime: optionalEpoch,
  modifiedBy: optionalOmitted(idString),
  cName: optionalText,
  validFromInEpochSec: optionalEpoch,
  validToInEpochSec: optionalEpoch,
  certificate: optionalText,
  issuedTo: optionalText,
  issuedBy: optionalText,
  serialNo: optionalText,
  certChain: optionalText,
};

export const enrollmentCertSchema = z.object({
  ...certificateCommon,
  allowSigning: flag,
  privateKeyPresent: flag,
  clientCertType: optionalText,
  csr: optionalText,
  parentCertId: optionalOmitted(idString),
  parentCertName: optionalText,
});
export type EnrollmentCert = z.infer<typeof enrollmentCertSchema>;

export const certificateSchema = z.object({
  ...certificateCommon,
  publicKey: optionalText,
  san: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  status: optionalText,
  microtenantId: optionalOmitted(idString),
  microtenantName: optionalText,
});
export type Certificate = z.infer<typeof certificateSchema>;

/** App Connector groups and Private Service Edge groups share the fields the key flow needs. */
export const groupSchema = z.object({
  id: idString,
  name: z.string(),
  description: optionalText,
  enabled: flag,
  creationTime: optionalEpoch,
  modifiedTime: optionalEpoch,
  microtenantId: optionalOmitted(idString),
  microtenantName: optionalText,
});
export type Group = z.infer<typeof groupSchema>;

// ---- application segments (browser access) ----

/** Ports arrive as strings ("443"), and as numbers in the documented update template. */
const portText = z.union([z.string(), z.number()]).transform((v) => String(v));

/**
 * One browser-access app inside a segment (`clientlessApps[]`): its domain, port, protocol and the
 * certificate it serves. Shape: help portal "Configuring Browser Access Application Segments Using
 * API" examples; zscaler-sdk-go applicationsegmentbrowseraccess.ClientlessApps.
 */
export const clientlessAppSchema = z.object({
  id: idString,
  name: z.string(),
  domain: z.string(),
  applicationProtocol: optionalText,
  applicationPort: optionalOmitted(portText),
  certificateId: optionalOmitted(idString),
  certificateName: optionalText,
  enabled: flag,
  appId: optionalOmitted(idString),
  cname: optionalText,
  modifiedTime: optionalEpoch,
});
export type ClientlessApp = z.infer<typeof clientlessAppSchema>;

/** What the client reads of a segment; writes send the segment's own JSON back (see ZpaClient.updateApplication). */
export const applicationSegmentSchema = z.object({
  id: idString,
  name: z.string(),
  description: optionalText,
  enabled: flag,
  domainNames: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  segmentGroupId: optionalOmitted(idString),
  segmentGroupName: optionalText,
  clientlessApps: z
    .array(clientlessAppSchema)
    .nullish()
    .transform((v) => v ?? []),
  creationTime: optionalEpoch,
  modifiedTime: optionalEpoch,
  microtenantId: optionalOmitted(idString),
  microtenantName: optionalText,
});
export type ApplicationSegment = z.infer<typeof applicationSegmentSchema>;

/** An entry of getAppsByType (recorded: zscaler-sdk-python cassette TestApplicationSegmentInspection.yaml). */
export const appByTypeSchema = z.object({
  id: idString,
  appId: optionalOmitted(idString),
  name: z.string(),
  domain: optionalText,
  applicationPort: optionalOmitted(portText),
  applicationProtocol: optionalText,
  certificateId: optionalOmitted(idString),
  certificateName: optionalText,
  enabled: flag,
});
export type AppByType = z.infer<typeof appByTypeSchema>;

/** A JSON object kept exactly as ZPA sent it, so a read-modify-write PUT loses nothing. */
export const jsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof jsonObjectSchema>;

/** Legacy `/signin`: `expires_in` arrives as a string. */
export const signinSchema = z.object({
  token_type: optionalText,
  access_token: z.string().min(1),
  expires_in: optionalOmitted(integerish),
});

/** OneAPI `/oauth2/v1/token` (a standard client-credentials answer; expires_in may be a number). */
export const oauthTokenSchema = signinSchema;

export const errorBodySchema = z
  .object({
    id: z.string().optional(),
    reason: z.string().optional(),
    exception: z.string().optional(),
    params: z.array(z.unknown()).optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  })
  .loose();
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---- request payloads (numbers sent as strings, as the documented examples do) ----

export type ProvisioningKeyInput = {
  readonly name: string;
  readonly maxUsage: number;
  readonly enrollmentCertId: string;
  readonly zcomponentId: string;
  readonly enabled?: boolean;
};

export function provisioningKeyPayload(input: ProvisioningKeyInput): Record<string, unknown> {
  return {
    name: input.name,
    maxUsage: String(input.maxUsage),
    enrollmentCertId: input.enrollmentCertId,
    zcomponentId: input.zcomponentId,
    enabled: input.enabled ?? true,
  };
}

export type CertificateInput = {
  /** PEM certificate (chain allowed) followed by its PEM private key. Secret. */
  readonly certBlob: string;
  readonly name: string;
  readonly description?: string;
};
