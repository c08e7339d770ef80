// Which ManagedCertificates, ProvisioningKeys and CertificateRequests use which connection, and who
// must look again when a connection or a namespace changes (contract C2, issue 9 finding 6).
//
// One index per manager (consumer-index.ts), fed by the consumers' informers. It answers "how many
// resources hold this connection?" (its in-use finalizer and status) and wakes the resources that
// must reconcile now (map-to-requests: runtime/fanout.ts). Fan-out happens only on a real change
// (connection-changes.ts): an edit, a deletion, new credentials, Ready flipping, or a namespace
// gaining or losing a ClusterVendorConnection's admission. Status writes, resyncs and
// re-verifications wake nobody, so 10,000 certificates on one connection stay quiet.
import { mapToRequests } from "../../runtime/fanout.ts";
import type { ChangeListener, ReadCache } from "../../runtime/informer.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { admits, connectionChangeMatters, namespaceChange } from "./connection-changes.ts";
import {
  type ConnectionId,
  type ConnectionKind,
  type Consumer,
  type ConsumerKind,
  type ConsumerSummary,
  connectionIdOf,
  consumerName,
  parseConsumerName,
} from "./connection-ids.ts";
import { namespaceStateOf } from "./connection-namespaces.ts";
import { sharedConnectionResolver } from "./connections.ts";
import { type ConnectionsUsedBy, ConsumerIndex } from "./consumer-index.ts";

// Callers import these from here, where they always lived.
export { admits, connectionChangeMatters, namespaceChange, type NamespaceChange } from "./connection-changes.ts";
export {
  type ConnectionId,
  type ConnectionKind,
  type Consumer,
  type ConsumerKind,
  type ConsumerSummary,
  connectionIdKey,
  connectionQueueKey,
  connectionsUsedBy,
  parseConnectionIdKey,
} from "./connection-ids.ts";
export { type ConnectionsUsedBy, ConsumerIndex } from "./consumer-index.ts";

type Wake = (key: string) => void;

/** A consumer kind's place in the index, as `attach` returns it. */
export interface ConsumerAttachment {
  /** Re-reads one consumer: what decides the connections it holds changed elsewhere (its issuer). */
  refresh(key: string): void;
  /** The kind's consumers hold nothing any more, and are woken no more. */
  detach(): void;
}

/**
 * The index wired to informers: consumers attach their informer and their queue; connection
 * controllers listen for "the consumers of this connection changed".
 */
export class ConnectionConsumers {
  readonly index = new ConsumerIndex();
  readonly #wake = new Map<ConsumerKind, Wake[]>();
  readonly #changed: Array<(id: ConnectionId) => void> = [];
  readonly #clusterConnections: ReadCache<KubeObject>;
  readonly #namespaces: ReadCache<KubeObject> | undefined;
  /** Connection → consumers, one map-to-requests per connection kind. */
  readonly #fanOut: Record<ConnectionKind, ChangeListener<KubeObject>>;
  #woken = 0;

  constructor(init: { vendorConnections: ReadCache<KubeObject>; clusterVendorConnections: ReadCache<KubeObject>; namespaces?: ReadCache<KubeObject> }) {
    this.#clusterConnections = init.clusterVendorConnections;
    this.#namespaces = init.namespaces;
    this.#fanOut = {
      VendorConnection: this.#connectionToConsumers("VendorConnection"),
      ClusterVendorConnection: this.#connectionToConsumers("ClusterVendorConnection"),
    };
    init.vendorConnections.onChange((key, current, previous) => this.connectionChanged("VendorConnection", key, current, previous));
    init.clusterVendorConnections.onChange((key, current, previous) => this.connectionChanged("ClusterVendorConnection", key, current, previous));
    this.#namespaces?.onChange((key, current, previous) => this.namespaceChanged(key, current, previous));
  }

  /** Consumers woken so far (for tests and the bench: fan-out must stay proportional to real changes). */
  get wakeUps(): number {
    return this.#woken;
  }

  /**
   * A consumer kind joins: its informer feeds the index, and `wake` enqueues one of its keys when a
   * connection or namespace change affects it. `usedBy` says which connections an object holds when
   * that is not its own connectionRef (a CertificateRequest's is its issuer's). The answer re-reads a
   * key when something `usedBy` reads changed (`refresh`), and lets go of the kind (`detach`: a
   * controller stopped, its consumers no longer hold anything).
   */
  attach(kind: ConsumerKind, informer: ReadCache<KubeObject>, wake: Wake, usedBy?: ConnectionsUsedBy): ConsumerAttachment {
    this.#wake.set(kind, [...(this.#wake.get(kind) ?? []), wake]);
    const fed = new Set<string>();
    let attached = true;
    const feed = (key: string, current: KubeObject | undefined) => {
      if (!attached) return;
      if (current === undefined) fed.delete(key);
      else fed.add(key);
      for (const id of this.index.update(kind, key, current, usedBy)) this.#tellChanged(id);
    };
    for (const object of informer.list()) feed(keyOf(object.metadata), object);
    informer.onChange((key, current) => feed(key, current));
    return {
      refresh: (key) => feed(key, informer.get(key)),
      detach: () => {
        for (const key of [...fed]) feed(key, undefined);
        attached = false;
        this.#wake.set(
          kind,
          (this.#wake.get(kind) ?? []).filter((w) => w !== wake),
        );
      },
    };
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

  /** A connection event: its consumers are woken when the change matters to them. */
  connectionChanged(kind: ConnectionKind, key: string, current: KubeObject | undefined, previous: KubeObject | undefined): void {
    this.#fanOut[kind](key, current, previous);
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
      if (admissionChanged) this.#tellChanged(id);
    }
  }

  /** A connection's consumers, as a map-to-requests over "Kind ns/name" consumer names. */
  #connectionToConsumers(kind: ConnectionKind): ChangeListener<KubeObject> {
    return mapToRequests<KubeObject>(
      (current, previous, key) => this.index.consumersOf(connectionIdOf(kind, key, current ?? previous)).map(consumerName),
      (name) => this.#wakeAll([parseConsumerName(name)]),
      { when: connectionChangeMatters },
    );
  }

  #tellChanged(id: ConnectionId): void {
    for (const listener of this.#changed) listener(id);
  }

  #labelsOf(namespace: string): Readonly<Record<string, string>> | undefined {
    const ns = this.#namespaces?.get(namespace);
    return ns === undefined ? undefined : namespaceStateOf(ns).labels;
  }

  #wakeAll(consumers: readonly Consumer[]): void {
    for (const c of consumers) {
      for (const wake of this.#wake.get(c.kind) ?? []) {
        this.#woken++;
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
