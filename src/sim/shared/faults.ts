// Fault injection shared by all simulators: latency, 5xx, 429, connection resets, lost responses,
// malformed JSON, HTML error pages and oversized bodies, optionally limited to a path and a number of
// requests. Latency delays the handling itself: a request is processed (a create commits) after the
// delay whether or not the client is still connected, and nothing it creates is visible before that.
import { z } from "zod";
import { seededRng, type Rng } from "./rng.ts";

const rate = z.number().min(0).max(1);

export const FaultSpecSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  fail5xxRate: rate.optional(),
  /** Status used for injected 5xx (default 503). */
  status5xx: z.number().int().min(500).max(599).optional(),
  rate429Rate: rate.optional(),
  resetRate: rate.optional(),
  /** The request is processed (a create commits), then the connection is reset instead of answering. */
  lostResponseRate: rate.optional(),
  malformedJsonRate: rate.optional(),
  htmlErrorRate: rate.optional(),
  oversizedRate: rate.optional(),
  oversizeBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .optional(),
  /** Retry-After header value for injected 5xx/429 (vendor default when absent). */
  retryAfter: z.string().max(64).optional(),
  /** Regular expression matched against "METHOD /path" (for example "^POST /zones/"). */
  pathPattern: z.string().max(500).optional(),
  /** Affect at most this many matching requests, then retire; absent = until cleared. */
  count: z.number().int().min(1).optional(),
  /** Seed for a deterministic sequence of decisions. */
  seed: z.number().int().optional(),
});
export type FaultSpec = z.infer<typeof FaultSpecSchema>;

export type FaultAction =
  | { readonly kind: "reset" }
  | { readonly kind: "lostResponse" }
  | { readonly kind: "5xx"; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: "429"; readonly retryAfter?: string }
  | { readonly kind: "html" }
  | { readonly kind: "malformedJson" }
  | { readonly kind: "oversized"; readonly bytes: number };

export interface FaultDecision {
  readonly latencyMs: number;
  readonly action?: FaultAction;
}

interface ActiveFault {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly pattern?: RegExp;
  readonly rng: Rng;
  remaining: number | undefined;
}

export interface FaultsApi {
  /** Replace all faults with this one; returns its id. */
  set(spec: FaultSpec): number;
  /** Add a fault next to the existing ones; returns its id. */
  add(spec: FaultSpec): number;
  clear(): void;
  list(): Array<FaultSpec & { id: number; remaining?: number }>;
}

export class FaultInjector implements FaultsApi {
  #faults: ActiveFault[] = [];
  #nextId = 1;
  injected: Record<string, number> = {};

  set(spec: FaultSpec): number {
    this.#faults = [];
    return this.add(spec);
  }

  add(spec: FaultSpec): number {
    const parsed = FaultSpecSchema.parse(spec);
    const id = this.#nextId++;
    this.#faults.push({
      id,
      spec: parsed,
      ...(parsed.pathPattern === undefined ? {} : { pattern: new RegExp(parsed.pathPattern) }),
      rng: parsed.seed === undefined ? Math.random : seededRng(parsed.seed),
      remaining: parsed.count,
    });
    return id;
  }

  clear(): void {
    this.#faults = [];
  }

  resetCounters(): void {
    this.injected = {};
  }

  list(): Array<FaultSpec & { id: number; remaining?: number }> {
    return this.#faults.map((f) => ({ ...f.spec, id: f.id, ...(f.remaining === undefined ? {} : { remaining: f.remaining }) }));
  }

  /** What to do to the request "METHOD /path". The first fault that acts wins. */
  decide(method: string, path: string): FaultDecision {
    const key = `${method} ${path}`;
    let latencyMs = 0;
    for (const f of this.#faults) {
      if (f.pattern !== undefined && !f.pattern.test(key)) continue;
      const action = pick(f);
      const acted = action !== undefined || (f.spec.latencyMs ?? 0) > 0;
      latencyMs = Math.max(latencyMs, f.spec.latencyMs ?? 0);
      if (acted && f.remaining !== undefined) f.remaining--;
      if (action !== undefined) {
        this.injected[action.kind] = (this.injected[action.kind] ?? 0) + 1;
        this.#retire();
        return { latencyMs, action };
      }
    }
    this.#retire();
    if (latencyMs > 0) this.injected["latency"] = (this.injected["latency"] ?? 0) + 1;
    return { latencyMs };
  }

  #retire(): void {
    this.#faults = this.#faults.filter((f) => f.remaining === undefined || f.remaining > 0);
  }
}

function pick(f: ActiveFault): FaultAction | undefined {
  const s = f.spec;
  const roll = (p: number | undefined): boolean => p !== undefined && p > 0 && f.rng() < p;
  if (roll(s.resetRate)) return { kind: "reset" };
  if (roll(s.lostResponseRate)) return { kind: "lostResponse" };
  if (roll(s.fail5xxRate)) return { kind: "5xx", status: s.status5xx ?? 503, ...(s.retryAfter === undefined ? {} : { retryAfter: s.retryAfter }) };
  if (roll(s.rate429Rate)) return { kind: "429", ...(s.retryAfter === undefined ? {} : { retryAfter: s.retryAfter }) };
  if (roll(s.htmlErrorRate)) return { kind: "html" };
  if (roll(s.malformedJsonRate)) return { kind: "malformedJson" };
  if (roll(s.oversizedRate)) return { kind: "oversized", bytes: s.oversizeBytes ?? 5 * 1024 * 1024 };
  return undefined;
}
