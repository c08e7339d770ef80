// cert-manager is optional: the CertificateRequest controller runs only while the API server serves
// certificaterequests.cert-manager.io, and the issuer controllers start once it serves our issuer
// kinds (a Helm upgrade does not install new CRDs; an informer on a kind nobody serves would never
// sync and hold every controller back). One small controller decides, on the leader, from watches on
// exactly those CRDs (crd-watch.ts): nothing is polled, a CRD's change wakes it. Absent, it says so
// once; served, it starts what they enable; a part that can stop is stopped once its CRD is gone.
// RBAC refusing those CRDs makes the parts wait, never the operator: it says once what to grant and
// tries again with a backoff (detection-plan.ts).
import type { Logger } from "pino";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { Key, ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { type ServedKinds, crdNameOf } from "./crd-watch.ts";
import { type KindState, type PartStatus, crdRule, decidePart, notPermittedRetryMs, notPermittedWarning } from "./detection-plan.ts";

/** One optional part: what it needs served, how to start (and maybe stop) it, and what to say while it is missing. */
export interface OptionalPart {
  readonly name: string;
  /** Short and stable, for the status metric's `part` label. */
  readonly id: string;
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

interface Looked {
  readonly crd: string;
  readonly state: KindState;
}

export class OptionalStart implements Reconciler {
  readonly name = "optional-apis";
  readonly #parts: readonly OptionalPart[];
  readonly #kinds: ServedKinds;
  readonly #log: Logger;
  readonly #report: (part: string, status: PartStatus) => void;
  readonly #started = new Set<string>();
  readonly #said = new Set<string>();
  /** Retries made since RBAC first refused a CRD read; undefined while nothing is refused. */
  #refusedRetries: number | undefined;

  /** Parts start in order; a part waits while an earlier one is missing. */
  constructor(init: { parts: readonly OptionalPart[]; kinds: ServedKinds; log: Logger; report?: (part: string, status: PartStatus) => void }) {
    this.#parts = init.parts;
    this.#kinds = init.kinds;
    this.#log = init.log;
    this.#report = init.report ?? (() => {});
  }

  get started(): readonly string[] {
    return [...this.#started];
  }

  async reconcile(ctx: ReconcileContext, _key: Key): Promise<Result> {
    let earlierWaiting = false;
    const refused: string[] = [];
    for (const part of this.#parts) {
      const running = this.#started.has(part.name);
      // A part started for good is not looked at again: its kinds are no longer watched.
      const looked = running && part.stop === undefined ? [] : await this.#look(part, ctx.signal);
      const decision = decidePart({ running, stoppable: part.stop !== undefined, earlierWaiting, kinds: looked.map((k) => k.state) });
      const absent = looked.filter((k) => k.state === "absent").map((k) => k.crd);
      refused.push(...looked.filter((k) => k.state === "forbidden").map((k) => k.crd));
      if (decision.action === "start") await this.#start(part, ctx.signal);
      if (decision.action === "stop") await this.#stop(part, absent);
      if (decision.action === "wait" && decision.status === "not_served") this.#sayAbsent(part, absent);
      this.#report(part.id, decision.status);
      earlierWaiting ||= decision.action === "wait" || decision.action === "stop";
    }
    return this.#afterPass(refused);
  }

  async #look(part: OptionalPart, signal: AbortSignal): Promise<Looked[]> {
    const looked: Looked[] = [];
    for (const type of part.needs) looked.push({ crd: crdNameOf(type), state: await this.#kinds.state(type, signal) });
    return looked;
  }

  async #start(part: OptionalPart, signal: AbortSignal): Promise<void> {
    await part.start(signal);
    this.#started.add(part.name);
    this.#said.delete(part.name);
    this.#log.info({ part: part.name }, `${part.name} started`);
    if (part.stop === undefined) for (const type of part.needs) await this.#kinds.forget(type);
  }

  /** Refused reads: one Warning for the whole episode, then retries with a backoff; said again when it ends. */
  #afterPass(refused: readonly string[]): Result {
    if (refused.length === 0) {
      if (this.#refusedRetries !== undefined) this.#log.info("cert-manager support may read its CRDs now");
      this.#refusedRetries = undefined;
      return {};
    }
    const retries = this.#refusedRetries ?? 0;
    const requeueAfterMs = notPermittedRetryMs(retries);
    if (this.#refusedRetries === undefined) {
      const crds = [...new Set(this.#parts.flatMap((p) => p.needs.map(crdNameOf)))];
      this.#log.warn({ refused, missingRule: crdRule(crds), retryInMs: requeueAfterMs }, notPermittedWarning(crds));
    }
    this.#refusedRetries = retries + 1;
    return { requeueAfterMs };
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
