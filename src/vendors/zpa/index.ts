// The ZPA vendor client: what the rest of certbridge imports.
export { ZpaClient, search, MAX_PAGE_SIZE, type ZpaClientOptions, type CallOptions, type ListOptions } from "./client.ts";
export { ZpaTokenSource, ONEAPI_AUDIENCE, type ZpaAuth } from "./auth.ts";
export { classifyZpa, zpaErrorRules, DEFAULT_RATE_LIMIT_WAIT_MS } from "./errors.ts";
export { zpaRateLimitRules, zpaRules, zpaLimiterKey, ZPA_PUBLISHED_LIMITS, ZPA_WINDOW_MS } from "./limits.ts";
export {
  associationTypes,
  type AssociationType,
  type Certificate,
  type CertificateInput,
  type EnrollmentCert,
  type Group,
  type ProvisioningKey,
  type ProvisioningKeyInput,
} from "./wire.ts";
