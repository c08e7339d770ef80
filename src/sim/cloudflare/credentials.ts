// Non-secret test credentials the Cloudflare simulator accepts. Shapes follow the real ones
// (40-character API tokens, 37-hex-character global keys) so format checks behave the same.

export const CLOUDFLARE_SIM_CREDENTIALS = {
  zoneId: "023e105f4ecef8ad9ca31a8372d0c353", // the doc's example zone identifier [S2]
  apiToken: "certbridge-sim-cloudflare-api-token-0001",
  /** Has only #ssl:read: list and get work, writes answer 403 code 10000. */
  readOnlyApiToken: "certbridge-sim-cloudflare-readonly-00001",
  email: "sim@certbridge.test",
  globalApiKey: "0123456789abcdef0123456789abcdef01234",
} as const;
