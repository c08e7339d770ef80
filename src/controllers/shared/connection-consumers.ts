// Which ManagedCertificates and ProvisioningKeys use which connection, and who must look again when
// a connection or a namespace changes (contract C2, issue 9 finding 6).
//
// One index per manager, fed by the consumers' informers. It answers two questions in O(consumers of
// one connection): "how many resources hold this connection?" (its in-use finalizer and status) and
// "which resources must reconcile now?" (a map-to-requests for connection and namespace events).
// Fan-out happens only on a real change: an edit, a deletion, new credentials, Ready flipping, or a
// namespace gaining or losing a ClusterVendorConnection's admission. Status writes, resyncs and
// re-verifications wake nobody, so 10,000 certificates on one connection stay quiet.
import { type ClusterVendorConnection, ConditionType, finalizers, matchesLabelSelector } from "../../api/v1alpha1/index.ts";
import type { Informer } from "../../runtime/informer.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { type NamespaceState, namespaceStateOf, sharedConnectionResolver } from "./connections.ts";

export type ConsumerKind = "ManagedCertificate" | "ProvisioningKey";
export type ConnectionKind = "VendorConnection" | "ClusterVendorConnection";

/** A connection by identity: a VendorConnection has a namespace, a ClusterVendorConnection none. */
export interface ConnectionId {
  readonly kind: ConnectionKind;
  readonly namespace?: string;
  readonly name: string;
}

export interface Consumer {
  readonly kind: ConsumerKind;
  /** The consumer's work-queue key, namespace/name. */
  readonly key: string;
}

export interface ConsumerSummary {
  readonly count: number;
  /** "ManagedCertificate team/web", sorted. */
  readonly names: readonly string[];
}

/** One string per connection, for maps: "VendorConnection team/cf" or "ClusterVendorConnection shared". */
export function connectionIdKey(id: ConnectionId): string {
  return id.kind === "VendorConnection" ? `VendorConnection ${id.namespace ?? ""}/${id.name}` : `ClusterVendorConnection ${id.name}`;
}

