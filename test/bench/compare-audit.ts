// API requests per controller, counted by the API server: its audit log names the user of every request,
// and each controller runs under a user of its own, so both systems are counted the same way whatever
// their clients count (or forget to count) themselves. The log itself is scale-audit.ts's (the same
// policy and reading as npm run bench); this adds the totals the comparison prints.
import { type AuditedRequest, breakdown, isWrite, readAudit, within } from "./scale-audit.ts";

export interface RequestCounts {
  readonly requests: number;
  /** create, update, patch, delete, deletecollection. */
  readonly writes: number;
  /** Answered 4xx/5xx: conflicts (409) on stale writes, 404 look-ups. They cost the API server all the same. */
  readonly refused: number;
  /** "verb resource[/subresource]" → count, largest first. */
  readonly byKind: Record<string, number>;
  /** The same for the refused ones alone. */
  readonly refusedByKind: Record<string, number>;
}

/** Totals of a list of one user's requests; pure. */
export function requestCounts(requests: readonly AuditedRequest[]): RequestCounts {
  const refused = requests.filter((r) => r.code >= 400);
  return {
    requests: requests.length,
    writes: requests.filter(isWrite).length,
    refused: refused.length,
    byKind: breakdown(requests),
    refusedByKind: breakdown(refused),
  };
}

/**
 * `user`'s requests received in [from, to) (ms since the epoch). A watch is logged when it ends, so read
 * the log after the controller has stopped.
 */
export async function countRequests(logPath: string, user: string, from: number, to: number): Promise<RequestCounts> {
  return requestCounts(within(await readAudit(logPath, user), from, to));
}
