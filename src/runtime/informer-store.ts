// The informer's cache: objects by key, field indexes kept beside them, and level-style change
// notices ("this key may have changed", with the object now and before). The list+watch loop in
// informer.ts feeds it; nothing here does I/O.
import type { Logger } from "pino";
import { type IndexFunc, Indexer } from "./indexer.ts";
import { type KubeObject, keyOf } from "./kube/resource.ts";

export type ChangeListener<T> = (key: string, current: T | undefined, previous: T | undefined) => void;

/**
 * A cache as its readers see it: the Informer, a FakeCache in unit tests and the simulation's caches
 * all are one. Code that only reads a cache takes this, not the Informer class.
 */
export interface ReadCache<T> {
  get(key: string): T | undefined;
  list(): T[];
  onChange(listener: ChangeListener<T>): void;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export class InformerStore<T extends KubeObject> {
  readonly #objects = new Map<string, T>();
  readonly #listeners: ChangeListener<T>[] = [];
  readonly #indexer = new Indexer<T>();
  readonly #onListenerError: (error: unknown, key: string) => void;
  readonly #transform: ((object: T) => T) | undefined;

  /** A listener that throws is logged (`log`) and the others still hear; a test fake may rethrow instead. */
  constructor(init: { log?: Logger; onListenerError?: (error: unknown, key: string) => void; transform?: (object: T) => T }) {
    const log = init.log;
    this.#onListenerError =
      init.onListenerError ?? ((error, key) => log?.error({ err: error instanceof Error ? error.message : String(error), key }, "change listener threw"));
    this.#transform = init.transform;
  }

  get size(): number {
    return this.#objects.size;
  }

  onChange(listener: ChangeListener<T>): void {
    this.#listeners.push(listener);
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#indexer.add(name, fn, this.#objects.values());
  }

  byIndex(name: string, value: string): T[] {
    return this.#indexer
      .keys(name, value)
      .map((k) => this.#objects.get(k))
      .filter((o): o is T => o !== undefined);
  }

  indexKeys(name: string, value: string): string[] {
    return this.#indexer.keys(name, value);
  }

  /**
   * A LIST's answer for one scope (a namespace, or everything): the scope's entries are replaced, and
   * listeners hear of each key that was added, changed (another resourceVersion) or is gone.
   */
  replace(inScope: (object: T) => boolean, items: readonly T[]): void {
    const fresh = new Map<string, T>();
    for (const item of items) fresh.set(keyOf(item.metadata), this.#trim(item));
    const previous = new Map<string, T>();
    for (const [key, item] of this.#objects) if (inScope(item)) previous.set(key, item);
    for (const key of previous.keys()) {
      if (fresh.has(key)) continue;
      this.#objects.delete(key);
      this.#indexer.update(key, undefined);
    }
    for (const [key, item] of fresh) {
      this.#objects.set(key, item);
      this.#indexer.update(key, item);
    }
    for (const [key, item] of fresh) {
      const old = previous.get(key);
      if (old?.metadata.resourceVersion !== item.metadata.resourceVersion) this.#emit(key, item, old);
    }
    for (const [key, old] of previous) if (!fresh.has(key)) this.#emit(key, undefined, old);
  }

  /** One watch event. */
  apply(type: "ADDED" | "MODIFIED" | "DELETED", object: T): void {
    const key = keyOf(object.metadata);
    const previous = this.#objects.get(key);
    if (type === "DELETED") {
      this.#objects.delete(key);
      this.#indexer.update(key, undefined);
      this.#emit(key, undefined, previous ?? this.#trim(object));
      return;
    }
    const current = this.#trim(object);
    this.#objects.set(key, current);
    this.#indexer.update(key, current);
    this.#emit(key, current, previous);
  }

  /**
   * managedFields and kubectl's last-applied-configuration (a second copy of the whole object, as
   * large as it) are never kept: no reconcile reads them. The owner's transform trims the rest.
   */
  #trim(object: T): T {
    const annotations = object.metadata.annotations;
    if (object.metadata.managedFields || (annotations !== undefined && LAST_APPLIED in annotations)) {
      object = { ...object, metadata: { ...object.metadata } };
      delete object.metadata.managedFields;
      if (annotations !== undefined && LAST_APPLIED in annotations) {
        const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
        object.metadata.annotations = rest;
      }
    }
    return this.#transform ? this.#transform(object) : object;
  }

  #emit(key: string, current: T | undefined, previous: T | undefined): void {
    for (const listener of this.#listeners) {
      try {
        listener(key, current, previous);
      } catch (error) {
        this.#onListenerError(error, key);
      }
    }
  }
}
