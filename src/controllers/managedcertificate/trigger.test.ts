import { describe, expect, it } from "vitest";
import type { ManagedCertificateSpec, ManagedCertificateStatus } from "../../api/v1alpha1/managedcertificate.ts";
import {
  ReissueReason,
  backoffRemainingMs,
  businessBackoffMs,
  certificateSpecHash,
  needsIssuance,
  renewalTime,
  type PolicyInput,
  type SecretView,
} from "./trigger.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

function spec(over: Partial<ManagedCertificateSpec> = {}): ManagedCertificateSpec {
  return {
    connectionRef: { kind: "VendorConnection", name: "cf" },
    secretName: "web-tls",
    dnsNames: ["a.example.com"],
    privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: "Always" },
    cloudflare: { validityDays: 30 },
    revocationPolicy: { onDelete: "Retain", superseded: "Retain" },
    secretPolicy: { onDelete: "Retain" },
    ...over,
  } as ManagedCertificateSpec;
}

const goodSecret: SecretView = { hasCertificate: true, hasKey: true, keyMatchesCertificate: true, serialNumber: "0abc" };
const issued: ManagedCertificateStatus = {
  revision: 1,
  serialNumber: "0ABC",
  notBefore: "2026-05-01T00:00:00Z",
  notAfter: "2026-07-01T00:00:00Z",
  renewalTime: "2026-06-10T00:00:00Z",
  issuedSpecHash: certificateSpecHash(spec()),
};

function input(over: Partial<PolicyInput> = {}): PolicyInput {
  return { spec: spec(), status: issued, secret: goodSecret, specHash: certificateSpecHash(spec()), renewRequest: undefined, now: NOW, ...over };
}

