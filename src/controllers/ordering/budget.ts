// The issuance budget: paid issuances per connection per hour, as a brake on runaway loops (a bug or
// a flapping spec must not order thousands of certificates). In memory, a sliding window per
// connection, counted when a paid submit is about to go out. The default (no issuanceBudget on the
// connection) is the documented one: 100 per hour, the same as the API default of maxPerHour.

import type { Manager } from "../../runtime/manager.ts";

export const DEFAULT_ISSUANCES_PER_HOUR = 100;
const WINDOW_MS = 3_600_000;

export type BudgetAnswer = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly limit: number };

export class IssuanceBudget {
  readonly #now: () => number;
  readonly #defaultLimit: number;
  readonly #spent = new Map<string, number[]>();

  constructor(opts: { defaultPerHour?: number; now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#defaultLimit = opts.defaultPerHour ?? DEFAULT_ISSUANCES_PER_HOUR;
  }

  /** Takes one issuance from `connection`'s budget, or says how long until one frees up. `nowMs`: the caller's clock. */
  take(connection: string, limitPerHour?: number, nowMs?: number): BudgetAnswer {
    const limit = limitPerHour ?? this.#defaultLimit;
    const now = nowMs ?? this.#now();
    const times = (this.#spent.get(connection) ?? []).filter((t) => now - t < WINDOW_MS);
    if (times.length >= limit) {
      this.#spent.set(connection, times);
      return { ok: false, retryAfterMs: Math.max(1_000, times[0]! + WINDOW_MS - now), limit };
    }
    times.push(now);
    this.#spent.set(connection, times);
    return { ok: true };
  }

  used(connection: string): number {
    const now = this.#now();
    return (this.#spent.get(connection) ?? []).filter((t) => now - t < WINDOW_MS).length;
  }
}

/** The manager's one budget: ManagedCertificates and cert-manager CertificateRequests spend from the same connection's hour. */
export function sharedIssuanceBudget(manager: Pick<Manager, "shared" | "clock">): IssuanceBudget {
  return manager.shared("issuance-budget", () => new IssuanceBudget({ now: () => manager.clock.now().getTime() }));
}
