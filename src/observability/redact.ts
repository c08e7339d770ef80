/**
 * Last line of defence for secret material in logs: the code never logs secrets on purpose, and
 * this scrubs what slips through (an error message quoting a body, a spread object).
 *
 * Two rules. By shape, everywhere: PEM blocks, JWTs and Authorization values are cut out of every
 * string. By field: the values of fields that hold secrets (passwords, tokens, keys, a Secret's
 * data) are replaced whole. The names of Secrets are not secret — an operator that hides which
 * Secret it could not find or write is no help to anyone — so `secretName`, `*SecretRef` and a
 * `secret` field holding a Kubernetes name (or `namespace/name`) are kept. `secret` is the one
 * ambiguous field: it keeps only a value shaped like an object name, never an opaque string.
 */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/** Fields whose values are secret material, whatever they look like (compared case-insensitively). */
export const SECRET_KEY_NAMES = [
  "password",
  "passwd",
  "passphrase",
  "token",
  "apiToken",
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
  "key.der",
  "keystore.p12",
  "certBlob",
  "x-auth-key",
  "cookie",
  "set-cookie",
  "data",
  "stringData",
] as const;

const SECRET_KEYS = new Set<string>(SECRET_KEY_NAMES.map((k) => k.toLowerCase()));

/** A field that may name a Secret or hold one: kept only when its value is shaped like a name. */
const AMBIGUOUS_KEYS = new Set(["secret"]);

/** `name` or `namespace/name` as Kubernetes spells object names (DNS-1123, lower case). */
const OBJECT_NAME = /^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/)?[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A long unbroken run of letters and digits reads as a token or a hex key, not a name someone chose. */
const OPAQUE_RUN = /[a-z0-9]{24,}/;

/** True for a value that names an object (a Secret's name) rather than holding secret material. */
export function looksLikeObjectName(value: string): boolean {
  return value.length <= 317 && OBJECT_NAME.test(value) && !OPAQUE_RUN.test(value);
}

export function scrubString(value: string): string {
  return value.replace(PEM_BLOCK, "[REDACTED PEM]").replace(JWT, "[REDACTED TOKEN]").replace(BEARER, "$1 [REDACTED]");
}

/** Deep copy with secret-holding fields replaced and secret-looking strings scrubbed (depth-bounded). */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubString(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubString(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactedField(k, v) ? "[REDACTED]" : scrub(v, depth + 1);
  return out;
}

function redactedField(key: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const k = key.toLowerCase();
  if (SECRET_KEYS.has(k)) return true;
  // An object under `secret` (a reference, a Secret's metadata) is walked: its data fields are caught above.
  if (AMBIGUOUS_KEYS.has(k)) return typeof value === "string" && !looksLikeObjectName(value);
  return false;
}
