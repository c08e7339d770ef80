// cert-manager is optional: the CertificateRequest controller runs only while the API server serves
// certificaterequests.cert-manager.io, and the issuer controllers start once it serves our issuer
// kinds (a Helm upgrade does not install new CRDs; an informer on a kind nobody serves would never
// sync and hold every controller back). One small controller decides, on the leader, from watches on
// exactly those CRDs (crd-watch.ts): nothing is polled, a CRD's change wakes it. Absent, it says so
// once; served, it starts what they enable; a part that can stop is stopped once its CRD is gone.
import type { Logger } from "pino";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { Key, ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { type ServedKinds, crdNameOf } from "./crd-watch.ts";

/** One optional part: what it needs served, how to start (and maybe stop) it, and what to say while it is missing. */
export interface OptionalPart {
  readonly name: string;
  readonly needs: readonly ResourceType[];
  /** Starts the part (informers synced, controllers running); on failure it leaves nothing running. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Stops the part once a kind it needs is no longer served (its CRD deleted); it may start again
   * later. A part without `stop` runs for the process's life, and its kinds stop being watched.
   */
  stop?(): Promise<void>;
  /** Said once each time a kind it needs is found not served. */
  readonly absent: string;
}

export const DETECTION_KEY = "optional-apis";

export class OptionalStart implements Reconciler {
  readonly name = "optional-apis";
  readonly #parts: readonly OptionalPart[];
  readonly #kinds: ServedKinds;
  readonly #log: Logger;
  readonly #started = new Set<string>();
  readonly #said = new Set<string>();

  /** Parts start in order; a part waits while an earlier one is missing. */
  constructor(init: { parts: readonly OptionalPart[]; kinds: ServedKinds; log: Logger }) {
    this.#parts = init.parts;
    this.#kinds = init.kinds;
    this.#log = init.log;
  }

  get started(): readonly string[] {
    return [...this.#started];
  }

  async reconcile(ctx: ReconcileContext, _key: Key): Promise<Result> {
    let earlierMissing = false;
    for (const part of this.#parts) {
      const running = this.#started.has(part.name);
      if (running && part.stop === undefined) continue; // started for good; its kinds are no longer watched
      const missing = await this.#missing(part, ctx.signal);
      if (running) {
        if (missing.length > 0) await this.#stop(part, missing);
        continue;
      }
      if (earlierMissing || missing.length > 0) {
        if (missing.length > 0) this.#sayAbsent(part, missing);
        earlierMissing = true;
        continue; // a CRD's change wakes this controller: no poll
      }
      await part.start(ctx.signal);
      this.#started.add(part.name);
      this.#said.delete(part.name);
      this.#log.info({ part: part.name }, `${part.name} started`);
      if (part.stop === undefined) for (const type of part.needs) await this.#kinds.forget(type);
    }
    return {};
  }

  async #missing(part: OptionalPart, signal: AbortSignal): Promise<string[]> {
    const missing: string[] = [];
    for (const type of part.needs) if (!(await this.#kinds.served(type, signal))) missing.push(crdNameOf(type));
    return missing;
  }

  #sayAbsent(part: OptionalPart, missing: readonly string[]): void {
    if (this.#said.has(part.name)) return;
    this.#said.add(part.name);
    this.#log.info({ part: part.name, missing }, part.absent);
  }

  async #stop(part: OptionalPart, missing: readonly string[]): Promise<void> {
    await part.stop?.();
    this.#started.delete(part.name);
    this.#log.info({ part: part.name, missing }, `${part.name} stopped: its CRD is no longer served`);
    this.#sayAbsent(part, missing);
  }
}
