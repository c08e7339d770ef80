// Several ManagedCertificates naming one Secret: the oldest wins, the others wait with SecretConflict
// and no vendor call. An index keeps the check O(1) per reconcile at 10k resources.
import type { KubeObject } from "../../runtime/kube/resource.ts";

const secretNameOf = (o: KubeObject | undefined): string | undefined => (o as { spec?: { secretName?: string } } | undefined)?.spec?.secretName;

/** Which ManagedCertificates name which Secret. */
export class SecretNameIndex {
  readonly #byName = new Map<string, Set<string>>();

  update(key: string, current: KubeObject | undefined, previous: KubeObject | undefined): void {
    const ns = (current ?? previous)?.metadata.namespace ?? "";
    const before = secretNameOf(previous);
    const after = secretNameOf(current);
    if (before !== undefined && before !== after) this.#remove(`${ns}/${before}`, key);
    if (after !== undefined) {
      const k = `${ns}/${after}`;
      const set = this.#byName.get(k) ?? new Set<string>();
      set.add(key);
      this.#byName.set(k, set);
    }
  }

  keys(namespace: string, secretName: string): string[] {
    return [...(this.#byName.get(`${namespace}/${secretName}`) ?? [])];
  }

  /** Keys of the resources that named a Secret before or after this change (they decide among themselves). */
  affected(current: KubeObject | undefined, previous: KubeObject | undefined): string[] {
    const ns = (current ?? previous)?.metadata.namespace ?? "";
    const names = new Set([secretNameOf(current), secretNameOf(previous)]);
    return [...names].flatMap((name) => (name === undefined ? [] : this.keys(ns, name)));
  }

  #remove(k: string, key: string): void {
    const set = this.#byName.get(k);
    set?.delete(key);
    if (set?.size === 0) this.#byName.delete(k);
  }
}

/** Another live resource in this namespace that names the same Secret and was created first (its name), if any. */
export function olderSiblingNaming(me: KubeObject, secretName: string, candidates: readonly KubeObject[]): string | undefined {
  const mine = { at: me.metadata.creationTimestamp ?? "", name: me.metadata.name ?? "" };
  for (const other of candidates) {
    if (other.metadata.namespace !== me.metadata.namespace || other.metadata.uid === me.metadata.uid || other.metadata.deletionTimestamp) continue;
    if (secretNameOf(other) !== secretName) continue;
    const theirs = { at: other.metadata.creationTimestamp ?? "", name: other.metadata.name ?? "" };
    if (theirs.at < mine.at || (theirs.at === mine.at && theirs.name < mine.name)) return theirs.name;
  }
  return undefined;
}