describe("needsIssuance", () => {
  it.each([
    { why: "everything in place", in: {}, want: undefined },
    { why: "nothing issued yet", in: { status: {} }, want: ReissueReason.NotIssued },
    { why: "the Secret was deleted", in: { secret: undefined }, want: ReissueReason.SecretMissing },
    { why: "tls.key gone from the Secret", in: { secret: { ...goodSecret, hasKey: false } }, want: ReissueReason.SecretMismatch },
    { why: "someone put another key in", in: { secret: { ...goodSecret, keyMatchesCertificate: false } }, want: ReissueReason.SecretMismatch },
    { why: "the Secret holds an older certificate", in: { secret: { ...goodSecret, serialNumber: "0def" } }, want: ReissueReason.SecretMismatch },
    {
      why: "a DNS name was added",
      in: { specHash: certificateSpecHash(spec({ dnsNames: ["a.example.com", "b.example.com"] })) },
      want: ReissueReason.SpecChanged,
    },
    { why: "a new renew-request value", in: { renewRequest: "2026-06-01" }, want: ReissueReason.RenewRequested },
    { why: "the renew request was already acted on", in: { renewRequest: "r1", status: { ...issued, observedRenewRequest: "r1" } }, want: undefined },
    { why: "past the renewal time", in: { now: new Date("2026-06-20T00:00:00Z") }, want: ReissueReason.Renewing },
    { why: "past expiry (reported as such, not as renewal)", in: { now: new Date("2026-08-01T00:00:00Z") }, want: ReissueReason.Expired },
    {
      why: "spec.privateKey changed to RSA and the Secret's key is ECDSA: a key rotation, not just a spec change",
      in: {
        spec: spec({ privateKey: { algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" } }),
        specHash: certificateSpecHash(spec({ privateKey: { algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" } })),
        secret: { ...goodSecret, keySpec: { algorithm: "ECDSA", size: 256 } },
      },
      want: ReissueReason.KeyChanged,
    },
    {
      why: "ECDSA P-256 to P-384 is a key rotation too",
      in: {
        spec: spec({ privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8", rotationPolicy: "Always" } }),
        specHash: certificateSpecHash(spec({ privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8", rotationPolicy: "Always" } })),
        secret: { ...goodSecret, keySpec: { algorithm: "ECDSA", size: 256 } },
      },
      want: ReissueReason.KeyChanged,
    },
    {
      why: "names changed while the key still fits spec.privateKey: a spec change",
      in: {
        specHash: certificateSpecHash(spec({ dnsNames: ["b.example.com"] })),
        secret: { ...goodSecret, keySpec: { algorithm: "ECDSA", size: 256 } },
      },
      want: ReissueReason.SpecChanged,
    },
    {
      why: "an unset size means the default (ECDSA P-256): no key rotation when the key is P-256",
      in: {
        spec: spec({ privateKey: { algorithm: "ECDSA", encoding: "PKCS8", rotationPolicy: "Always" } }),
        specHash: certificateSpecHash(spec({ privateKey: { algorithm: "ECDSA", encoding: "PKCS8", rotationPolicy: "Always" } })),
        secret: { ...goodSecret, keySpec: { algorithm: "ECDSA", size: 256 } },
      },
      want: ReissueReason.SpecChanged,
    },
    {
      why: "missing Secret wins over renewal (first policy decides)",
      in: { secret: undefined, now: new Date("2026-06-20T00:00:00Z") },
      want: ReissueReason.SecretMissing,
    },
  ])("$why → $want", ({ in: over, want }) => {
    const d = needsIssuance(input(over as Partial<PolicyInput>));
    expect(d?.reason).toBe(want);
    if (d) expect(d.message).toMatch(/\.$/);
  });
});

describe("certificateSpecHash", () => {
  it.each([
    { why: "DNS name order does not matter", a: spec({ dnsNames: ["a.x", "b.x"] }), b: spec({ dnsNames: ["b.x", "a.x"] }), same: true },
    { why: "secret template does not shape the certificate", a: spec(), b: spec({ secretTemplate: { labels: { team: "x" } } }), same: true },
    {
      why: "revocation policy does not shape the certificate",
      a: spec(),
      b: spec({ revocationPolicy: { onDelete: "Revoke", superseded: "Revoke" } }),
      same: true,
    },
    { why: "key algorithm does", a: spec(), b: spec({ privateKey: { algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" } }), same: false },
    { why: "lifetime does", a: spec(), b: spec({ cloudflare: { validityDays: 60 } }), same: false },
    { why: "the connection does", a: spec(), b: spec({ connectionRef: { kind: "VendorConnection", name: "other" } }), same: false },
  ])("$why", ({ a, b, same }) => {
    expect(certificateSpecHash(a) === certificateSpecHash(b)).toBe(same);
  });
});

describe("renewalTime", () => {
  const nb = new Date("2026-01-01T00:00:00Z");
  const na = new Date("2026-01-31T00:00:00Z"); // 30 days
  it.each([
    { why: "default: 2/3 of the lifetime", renewBefore: undefined, want: "2026-01-21T00:00:00.000Z" },
    { why: "renewBefore counts back from expiry", renewBefore: "240h", want: "2026-01-21T00:00:00.000Z" },
    { why: "renewBefore of 1h", renewBefore: "1h", want: "2026-01-30T23:00:00.000Z" },
    { why: "renewBefore not shorter than the lifetime falls back to 2/3", renewBefore: "1000h", want: "2026-01-21T00:00:00.000Z" },
  ])("$why", ({ renewBefore, want }) => {
    expect(renewalTime(nb, na, renewBefore).toISOString()).toBe(want);
  });
});

describe("business backoff", () => {
  it.each([
    { n: 0, ms: 0, why: "no failure, no wait" },
    { n: 1, ms: 120_000, why: "first retry in minutes" },
    { n: 2, ms: 240_000, why: "doubles" },
    { n: 8, ms: 256 * 60_000, why: "hours after a while" },
    { n: 20, ms: 8 * 3_600_000, why: "capped at 8 h" },
  ])("attempt $n → $ms ms ($why)", ({ n, ms }) => {
    expect(businessBackoffMs(n)).toBe(ms);
  });

  it("counts from lastFailureTime, so a restart keeps waiting", () => {
    const status = { failedIssuanceAttempts: 2, lastFailureTime: new Date(NOW.getTime() - 60_000).toISOString() };
    expect(backoffRemainingMs(status, NOW)).toBe(180_000);
    expect(backoffRemainingMs({}, NOW)).toBe(0);
  });
});
