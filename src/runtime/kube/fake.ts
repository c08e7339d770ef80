// A typed in-memory KubeApi for unit tests (controller-runtime's fake client): the API server's rules
// from fake-store.ts, a log of the calls made, faults injected per call, and informer-like caches that
// follow the store — in step, or held back to show a cache lagging our own writes. No test needs
// `as unknown as KubeClient`: a reconciler takes a KubeApi and gets a FakeKubeApi.
import { type Clock, systemClock } from "../clock.ts";
import { InformerStore } from "../informer-store.ts";
import type { KubeApi } from "./api.ts";
import type { ListOptions } from "./client.ts";
import { FakeStore, type StoreEvent } from "./fake-store.ts";
import type { KubeList, KubeObject, ResourceType } from "./resource.ts";

export { FakeStore, type StoreEvent } from "./fake-store.ts";

export type FakeMethod = "get" | "list" | "create" | "replace" | "apply" | "mergePatch" | "delete";

export interface FakeCall {
  readonly method: FakeMethod;
  readonly plural: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource?: string;
}

/** Decides per call whether it fails: return an error to throw it instead of reaching the store. */
export type FaultRule = (call: FakeCall) => Error | undefined;

const WRITES: ReadonlySet<FakeMethod> = new Set(["create", "replace", "apply", "mergePatch", "delete"]);

export class FakeKubeApi implements KubeApi {
  readonly store: FakeStore;
  readonly fieldManager: string;
  readonly calls: FakeCall[] = [];
  readonly #faults: FaultRule[];

  constructor(init: { store?: FakeStore; clock?: Clock; fieldManager?: string; faults?: FaultRule[] } = {}) {
    this.store = init.store ?? new FakeStore(init.clock ?? systemClock);
    this.fieldManager = init.fieldManager ?? "certbridge";
    this.#faults = init.faults ?? [];
  }

  /** Another client on the same store (a user, kubectl, another controller) with its own field manager. */
  as(fieldManager: string): FakeKubeApi {
    return new FakeKubeApi({ store: this.store, fieldManager, faults: this.#faults });
  }

  /**
   * Objects as they are when the test starts (not counted as calls): uid, generation, timestamps,
   * deletionTimestamp and status are kept when given, so a test can begin mid-life or mid-deletion.
   */
  seed<T extends KubeObject>(type: ResourceType, ...objects: T[]): T[] {
    return objects.map((o) => this.store.restore(type, o, "seed"));
  }

  /** The stored object, without a call. */
  peek<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    return this.store.peek<T>(type, type.namespaced ? (namespace ?? "default") : undefined, name);
  }

  /** Makes calls fail: every call matching `match` (fields given must equal) throws `error`, `times` times (default once). */
  failOn(match: Partial<FakeCall>, error: Error, times = 1): void {
    let left = times;
    this.#faults.push((call) => {
      if (left <= 0) return undefined;
      for (const [k, v] of Object.entries(match)) if (call[k as keyof FakeCall] !== v) return undefined;
      left--;
      return error;
    });
  }

  /** Calls that change something (create, replace, apply, mergePatch, delete). */
  get writes(): FakeCall[] {
    return this.calls.filter((c) => WRITES.has(c.method));
  }

  #call(call: FakeCall, signal: AbortSignal | undefined): void {
    signal?.throwIfAborted();
    this.calls.push(call);
    for (const rule of this.#faults) {
      const error = rule(call);
      if (error !== undefined) throw error;
    }
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    this.#call({ method: "get", plural: type.plural, namespace, name }, signal);
    return this.store.get<T>(type, namespace, name);
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    this.#call({ method: "list", plural: type.plural, namespace: opts.namespace, name: "" }, opts.signal);
    const selector = parseSelector(opts.labelSelector);
    const items = this.store.all<T>(type, opts.namespace).filter((o) => selector(o.metadata.labels ?? {}));
    return { metadata: { resourceVersion: this.store.resourceVersion }, items };
  }

  async create<T extends KubeObject>(type: ResourceType, object: T, signal?: AbortSignal): Promise<T> {
    this.#call({ method: "create", plural: type.plural, namespace: object.metadata.namespace, name: object.metadata.name ?? "" }, signal);
    return this.store.create(type, object, this.fieldManager);
  }

  /** PUT, as KubeClient.replace (leader election's Lease); not part of KubeApi. */
  async replace<T extends KubeObject>(type: ResourceType, object: T, signal?: AbortSignal): Promise<T> {
    this.#call({ method: "replace", plural: type.plural, namespace: object.metadata.namespace, name: object.metadata.name ?? "" }, signal);
    return this.store.replace(type, object);
  }

  async apply<T extends KubeObject>(
    type: ResourceType,
    object: T,
    opts: { subresource?: "status"; force?: boolean; dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    this.#call(
      {
        method: "apply",
        plural: type.plural,
        namespace: object.metadata.namespace,
        name: object.metadata.name ?? "",
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      },
      opts.signal,
    );
    if (opts.dryRun) return structuredClone(object);
    return this.store.apply(type, object, opts.subresource, this.fieldManager);
  }

  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    this.#call({ method: "mergePatch", plural: type.plural, namespace, name, ...(opts.subresource ? { subresource: opts.subresource } : {}) }, opts.signal);
    return this.store.mergePatch<T>(type, namespace, name, patch, opts.subresource);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: { signal?: AbortSignal; preconditionUid?: string } = {}): Promise<void> {
    this.#call({ method: "delete", plural: type.plural, namespace, name }, opts.signal);
    this.store.delete(type, namespace, name, opts.preconditionUid);
  }

  /** An informer-like cache of one kind that follows this store (see FakeCache); `transform` as the Informer's. */
  cache<T extends KubeObject>(type: ResourceType, opts: { labelSelector?: string; transform?: (object: T) => T } = {}): FakeCache<T> {
    return new FakeCache<T>(this.store, type, opts);
  }
}

