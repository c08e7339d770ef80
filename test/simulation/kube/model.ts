// An in-memory model of the Kubernetes API server, as far as the reconcilers rely on it:
// uid/resourceVersion/generation, optimistic concurrency (409 on a stale resourceVersion), the status
// subresource, JSON merge patch, server-side apply with field ownership per manager (labels,
// annotations, data), deletion with finalizers (deletionTimestamp until the finalizers are gone),
// garbage collection by ownerReferences, namespaces that terminate (403 on create, contents deleted),
// and the errors the real client raises (KubeApiError, classified by runtime/kube/errors.ts).
// Every change is appended to a per-kind event log that the informer caches (cache.ts) consume.
import { isDeepStrictEqual } from "node:util";
import { KubeApiError } from "../../../src/runtime/kube/errors.ts";
import { applyMergePatch, applyOwnedMap } from "../../../src/runtime/kube/merge-patch.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/kube/resource.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface KubeEvent {
  readonly rv: number;
  /** Virtual time of the change. */
  readonly at: number;
  readonly type: EventType;
  readonly key: string;
  readonly object: KubeObject;
}

/** Who made a change: a reconcile task (by its namespace), a user, or the cluster itself. */
export interface Actor {
  readonly kind: "operator" | "user" | "system";
  readonly namespace?: string;
  readonly label: string;
}

export interface MutationHook {
  (plural: string, type: EventType, before: KubeObject | undefined, after: KubeObject, actor: Actor): void;
}

type Obj = KubeObject & { spec?: unknown; status?: unknown; data?: Record<string, string>; type?: string };

interface Stored {
  obj: Obj;
  /** Field manager per label, annotation and data key (server-side apply ownership). */
  owners: { labels: Map<string, string>; annotations: Map<string, string>; data: Map<string, string> };
}

const NAMESPACES = "namespaces";

