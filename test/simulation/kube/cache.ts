// An informer cache of one kind, fed from the model's event log. It can lag (the scheduler delivers
// one event at a time, interleaved with everything else), start from an older snapshot (a restart
// whose LIST was served from the API server's watch cache), and miss events for a while (a watch
// gap: it then relists and reports every key that changed meanwhile, as the real informer does).
// Listeners hear "this key may have changed" with the current and previous object, like runtime/informer.
import type { ChangeListener } from "../../../src/runtime/informer.ts";
import { matchesLabelSelector } from "../../../src/api/v1alpha1/index.ts";
import type { KubeObject } from "../../../src/runtime/kube/resource.ts";
import type { KubeEvent, KubeModel } from "./model.ts";

export interface CacheOptions {
  readonly plural: string;
  /** matchLabels only (the operator selects owned Secrets by one label). */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** What the real informer keeps of each object (runtime/informer.ts `transform`), e.g. owned Secrets digested. */
  readonly transform?: (object: KubeObject) => KubeObject;
}

export class InformerCache<T extends KubeObject = KubeObject> {
  readonly plural: string;
  readonly #model: KubeModel;
  readonly #matchLabels: Readonly<Record<string, string>> | undefined;
  readonly #transform: ((object: KubeObject) => KubeObject) | undefined;
  readonly #map = new Map<string, T>();
  readonly #listeners: ChangeListener<T>[] = [];
  /** Index into the model's event log of the next event to deliver. */
  #cursor: number;
  /** While set, the watch is broken: nothing is delivered until then, and then the cache relists. */
  gapUntil: number | undefined;

  /** Starts as of event `startAt` of the log (≤ its length: an older snapshot when smaller). */
  constructor(model: KubeModel, options: CacheOptions, startAt: number) {
    this.plural = options.plural;
    this.#model = model;
    this.#matchLabels = options.matchLabels;
    this.#transform = options.transform;
    const log = model.log(this.plural);
    this.#cursor = Math.max(0, Math.min(startAt, log.length));
    for (let i = 0; i < this.#cursor; i++) this.#fold(log[i]!);
  }

  #selected(o: KubeObject): boolean {
    return this.#matchLabels === undefined || matchesLabelSelector({ matchLabels: { ...this.#matchLabels } }, o.metadata.labels ?? {});
  }

  #fold(e: KubeEvent): void {
    if (e.type === "DELETED" || !this.#selected(e.object)) this.#map.delete(e.key);
    else this.#map.set(e.key, (this.#transform ? this.#transform(e.object) : e.object) as T);
  }

  onChange(listener: ChangeListener<T>): void {
    this.#listeners.push(listener);
  }

  #emit(key: string, current: T | undefined, previous: T | undefined): void {
    for (const l of this.#listeners) l(key, current, previous);
  }

  get(key: string): T | undefined {
    return this.#map.get(key);
  }

  list(): T[] {
    return [...this.#map.values()];
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  /** Events not yet delivered. */
  get backlog(): number {
    return this.#model.log(this.plural).length - this.#cursor;
  }

  /** Tells every listener about every cached key (what an informer's initial list does). */
  announceAll(): void {
    for (const [key, obj] of this.#map) this.#emit(key, obj, undefined);
  }

  /** Delivers the next event; returns its description for the trace. */
  deliverOne(): string {
    const e = this.#model.log(this.plural)[this.#cursor++]!;
    const previous = this.#map.get(e.key);
    this.#fold(e);
    const current = this.#map.get(e.key);
    if (previous !== undefined || current !== undefined) this.#emit(e.key, current, previous);
    return `${e.type} ${this.plural} ${e.key} rv=${e.rv}`;
  }

  /** After a watch gap: jump to the present and report every key whose object changed. */
  relist(): number {
    const before = new Map(this.#map);
    const log = this.#model.log(this.plural);
    for (; this.#cursor < log.length; this.#cursor++) this.#fold(log[this.#cursor]!);
    let changed = 0;
    for (const key of new Set([...before.keys(), ...this.#map.keys()])) {
      const prev = before.get(key);
      const cur = this.#map.get(key);
      if (prev === cur) continue;
      changed++;
      this.#emit(key, cur, prev);
    }
    this.gapUntil = undefined;
    return changed;
  }
}
