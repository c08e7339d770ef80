// The pure index behind ConnectionConsumers: connection → namespace → consumers, and namespace →
// consumers. It answers "who holds this connection" in O(its consumers) and says, on each update,
// which connections gained or lost a consumer (so their controller recounts).
import type { KubeObject } from "../../runtime/kube/resource.ts";
import {
  type ConnectionId,
  type Consumer,
  type ConsumerKind,
  connectionIdKey,
  connectionsUsedBy,
  parseConnectionIdKey,
  parseConsumerName,
} from "./connection-ids.ts";

/** The connections a consumer object holds now (a resource's connectionRef; a request's, through its issuer). */
export type ConnectionsUsedBy = (object: KubeObject) => ConnectionId[];

export class ConsumerIndex {
  readonly #byConnection = new Map<string, Map<string, Set<string>>>();
  readonly #byConsumer = new Map<string, string[]>();
  readonly #byNamespace = new Map<string, Set<string>>();

  /**
   * The consumer is now `current` (undefined: gone); returns the connections whose consumers changed.
   * `usedBy` says which connections an object holds (default: its own connectionRefs).
   */
  update(kind: ConsumerKind, key: string, current: KubeObject | undefined, usedBy: ConnectionsUsedBy = connectionsUsedBy): ConnectionId[] {
    const consumer = `${kind} ${key}`;
    const namespace = key.slice(0, Math.max(0, key.indexOf("/")));
    const before = this.#byConsumer.get(consumer) ?? [];
    const after = (current === undefined ? [] : usedBy(current)).map(connectionIdKey).sort();
    if (before.length === after.length && before.every((k, i) => k === after[i])) return [];
    for (const k of before) if (!after.includes(k)) this.#remove(k, namespace, consumer);
    for (const k of after) {
      const byNs = this.#byConnection.get(k) ?? new Map<string, Set<string>>();
      const set = byNs.get(namespace) ?? new Set<string>();
      set.add(consumer);
      byNs.set(namespace, set);
      this.#byConnection.set(k, byNs);
    }
    if (after.length === 0) {
      this.#byConsumer.delete(consumer);
      this.#dropFromNamespace(namespace, consumer);
    } else {
      this.#byConsumer.set(consumer, after);
      const set = this.#byNamespace.get(namespace) ?? new Set<string>();
      set.add(consumer);
      this.#byNamespace.set(namespace, set);
    }
    const changed = new Set([...before.filter((k) => !after.includes(k)), ...after.filter((k) => !before.includes(k))]);
    return [...changed].map((k) => parseConnectionIdKey(k)).filter((id): id is ConnectionId => id !== undefined);
  }

  /** Consumers of a connection, optionally only those in one namespace. */
  consumersOf(id: ConnectionId, namespace?: string): Consumer[] {
    const byNs = this.#byConnection.get(connectionIdKey(id));
    if (byNs === undefined) return [];
    const sets = namespace === undefined ? [...byNs.values()] : [byNs.get(namespace) ?? new Set<string>()];
    return sets.flatMap((set) => [...set].map(parseConsumerName));
  }

  /** Namespaces that have consumers of a connection. */
  namespacesOf(id: ConnectionId): string[] {
    return [...(this.#byConnection.get(connectionIdKey(id))?.keys() ?? [])];
  }

  /** Every connection that has consumers in a namespace, with those consumers. */
  connectionsIn(namespace: string): Array<{ id: ConnectionId; consumers: Consumer[] }> {
    const out = new Map<string, Consumer[]>();
    for (const consumer of this.#byNamespace.get(namespace) ?? []) {
      for (const k of this.#byConsumer.get(consumer) ?? []) out.set(k, [...(out.get(k) ?? []), parseConsumerName(consumer)]);
    }
    return [...out].flatMap(([k, consumers]) => {
      const id = parseConnectionIdKey(k);
      return id === undefined ? [] : [{ id, consumers }];
    });
  }

  #remove(k: string, namespace: string, consumer: string): void {
    const byNs = this.#byConnection.get(k);
    const set = byNs?.get(namespace);
    set?.delete(consumer);
    if (set?.size === 0) byNs!.delete(namespace);
    if (byNs?.size === 0) this.#byConnection.delete(k);
  }

  #dropFromNamespace(namespace: string, consumer: string): void {
    const set = this.#byNamespace.get(namespace);
    set?.delete(consumer);
    if (set?.size === 0) this.#byNamespace.delete(namespace);
  }
}