const objKey = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export class KubeModel {
  readonly #kinds = new Map<string, Map<string, Stored>>();
  readonly #logs = new Map<string, KubeEvent[]>();
  readonly #now: () => number;
  #rv = 1000;
  #uid = 0;
  readonly hooks: MutationHook[] = [];
  /** Set by the world: schedules background work (garbage collection, namespace cleanup). */
  background: (delayMs: number, label: string, run: () => void) => void = () => {};
  /** Set by the world: the seeded randomness of the cluster's own controllers. */
  random: () => number = () => 0.5;

  constructor(now: () => number) {
    this.#now = now;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  #kind(plural: string): Map<string, Stored> {
    let m = this.#kinds.get(plural);
    if (m === undefined) {
      m = new Map();
      this.#kinds.set(plural, m);
    }
    return m;
  }

  log(plural: string): readonly KubeEvent[] {
    let l = this.#logs.get(plural);
    if (l === undefined) {
      l = [];
      this.#logs.set(plural, l);
    }
    return l;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  #error(status: number, reason: string, message: string, method: string, path: string): KubeApiError {
    return new KubeApiError({ status, reason, message, method, path });
  }

  #emit(plural: string, type: EventType, before: Obj | undefined, after: Obj, actor: Actor): void {
    const frozen = deepFreeze(structuredClone(after));
    (this.log(plural) as KubeEvent[]).push({
      rv: this.#rv,
      at: this.#now(),
      type,
      key: objKey(after.metadata.namespace, after.metadata.name ?? ""),
      object: frozen,
    });
    for (const hook of this.hooks) hook(plural, type, before, frozen, actor);
    if (type !== "DELETED" && (after.metadata.ownerReferences ?? []).length > 0) this.#collectIfOrphaned(plural, after);
  }

  #exists(uid: string): boolean {
    for (const kind of this.#kinds.values()) for (const s of kind.values()) if (s.obj.metadata.uid === uid) return true;
    return false;
  }

  /** The garbage collector also deletes a dependent written after its owner was already gone (a dangling ownerReference). */
  #collectIfOrphaned(plural: string, o: Obj): void {
    const uid = o.metadata.uid;
    const owners = (o.metadata.ownerReferences ?? []).map((r) => r.uid);
    this.background(1_000, `garbage collector: owners of ${plural} ${objKey(o.metadata.namespace, o.metadata.name ?? "")}`, () => {
      if (owners.some((u) => this.#exists(u))) return;
      const type = { group: "", version: "v1", plural, kind: o.kind ?? "", namespaced: o.metadata.namespace !== undefined };
      try {
        this.delete(type, o.metadata.namespace, o.metadata.name ?? "", uid, { kind: "system", label: "garbage-collector" });
      } catch {
        // gone, or re-created under another uid meanwhile
      }
    });
  }

  // ------------------------------------------------------------------ reads

  peek<T extends KubeObject = Obj>(type: Pick<ResourceType, "plural">, namespace: string | undefined, name: string): T | undefined {
    const s = this.#kind(type.plural).get(objKey(namespace, name));
    return s === undefined ? undefined : (s.obj as unknown as T);
  }

  all<T extends KubeObject = Obj>(type: Pick<ResourceType, "plural">): T[] {
    return [...this.#kind(type.plural).values()].map((s) => s.obj as unknown as T);
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T {
    const s = this.#kind(type.plural).get(objKey(namespace, name));
    if (s === undefined) throw this.#error(404, "NotFound", `${type.plural} "${name}" not found`, "GET", `${type.plural}/${objKey(namespace, name)}`);
    return structuredClone(s.obj) as unknown as T;
  }

  // ------------------------------------------------------------------ writes

  #namespaceCheck(type: ResourceType, namespace: string | undefined, method: string, name: string): void {
    if (!type.namespaced) return;
    const ns = this.#kind(NAMESPACES).get(namespace ?? "");
    if (ns === undefined) throw this.#error(404, "NotFound", `namespaces "${namespace}" not found`, method, `${type.plural}/${name}`);
    if (ns.obj.metadata.deletionTimestamp !== undefined) {
      throw this.#error(
        403,
        "Forbidden",
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        method,
        `${type.plural}/${name}`,
      );
    }
  }

  create<T extends KubeObject>(type: ResourceType, object: T, actor: Actor, manager: string): T {
    const o = object as unknown as Obj;
    const name = o.metadata.name ?? "";
    const key = objKey(type.namespaced ? o.metadata.namespace : undefined, name);
    const kind = this.#kind(type.plural);
    if (kind.has(key)) throw this.#error(409, "AlreadyExists", `${type.plural} "${name}" already exists`, "POST", `${type.plural}/${key}`);
    this.#namespaceCheck(type, o.metadata.namespace, "POST", name);
    const stored: Obj = structuredClone(o);
    stored.apiVersion = type.group === "" ? type.version : `${type.group}/${type.version}`;
    stored.kind = type.kind;
    stored.metadata = {
      ...stored.metadata,
      uid: `uid-${(++this.#uid).toString().padStart(4, "0")}`,
      resourceVersion: String(++this.#rv),
      creationTimestamp: this.#iso(),
      ...(type.group === "" ? {} : { generation: 1 }),
    };
    delete stored.metadata.deletionTimestamp;
    if (type.plural === NAMESPACES) stored.status = { phase: "Active" };
    const owners = { labels: new Map<string, string>(), annotations: new Map<string, string>(), data: new Map<string, string>() };
    for (const k of Object.keys(stored.metadata.labels ?? {})) owners.labels.set(k, manager);
    for (const k of Object.keys(stored.metadata.annotations ?? {})) owners.annotations.set(k, manager);
    for (const k of Object.keys(stored.data ?? {})) owners.data.set(k, manager);
    kind.set(key, { obj: stored, owners });
    this.#emit(type.plural, "ADDED", undefined, stored, actor);
    return structuredClone(stored) as unknown as T;
  }

  /**
   * Server-side apply. On the status subresource only `status` changes (the applier's fields; one
   * manager writes status here, so it is replaced). On the object itself the applier's labels,
   * annotations and data keys are set and the ones it applied before but omits now are removed;
   * keys other managers own stay. A resourceVersion in the applied metadata is a precondition.
   */
  apply<T extends KubeObject>(type: ResourceType, object: T, subresource: "status" | undefined, actor: Actor, manager: string): T {
    const o = object as unknown as Obj;
    const name = o.metadata.name ?? "";
    const namespace = type.namespaced ? o.metadata.namespace : undefined;
    const key = objKey(namespace, name);
    const path = `${type.plural}/${key}${subresource ? "/status" : ""}`;
    const kind = this.#kind(type.plural);
    const current = kind.get(key);
    if (current === undefined) {
      if (subresource === "status" || o.metadata.resourceVersion !== undefined)
        throw this.#error(404, "NotFound", `${type.plural} "${name}" not found`, "PATCH", path);
      return this.create(type, { ...o, metadata: { ...o.metadata, namespace } } as unknown as T, actor, manager);
    }
    if (o.metadata.resourceVersion !== undefined && o.metadata.resourceVersion !== current.obj.metadata.resourceVersion) {
      throw this.#error(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        "PATCH",
        path,
      );
    }
    const before = current.obj;
    let next: Obj;
    if (subresource === "status") {
      next = { ...structuredClone(before), status: structuredClone(o.status) };
    } else {
      next = structuredClone(before);
      next.metadata.labels = applyOwnedMap(before.metadata.labels, o.metadata.labels, current.owners.labels, manager);
      next.metadata.annotations = applyOwnedMap(before.metadata.annotations, o.metadata.annotations, current.owners.annotations, manager);
      if ("data" in o || before.data !== undefined) next.data = applyOwnedMap(before.data, o.data, current.owners.data, manager);
      if (o.type !== undefined) next.type = o.type;
      if (o.metadata.ownerReferences !== undefined) next.metadata.ownerReferences = structuredClone(o.metadata.ownerReferences);
      if ((o as { spec?: unknown }).spec !== undefined) next.spec = structuredClone((o as { spec?: unknown }).spec);
    }
    return this.#commit(type, key, current, before, next, actor) as unknown as T;
  }

  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource: string | undefined,
    actor: Actor,
  ): T {
    const key = objKey(type.namespaced ? namespace : undefined, name);
    const path = `${type.plural}/${key}${subresource ? `/${subresource}` : ""}`;
    const current = this.#kind(type.plural).get(key);
    if (current === undefined) throw this.#error(404, "NotFound", `${type.plural} "${name}" not found`, "PATCH", path);
    const p = structuredClone(patch ?? {}) as { metadata?: { resourceVersion?: string; finalizers?: string[] } } & Record<string, unknown>;
    const wantRv = p.metadata?.resourceVersion;
    if (wantRv !== undefined && wantRv !== current.obj.metadata.resourceVersion) {
      throw this.#error(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        "PATCH",
        path,
      );
    }
    if (p.metadata) delete p.metadata.resourceVersion;
    const before = current.obj;
    let next: Obj;
    if (subresource === "status") {
      next = { ...structuredClone(before), status: applyMergePatch(before.status, (p as { status?: unknown }).status) };
    } else {
      const { status: _ignored, ...rest } = p as { status?: unknown };
      next = applyMergePatch(structuredClone(before), rest) as Obj;
      next.status = structuredClone(before.status);
      for (const f of ["uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion", "name", "namespace"] as const) {
        if (before.metadata[f] === undefined) delete next.metadata[f];
        else (next.metadata as Record<string, unknown>)[f] = before.metadata[f];
      }
      if (before.metadata.deletionTimestamp !== undefined) {
        const had = new Set(before.metadata.finalizers ?? []);
        const added = (next.metadata.finalizers ?? []).filter((f) => !had.has(f));
        if (added.length > 0) {
          throw this.#error(
            422,
            "Invalid",
            `${type.plural} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
            "PATCH",
            path,
          );
        }
      }
    }
    return this.#commit(type, key, current, before, next, actor) as unknown as T;
  }

  /** Writes `next` if it differs (a no-op write keeps the resourceVersion), bumping generation on spec changes. */
  #commit(type: ResourceType, key: string, stored: Stored, before: Obj, next: Obj, actor: Actor): Obj {
    if (isDeepStrictEqual(before, next)) return structuredClone(before);
    if (type.group !== "" && !isDeepStrictEqual(before.spec, next.spec)) next.metadata.generation = (before.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(++this.#rv);
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.#kind(type.plural).delete(key);
      this.#emit(type.plural, "DELETED", before, next, actor);
      this.#collectDependents(next.metadata.uid);
      if (type.plural !== NAMESPACES) this.#namespaceMaybeEmpty(next.metadata.namespace);
      return structuredClone(next);
    }
    stored.obj = next;
    this.#emit(type.plural, "MODIFIED", before, next, actor);
    return structuredClone(next);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, preconditionUid: string | undefined, actor: Actor): void {
    const key = objKey(type.namespaced ? namespace : undefined, name);
    const path = `${type.plural}/${key}`;
    const kind = this.#kind(type.plural);
    const current = kind.get(key);
    if (current === undefined) throw this.#error(404, "NotFound", `${type.plural} "${name}" not found`, "DELETE", path);
    if (preconditionUid !== undefined && preconditionUid !== current.obj.metadata.uid) {
      throw this.#error(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${type.plural} "${name}": Precondition failed: UID in precondition: ${preconditionUid}, UID in object meta: ${current.obj.metadata.uid}`,
        "DELETE",
        path,
      );
    }
    const before = current.obj;
    if ((before.metadata.finalizers ?? []).length > 0 || type.plural === NAMESPACES) {
      if (before.metadata.deletionTimestamp !== undefined) return;
      const next = structuredClone(before);
      next.metadata.deletionTimestamp = this.#iso();
      if (type.group !== "") next.metadata.generation = (before.metadata.generation ?? 1) + 1;
      if (type.plural === NAMESPACES) next.status = { phase: "Terminating" };
      next.metadata.resourceVersion = String(++this.#rv);
      current.obj = next;
      this.#emit(type.plural, "MODIFIED", before, next, actor);
      if (type.plural === NAMESPACES) this.#terminate(name);
      return;
    }
    kind.delete(key);
    const gone = structuredClone(before);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit(type.plural, "DELETED", before, gone, actor);
    this.#collectDependents(before.metadata.uid);
    this.#namespaceMaybeEmpty(before.metadata.namespace);
  }

  // ------------------------------------------------------------------ the cluster's own controllers

  /** The garbage collector deletes objects whose controller owner is gone (background propagation). */
  #collectDependents(uid: string | undefined): void {
    if (uid === undefined) return;
    this.background(500, `garbage collector: dependents of ${uid}`, () => {
      for (const [plural, kind] of this.#kinds) {
        for (const s of [...kind.values()]) {
          if (!(s.obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
          const type = { group: "", version: "v1", plural, kind: s.obj.kind ?? "", namespaced: s.obj.metadata.namespace !== undefined };
          try {
            this.delete(type, s.obj.metadata.namespace, s.obj.metadata.name ?? "", s.obj.metadata.uid, { kind: "system", label: "garbage-collector" });
          } catch {
            // gone meanwhile
          }
        }
      }
    });
  }

  /**
   * The namespace controller: deletes everything in a terminating namespace, kind by kind in no fixed
   * order and seconds apart (as it walks API discovery), then the namespace. Until it reaches a kind,
   * those objects live on in a namespace that is going away (Secrets may be gone before certificates).
   */
  #terminate(namespace: string): void {
    const kinds = [...this.#kinds.keys()].filter((plural) => plural !== NAMESPACES);
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    let delay = 200;
    for (const plural of kinds) {
      delay += Math.floor(this.random() * 5_000);
      this.background(delay, `namespace controller: delete the ${plural} of ${namespace}`, () => {
        for (const s of [...this.#kind(plural).values()]) {
          if (s.obj.metadata.namespace !== namespace) continue;
          const group = (s.obj.apiVersion ?? "").includes("/") ? (s.obj.apiVersion ?? "").split("/")[0]! : "";
          const type = { group, version: "v1", plural, kind: s.obj.kind ?? "", namespaced: true };
          try {
            this.delete(type, namespace, s.obj.metadata.name ?? "", undefined, { kind: "system", label: "namespace-controller" });
          } catch {
            // gone meanwhile
          }
        }
        this.#namespaceMaybeEmpty(namespace);
      });
    }
  }

  #namespaceMaybeEmpty(namespace: string | undefined): void {
    if (namespace === undefined) return;
    const ns = this.#kind(NAMESPACES).get(namespace);
    if (ns?.obj.metadata.deletionTimestamp === undefined) return;
    for (const [plural, kind] of this.#kinds) {
      if (plural === NAMESPACES) continue;
      for (const s of kind.values()) if (s.obj.metadata.namespace === namespace) return;
    }
    this.#kind(NAMESPACES).delete(namespace);
    const gone = structuredClone(ns.obj);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit(NAMESPACES, "DELETED", ns.obj, gone, { kind: "system", label: "namespace-controller" });
  }
}