/** matchLabels-style selectors only ("a=b,c=d"), which is all the operator uses. */
function parseSelector(selector: string | undefined): (labels: Readonly<Record<string, string>>) => boolean {
  if (!selector) return () => true;
  const pairs = selector.split(",").map((p) => p.split("=") as [string, string]);
  return (labels) => pairs.every(([k, v]) => labels[k] === v);
}

/**
 * The Informer's read side (get, list, keys, onChange, field indexes: the same InformerStore) over a
 * FakeStore. Changes reach it at once, or — while `hold()` is in force — queue up until `release()`,
 * to show a lagging cache. A listener that throws fails the write that told it (a test should see it).
 */
export class FakeCache<T extends KubeObject> extends InformerStore<T> {
  readonly type: ResourceType;
  readonly #selector: (labels: Readonly<Record<string, string>>) => boolean;
  readonly #pending: StoreEvent[] = [];
  #held = false;

  constructor(store: FakeStore, type: ResourceType, opts: { labelSelector?: string; transform?: (object: T) => T } = {}) {
    super({
      onListenerError: (error) => {
        throw error;
      },
      ...(opts.transform ? { transform: opts.transform } : {}),
    });
    this.type = type;
    this.#selector = parseSelector(opts.labelSelector);
    this.replace(
      () => true,
      store.all<T>(type).filter((o) => this.#selector(o.metadata.labels ?? {})),
    );
    store.subscribe((e) => {
      if (e.plural !== type.plural) return;
      if (this.#held) this.#pending.push(e);
      else this.#deliver(e);
    });
  }

  get hasSynced(): boolean {
    return true;
  }

  /** From now on changes wait (the watch lags) until `release`. */
  hold(): void {
    this.#held = true;
  }

  /** Delivers every change held back, in order, and follows the store again. */
  release(): void {
    this.#held = false;
    for (const e of this.#pending.splice(0)) this.#deliver(e);
  }

  #deliver(e: StoreEvent): void {
    // An object that stops matching the selector leaves the cache, as a selected watch reports it.
    const selected = e.type !== "DELETED" && this.#selector(e.object.metadata.labels ?? {});
    if (!selected && this.get(e.key) === undefined) return;
    this.apply(selected ? e.type : "DELETED", e.object as T);
  }
}
