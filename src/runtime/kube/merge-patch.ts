/** JSON merge patch (RFC 7386): objects merge key by key, null deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * Server-side apply over one string map (labels, annotations, Secret data): the applying manager's
 * keys become `applied` (its keys left out are removed), other managers' keys stay. `owners` is updated.
 */
export function applyOwnedMap(
  before: Record<string, string> | undefined,
  applied: Record<string, string> | undefined,
  owners: Map<string, string>,
  manager: string,
): Record<string, string> {
  const out: Record<string, string> = { ...(before ?? {}) };
  for (const [k, m] of [...owners]) {
    if (m === manager && !(applied !== undefined && k in applied)) {
      delete out[k];
      owners.delete(k);
    }
  }
  for (const [k, v] of Object.entries(applied ?? {})) {
    out[k] = v;
    owners.set(k, manager);
  }
  return out;
}
