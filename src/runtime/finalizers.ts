// Adding and removing a finalizer without losing anyone else's: a JSON merge patch replaces the whole
// list, so every patch is guarded by the resourceVersion the list was read from. On a conflict the
// object is read again and the patch retried once; a second conflict (the API error itself) goes back
// to the queue.
import type { KubeApi } from "./kube/api.ts";
import { KubeApiError, isConflict, isNotFound } from "./kube/errors.ts";
import type { KubeObject, ResourceType } from "./kube/resource.ts";

export function hasFinalizer(object: KubeObject, name: string): boolean {
  return (object.metadata.finalizers ?? []).includes(name);
}

/**
 * Makes sure `name` is on the object; returns the object as the API server holds it. An object
 * being deleted gets no new finalizer (the API server refuses it): it is returned as it is, so the
 * caller sees its deletionTimestamp (check `hasFinalizer` on the answer).
 */
export async function ensureFinalizer<T extends KubeObject>(api: KubeApi, type: ResourceType, object: T, name: string, signal?: AbortSignal): Promise<T> {
  const result = await patchFinalizers(api, type, object, signal, (current) => {
    if (hasFinalizer(current, name) || current.metadata.deletionTimestamp !== undefined) return undefined;
    return [...(current.metadata.finalizers ?? []), name];
  });
  if (result === undefined) {
    throw new KubeApiError({
      status: 404,
      reason: "NotFound",
      message: `${type.kind} ${describe(object)} is gone; cannot add finalizer ${name}`,
      method: "PATCH",
      path: `${type.plural}/${describe(object)}`,
    });
  }
  return result;
}

/** Makes sure `name` is not on the object; returns it as the API server holds it, or undefined once it is gone. */
export async function removeFinalizer<T extends KubeObject>(
  api: KubeApi,
  type: ResourceType,
  object: T,
  name: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  return patchFinalizers(api, type, object, signal, (current) =>
    hasFinalizer(current, name) ? (current.metadata.finalizers ?? []).filter((f) => f !== name) : undefined,
  );
}

/** `next` returns the new list, or undefined when the object needs no change. */
async function patchFinalizers<T extends KubeObject>(
  api: KubeApi,
  type: ResourceType,
  object: T,
  signal: AbortSignal | undefined,
  next: (current: T) => string[] | undefined,
): Promise<T | undefined> {
  let current = object;
  for (let attempt = 0; ; attempt++) {
    const list = next(current);
    if (list === undefined) return current;
    const basedOn = current.metadata.resourceVersion;
    try {
      const answer = await api.mergePatch<T>(
        type,
        current.metadata.namespace,
        current.metadata.name ?? "",
        { metadata: { finalizers: list, ...(basedOn === undefined ? {} : { resourceVersion: basedOn }) } },
        signal ? { signal } : {},
      );
      return { ...current, ...(answer ?? {}), metadata: { ...current.metadata, ...(answer?.metadata ?? {}), finalizers: list } };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (!isConflict(error) || attempt > 0) throw error;
    }
    try {
      current = await api.get<T>(type, current.metadata.namespace, current.metadata.name ?? "", signal);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    // A namesake created since is not the object we were asked about.
    if (object.metadata.uid !== undefined && current.metadata.uid !== object.metadata.uid) return undefined;
  }
}

function describe(object: KubeObject): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name ?? ""}` : (object.metadata.name ?? "");
}