export function parseConnectionIdKey(key: string): ConnectionId | undefined {
  const [kind, rest] = key.split(" ", 2) as [string, string | undefined];
  if (rest === undefined) return undefined;
  if (kind === "ClusterVendorConnection") return { kind, name: rest };
  if (kind !== "VendorConnection") return undefined;
  const slash = rest.indexOf("/");
  return slash < 0 ? undefined : { kind, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

/** The work-queue key of the connection's own controller. */
export function connectionQueueKey(id: ConnectionId): string {
  return id.kind === "VendorConnection" ? `${id.namespace ?? ""}/${id.name}` : id.name;
}

interface ConsumerObject extends KubeObject {
  spec?: { connectionRef?: { kind?: string; name?: string }; publish?: { zpa?: { connectionRef?: { kind?: string; name?: string } } } };
}

/**
 * The connections a consumer holds: its connectionRef and, for a ManagedCertificate, the ZPA
 * connection it publishes through. A consumer being deleted holds them only while its cleanup
 * finalizer is there (its cleanup is what needs them).
 */
export function connectionsUsedBy(object: KubeObject | undefined): ConnectionId[] {
  if (object === undefined) return [];
  const m = object.metadata;
  if (m.deletionTimestamp !== undefined && !(m.finalizers ?? []).includes(finalizers.cleanup)) return [];
  const spec = (object as ConsumerObject).spec;
  const refs = [spec?.connectionRef, spec?.publish?.zpa?.connectionRef];
  const out = new Map<string, ConnectionId>();
  for (const ref of refs) {
    if (ref?.name === undefined || ref.name === "") continue;
    const id: ConnectionId = ref.kind === "ClusterVendorConnection" ? { kind: "ClusterVendorConnection", name: ref.name } : { kind: "VendorConnection", namespace: m.namespace ?? "", name: ref.name };
    out.set(connectionIdKey(id), id);
  }
  return [...out.values()];
}

const consumerName = (c: Consumer) => `${c.kind} ${c.key}`;

/**
 * The pure index: connection → namespace → consumers, and namespace → consumers. `update` returns
 * the connections whose set of consumers changed (so their controller recounts).
 */
export class ConsumerIndex {
  readonly #byConnection = new Map<string, Map<string, Set<string>>>();
  readonly #byConsumer = new Map<string, string[]>();
  readonly #byNamespace = new Map<string, Set<string>>();

  update(kind: ConsumerKind, key: string, current: KubeObject | undefined): ConnectionId[] {
    const consumer = `${kind} ${key}`;
    const namespace = key.slice(0, Math.max(0, key.indexOf("/")));
    const before = this.#byConsumer.get(consumer) ?? [];
    const ids = connectionsUsedBy(current);
    const after = ids.map(connectionIdKey).sort();
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
    return sets.flatMap((set) => [...set].map(toConsumer));
  }

  /** Namespaces that have consumers of a connection. */
  namespacesOf(id: ConnectionId): string[] {
    return [...(this.#byConnection.get(connectionIdKey(id))?.keys() ?? [])];
  }

  /** Every connection that has consumers in a namespace, with those consumers. */
  connectionsIn(namespace: string): Array<{ id: ConnectionId; consumers: Consumer[] }> {
    const out = new Map<string, Consumer[]>();
    for (const consumer of this.#byNamespace.get(namespace) ?? []) {
      for (const k of this.#byConsumer.get(consumer) ?? []) out.set(k, [...(out.get(k) ?? []), toConsumer(consumer)]);
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

function toConsumer(s: string): Consumer {
  const space = s.indexOf(" ");
  return { kind: s.slice(0, space) as ConsumerKind, key: s.slice(space + 1) };
}

interface ConnectionObject extends KubeObject {
  spec?: { namespaceSelector?: ClusterVendorConnection["spec"]["namespaceSelector"] };
  status?: { credentialsResourceVersion?: string; conditions?: Array<{ type: string; status: string }> };
}

/**
 * Does this connection event matter to the resources using it? Yes for creation and removal, an
 * edit or touch (generation, labels, annotations), deletion starting, new credentials verified
 * (status.credentialsResourceVersion), and Ready flipping. No for every other status write
 * (lastVerifiedTime, the consumer count, condition timestamps) and for finalizer changes.
 */
export function connectionChangeMatters(current: KubeObject | undefined, previous: KubeObject | undefined): boolean {
  if (current === undefined || previous === undefined) return true;
  const a = current as ConnectionObject;
  const b = previous as ConnectionObject;
  if (a.metadata.uid !== b.metadata.uid || a.metadata.generation !== b.metadata.generation) return true;
  if ((a.metadata.deletionTimestamp === undefined) !== (b.metadata.deletionTimestamp === undefined)) return true;
  if (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {})) return true;
  if (JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {})) return true;
  if (a.status?.credentialsResourceVersion !== b.status?.credentialsResourceVersion) return true;
  return readyOf(a) !== readyOf(b);
}

const readyOf = (c: ConnectionObject) => c.status?.conditions?.find((x) => x.type === ConditionType.Ready)?.status;

/** Does a ClusterVendorConnection admit a namespace with these labels? Undefined labels: unknown, so yes (hold, never drop). */
export function admits(connection: KubeObject | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (connection === undefined) return false;
  if (labels === undefined) return true;
  const selector = (connection as ConnectionObject).spec?.namespaceSelector;
  return selector !== undefined && matchesLabelSelector(selector, labels);
}

export type NamespaceChange = { readonly admissionOf: (connection: KubeObject | undefined) => { before: boolean; after: boolean }; readonly startedTerminating: boolean };

/** What a namespace event changes: admission per connection (labels), and whether teardown just began. */
export function namespaceChange(current: KubeObject | undefined, previous: KubeObject | undefined): NamespaceChange {
  const now: NamespaceState | undefined = current === undefined ? undefined : namespaceStateOf(current);
  const before: NamespaceState | undefined = previous === undefined ? undefined : namespaceStateOf(previous);
  return {
    admissionOf: (connection) => ({ before: admits(connection, before?.labels), after: admits(connection, now?.labels) }),
    startedTerminating: now?.terminating === true && before?.terminating !== true && previous !== undefined,
  };
}

type Wake = (key: string) => void;

/**
 * The index wired to informers: consumers attach their informer and their queue; connection
 * controllers listen for "the consumers of this connection changed".
 */
export class ConnectionConsumers {
  readonly index = new ConsumerIndex();
  readonly #wake = new Map<ConsumerKind, Wake[]>();
  readonly #changed: Array<(id: ConnectionId) => void> = [];
  readonly #vendorConnections: Informer<KubeObject>;
  readonly #clusterConnections: Informer<KubeObject>;
  readonly #namespaces: Informer<KubeObject> | undefined;
  #fanOuts = 0;

  constructor(init: { vendorConnections: Informer<KubeObject>; clusterVendorConnections: Informer<KubeObject>; namespaces?: Informer<KubeObject> }) {
    this.#vendorConnections = init.vendorConnections;
    this.#clusterConnections = init.clusterVendorConnections;
    this.#namespaces = init.namespaces;
    this.#vendorConnections.onChange((key, current, previous) => this.connectionChanged("VendorConnection", key, current, previous));
    this.#clusterConnections.onChange((key, current, previous) => this.connectionChanged("ClusterVendorConnection", key, current, previous));
    this.#namespaces?.onChange((key, current, previous) => this.namespaceChanged(key, current, previous));
  }

  /** Consumers woken so far (for tests and the bench: fan-out must stay proportional to real changes). */
  get wakeUps(): number {
    return this.#fanOuts;
  }

  /**
   * A consumer kind joins: its informer feeds the index, and `wake` enqueues one of its keys when a
   * connection or namespace change affects it.
   */
  attach(kind: ConsumerKind, informer: Informer<KubeObject>, wake: Wake): void {
    this.#wake.set(kind, [...(this.#wake.get(kind) ?? []), wake]);
    const feed = (key: string, current: KubeObject | undefined) => {
      for (const id of this.index.update(kind, key, current)) for (const listener of this.#changed) listener(id);
    };
    for (const object of informer.list()) feed(keyOf(object.metadata), object);
    informer.onChange((key, current) => feed(key, current));
  }

  /** Called with each connection whose set of consumers changed (added, removed, admitted or not). */
  onConsumersChanged(listener: (id: ConnectionId) => void): void {
    this.#changed.push(listener);
  }

  /**
   * The consumers holding a connection: all of a VendorConnection's; a ClusterVendorConnection's only
   * in namespaces it admits (a namespace it does not admit cannot use it, nor keep it from being deleted).
   */
  summary(id: ConnectionId): ConsumerSummary {
    let consumers = this.index.consumersOf(id);
    if (id.kind === "ClusterVendorConnection") {
      const connection = this.#clusterConnections.get(id.name);
      const admitted = new Set(this.index.namespacesOf(id).filter((ns) => admits(connection, this.#labelsOf(ns))));
      consumers = consumers.filter((c) => admitted.has(c.key.slice(0, c.key.indexOf("/"))));
    }
    return { count: consumers.length, names: consumers.map(consumerName).sort() };
  }

  connectionChanged(kind: ConnectionKind, key: string, current: KubeObject | undefined, previous: KubeObject | undefined): void {
    if (!connectionChangeMatters(current, previous)) return;
    const object = current ?? previous;
    const id: ConnectionId = kind === "VendorConnection" ? { kind, namespace: object?.metadata.namespace ?? key.slice(0, key.indexOf("/")), name: object?.metadata.name ?? key.slice(key.indexOf("/") + 1) } : { kind, name: key };
    this.#wakeAll(this.index.consumersOf(id));
  }

  namespaceChanged(namespace: string, current: KubeObject | undefined, previous: KubeObject | undefined): void {
    // A namespace that is gone has no consumers left; one first seen changes nothing we decided on.
    if (current === undefined || previous === undefined) return;
    const change = namespaceChange(current, previous);
    for (const { id, consumers } of this.index.connectionsIn(namespace)) {
      const admission = id.kind === "ClusterVendorConnection" ? change.admissionOf(this.#clusterConnections.get(id.name)) : undefined;
      const admissionChanged = admission !== undefined && admission.before !== admission.after;
      // Teardown began: stop anything about to order. Admission moved: Ready resources must say so.
      if (change.startedTerminating || admissionChanged) this.#wakeAll(consumers);
      // The connection's count of holders moved with it.
      if (admissionChanged) for (const listener of this.#changed) listener(id);
    }
  }

  #labelsOf(namespace: string): Readonly<Record<string, string>> | undefined {
    const ns = this.#namespaces?.get(namespace);
    return ns === undefined ? undefined : namespaceStateOf(ns).labels;
  }

  #wakeAll(consumers: readonly Consumer[]): void {
    for (const c of consumers) {
      for (const wake of this.#wake.get(c.kind) ?? []) {
        this.#fanOuts++;
        wake(c.key);
      }
    }
  }
}

/** The manager's one ConnectionConsumers, over the shared connection and namespace informers. */
export function sharedConnectionConsumers(manager: Manager): ConnectionConsumers {
  return manager.shared("connection-consumers", () => {
    const resolver = sharedConnectionResolver(manager);
    return new ConnectionConsumers({
      vendorConnections: resolver.vendorConnections,
      clusterVendorConnections: resolver.clusterVendorConnections,
      ...(resolver.namespaces ? { namespaces: resolver.namespaces } : {}),
    });
  });
}
