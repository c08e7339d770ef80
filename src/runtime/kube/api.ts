// The Kubernetes API as the reconcilers use it: a structural interface, so that the real client
// (client.ts) and an in-memory model of the API server (test/simulation) are interchangeable.
// Reconcilers and the helpers they call take a `KubeApi`, never the `KubeClient` class.
import type { KubeClient, ListOptions } from "./client.ts";
import type { KubeList, KubeObject, ResourceType } from "./resource.ts";

/**
 * The calls a reconciler makes. Failures are `KubeApiError` (errors.ts) with the API server's status,
 * classified by `isNotFound`, `isConflict`, `isAlreadyExists`, …; anything else is a transport error.
 */
export interface KubeApi {
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T>;
  /** One page of a LIST. */
  list<T extends KubeObject>(type: ResourceType, opts?: ListOptions): Promise<KubeList<T>>;
  /** POST: 409 AlreadyExists when the name is taken (never takes an object over). */
  create<T extends KubeObject>(type: ResourceType, object: T, signal?: AbortSignal): Promise<T>;
  /**
   * Server-side apply with the client's field manager. `metadata.resourceVersion` in `object` makes
   * the write conditional (409 Conflict when stale); `subresource: "status"` writes only the status.
   */
  apply<T extends KubeObject>(
    type: ResourceType,
    object: T,
    opts?: { subresource?: "status"; force?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<T>;
  /** JSON merge patch (RFC 7386); `metadata.resourceVersion` in the patch makes it conditional. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts?: { subresource?: string; signal?: AbortSignal },
  ): Promise<T>;
  /** With finalizers present the object only gets a deletionTimestamp; `preconditionUid` guards against a re-created namesake. */
  delete(type: ResourceType, namespace: string | undefined, name: string, opts?: { signal?: AbortSignal; preconditionUid?: string }): Promise<void>;
}

// The real client must stay a KubeApi: this line stops compiling if a signature drifts apart.
export const kubeClientIsKubeApi = (client: KubeClient): KubeApi => client;
