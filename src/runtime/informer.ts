import type { Logger } from "pino";
import type { IndexFunc } from "./indexer.ts";
import { type ChangeListener, InformerStore } from "./informer-store.ts";
import type { KubeClient } from "./kube/client.ts";
import { KubeApiError, isGone } from "./kube/errors.ts";
import type { KubeObject, ResourceType } from "./kube/resource.ts";
import { type Backoff, backoffDelay, jitter, sleep } from "./timers.ts";

export type { ChangeListener, ReadCache } from "./informer-store.ts";

/** The two calls an informer makes: a paged LIST and a WATCH from its resourceVersion. */
export type ListWatchClient = Pick<KubeClient, "listAll" | "watch">;

export interface InformerOptions<T extends KubeObject> {
  readonly client: ListWatchClient;
  readonly type: ResourceType;
  readonly log: Logger;
  readonly namespace?: string;
  /** Watch only these namespaces (one list+watch stream each, one cache); ignored when `namespace` is set. */
  readonly namespaces?: readonly string[];
  /** Secrets are only ever watched through a selector: never cache unrelated Secrets. */
  readonly labelSelector?: string;
  /** Narrows the list+watch on the server, e.g. `metadata.name=<name>` for one object (RBAC may then grant it by resourceNames). */
  readonly fieldSelector?: string;
  readonly pageSize?: number;
  /** The server ends each watch after between this long and twice as long (at random), as client-go's reflector does. */
  readonly watchTimeoutSeconds?: number;
  /** No event or bookmark for this long means the watch has stalled: abort and resume it. */
  readonly inactivityTimeoutMs?: number;
  readonly reconnectBackoff?: Backoff;
  /** Told each time a watch ends and is re-opened, with why (for a restarts metric). */
  readonly onRestart?: (cause: "expired" | "error" | "stalled" | "closed") => void;
  /** Trim what the cache keeps (managedFields are dropped always). */
  readonly transform?: (object: T) => T;
}

export interface InformerStats {
  readonly lists: number;
  readonly relistsAfterGone: number;
  readonly watchesStarted: number;
  readonly watchErrors: number;
  readonly stalls: number;
  /** Object events (ADDED, MODIFIED, DELETED) applied to the cache; bookmarks are counted apart. */
  readonly events: number;
  readonly bookmarks: number;
  readonly size: number;
}

type Outcome = "ended" | "gone" | "error" | "stalled";

interface Stream {
  readonly namespace: string | undefined;
  resourceVersion: string;
  synced: boolean;
}

/**
 * A list+watch cache of one kind. Owns reconnection: paged LIST, bookmarks, HTTP 410 → exactly one
 * relist, jittered reconnect backoff, an inactivity watchdog, and a restart after any watch error.
 * Listeners receive keys level-style: "this key may have changed", with current and previous state.
 */
export class Informer<T extends KubeObject> {
  readonly #o: Required<Omit<InformerOptions<T>, "namespace" | "namespaces" | "labelSelector" | "fieldSelector" | "transform" | "onRestart">> &
    Pick<InformerOptions<T>, "labelSelector" | "fieldSelector" | "transform" | "onRestart">;
  /** One stream per watched namespace; `undefined` = all namespaces (or a cluster-scoped kind). */
  readonly #streams: Array<{ namespace: string | undefined; resourceVersion: string; synced: boolean }>;
  readonly #store: InformerStore<T>;
  #syncWaiters: Array<() => void> = [];
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  #stats = { lists: 0, relistsAfterGone: 0, watchesStarted: 0, watchErrors: 0, stalls: 0, events: 0, bookmarks: 0 };

