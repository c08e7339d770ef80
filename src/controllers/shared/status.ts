import { isDeepStrictEqual } from "node:util";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";

/**
 * Writes `status` through the status subresource with server-side apply, only when it differs
 * from what the object already shows (TARGETS P7: no writes for a resource that is already right).
 * Returns whether it wrote.
 */
export async function applyStatus(client: KubeApi, type: ResourceType, object: KubeObject & { status?: unknown }, status: Record<string, unknown>, signal?: AbortSignal): Promise<boolean> {
  if (isDeepStrictEqual(stripUndefined(object.status ?? {}), stripUndefined(status))) return false;
  await client.apply(type, { metadata: { name: object.metadata.name, namespace: object.metadata.namespace }, status } as KubeObject, {
    subresource: "status",
    force: true,
    ...(signal ? { signal } : {}),
  });
  return true;
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out;
}
