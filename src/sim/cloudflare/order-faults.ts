// Faults on certificate creation, for tests of the operator's "never pay twice" promise (DIGEST §2:
// create is the paid call). Each is a spec for the shared fault API (`sim.faults.add(...)` or
// `POST /__sim/faults`), limited to the create route.
import type { FaultSpec } from "../shared/faults.ts";

/** "METHOD /path" of the paid call: POST on a zone's client_certificates. */
export const CLOUDFLARE_CREATE_PATTERN = "^POST /client/v4/zones/[^/]+/client_certificates$";

/**
 * Cloudflare takes `ms` to create the certificate: it commits after that delay whether or not the
 * client is still waiting (a client timeout or a killed operator changes nothing), and until then the
 * certificate is in no list or GET.
 */
export function createProcessingDelay(ms: number, count = 1): FaultSpec {
  return { pathPattern: CLOUDFLARE_CREATE_PATTERN, latencyMs: ms, count };
}

/** The certificate is created, then the connection drops before the answer: the client never sees it. */
export function createResponseLost(count = 1): FaultSpec {
  return { pathPattern: CLOUDFLARE_CREATE_PATTERN, lostResponseRate: 1, count };
}