  constructor(options: InformerOptions<T>) {
    this.#o = {
      pageSize: 500,
      watchTimeoutSeconds: 300,
      inactivityTimeoutMs: 75_000,
      // Capped at 8 s so a watch resumes within ~8 s of the API server returning (TARGETS R4).
      reconnectBackoff: { baseMs: 500, maxMs: 8_000 },
      ...options,
      log: options.log.child({ informer: options.type.plural }),
    };
    const namespaces =
      options.namespace !== undefined
        ? [options.namespace]
        : options.type.namespaced && options.namespaces?.length
          ? [...new Set(options.namespaces)]
          : [undefined];
    this.#store = new InformerStore<T>({ log: this.#o.log, ...(options.transform ? { transform: options.transform } : {}) });
    this.#streams = namespaces.map((namespace) => ({ namespace, resourceVersion: "", synced: false }));
  }

  get type(): ResourceType {
    return this.#o.type;
  }

  get hasSynced(): boolean {
    return this.#streams.every((s) => s.synced);
  }

  stats(): InformerStats {
    return { ...this.#stats, size: this.#store.size };
  }

  onChange(listener: ChangeListener<T>): void {
    this.#store.onChange(listener);
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  /**
   * Adds a field index (controller-runtime's IndexField): `fn` names the values an object is found
   * under. Kept up to date before listeners hear of a change, so a listener may query it.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#store.addIndex(name, fn);
  }

  /** The cached objects found under `value` in index `name`. */
  byIndex(name: string, value: string): T[] {
    return this.#store.byIndex(name, value);
  }

  /** The keys found under `value` in index `name`, sorted. */
  indexKeys(name: string, value: string): string[] {
    return this.#store.indexKeys(name, value);
  }

  list(): T[] {
    return this.#store.list();
  }

  keys(): string[] {
    return this.#store.keys();
  }

  start(): void {
    this.#running ??= Promise.all(this.#streams.map((stream) => this.#run(stream))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#syncWaiters.push(resolve);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }

  async #run(stream: Stream): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(stream, signal);
          needList = false;
          failures = 0;
        }
        const outcome = await this.#watchOnce(stream, signal);
        if (outcome === "gone") {
          this.#o.onRestart?.("expired");
          this.#stats.relistsAfterGone++;
          this.#o.log.info({ namespace: stream.namespace, resourceVersion: stream.resourceVersion }, "watch resourceVersion expired; relisting");
          needList = true;
          continue;
        }
        if (outcome === "ended") {
          if (!signal.aborted) this.#o.onRestart?.("closed");
          failures = 0;
          continue;
        }
        if (outcome === "stalled") {
          this.#o.onRestart?.("stalled");
          this.#stats.stalls++;
          this.#o.log.warn({ inactivityTimeoutMs: this.#o.inactivityTimeoutMs }, "watch stalled; resuming");
          continue;
        }
      } catch (error) {
        if (signal.aborted) break;
        if (isGone(error)) {
          this.#o.onRestart?.("expired");
          this.#stats.relistsAfterGone++;
          needList = true;
          continue;
        }
        this.#stats.watchErrors++;
        this.#o.onRestart?.("error");
        this.#o.log.warn({ err: describe(error), needList }, "list/watch failed; retrying");
      }
      // Reached only after an error: back off with jitter so a returning API server is not stampeded.
      const delay = jitter(backoffDelay(this.#o.reconnectBackoff, failures++), 0.5);
      await sleep(delay, signal);
    }
  }

  async #relist(stream: Stream, signal: AbortSignal): Promise<void> {
    this.#stats.lists++;
    // The first LIST is answered from the API server's watch cache (resourceVersion "0"), as client-go's
    // reflector asks: in one piece (the limit does not apply there) and, for custom resources, several
    // times faster than pages read from etcd (10,000 ManagedCertificates: ~1.7 s against ~8 s; issue 13,
    // a restart). What that answer may lag by, the watch from its resourceVersion delivers. A relist
    // after 410 Gone reads the current state, paged.
    const fromCache = !stream.synced;
    const { items, resourceVersion } = await this.#o.client.listAll<T>(this.#o.type, {
      ...(stream.namespace !== undefined ? { namespace: stream.namespace } : {}),
      ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
      ...(this.#o.fieldSelector ? { fieldSelector: this.#o.fieldSelector } : {}),
      ...(fromCache ? { resourceVersion: "0" } : {}),
      limit: this.#o.pageSize,
      signal,
    });
    // Only this stream's namespace is replaced; other streams' entries stay as they are.
    this.#store.replace((item) => stream.namespace === undefined || item.metadata.namespace === stream.namespace, items);
    stream.resourceVersion = resourceVersion;
    if (!stream.synced) {
      stream.synced = true;
      if (this.hasSynced) {
        this.#o.log.debug({ size: this.#store.size }, "cache synced");
        for (const resolve of this.#syncWaiters.splice(0)) resolve();
      }
    }
  }

  async #watchOnce(stream: Stream, parent: AbortSignal): Promise<Outcome> {
    if (parent.aborted) return "ended"; // stop() may land between the relist and this watch
    const abort = new AbortController();
    const onParentAbort = () => abort.abort();
    parent.addEventListener("abort", onParentAbort, { once: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.#o.inactivityTimeoutMs);
      watchdog.unref();
    };
    this.#stats.watchesStarted++;
    // client-go's reflector: minWatchTimeout × (1 + rand), 5-10 min; bookmarks keep the watchdog fed meanwhile.
    const timeoutSeconds = Math.round(this.#o.watchTimeoutSeconds * (1 + Math.random()));
    try {
      arm();
      const events = this.#o.client.watch<T>(this.#o.type, {
        resourceVersion: stream.resourceVersion,
        timeoutSeconds,
        ...(stream.namespace !== undefined ? { namespace: stream.namespace } : {}),
        ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
        ...(this.#o.fieldSelector ? { fieldSelector: this.#o.fieldSelector } : {}),
        signal: abort.signal,
      });
      for await (const event of events) {
        arm();
        if (event.type === "ERROR") {
          const status = event.object as unknown as { code?: number; reason?: string; message?: string };
          if (status.code === 410) return "gone";
          throw new KubeApiError({
            status: status.code ?? 500,
            reason: status.reason ?? "WatchError",
            message: status.message ?? "watch error event",
            method: "WATCH",
            path: this.#o.type.plural,
          });
        }
        const rv = event.object.metadata?.resourceVersion;
        if (rv) stream.resourceVersion = rv;
        if (event.type === "BOOKMARK") {
          this.#stats.bookmarks++;
          continue;
        }
        this.#stats.events++;
        this.#store.apply(event.type, event.object);
      }
      // A stream may end quietly rather than throw when the watchdog aborts it: still a stall.
      return stalled ? "stalled" : "ended";
    } catch (error) {
      if (stalled) return "stalled";
      if (parent.aborted) return "ended";
      throw error;
    } finally {
      clearTimeout(watchdog);
      parent.removeEventListener("abort", onParentAbort);
      abort.abort();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
