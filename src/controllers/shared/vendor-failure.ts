// The error policy (ports/error-policy.ts) applied: what a reconcile writes and then returns for a
// vendor error. Every controller goes through here, so a retried or person-blocked error always shows
// a condition with the vendor's reason, and is returned as well when it is a retry (issuer-lib).
import { type VendorErrorAction, meaningOf, vendorConditionMessage } from "../../ports/error-policy.ts";
import type { VendorError } from "../../ports/vendor-error.ts";
import { TerminalError } from "../../runtime/errors.ts";
import type { Result } from "../../runtime/reconcile.ts";

/** How often a person-blocked order or a refused credential is looked at again (nothing else wakes it). */
export const WAIT_FOR_PERSON_POLL_MS = 15 * 60_000;
export const CREDENTIALS_RECHECK_MS = 10 * 60_000;

export interface VendorFailure {
  readonly action: VendorErrorAction;
  /** For the condition: the policy's reason and the vendor's reason plus the next step. */
  readonly reason: string;
  readonly message: string;
  /**
   * Call after the condition is written: returns the planned poll (waitForPerson, credentials) or
   * throws — the vendor error itself for a retry (backoff at least its Retry-After), a TerminalError
   * for a stop.
   */
  finish(): Result;
}

export interface VendorFailureOptions {
  readonly waitForPersonPollMs?: number;
  readonly credentialsRecheckMs?: number;
}

export function vendorFailure(error: VendorError, opts: VendorFailureOptions = {}): VendorFailure {
  const meaning = meaningOf(error);
  const message = vendorConditionMessage(error, meaning);
  const finish = (): Result => {
    switch (meaning.action) {
      case "retry":
        throw error;
      case "waitForPerson":
        return { requeueAfterMs: Math.max(opts.waitForPersonPollMs ?? WAIT_FOR_PERSON_POLL_MS, error.retryAfterMs ?? 0) };
      case "credentials":
        return { requeueAfterMs: opts.credentialsRecheckMs ?? CREDENTIALS_RECHECK_MS };
      case "stop":
        throw new TerminalError(message, { cause: error });
    }
  };
  return { action: meaning.action, reason: meaning.reason, message, finish };
}
