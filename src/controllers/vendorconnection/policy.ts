// Pure decisions for the connection controllers: is a vendor call due, what condition a verification
// outcome becomes, and how to name the endpoint in a message. No I/O here; tested as tables.
import { ConditionType, type ConnectionStatus, Reason, type Vendor } from "../../api/v1alpha1/index.ts";
import { findCondition, type ConditionInput } from "../../runtime/conditions.ts";
import { meaningOf, vendorReason } from "../../ports/error-policy.ts";
import type { ConnectionSettings } from "../../ports/connection.ts";
import type { VendorError } from "../../ports/vendor-error.ts";

/**
 * Re-verify a working connection this often: credentials revoked at the vendor show on the connection
 * within the hour (a resource that calls the vendor meets the refusal at once), and changed credentials
 * are verified when the Secret is re-read (SECRET_RECHECK_MS). Each re-verification is one vendor call
 * and one status write (lastVerifiedTime), so quiet connections cost little (issue 13 item 6).
 */
export const REVERIFY_INTERVAL_MS = 60 * 60_000;
/** Credentials the vendor refused are tried again this often, or as soon as the Secret changes. */
export const RETRY_REJECTED_MS = 10 * 60_000;
/** Credentials Secrets are not ours and not watched: look at them again this often. */
export const SECRET_RECHECK_MS = 5 * 60_000;

/** What the controller remembers (in memory) about its last vendor call for a connection. */
export interface LastAttempt {
  readonly fingerprint: string;
  readonly at: number;
  /** A retryable failure: the queue's backoff decides the next call, not the interval. */
  readonly retryable: boolean;
}

export interface VerificationInput {
  readonly status: ConnectionStatus | undefined;
  readonly generation: number | undefined;
  readonly credentialsResourceVersion: string | undefined;
  readonly fingerprint: string;
  readonly last: LastAttempt | undefined;
  readonly now: number;
  readonly intervalMs?: number;
  /** How long refused credentials wait (default RETRY_REJECTED_MS). */
  readonly rejectedRetryMs?: number;
}

export type VerificationDecision = { readonly due: true; readonly why: string } | { readonly due: false; readonly nextInMs: number };

/** Whether to call the vendor now; a resync alone never does (TARGETS: no vendor calls when Ready). */
export function verificationDue(input: VerificationInput): VerificationDecision {
  const interval = input.intervalMs ?? REVERIFY_INTERVAL_MS;
  const { status, last, now } = input;
  if (last !== undefined && last.fingerprint !== input.fingerprint) return { due: true, why: "the connection or its credentials changed" };
  const ready = findCondition(status?.conditions, ConditionType.Ready);
  if (status !== undefined && ready?.status === "True" && ready.reason === Reason.Verified) {
    if (status.observedGeneration !== input.generation) return { due: true, why: "the spec changed" };
    if (status.credentialsResourceVersion !== input.credentialsResourceVersion) return { due: true, why: "the credentials Secret changed" };
    const verifiedAt = status.lastVerifiedTime === undefined ? Number.NaN : Date.parse(status.lastVerifiedTime);
    const age = now - verifiedAt;
    if (!(age >= 0 && age < interval)) return { due: true, why: "periodic re-verification" };
    return { due: false, nextInMs: interval - age };
  }
  // Not verified. A failure that retrying cannot fix waits for a change or the interval; anything
  // else (first sight, a restart, a retryable failure coming back from backoff) calls now.
  if (last !== undefined && !last.retryable) {
    const wait = input.rejectedRetryMs ?? RETRY_REJECTED_MS;
    const age = now - last.at;
    if (age >= 0 && age < wait) return { due: false, nextInMs: wait - age };
  }
  return { due: true, why: ready === undefined ? "not verified yet" : "not verified" };
}

export interface Outcome {
  readonly condition: ConditionInput;
  /** Retry through the queue's backoff (transient vendor trouble) rather than waiting for a change. */
  readonly retry: boolean;
}

export function verifiedCondition(vendor: Vendor, endpoint: string): ConditionInput {
  return { type: ConditionType.Ready, status: "True", reason: Reason.Verified, message: `${vendorLabel(vendor)} accepted the credentials at ${endpoint}` };
}

/**
 * A failed verification as a condition, by the one error policy (ports/error-policy.ts): its reason,
 * the vendor's reason and the next step. Retried through the queue's backoff when the policy says
 * retry; anything else waits for a change of the connection or the re-verification interval.
 */
export function failedVerification(vendor: Vendor, endpoint: string, error: VendorError): Outcome {
  const meaning = meaningOf(error);
  const retry = meaning.action === "retry";
  if (meaning.action === "credentials") {
    return {
      condition: {
        type: ConditionType.Ready,
        status: "False",
        reason: meaning.reason,
        message: `${vendorLabel(vendor)} at ${endpoint} rejected the credentials: ${error.detail}; ${meaning.nextStep}.`,
      },
      retry,
    };
  }
  return {
    condition: {
      type: ConditionType.Ready,
      status: "False",
      reason: meaning.reason,
      message: `verifying against ${vendorLabel(vendor)} at ${endpoint} failed: ${vendorReason(error)}; ${meaning.nextStep}.`,
    },
    retry,
  };
}

const LABELS: Record<Vendor, string> = { zpa: "ZPA", cloudflare: "Cloudflare", sectigo: "Sectigo" };

export function vendorLabel(vendor: Vendor): string {
  return LABELS[vendor];
}

/** The endpoint host a message names (never a path, query or credential). */
export function endpointOf(connection: ConnectionSettings): string {
  const baseUrl = connection.settings.baseUrl;
  const host = baseUrl === undefined ? undefined : hostOf(baseUrl);
  if (host !== undefined) return host;
  if (connection.vendor === "zpa") {
    if (connection.settings.authMode === "OneAPI") return "the OneAPI gateway";
    if (connection.settings.cloud !== undefined) return `the ${connection.settings.cloud} cloud`;
  }
  return "the default endpoint";
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
