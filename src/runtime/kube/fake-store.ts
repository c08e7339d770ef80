// The object store behind FakeKubeApi: the API server's rules that reconcilers rely on, and nothing
// else. uid, resourceVersion (increasing integers, as etcd's) and generation (bumped on spec changes
// of custom kinds); optimistic concurrency (409 on a stale resourceVersion, 409 AlreadyExists on a
// taken name, a uid precondition on delete); the status subresource; JSON merge patch; server-side
// apply with per-manager ownership of labels, annotations and data keys; deletion with finalizers
// (a deletionTimestamp until they are gone, no new finalizers once deleting); creation refused in a
// terminating namespace. Modelled on test/simulation's in-memory API server (the facts, not its
// scheduler): no garbage collection and no namespace controller — a test does those itself.
import { isDeepStrictEqual } from "node:util";
import { type Clock, systemClock } from "../clock.ts";
import { KubeApiError } from "./errors.ts";
import { applyMergePatch, applyOwnedMap } from "./merge-patch.ts";
import { type KubeObject, type ResourceType, apiVersionOf } from "./resource.ts";

export type StoreEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: StoreEventType;
  readonly plural: string;
  readonly key: string;
  /** Frozen copies: listeners may keep them. */
  readonly object: KubeObject;
  readonly previous: KubeObject | undefined;
}

type Obj = KubeObject & { spec?: unknown; status?: unknown; data?: Record<string, string>; type?: string };

interface Stored {
  obj: Obj;
  /** Field manager per label, annotation and data key (server-side apply ownership). */
  readonly owners: { labels: Map<string, string>; annotations: Map<string, string>; data: Map<string, string> };
}

export const storeKey = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

const isCustom = (type: ResourceType) => type.group !== "" && type.group !== "coordination.k8s.io" && type.group !== "events.k8s.io";

function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown) => {
    if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const child of Object.values(v)) freeze(child);
    }
  };
  freeze(copy);
  return copy;
}

export class FakeStore {
  readonly #kinds = new Map<string, Map<string, Stored>>();
  readonly #listeners: Array<(e: StoreEvent) => void> = [];
  readonly #clock: Clock;
  #rv = 100;
  #uid = 0;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Every change, as a watch would deliver it (caches follow the store through this). */
  subscribe(listener: (e: StoreEvent) => void): void {
    this.#listeners.push(listener);
  }

