// The Cloudflare v4 envelope [S2] and the error codes the simulator answers with.
import type { SimResponse } from "../shared/server.ts";

export interface CfMessage {
  readonly code: number;
  readonly message: string;
  readonly error_chain?: readonly CfMessage[];
}

/**
 * Codes marked (inf) are not in the shared docs; they are plausible stand-ins so the client's
 * classification is exercised by status and shape, not by these numbers.
 */
export const SIM_CODES = {
  authenticationError: { code: 10000, message: "Authentication error" }, // [P9]
  invalidHeaders: { code: 6003, message: "Invalid request headers" }, // [P9]
  invalidAuthKey: { code: 6103, message: "Invalid format for X-Auth-Key header" }, // [P9]
  invalidAuthorization: { code: 6111, message: "Invalid format for Authorization header" }, // [P9]
  missingAuth: { code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }, // (inf)
  noRoute: { code: 7003, message: "No route for the URI" }, // [S2]
  throttled: { code: 971, message: "Please wait and consider throttling your request speed" }, // [TF #6502]
  invalidBody: { code: 1001, message: "Invalid request body" }, // (inf)
  invalidCsr: { code: 1002, message: "Unable to parse the CSR" }, // (inf)
  invalidValidity: { code: 1003, message: "validity_days must be an integer between 1 and 3650" }, // (inf)
  invalidQuery: { code: 1004, message: "Invalid query parameter" }, // (inf)
  notFound: { code: 1005, message: "Client certificate not found" }, // (inf)
  invalidState: { code: 1006, message: "Client certificate is not in a state that allows this change" }, // (inf)
  internal: { code: 1000, message: "Internal server error" }, // (inf)
} as const satisfies Record<string, CfMessage>;

export function ok(result: unknown, headers: Record<string, string>, resultInfo?: Record<string, number>): SimResponse {
  return { status: 200, headers, json: { success: true, errors: [], messages: [], result, ...(resultInfo === undefined ? {} : { result_info: resultInfo }) } };
}

export function fail(status: number, errors: readonly CfMessage[], headers: Record<string, string> = {}): SimResponse {
  return { status, headers, json: { success: false, errors, messages: [], result: null } };
}

export function withDetail(base: CfMessage, detail: string): CfMessage {
  return { code: base.code, message: `${base.message}: ${detail}` };
}
