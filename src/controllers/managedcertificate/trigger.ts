// The trigger: does this ManagedCertificate need a new revision? A chain of small pure checks, each
// returning why (a PascalCase reason and a human sentence) or undefined; the first answer wins.
// Everything they need is computed beforehand (what the Secret holds, the spec hash), so each is
// tested alone. Also here: the spec hash, the renewal time and the business backoff between failed
// attempts (kept in status), all pure.
import { createHash } from "node:crypto";
import { DEFAULT_KEY_SIZE, type ManagedCertificateSpec, type ManagedCertificateStatus } from "../../api/v1alpha1/managedcertificate.ts";
import type { KeySpec } from "../../pki/keys.ts";
import { parseDuration } from "../../api/v1alpha1/common.ts";
import { canonicalJson } from "../shared/canonical-json.ts";

export interface Decision {
  readonly reason: ReissueReason;
  readonly message: string;
}

export const ReissueReason = {
  NotIssued: "NotIssued",
  SecretMissing: "SecretMissing",
  SecretMismatch: "SecretMismatch",
  SpecChanged: "SpecChanged",
  /** A spec change that needs a new kind of key (spec.privateKey algorithm or size): a key rotation. */
  KeyChanged: "KeyChanged",
  RenewRequested: "RenewRequested",
  Renewing: "Renewing",
  Expired: "Expired",
} as const;
export type ReissueReason = (typeof ReissueReason)[keyof typeof ReissueReason];

/** What the target Secret holds, as far as the policies care (computed by the secret reader). */
export interface SecretView {
  readonly hasCertificate: boolean;
  readonly hasKey: boolean;
  /** tls.key belongs to the leaf in tls.crt. */
  readonly keyMatchesCertificate: boolean;
  /** Serial of the leaf in tls.crt (lowercase hex), if it parsed. */
  readonly serialNumber?: string;
  /** Algorithm and size of tls.key, if it parsed. */
  readonly keySpec?: KeySpec;
}

export interface PolicyInput {
  readonly spec: ManagedCertificateSpec;
  readonly status: ManagedCertificateStatus;
  /** undefined: the Secret does not exist. */
  readonly secret: SecretView | undefined;
  readonly specHash: string;
  readonly renewRequest: string | undefined;
  readonly now: Date;
}

export type Policy = (input: PolicyInput) => Decision | undefined;

export const neverIssued: Policy = ({ status }) =>
  status.revision === undefined || status.serialNumber === undefined
    ? { reason: ReissueReason.NotIssued, message: "No certificate has been issued yet." }
    : undefined;

export const secretMissing: Policy = ({ secret, spec }) =>
  secret === undefined ? { reason: ReissueReason.SecretMissing, message: `Secret ${spec.secretName} does not exist.` } : undefined;

export const secretMismatch: Policy = ({ secret, status, spec }) => {
  if (secret === undefined) return undefined;
  if (!secret.hasCertificate || !secret.hasKey) return { reason: ReissueReason.SecretMismatch, message: `Secret ${spec.secretName} lacks tls.crt or tls.key.` };
  if (!secret.keyMatchesCertificate)
    return { reason: ReissueReason.SecretMismatch, message: `In Secret ${spec.secretName}, tls.key does not belong to the certificate in tls.crt.` };
  if (status.serialNumber !== undefined && secret.serialNumber !== status.serialNumber.toLowerCase()) {
    return {
      reason: ReissueReason.SecretMismatch,
      message: `Secret ${spec.secretName} holds a different certificate than the one issued (serial ${status.serialNumber}).`,
    };
  }
  return undefined;
};

/** A spec change that the key in the Secret no longer fits: reported as a key rotation, not any spec change. */
export const keyChanged: Policy = ({ status, specHash, secret, spec }) => {
  const have = secret?.keySpec;
  if (status.issuedSpecHash === undefined || status.issuedSpecHash === specHash || have === undefined) return undefined;
  const want = wantedKeySpec(spec);
  if (want.algorithm === have.algorithm && sizeOf(want) === sizeOf(have)) return undefined;
  return {
    reason: ReissueReason.KeyChanged,
    message: `spec.privateKey asks for a ${describeKey(want)} key; the certificate's key is ${describeKey(have)}: a new key and certificate.`,
  };
};

const sizeOf = (k: KeySpec): number | undefined => ("size" in k ? k.size : undefined);
const describeKey = (k: KeySpec): string => (k.algorithm === "ECDSA" ? `ECDSA P-${k.size}` : k.algorithm === "RSA" ? `RSA ${k.size}` : k.algorithm);

function wantedKeySpec(spec: ManagedCertificateSpec): KeySpec {
  const k = spec.privateKey;
  if (k.algorithm === "Ed25519") return { algorithm: "Ed25519" };
  if (k.algorithm === "ECDSA") return { algorithm: "ECDSA", size: (k.size ?? DEFAULT_KEY_SIZE.ECDSA) as 256 | 384 };
  return { algorithm: "RSA", size: (k.size ?? DEFAULT_KEY_SIZE.RSA) as 2048 | 3072 | 4096 };
}

