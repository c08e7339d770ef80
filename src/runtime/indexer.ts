// Field indexers on a cache (controller-runtime's IndexField / MatchingFields): "which ManagedCertificates
// name Secret team/web?" answered from an index kept beside the cache, instead of a scan of every
// object. An index function maps an object to the values it is found under (none, one or several).
import { type KubeObject, keyOf } from "./kube/resource.ts";

export type IndexFunc<T> = (object: T) => readonly string[];

/** A cache as the indexer sees it: its objects and its change feed. */
export interface IndexableCache<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  onChange(listener: (key: string, current: T | undefined, previous: T | undefined) => void): void;
}

/** The indexes of one cache. `update` must run before the cache's listeners hear of a change. */
export class Indexer<T extends KubeObject> {
  readonly #fns = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  readonly #byValue = new Map<string, Map<string, Set<string>>>();
  /** index name → key → values (to undo an object's old entries) */
  readonly #byKey = new Map<string, Map<string, readonly string[]>>();

  /** Adds an index and fills it from `existing` (the cache's objects at the time). */
  add(name: string, fn: IndexFunc<T>, existing: Iterable<T> = []): void {
    if (this.#fns.has(name)) throw new Error(`index ${name} exists already`);
    this.#fns.set(name, fn);
    this.#byValue.set(name, new Map());
    this.#byKey.set(name, new Map());
    for (const object of existing) this.#updateOne(name, fn, keyOf(object.metadata), object);
  }

  has(name: string): boolean {
    return this.#fns.has(name);
  }

  /** The key's object is now `current` (undefined: gone). */
  update(key: string, current: T | undefined): void {
    for (const [name, fn] of this.#fns) this.#updateOne(name, fn, key, current);
  }

  /** Keys of the objects found under `value` in index `name`, sorted. */
  keys(name: string, value: string): string[] {
    const byValue = this.#byValue.get(name);
    if (byValue === undefined) throw new Error(`no index ${name}`);
    return [...(byValue.get(value) ?? [])].sort();
  }

  #updateOne(name: string, fn: IndexFunc<T>, key: string, current: T | undefined): void {
    const byValue = this.#byValue.get(name)!;
    const byKey = this.#byKey.get(name)!;
    for (const v of byKey.get(key) ?? []) {
      const set = byValue.get(v);
      set?.delete(key);
      if (set?.size === 0) byValue.delete(v);
    }
    const values = current === undefined ? [] : [...new Set(fn(current))];
    if (values.length === 0) byKey.delete(key);
    else byKey.set(key, values);
    for (const v of values) {
      let set = byValue.get(v);
      if (set === undefined) byValue.set(v, (set = new Set()));
      set.add(key);
    }
  }
}

/**
 * Indexes over any cache with a change feed (the simulation's caches, a fake's): the index follows
 * the feed, so it must be created before listeners that read it are registered on the same cache.
 */
export class IndexedCache<T extends KubeObject> {
  readonly #cache: IndexableCache<T>;
  readonly #indexer = new Indexer<T>();

  constructor(cache: IndexableCache<T>) {
    this.#cache = cache;
    cache.onChange((key, current) => this.#indexer.update(key, current));
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#indexer.add(name, fn, this.#cache.list());
  }

  byIndex(name: string, value: string): T[] {
    return this.#indexer
      .keys(name, value)
      .map((k) => this.#cache.get(k))
      .filter((o): o is T => o !== undefined);
  }

  indexKeys(name: string, value: string): string[] {
    return this.#indexer.keys(name, value);
  }
}
