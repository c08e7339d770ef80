// Faults on enrollment, for tests of the operator's "never pay twice" promise (DIGEST §3.4: enroll is
// the paid call). Each is a spec for the shared fault API (`sim.faults.add(...)` or
// `POST /__sim/faults`), limited to the enroll routes of the three families.
import type { FaultSpec } from "../shared/faults.ts";

/** "METHOD /path" of the paid calls: POST …/enroll for SSL, client (S/MIME) and device orders. */
export const SECTIGO_ENROLL_PATTERN = "^POST /api/(ssl|smime|device)/v1/enroll$";

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
