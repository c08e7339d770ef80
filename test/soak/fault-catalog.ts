// The simulator faults the chaos loop turns on and off. Each is a window: switched on through the
// simulator's /__sim/ admin routes, switched off again after a few seconds. The generic kinds act
// on every simulator (src/sim/shared/faults.ts); note where each strikes relative to the vendor's
// commit, because that is what decides whether a retry may pay twice:
//   before the handler runs (nothing happened): 5xx, 429, reset, HTML error page;
//   after the handler ran (the object exists, the answer is lost): lostResponse (connection reset),
//   malformedJson, oversized;
//   latency delays the handler: a client that gives up or dies meanwhile is followed by a commit,
//   and the object is in no list until then (src/sim/{cloudflare,sectigo}/order-faults.ts).
import { CLOUDFLARE_CREATE_PATTERN } from "../../src/sim/cloudflare/order-faults.ts";
import { SECTIGO_ENROLL_PATTERN } from "../../src/sim/sectigo/order-faults.ts";
import type { FaultSpec } from "../../src/sim/shared/faults.ts";
import type { SoakVendor } from "./options.ts";
import type { Random } from "./random.ts";

export interface FaultChoice {
  readonly name: string;
  /** Generic fault for POST /__sim/faults, or a vendor-specific admin call. */
  readonly generic?: FaultSpec;
  readonly vendorCall?: { readonly method: string; readonly path: string; readonly body: unknown };
}

/** Paths of the paid / key-creating calls, where a lost answer or a late commit matters most. */
const CREATE_PATH: Record<SoakVendor, string> = {
  cloudflare: CLOUDFLARE_CREATE_PATTERN,
  sectigo: SECTIGO_ENROLL_PATTERN,
  zpa: "^POST /mgmtconfig/v1/admin/customers/[^/]+/associationType/[^/]+/provisioningKey$",
};

export function pickFault(vendor: SoakVendor, rnd: Random): FaultChoice {
  const seed = rnd.int(1, 2 ** 30);
  const create = CREATE_PATH[vendor];
  const choices: Array<readonly [number, () => FaultChoice]> = [
    [3, () => ({ name: "5xx storm", generic: { fail5xxRate: rnd.between(0.3, 0.8), seed } })],
    [2, () => ({ name: "429 storm", generic: { rate429Rate: rnd.between(0.3, 0.8), retryAfter: String(rnd.int(1, 5)), seed } })],
    [2, () => ({ name: "slow vendor", generic: { latencyMs: rnd.int(1_000, 8_000), seed } })],
    [2, () => ({ name: "connection resets", generic: { resetRate: rnd.between(0.2, 0.6), seed } })],
    [1, () => ({ name: "HTML error pages", generic: { htmlErrorRate: rnd.between(0.2, 0.6), seed } })],
    // The create is committed, then the connection drops (or the answer is cut in half): the client
    // cannot know the outcome.
    [5, () => ({ name: "lost create responses", generic: { lostResponseRate: rnd.between(0.5, 1), pathPattern: create, seed } })],
    [1, () => ({ name: "truncated create responses", generic: { malformedJsonRate: rnd.between(0.5, 1), pathPattern: create, seed } })],
    [1, () => ({ name: "truncated responses", generic: { malformedJsonRate: rnd.between(0.1, 0.4), seed } })],
    [1, () => ({ name: "oversized responses", generic: { oversizedRate: rnd.between(0.1, 0.3), oversizeBytes: 2 * 1024 * 1024, seed } })],
    // Creates take seconds: a replica SIGKILLed meanwhile dies before the vendor commits.
    [5, () => ({ name: "slow creates", generic: { latencyMs: rnd.int(2_000, 10_000), pathPattern: create, seed } })],
    // Slower than the client's 30 s timeout: the client gives up, the vendor commits afterwards.
    [
      1,
      () => ({
        name: "create slower than the client timeout",
        generic: { latencyMs: rnd.int(31_000, 40_000), pathPattern: create, count: rnd.int(1, 2), seed },
      }),
    ],
  ];
  if (vendor === "zpa") {
    const kinds = ["concurrentAccess", "retryableServerError", "sessionInvalid", "badRequestRetryable"] as const;
    choices.push([
      3,
      () => {
        const kind = rnd.pick(kinds);
        return { name: `ZPA ${kind}`, vendorCall: { method: "POST", path: "/__sim/zpa/faults", body: { kind, count: rnd.int(1, 5), retryAfterSeconds: 1 } } };
      },
    ]);
  }
  return rnd.weighted(choices)();
}