  #kind(plural: string): Map<string, Stored> {
    let m = this.#kinds.get(plural);
    if (m === undefined) this.#kinds.set(plural, (m = new Map()));
    return m;
  }

  #iso(): string {
    return this.#clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
  }

  #emit(type: StoreEventType, plural: string, before: Obj | undefined, after: Obj): void {
    const event: StoreEvent = {
      type,
      plural,
      key: storeKey(after.metadata.namespace, after.metadata.name ?? ""),
      object: frozen(after),
      previous: before === undefined ? undefined : frozen(before),
    };
    for (const l of this.#listeners) l(event);
  }

  peek<T extends KubeObject>(type: Pick<ResourceType, "plural">, namespace: string | undefined, name: string): T | undefined {
    const s = this.#kind(type.plural).get(storeKey(namespace, name));
    return s === undefined ? undefined : (structuredClone(s.obj) as unknown as T);
  }

  all<T extends KubeObject>(type: Pick<ResourceType, "plural">, namespace?: string): T[] {
    return [...this.#kind(type.plural).values()]
      .filter((s) => namespace === undefined || s.obj.metadata.namespace === namespace)
      .map((s) => structuredClone(s.obj) as unknown as T);
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T {
    const found = this.peek<T>(type, type.namespaced ? namespace : undefined, name);
    if (found === undefined) throw notFound(type, namespace, name, "GET");
    return found;
  }

  create<T extends KubeObject>(type: ResourceType, object: T, manager: string): T {
    return this.#insert(type, object, manager, false);
  }

  /**
   * An object as it already exists when a test starts: its uid, generation, creationTimestamp,
   * deletionTimestamp and status are kept when given (a create would assign or drop them).
   */
  restore<T extends KubeObject>(type: ResourceType, object: T, manager: string): T {
    return this.#insert(type, object, manager, true);
  }

  #insert<T extends KubeObject>(type: ResourceType, object: T, manager: string, restore: boolean): T {
    const given = structuredClone(object) as unknown as Obj;
    const o = structuredClone(object) as unknown as Obj;
    const name = o.metadata.name ?? "";
    const namespace = type.namespaced ? (o.metadata.namespace ?? "default") : undefined;
    const key = storeKey(namespace, name);
    if (this.#kind(type.plural).has(key))
      throw new KubeApiError({
        status: 409,
        reason: "AlreadyExists",
        message: `${type.plural} "${name}" already exists`,
        method: "POST",
        path: `${type.plural}/${key}`,
      });
    const ns = namespace === undefined ? undefined : this.#kind("namespaces").get(namespace);
    if (ns?.obj.metadata.deletionTimestamp !== undefined) {
      throw new KubeApiError({
        status: 403,
        reason: "Forbidden",
        message: `unable to create new content in namespace ${namespace} because it is being terminated`,
        method: "POST",
        path: `${type.plural}/${key}`,
      });
    }
    o.apiVersion = apiVersionOf(type);
    o.kind = type.kind;
    o.metadata = {
      ...o.metadata,
      ...(namespace === undefined ? {} : { namespace }),
      uid: `uid-${String(++this.#uid).padStart(4, "0")}`,
      resourceVersion: String(++this.#rv),
      creationTimestamp: this.#iso(),
      ...(isCustom(type) ? { generation: 1 } : {}),
    };
    delete o.metadata.deletionTimestamp;
    if (type.plural === "namespaces") o.status = { phase: "Active" };
    if (restore) {
      for (const f of ["uid", "generation", "creationTimestamp", "deletionTimestamp"] as const) {
        if (given.metadata[f] !== undefined) (o.metadata as Record<string, unknown>)[f] = given.metadata[f];
      }
      if (given.status !== undefined) o.status = given.status;
    }
    const owners = { labels: new Map<string, string>(), annotations: new Map<string, string>(), data: new Map<string, string>() };
    for (const k of Object.keys(o.metadata.labels ?? {})) owners.labels.set(k, manager);
    for (const k of Object.keys(o.metadata.annotations ?? {})) owners.annotations.set(k, manager);
    for (const k of Object.keys(o.data ?? {})) owners.data.set(k, manager);
    this.#kind(type.plural).set(key, { obj: o, owners });
    this.#emit("ADDED", type.plural, undefined, o);
    return structuredClone(o) as unknown as T;
  }

  /**
   * Server-side apply. On the status subresource only `status` changes. On the object, the manager's
   * labels, annotations and data keys are set and those it applied before but omits now removed
   * (other managers' keys stay); spec, type and ownerReferences are taken when given.
   */
  apply<T extends KubeObject>(type: ResourceType, object: T, subresource: "status" | undefined, manager: string): T {
    const o = object as unknown as Obj;
    const name = o.metadata.name ?? "";
    const namespace = type.namespaced ? (o.metadata.namespace ?? "default") : undefined;
    const stored = this.#kind(type.plural).get(storeKey(namespace, name));
    if (stored === undefined) {
      if (subresource === "status" || o.metadata.resourceVersion !== undefined) throw notFound(type, namespace, name, "PATCH");
      return this.create(type, object, manager);
    }
    this.#precondition(type, stored, o.metadata.resourceVersion, "PATCH");
    const before = stored.obj;
    const next: Obj = structuredClone(before);
    if (subresource === "status") {
      next.status = structuredClone(o.status);
    } else {
      next.metadata.labels = applyOwnedMap(before.metadata.labels, o.metadata.labels, stored.owners.labels, manager);
      next.metadata.annotations = applyOwnedMap(before.metadata.annotations, o.metadata.annotations, stored.owners.annotations, manager);
      if ("data" in o || before.data !== undefined) next.data = applyOwnedMap(before.data, o.data, stored.owners.data, manager);
      if (o.type !== undefined) next.type = o.type;
      if (o.metadata.ownerReferences !== undefined) next.metadata.ownerReferences = structuredClone(o.metadata.ownerReferences);
      if (o.spec !== undefined) next.spec = structuredClone(o.spec);
    }
    return this.#commit(type, stored, next) as unknown as T;
  }

  /** PUT: the whole object replaced (identity and, for custom kinds, status kept), guarded by its resourceVersion when given. */
  replace<T extends KubeObject>(type: ResourceType, object: T): T {
    const o = structuredClone(object) as unknown as Obj;
    const namespace = type.namespaced ? (o.metadata.namespace ?? "default") : undefined;
    const stored = this.#kind(type.plural).get(storeKey(namespace, o.metadata.name ?? ""));
    if (stored === undefined) throw notFound(type, namespace, o.metadata.name ?? "", "PUT");
    this.#precondition(type, stored, o.metadata.resourceVersion, "PUT");
    const before = stored.obj;
    const next: Obj = { ...o, apiVersion: before.apiVersion, kind: before.kind, metadata: { ...o.metadata } };
    for (const f of ["uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion", "name", "namespace"] as const) {
      if (before.metadata[f] === undefined) delete next.metadata[f];
      else (next.metadata as Record<string, unknown>)[f] = before.metadata[f];
    }
    if (isCustom(type)) {
      if (before.status === undefined) delete next.status;
      else next.status = structuredClone(before.status);
    }
    return this.#commit(type, stored, next) as unknown as T;
  }

  mergePatch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown, subresource: string | undefined): T {
    const ns = type.namespaced ? namespace : undefined;
    const stored = this.#kind(type.plural).get(storeKey(ns, name));
    if (stored === undefined) throw notFound(type, ns, name, "PATCH");
    const p = structuredClone(patch ?? {}) as { metadata?: Record<string, unknown>; status?: unknown } & Record<string, unknown>;
    this.#precondition(type, stored, p.metadata?.resourceVersion as string | undefined, "PATCH");
    if (p.metadata) delete p.metadata.resourceVersion;
    const before = stored.obj;
    let next: Obj;
    if (subresource === "status") {
      next = { ...structuredClone(before), status: applyMergePatch(before.status, p.status) };
    } else {
      const { status: _status, ...rest } = p;
      next = applyMergePatch(structuredClone(before), rest) as Obj;
      if (before.status === undefined) delete next.status;
      else next.status = structuredClone(before.status);
      for (const f of ["uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion", "name", "namespace"] as const) {
        if (before.metadata[f] === undefined) delete next.metadata[f];
        else (next.metadata as Record<string, unknown>)[f] = before.metadata[f];
      }
      const had = new Set(before.metadata.finalizers ?? []);
      const added = (next.metadata.finalizers ?? []).filter((f) => !had.has(f));
      if (before.metadata.deletionTimestamp !== undefined && added.length > 0) {
        throw new KubeApiError({
          status: 422,
          reason: "Invalid",
          message: `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          method: "PATCH",
          path: `${type.plural}/${storeKey(ns, name)}`,
        });
      }
    }
    return this.#commit(type, stored, next) as unknown as T;
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, preconditionUid: string | undefined): void {
    const ns = type.namespaced ? namespace : undefined;
    const kind = this.#kind(type.plural);
    const stored = kind.get(storeKey(ns, name));
    if (stored === undefined) throw notFound(type, ns, name, "DELETE");
    if (preconditionUid !== undefined && preconditionUid !== stored.obj.metadata.uid) {
      throw new KubeApiError({
        status: 409,
        reason: "Conflict",
        message: `Precondition failed: UID in precondition: ${preconditionUid}, UID in object meta: ${stored.obj.metadata.uid}`,
        method: "DELETE",
        path: `${type.plural}/${storeKey(ns, name)}`,
      });
    }
    const before = stored.obj;
    if ((before.metadata.finalizers ?? []).length > 0 || type.plural === "namespaces") {
      if (before.metadata.deletionTimestamp !== undefined) return;
      const next = structuredClone(before);
      next.metadata.deletionTimestamp = this.#iso();
      if (isCustom(type)) next.metadata.generation = (before.metadata.generation ?? 1) + 1;
      if (type.plural === "namespaces") next.status = { phase: "Terminating" };
      next.metadata.resourceVersion = String(++this.#rv);
      stored.obj = next;
      this.#emit("MODIFIED", type.plural, before, next);
      return;
    }
    kind.delete(storeKey(ns, name));
    const gone = structuredClone(before);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit("DELETED", type.plural, before, gone);
  }

  #precondition(type: ResourceType, stored: Stored, rv: string | undefined, method: string): void {
    if (rv === undefined || rv === stored.obj.metadata.resourceVersion) return;
    const name = stored.obj.metadata.name ?? "";
    throw new KubeApiError({
      status: 409,
      reason: "Conflict",
      message: `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      method,
      path: `${type.plural}/${storeKey(stored.obj.metadata.namespace, name)}`,
    });
  }

  /** Writes `next` if it differs (a no-op write keeps the resourceVersion), finishing a deletion whose finalizers are gone. */
  #commit(type: ResourceType, stored: Stored, next: Obj): Obj {
    const before = stored.obj;
    if (isDeepStrictEqual(before, next)) return structuredClone(before);
    if (isCustom(type) && !isDeepStrictEqual(before.spec, next.spec)) next.metadata.generation = (before.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(++this.#rv);
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.#kind(type.plural).delete(storeKey(next.metadata.namespace, next.metadata.name ?? ""));
      this.#emit("DELETED", type.plural, before, next);
      return structuredClone(next);
    }
    stored.obj = next;
    this.#emit("MODIFIED", type.plural, before, next);
    return structuredClone(next);
  }
}

function notFound(type: ResourceType, namespace: string | undefined, name: string, method: string): KubeApiError {
  return new KubeApiError({
    status: 404,
    reason: "NotFound",
    message: `${type.plural} "${name}" not found`,
    method,
    path: `${type.plural}/${storeKey(namespace, name)}`,
  });
}
