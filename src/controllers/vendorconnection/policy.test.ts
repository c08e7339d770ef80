import { describe, expect, test } from "vitest";
import { VendorError } from "../../ports/vendor-error.ts";
import type { ConnectionStatus } from "../../api/v1alpha1/index.ts";
import { CloudflareConnection, SectigoConnection, ZpaConnection } from "../../api/v1alpha1/vendorconnection.ts";
import type { ConnectionSettings } from "../../ports/connection.ts";
import { endpointOf, failedVerification, REVERIFY_INTERVAL_MS, RETRY_REJECTED_MS, verificationDue, type VerificationInput } from "./policy.ts";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const min = 60_000;

function verified(over: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return {
    conditions: [{ type: "Ready", status: "True", reason: "Verified", message: "ok", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 2 }],
    observedGeneration: 2,
    vendor: "zpa",
    lastVerifiedTime: new Date(NOW - 3 * min).toISOString(),
    credentialsResourceVersion: "100",
    ...over,
  };
}
const failed: ConnectionStatus = {
  conditions: [
    { type: "Ready", status: "False", reason: "CredentialsInvalid", message: "no", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 2 },
  ],
  observedGeneration: 2,
};
const input = (over: Partial<VerificationInput>): VerificationInput => ({
  status: verified(),
  generation: 2,
  credentialsResourceVersion: "100",
  fingerprint: "fp",
  last: undefined,
  now: NOW,
  ...over,
});

describe("verificationDue", () => {
  test.each([
    { reason: "verified recently and nothing changed: no vendor call", in: input({}), due: false, nextInMs: REVERIFY_INTERVAL_MS - 3 * min },
    { reason: "spec edited since", in: input({ generation: 3 }), due: true },
    { reason: "credentials Secret rotated", in: input({ credentialsResourceVersion: "101" }), due: true },
    {
      reason: "verified 50 minutes ago: a quiet connection is re-verified hourly, not every few minutes",
      in: input({ status: verified({ lastVerifiedTime: new Date(NOW - 50 * min).toISOString() }) }),
      due: false,
      nextInMs: 10 * min,
    },
    { reason: "verified too long ago", in: input({ status: verified({ lastVerifiedTime: new Date(NOW - 61 * min).toISOString() }) }), due: true },
    {
      reason: "lastVerifiedTime in the future (clock skew) is not trusted",
      in: input({ status: verified({ lastVerifiedTime: new Date(NOW + 5 * min).toISOString() }) }),
      due: true,
    },
    { reason: "fingerprint moved (e.g. CA bundle Secret changed)", in: input({ last: { fingerprint: "old", at: NOW - min, retryable: false } }), due: true },
    { reason: "never verified", in: input({ status: undefined }), due: true },
    { reason: "after a restart a failed connection is checked once", in: input({ status: failed }), due: true },
    {
      reason: "rejected credentials wait for a change or the interval",
      in: input({ status: failed, last: { fingerprint: "fp", at: NOW - 2 * min, retryable: false } }),
      due: false,
      nextInMs: RETRY_REJECTED_MS - 2 * min,
    },
    {
      reason: "rejected credentials are tried again after the interval",
      in: input({ status: failed, last: { fingerprint: "fp", at: NOW - 10 * min, retryable: false } }),
      due: true,
    },
    {
      reason: "a retryable failure comes back from backoff and calls again",
      in: input({ status: failed, last: { fingerprint: "fp", at: NOW - 1000, retryable: true } }),
      due: true,
    },
  ])("$reason", ({ in: i, due, nextInMs }) => {
    const d = verificationDue(i);
    expect(d.due).toBe(due);
    if (!d.due && nextInMs !== undefined) expect(d.nextInMs).toBe(nextInMs);
  });
});

describe("failedVerification", () => {
  // The reasons and retry decisions come from the one error policy (ports/error-policy.ts).
  test.each([
    { kind: "credentials" as const, reason: "CredentialsInvalid", retry: false, why: "bad credentials wait for a change" },
    { kind: "transient" as const, reason: "VendorError", retry: true, why: "network trouble backs off and retries" },
    { kind: "rateLimited" as const, reason: "RateLimited", retry: true, why: "a 429 retries after Retry-After" },
    { kind: "invalid" as const, reason: "InvalidSpec", retry: false, why: "an unusable setting will not fix itself" },
    { kind: "permanent" as const, reason: "VendorError", retry: false, why: "an untrusted certificate will not fix itself" },
  ])("$kind: $why", ({ kind, reason, retry }) => {
    const o = failedVerification(
      "cloudflare",
      "api.example.test",
      new VendorError({ kind, vendor: "cloudflare", operation: "listClientCertificates", message: "nope", requestId: "rq-1" }),
    );
    expect([o.condition.status, o.condition.reason, o.retry]).toEqual(["False", reason, retry]);
    expect(o.condition.message).toContain("api.example.test");
    expect(o.condition.message).toContain("nope");
  });
});

describe("endpointOf", () => {
  // Settings as the schema parses them (defaults applied), so each row is a connection that can exist.
  const zpa = (block: Record<string, unknown>): ConnectionSettings => ({
    vendor: "zpa",
    settings: ZpaConnection.parse({ customerId: "216196257331281920", ...block }),
  });
  test.each([
    {
      connection: {
        vendor: "sectigo",
        settings: SectigoConnection.parse({ baseUrl: "https://cert-manager.com/some/path?x=1", customerUri: "acme" }),
      } as ConnectionSettings,
      want: "cert-manager.com",
      why: "host only, no path or query",
    },
    { connection: zpa({ cloud: "ZPATWO" }), want: "the ZPATWO cloud", why: "a cloud name when no URL is set" },
    { connection: zpa({ authMode: "OneAPI", vanityDomain: "acme" }), want: "the OneAPI gateway", why: "OneAPI default gateway" },
    {
      connection: {
        vendor: "cloudflare",
        settings: CloudflareConnection.parse({ baseUrl: "https://127.0.0.1:8443/client/v4", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" }),
      } as ConnectionSettings,
      want: "127.0.0.1:8443",
      why: "port kept",
    },
  ])("$why", ({ connection, want }) => {
    expect(endpointOf(connection)).toBe(want);
  });
});