export const specChanged: Policy = ({ status, specHash }) =>
  status.issuedSpecHash !== undefined && status.issuedSpecHash !== specHash
    ? { reason: ReissueReason.SpecChanged, message: "The spec changed in a way that affects the certificate." }
    : undefined;

export const renewRequested: Policy = ({ renewRequest, status }) =>
  renewRequest !== undefined && renewRequest !== "" && renewRequest !== status.observedRenewRequest
    ? { reason: ReissueReason.RenewRequested, message: "Renewal was requested with the certbridge.dev/renew-request annotation." }
    : undefined;

export const expired: Policy = ({ status, now }) =>
  status.notAfter !== undefined && now.getTime() >= Date.parse(status.notAfter)
    ? { reason: ReissueReason.Expired, message: `The certificate expired at ${status.notAfter}.` }
    : undefined;

export const nearingRenewal: Policy = ({ status, now }) =>
  status.renewalTime !== undefined && now.getTime() >= Date.parse(status.renewalTime)
    ? { reason: ReissueReason.Renewing, message: `The certificate reached its renewal time ${status.renewalTime}.` }
    : undefined;

/** In order: the first policy that answers decides. */
export const REISSUE_POLICIES: readonly Policy[] = [
  neverIssued,
  secretMissing,
  secretMismatch,
  keyChanged,
  specChanged,
  renewRequested,
  expired,
  nearingRenewal,
];

export function needsIssuance(input: PolicyInput, policies: readonly Policy[] = REISSUE_POLICIES): Decision | undefined {
  for (const policy of policies) {
    const decision = policy(input);
    if (decision !== undefined) return decision;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Spec hash: only the fields that shape the certificate. Secret template, policies and output
// formats change the Secret or the cleanup, never the certificate, so they do not trigger a re-issue.

export function certificateSpecHash(spec: ManagedCertificateSpec): string {
  const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();
  const shape = {
    connectionRef: spec.connectionRef,
    commonName: spec.commonName ?? null,
    dnsNames: sorted(spec.dnsNames),
    ipAddresses: sorted(spec.ipAddresses),
    emailAddresses: sorted(spec.emailAddresses),
    uris: sorted(spec.uris),
    subject: spec.subject ?? null,
    key: { algorithm: spec.privateKey.algorithm, size: spec.privateKey.size ?? null },
    duration: spec.duration ?? null,
    sectigo:
      spec.sectigo === undefined
        ? null
        : {
            type: spec.sectigo.type,
            profile: spec.sectigo.profile,
            term: spec.sectigo.term ?? null,
            orgId: spec.sectigo.orgId ?? null,
            person: spec.sectigo.person ?? null,
          },
    cloudflare: spec.cloudflare === undefined ? null : { validityDays: spec.cloudflare.validityDays ?? null },
  };
  return createHash("sha256").update(canonicalJson(shape)).digest("hex").slice(0, 32);
}

// ---------------------------------------------------------------------------------------------------
// Renewal time

/** notAfter − renewBefore when set (never before notBefore), else notBefore + 2/3 of the lifetime. */
export function renewalTime(notBefore: Date, notAfter: Date, renewBefore: string | undefined): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const before = renewBefore === undefined ? undefined : parseDuration(renewBefore);
  if (before !== undefined && before < lifetime) return new Date(Math.max(notBefore.getTime(), notAfter.getTime() - before));
  return new Date(notBefore.getTime() + Math.floor((lifetime * 2) / 3));
}

// ---------------------------------------------------------------------------------------------------
// Business backoff (kept in status, so a restart does not retry every failed resource at once)

export const BUSINESS_BACKOFF = { firstMs: 2 * 60_000, maxMs: 8 * 3_600_000 } as const;

/** Delay after the n-th consecutive failure: 2 min, 4, 8, … capped at 8 h. */
export function businessBackoffMs(failedAttempts: number, b: { firstMs: number; maxMs: number } = BUSINESS_BACKOFF): number {
  if (failedAttempts <= 0) return 0;
  return Math.min(b.maxMs, b.firstMs * 2 ** Math.min(failedAttempts - 1, 30));
}

/** How long until the next issuance attempt may start (0 = now). */
export function backoffRemainingMs(
  status: Pick<ManagedCertificateStatus, "failedIssuanceAttempts" | "lastFailureTime">,
  now: Date,
  b?: { firstMs: number; maxMs: number },
): number {
  const n = status.failedIssuanceAttempts ?? 0;
  if (n === 0 || status.lastFailureTime === undefined) return 0;
  const until = Date.parse(status.lastFailureTime) + businessBackoffMs(n, b);
  return Math.max(0, until - now.getTime());
}
