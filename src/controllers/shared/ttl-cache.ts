// A small cache whose entries expire after a time-to-live, judged by the injected clock (not the
// global one: the simulation and tests decide what time it is). The resolver keeps credentials
// Secrets and unwatched namespaces in one: they are fetched, never watched.
import { type Clock, millisOf } from "../../runtime/clock.ts";

export class TtlCache<V> {
  readonly #entries = new Map<string, { at: number; value: V }>();
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(clock: Clock, ttlMs: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /**
   * The value, if it was set less than the TTL ago (`{ value }`, so an undefined value is a hit too);
   * `maxAgeMs`: a reader that wants it fresher than the TTL (the entry stays for others).
   */
  get(key: string, maxAgeMs = this.#ttlMs): { readonly value: V } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const age = millisOf(this.#clock) - entry.at;
    if (age >= 0 && age < Math.min(maxAgeMs, this.#ttlMs)) return { value: entry.value };
    if (!(age >= 0 && age < this.#ttlMs)) this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.#entries.set(key, { at: millisOf(this.#clock), value });
  }

  clear(): void {
    this.#entries.clear();
  }
}
