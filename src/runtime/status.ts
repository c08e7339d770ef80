// Compute, compare, write once (issue 10; cert-manager issuer-lib computes a status patch and applies
// it once). A status is written through the status subresource with server-side apply, only when it
// differs from what the object shows, and always guarded by the resourceVersion it was computed
// from: an apply drops every field of ours it does not carry, so a write computed from a lagging cache
// would erase what a newer write recorded (an order intent above all). A stale write fails with 409
// and the reconcile runs again on fresh data. The applier remembers what it wrote (read-your-writes).
import { isDeepStrictEqual } from "node:util";
import type { KubeApi } from "./kube/api.ts";
import { type KubeObject, type ResourceType, keyOf } from "./kube/resource.ts";
import { WrittenObjects } from "./read-your-writes.ts";

export interface StatusApplied<T> {
  /** False when the status was already what `next` says (no request was sent). */
  readonly written: boolean;
  /** The object as the API server now holds it (the input when nothing was written). */
  readonly object: T;
}

export interface StatusApplyOptions {
  readonly signal?: AbortSignal;
}

/** Deep equality that treats `{ a: undefined }` as `{}` (JSON drops undefined on the wire). */
export function sameStatus(current: unknown, next: unknown): boolean {
  return isDeepStrictEqual(withoutUndefined(current ?? {}), withoutUndefined(next ?? {}));
}

export function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out;
}

export class StatusApplier<T extends KubeObject & { status?: S }, S = NonNullable<T["status"]>> {
  readonly type: ResourceType;
  readonly #api: KubeApi;
  readonly #written = new WrittenObjects<T>();
  #writes = 0;

  constructor(init: { api: KubeApi; type: ResourceType }) {
    this.#api = init.api;
    this.type = init.type;
  }

  /** Status writes sent so far (tests and benchmarks assert "no writes when nothing changed"). */
  get writes(): number {
    return this.#writes;
  }

  /**
   * Writes `next` as the status of `object` unless it already is; the write carries `object`'s
   * resourceVersion (409 when someone wrote since). Returns the object as written.
   */
  async apply(object: T, next: S, opts: StatusApplyOptions = {}): Promise<StatusApplied<T>> {
    if (sameStatus(object.status, next)) return { written: false, object };
    const basedOn = object.metadata.resourceVersion;
    const metadata = { name: object.metadata.name, namespace: object.metadata.namespace, ...(basedOn === undefined ? {} : { resourceVersion: basedOn }) };
    this.#writes++;
    const answer = await this.#api.apply<T>(this.type, { metadata, status: next } as T, {
      subresource: "status",
      force: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const written = { ...object, ...(answer ?? {}), metadata: { ...object.metadata, ...(answer?.metadata ?? {}) }, status: next } as T;
    this.remember(written, basedOn);
    return { written: true, object: written };
  }

  /** Also remember writes made elsewhere (a finalizer patch) so `freshest` sees them. */
  remember(written: T, basedOn: string | undefined): void {
    this.#written.remember(written, basedOn);
  }

  /** The cached object, or the one this applier wrote if the cache has not caught up with it. */
  freshest(key: string, cached: T | undefined): T | undefined {
    return this.#written.freshest(key, cached);
  }

  /** Drop what we remember of a key (it was deleted, or its reconcile finished with it). */
  forget(key: string): void {
    this.#written.forget(key);
  }

  /** `freshest` by the object itself. */
  freshestOf(cached: T): T {
    return this.#written.freshest(keyOf(cached.metadata), cached) ?? cached;
  }
}
