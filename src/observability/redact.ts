/**
 * Last line of defence for secret material in logs: the code never logs secrets on purpose, and
 * this scrubs what slips through (an error message quoting a body, a spread object).
 */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

export const SECRET_KEY_NAMES = [
  "password",
  "passwd",
  "secret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "clientSecret",
  "client_secret",
  "apiKey",
  "api_key",
  "authorization",
  "privateKey",
  "private_key",
  "provisioningKey",
  "tls.key",
  "certBlob",
  "x-auth-key",
  "cookie",
  "set-cookie",
  "data",
  "stringData",
] as const;

const SECRET_KEYS = new Set(SECRET_KEY_NAMES.map((k) => k.toLowerCase()));

export function scrubString(value: string): string {
  return value.replace(PEM_BLOCK, "[REDACTED PEM]").replace(JWT, "[REDACTED TOKEN]").replace(BEARER, "$1 [REDACTED]");
}

/** Deep copy with secret-named fields replaced and secret-looking strings scrubbed (depth-bounded). */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubString(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubString(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k.toLowerCase()) && v !== undefined && v !== null ? "[REDACTED]" : scrub(v, depth + 1);
  return out;
}
