// Faults on enrollment, for tests of the operator's "never pay twice" promise (DIGEST §3.4: enroll is
// the paid call). Each is a spec for the shared fault API (`sim.faults.add(...)` or
// `POST /__sim/faults`), limited to the enroll routes of the three families, under both logins.
import type { FaultSpec } from "../shared/faults.ts";

/**
 * "METHOD /path" of the paid calls our client makes: POST …/enroll for SSL, client (S/MIME) and
 * device orders, on `/api/…` (password login) and on `/private/api/…` (certificate login, DIGEST
 * §3.1: the same paths under a `/private` prefix). Renew, replace and enroll-keygen are paid too, but
 * the operator never calls them (every issuance is a fresh enroll), so no chaos run needs them.
 */
export const SECTIGO_ENROLL_PATTERN = "^POST (/private)?/api/(ssl|smime|device)/v1/enroll$";

/**
 * SCM takes `ms` to accept the enrollment: the order is created after that delay whether or not the
 * client is still waiting, and until then no list, search or details call shows it.
 */
export function enrollProcessingDelay(ms: number, count = 1): FaultSpec {
  return { pathPattern: SECTIGO_ENROLL_PATTERN, latencyMs: ms, count };
}

/** The order is created, then the connection drops before the answer (`{sslId}` never arrives). */
export function enrollResponseLost(count = 1): FaultSpec {
  return { pathPattern: SECTIGO_ENROLL_PATTERN, lostResponseRate: 1, count };
}
