export { createSectigoClient, type SectigoClient } from "./client.ts";
export {
  CertificateFamilyClient,
  type CertificateDetails,
  type FoundCertificate,
  type ListFilter,
  type RevokeOutcome,
  type RevokeRequest,
} from "./certificates.ts";
export { DEVICE, SMIME, SSL, type ClientEnrollRequest, type DeviceEnrollRequest, type FamilyKey, type FamilySpec, type SslEnrollRequest } from "./families.ts";
export { OrganizationClient } from "./organizations.ts";
export { classifySectigoError, lookupSectigoCode } from "./errors.ts";
export { SECTIGO_ERROR_CODES, type SectigoErrorCode } from "./error-codes.ts";
export { commentsWithMarker, formatOrderMarker, markerMatches, parseOrderMarker, type OrderMarker } from "./order-marker.ts";
export {
  PRIVATE_PREFIX,
  SECTIGO_RATE_RULES,
  sectigoCredentialKey,
  type SectigoConnectionOptions,
  type SectigoCredentials,
  type SectigoLogin,
} from "./transport.ts";
export type { CollectedCertificate } from "./collect.ts";
export { pollOnce, progressOf, type OrderProgress, type PollOutcome } from "./progress.ts";
export { COLLECT_FORMATS, REVOCATION_REASONS, type CollectFormat, type RevocationReason, type DcvMode } from "./wire.ts";
