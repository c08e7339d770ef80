// A ProvisioningKey's key name in ZPA: the default name, names reserved for other namespaces, and
// what "the same name" means (ZPA's search trims blanks at either end). Pure.
import { createHash } from "node:crypto";
import { normalizeKeyName, type ProvisioningKeySpec } from "../../api/v1alpha1/index.ts";
import type { SameName } from "../managed/create-intent.ts";

/** ZPA accepts names up to 255 characters (the API schema caps spec.name there too). */
export const MAX_KEY_NAME = 255;

/**
 * The key's name in ZPA when spec.name is unset: certbridge.<namespace>.<name>. Deterministic, so a
 * create interrupted by a crash is found by name afterwards instead of repeated. A namespace never
 * holds a dot, so the first dot after the prefix ends it: no two resources share a name (a dash
 * would: "a-b"/"c" and "a"/"b-c"). Names that would be too long keep a readable prefix and end in a
 * hash of the full name, so they stay distinct.
 */
export function defaultKeyName(namespace: string, name: string): string {
  const full = `certbridge.${namespace}.${name}`;
  if (full.length <= MAX_KEY_NAME) return full;
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 10);
  return `${full.slice(0, MAX_KEY_NAME - hash.length - 1)}-${hash}`;
}

export function keyNameOf(spec: Pick<ProvisioningKeySpec, "name">, namespace: string, name: string): string {
  return spec.name ?? defaultKeyName(namespace, name);
}

/**
 * certbridge.<namespace>.… names are the default names of that namespace's resources: another
 * namespace naming one could squat a key before its owner is even created. Undefined when allowed.
 */
export function reservedNameProblem(specName: string | undefined, namespace: string): string | undefined {
  if (specName === undefined) return undefined;
  const owner = /^certbridge\.([^.]*)\./.exec(normalizeKeyName(specName))?.[1];
  if (owner === undefined || owner === namespace) return undefined;
  return `spec.name: names certbridge.${owner}.… are reserved for the default key names of namespace ${owner}`;
}

/** " edge " and "edge" are one key to every ZPA lookup. */
export const sameKeyName: SameName = (a, b) => normalizeKeyName(a) === normalizeKeyName(b);
