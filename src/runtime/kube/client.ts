import { delimiter } from "node:path";
import { type Dispatcher, request } from "undici";
import { type KubeConnectionConfig, type KubeHeaders, loadKubeConfig } from "./config.ts";
import { KubeApiError } from "./errors.ts";
import { KubeTransport } from "./transport.ts";
import { deadline } from "../timers.ts";
import { type KubeList, type KubeObject, type ResourceType, apiVersionOf, collectionPath, objectPath } from "./resource.ts";

export interface WatchEvent<T> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: T;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly signal?: AbortSignal;
}

export interface WatchOptions extends Omit<ListOptions, "limit" | "continue"> {
  readonly resourceVersion: string;
  readonly timeoutSeconds?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface SendInit {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  headersTimeoutMs?: number;
  dedicated?: boolean;
}

const MAX_ERROR_BODY = 64 * 1024;
/** One watch event is one object; the API server caps objects near 1.5 MiB (etcd), so allow headroom. */
const MAX_WATCH_LINE = 16 * 1024 * 1024;

export interface KubeClientOptions {
  readonly fieldManager?: string;
  /** Overrides the kubeconfig's server, e.g. to go through a relay in tests. */
  readonly server?: string;
}

/**
 * A small Kubernetes REST client on undici. `config.ts` supplies the server, TLS material and auth
 * headers; we own the transport so that LIST is paged, watches stream with bookmarks, and SSA is explicit.
 */
export class KubeClient {
  readonly server: string;
  readonly fieldManager: string;
  readonly #config: KubeConnectionConfig;
  readonly #transport: KubeTransport;
  #requests = 0;

  constructor(config: KubeConnectionConfig, options: KubeClientOptions = {}) {
    this.#config = config;
    this.#transport = new KubeTransport(config);
    this.server = (options.server ?? config.server).replace(/\/+$/, "");
    this.fieldManager = options.fieldManager ?? "certbridge";
  }

  static fromFile(path: string, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig({ kubeconfigPath: path }), options);
  }

  /**
   * An explicit kubeconfig, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config.
   * The operator's --kubeconfig also takes its value from KUBECONFIG, so a list there keeps list semantics.
   */
  static fromDefault(options: { kubeconfig?: string; context?: string; fieldManager?: string } = {}): KubeClient {
    const { kubeconfig, context } = options;
    const load =
      kubeconfig === undefined || kubeconfig === ""
        ? {}
        : kubeconfig.includes(delimiter)
          ? { env: { ...process.env, KUBECONFIG: kubeconfig } }
          : { kubeconfigPath: kubeconfig };
    return new KubeClient(loadKubeConfig({ ...load, ...(context ? { context } : {}) }), options);
  }

