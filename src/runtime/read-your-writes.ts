// Read-your-writes for one process: an informer may lag the writes this process just made. A
// reconcile starts from whichever is newer — the cached object or the one we wrote — so it never
// decides on a status it has already replaced (and never sends a write doomed to a 409).
import { type KubeObject, keyOf } from "./kube/resource.ts";

interface Written<T> {
  readonly object: T;
  /** resourceVersions our writes were based on: a cache showing one of them has not seen our write yet. */
  readonly basedOn: readonly string[];
}

const DECIMAL = /^\d+$/;

/**
 * Is the cache's resourceVersion older than ours? resourceVersions are opaque to clients; etcd's
 * happen to be increasing integers, which the comparison uses when both are. Otherwise only a
 * version we based a write on (so certainly older) counts as older.
 */
export function olderThanWritten(cachedRv: string | undefined, writtenRv: string | undefined, basedOn: readonly string[]): boolean {
  if (cachedRv === undefined || writtenRv === undefined || cachedRv === writtenRv) return false;
  if (DECIMAL.test(cachedRv) && DECIMAL.test(writtenRv)) return BigInt(cachedRv) < BigInt(writtenRv);
  return basedOn.includes(cachedRv);
}

/** The newest object this process wrote per key, until the cache shows it (or something newer). */
export class WrittenObjects<T extends KubeObject> {
  readonly #latest = new Map<string, Written<T>>();

  /** `written` is what the API server answered to a write based on `basedOn` (the resourceVersion sent). */
  remember(written: T, basedOn: string | undefined): void {
    const key = keyOf(written.metadata);
    const previous = this.#latest.get(key);
    const sameObject = previous !== undefined && previous.object.metadata.uid === written.metadata.uid;
    const chain = sameObject ? previous.basedOn : [];
    this.#latest.set(key, { object: written, basedOn: basedOn === undefined ? chain : [...chain, basedOn].slice(-16) });
  }

  /**
   * The cached object, or what we wrote if the cache has not caught up with it. A deleted object
   * (cache undefined) or a re-created namesake (another uid) is taken from the cache: it is the truth.
   */
  freshest(key: string, cached: T | undefined): T | undefined {
    const mine = this.#latest.get(key);
    if (mine === undefined) return cached;
    if (cached === undefined || cached.metadata.uid !== mine.object.metadata.uid) {
      this.#latest.delete(key);
      return cached;
    }
    if (olderThanWritten(cached.metadata.resourceVersion, mine.object.metadata.resourceVersion, mine.basedOn)) return mine.object;
    this.#latest.delete(key); // the cache has our write, or something newer than it
    return cached;
  }

  forget(key: string): void {
    this.#latest.delete(key);
  }

  get size(): number {
    return this.#latest.size;
  }
}
