// cert-manager is optional: the CertificateRequest controller starts only once the API server serves
// certificaterequests.cert-manager.io, and the issuer controllers only once it serves our issuer
// kinds (a Helm upgrade does not install new CRDs; an informer on a kind nobody serves would never
// sync and hold every controller back). One small controller looks, on the leader, until both are
// found: absent, it says so once and looks again; present, it starts what they enable, once.
import type { Logger } from "pino";
import { isNotFound } from "../../runtime/kube/errors.ts";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { Key, ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";

/** Is this kind served? (discovery: GET /apis/<group>/<version>, which every authenticated user may read) */
export type Discovery = (type: ResourceType, signal: AbortSignal) => Promise<boolean>;

export function discoveryOver(client: { call<T>(method: string, path: string, init?: { signal?: AbortSignal }): Promise<T> }): Discovery {
  return async (type, signal) => {
    try {
      const list = await client.call<{ resources?: Array<{ name: string }> }>("GET", `/apis/${type.group}/${type.version}`, { signal });
      return (list.resources ?? []).some((r) => r.name === type.plural);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
}

/** One optional part: what it needs served, how to start it, and what to say while it is missing. */
export interface OptionalPart {
  readonly name: string;
  readonly needs: readonly ResourceType[];
  /** Starts the part (informers synced, controllers running); called once. */
  start(signal: AbortSignal): Promise<void>;
  /** Said once while a kind it needs is not served. */
  readonly absent: string;
}

/** Looked at again this often while a part is missing (cert-manager installed later starts within it). */
export const DETECTION_INTERVAL_MS = 10_000;
export const DETECTION_KEY = "optional-apis";

export class OptionalStart implements Reconciler {
  readonly name = "optional-apis";
  readonly #parts: readonly OptionalPart[];
  readonly #discover: Discovery;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #started = new Set<string>();
  readonly #said = new Set<string>();

  /** Parts start in order; a part waits while an earlier one is missing. */
  constructor(init: { parts: readonly OptionalPart[]; discover: Discovery; log: Logger; intervalMs?: number }) {
    this.#parts = init.parts;
    this.#discover = init.discover;
    this.#log = init.log;
    this.#intervalMs = init.intervalMs ?? DETECTION_INTERVAL_MS;
  }

  get started(): readonly string[] {
    return [...this.#started];
  }

  async reconcile(ctx: ReconcileContext, _key: Key): Promise<Result> {
    for (const part of this.#parts) {
      if (this.#started.has(part.name)) continue;
      const missing: ResourceType[] = [];
      for (const type of part.needs) if (!(await this.#discover(type, ctx.signal))) missing.push(type);
      if (missing.length > 0) {
        if (!this.#said.has(part.name)) {
          this.#said.add(part.name);
          this.#log.info({ part: part.name, missing: missing.map((t) => `${t.plural}.${t.group}`) }, part.absent);
        }
        return { requeueAfterMs: this.#intervalMs };
      }
      await part.start(ctx.signal);
      this.#started.add(part.name);
      this.#log.info({ part: part.name }, `${part.name} started`);
    }
    return {};
  }
}
