// The errors a caller sees when the scheduler injects a fault, shaped exactly as the real edges
// raise them: KubeApiError from the Kubernetes client (classified by runtime/kube/errors.ts), a bare
// transport error for a lost answer, and VendorError as the vendor adapters classify it.
import { VendorError, type VendorName } from "../../src/ports/vendor-error.ts";
import { KubeApiError } from "../../src/runtime/kube/errors.ts";
import type { Rng } from "./rng.ts";
import type { FaultWeights } from "./scheduler.ts";

/** What undici throws when a connection breaks or a timeout fires: not a KubeApiError. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function kubeRefused(rng: Rng, method: string, path: string): Error {
  switch (rng.int(4)) {
    case 0:
      return new KubeApiError({ status: 500, reason: "InternalError", message: "etcdserver: request timed out", method, path });
    case 1:
      return new KubeApiError({ status: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request", method, path });
    case 2:
      return new KubeApiError({
        status: 429,
        reason: "TooManyRequests",
        message: "the server has received too many requests",
        method,
        path,
        retryAfterMs: 1000,
      });
    default:
      return new TransportError("ECONNREFUSED", `connect ECONNREFUSED (${method} ${path})`);
  }
}

export function kubeLost(rng: Rng, method: string, path: string): Error {
  return rng.chance(0.5)
    ? new TransportError("UND_ERR_SOCKET", `other side closed (${method} ${path})`)
    : new TransportError("UND_ERR_HEADERS_TIMEOUT", `headers timeout (${method} ${path})`);
}

export function vendorRefused(rng: Rng, vendor: VendorName, operation: string): VendorError {
  return rng.chance(0.5)
    ? new VendorError({ kind: "rateLimited", vendor, operation, message: "rate limited (429)", httpStatus: 429, retryAfterMs: 1000 * (1 + rng.int(20)) })
    : new VendorError({ kind: "transient", vendor, operation, message: "service unavailable (503)", httpStatus: 503 });
}

export function vendorLost(rng: Rng, vendor: VendorName, operation: string): VendorError {
  return rng.chance(0.7)
    ? new VendorError({ kind: "transient", vendor, operation, message: "no answer within 30 s (timeout)" })
    : new VendorError({ kind: "transient", vendor, operation, message: "bad gateway (502) after the request was forwarded", httpStatus: 502 });
}

/** A proxy returned garbage (oversized or malformed) with a 200: the adapters classify it as permanent, with the status they saw. */
export function vendorGarbled(vendor: VendorName, operation: string): VendorError {
  return new VendorError({ kind: "permanent", vendor, operation, message: "response did not match the expected schema", httpStatus: 200 });
}

/** Fault weights while faults are on: most calls go through; every kind of fault is common enough to meet. */
export const FAULTY: FaultWeights = { ok: 80, fail: 6, lost: 5, defer: 4, garble: 1.5, crash: 2.5 };
