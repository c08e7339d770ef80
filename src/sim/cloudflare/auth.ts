// Who is calling and may they write? Bearer token or X-Auth-Email + X-Auth-Key [P7, P9].
import type { SimRequest, SimResponse } from "../shared/server.ts";
import { CLOUDFLARE_SIM_CREDENTIALS as CREDS } from "./credentials.ts";
import { fail, SIM_CODES, type CfMessage } from "./envelope.ts";

export interface Caller {
  /** The rate-limit identity: the token or the user's email. */
  readonly credential: string;
  readonly canWrite: boolean;
}

const TOKEN_FORMAT = /^Bearer ([A-Za-z0-9_-]{40})$/;
const KEY_FORMAT = /^[0-9a-f]{37}$/;
/**
 * Further write tokens of the same account, each its own rate-limit identity (as separate API tokens
 * are at Cloudflare): `certbridge-sim-cloudflare-api-token-0002` … `-9999`. Benchmarks spread load with them.
 */
const TOKEN_FAMILY = /^certbridge-sim-cloudflare-api-token-\d{4}$/;

function invalidHeaders(chained: CfMessage): SimResponse {
  return fail(400, [{ ...SIM_CODES.invalidHeaders, error_chain: [chained] }]);
}

export function authenticate(req: Pick<SimRequest, "headers">): Caller | SimResponse {
  const authorization = req.headers["authorization"];
  if (authorization !== undefined) {
    const m = TOKEN_FORMAT.exec(authorization);
    if (m === null) return invalidHeaders(SIM_CODES.invalidAuthorization);
    if (m[1] === CREDS.apiToken || TOKEN_FAMILY.test(m[1] ?? "")) return { credential: `token:${m[1]}`, canWrite: true };
    if (m[1] === CREDS.readOnlyApiToken) return { credential: `token:${m[1]}`, canWrite: false };
    return fail(403, [SIM_CODES.authenticationError]);
  }
  const key = req.headers["x-auth-key"];
  const email = req.headers["x-auth-email"];
  if (key !== undefined || email !== undefined) {
    if (key === undefined || !KEY_FORMAT.test(key)) return invalidHeaders(SIM_CODES.invalidAuthKey);
    if (email?.toLowerCase() !== CREDS.email || key !== CREDS.globalApiKey) return fail(403, [SIM_CODES.authenticationError]);
    return { credential: `user:${CREDS.email}`, canWrite: true };
  }
  return fail(400, [SIM_CODES.missingAuth]);
}

export function isCaller(x: Caller | SimResponse): x is Caller {
  return "credential" in x;
}