  /** Requests sent so far: benchmarks and tests assert "no API writes" with it. */
  get requestCount(): number {
    return this.#requests;
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  /**
   * Sends once; on 401 asks the configuration for fresh credentials (a rotated token, the exec plugin
   * run again) and sends once more, as client-go does. A 401 means the request was not processed, so
   * sending it again is safe for any method.
   */
  async #send(method: string, path: string, init: SendInit = {}): Promise<Dispatcher.ResponseData & { release?: () => Promise<void> }> {
    const first = await this.#sendOnce(method, path, init);
    const refresh = this.#config.refreshCredentials;
    if (first.res.statusCode !== 401 || refresh === undefined || init.signal?.aborted) return first.res;
    await first.res.body.dump().catch(() => {});
    await first.res.release?.();
    await refresh(first.auth);
    return (await this.#sendOnce(method, path, init)).res;
  }

  async #sendOnce(
    method: string,
    path: string,
    init: SendInit,
  ): Promise<{ res: Dispatcher.ResponseData & { release?: () => Promise<void> }; auth: KubeHeaders }> {
    const transport = await this.#transport.resolve();
    const auth = await this.#config.auth();
    const authHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(auth)) authHeaders[k.toLowerCase()] = typeof v === "string" ? v : [...v];
    // A watch gets a connection of its own: a stalled one is then torn down with it, never reused.
    const dedicated = init.dedicated ? transport.dedicated() : undefined;
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    const headers: Record<string, string | string[]> = { ...authHeaders, accept: "application/json" };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] = init.contentType ?? "application/json";
    }
    this.#requests++;
    try {
      const res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: dedicated ?? transport.dispatcher,
        signal: init.signal,
        headersTimeout: init.headersTimeoutMs ?? init.timeoutMs ?? 0,
        bodyTimeout: 0,
      });
      return { res: dedicated ? Object.assign(res, { release: () => dedicated.destroy() }) : res, auth };
    } catch (error) {
      if (dedicated) void dedicated.destroy().catch(() => {});
      throw error;
    }
  }

  async #fail(res: Dispatcher.ResponseData, method: string, path: string): Promise<never> {
    let text = "";
    for await (const chunk of res.body) {
      if (text.length < MAX_ERROR_BODY) text += String(chunk);
    }
    let reason = `HTTP${res.statusCode}`;
    let message = text.slice(0, 500);
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string };
      reason = status.reason ?? reason;
      message = status.message ?? message;
    } catch {
      /* not a Status object: keep the text */
    }
    const retryAfter = Number(res.headers["retry-after"]);
    throw new KubeApiError({
      status: res.statusCode,
      reason,
      message,
      method,
      path,
      ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
    });
  }

  async call<T>(
    method: string,
    path: string,
    init: { query?: Query; body?: unknown; contentType?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    // One deadline for the whole exchange (headers and body), released as soon as it is over.
    const timeoutMs = init.timeoutMs ?? 30_000;
    const limit = deadline(init.signal, timeoutMs, `${method} ${path}`);
    try {
      const res = await this.#send(method, path, { ...init, signal: limit.signal, timeoutMs });
      if (res.statusCode >= 400) return await this.#fail(res, method, path);
      return (await res.body.json()) as T;
    } finally {
      limit.dispose();
    }
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    return this.call<T>("GET", objectPath(type, namespace, name), { signal });
  }

  /** One page of a LIST. Use `listAll` to walk every page. */
  list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.call<KubeList<T>>("GET", collectionPath(type, opts.namespace), {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      signal: opts.signal,
      timeoutMs: 60_000,
    });
  }

  /** Walks a paged LIST; the resourceVersion of the first page is the snapshot the items belong to. */
  async listAll<T extends KubeObject>(type: ResourceType, opts: Omit<ListOptions, "continue"> = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let resourceVersion = "";
    let token: string | undefined;
    do {
      // A continue token carries the snapshot: the API server refuses a resourceVersion beside it.
      const { resourceVersion: _rv, ...rest } = opts;
      const page: KubeList<T> = await this.list<T>(
        type,
        token ? { ...rest, limit: opts.limit ?? 500, continue: token } : { ...opts, limit: opts.limit ?? 500 },
      );
      items.push(...page.items);
      if (!token) resourceVersion = page.metadata.resourceVersion ?? "";
      token = page.metadata.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  create<T extends KubeObject>(type: ResourceType, object: T, signal?: AbortSignal): Promise<T> {
    return this.call<T>("POST", collectionPath(type, object.metadata.namespace ?? (type.namespaced ? "default" : undefined)), {
      body: { apiVersion: apiVersionOf(type), kind: type.kind, ...object },
      query: { fieldManager: this.fieldManager },
      signal,
    });
  }

  replace<T extends KubeObject>(type: ResourceType, object: T, signal?: AbortSignal): Promise<T> {
    return this.call<T>("PUT", objectPath(type, object.metadata.namespace, object.metadata.name ?? ""), {
      body: { apiVersion: apiVersionOf(type), kind: type.kind, ...object },
      query: { fieldManager: this.fieldManager },
      signal,
    });
  }

  /**
   * Server-side apply with this client's fixed field manager. `force` takes ownership of fields
   * another manager set: right for objects we own, never for a foreign Secret (callers check first).
   */
  apply<T extends KubeObject>(
    type: ResourceType,
    object: T,
    opts: { subresource?: "status"; force?: boolean; dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    const body = { apiVersion: apiVersionOf(type), kind: type.kind, ...object };
    return this.call<T>("PATCH", objectPath(type, object.metadata.namespace, object.metadata.name ?? "", opts.subresource), {
      body,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: this.fieldManager, force: opts.force ?? true, dryRun: opts.dryRun ? "All" : undefined },
      signal: opts.signal,
    });
  }

  /** JSON merge patch: for metadata edits such as finalizers, guarded by resourceVersion when given. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.call<T>("PATCH", objectPath(type, namespace, name, opts.subresource), {
      body: patch,
      contentType: "application/merge-patch+json",
      query: { fieldManager: this.fieldManager },
      signal: opts.signal,
    });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: { signal?: AbortSignal; preconditionUid?: string } = {}): Promise<void> {
    await this.call("DELETE", objectPath(type, namespace, name), {
      ...(opts.preconditionUid ? { body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: opts.preconditionUid } } } : {}),
      signal: opts.signal,
    });
  }

  /**
   * Opens a watch and yields events until the server ends the stream, the signal aborts, or the
   * connection breaks (thrown). The caller owns reconnecting; see runtime/informer.
   */
  async *watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    const path = collectionPath(type, opts.namespace);
    const res = await this.#send("GET", path, {
      query: {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
      headersTimeoutMs: 30_000,
      dedicated: true,
    });
    if (res.statusCode >= 400) {
      try {
        await this.#fail(res, "WATCH", path);
      } finally {
        await res.release?.();
      }
    }
    // Split the stream ourselves: readline's iterator can miss an error on its input and hang.
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        if (buffered.length > MAX_WATCH_LINE) throw new Error(`watch event larger than ${MAX_WATCH_LINE} bytes`);
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line.length > 0) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } finally {
      res.body.destroy();
      await res.release?.();
    }
  }
}
