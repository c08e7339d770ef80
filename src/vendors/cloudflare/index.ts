export {
  CLOUDFLARE_DEFAULT_BASE_URL,
  CLOUDFLARE_RATE_RULES,
  CloudflareClient,
  cloudflareCredentialKey,
  type CloudflareAuth,
  type CloudflareClientOptions,
  type ListOptions,
  type ListPage,
} from "./client.ts";
export { CLOUDFLARE_BLOCK_MS, CLOUDFLARE_CODES, classifyCloudflare } from "./errors.ts";
export {
  CLIENT_CERTIFICATE_STATUSES,
  LIST_STATUS_FILTERS,
  type ClientCertificate,
  type ClientCertificateStatus,
  type ListStatusFilter,
  type ResultInfo,
} from "./wire.ts";
