// The names a person may type for a certbridge kind (as kubectl accepts them: kind, plural, singular,
// short name, any case, with or without the group) and "kind/name" references.
import { GROUP, type KindName, type KindNames, kinds, resourceTypes } from "../../api/v1alpha1/group.ts";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import { CliError, ExitCode } from "./exit-codes.ts";

export interface CliKind {
  readonly name: KindName;
  readonly names: KindNames;
  readonly type: ResourceType;
  /** What tables print before "/name": the first short name. */
  readonly short: string;
}

/** Every kind the API defines, in the API's order (resourceTypes lists them once). */
export const cliKinds: readonly CliKind[] = Object.values(resourceTypes).map((type) => {
  const name = type.kind as KindName;
  return { name, names: kinds[name], type, short: kinds[name].shortNames[0]! };
});

export const kindOf = (name: KindName): CliKind => cliKinds.find((k) => k.name === name)!;

/** What completion offers for each kind: its singular name and its short name (every other spelling is accepted too). */
export const kindWords: readonly string[] = cliKinds.flatMap((k) => [k.names.singular, k.short]);

export function resolveKind(word: string): CliKind | undefined {
  const w = word.toLowerCase().replace(new RegExp(`\\.${GROUP.replace(/\./g, "\\.")}$`), "");
  return cliKinds.find((k) => [k.names.kind.toLowerCase(), k.names.plural, k.names.singular, ...k.names.shortNames].includes(w));
}

/** "mcert/shop-tls" → the kind and the name; a bare name leaves the kind to the caller. */
export function parseReference(ref: string): { kind: CliKind | undefined; name: string } {
  const slash = ref.indexOf("/");
  if (slash < 0) return { kind: undefined, name: ref };
  const kindWord = ref.slice(0, slash);
  const kind = resolveKind(kindWord);
  if (kind === undefined)
    throw new CliError(ExitCode.Usage, `"${kindWord}" is not a certbridge kind (one of: ${cliKinds.map((k) => k.names.singular).join(", ")})`);
  const name = ref.slice(slash + 1);
  if (name === "") throw new CliError(ExitCode.Usage, `"${ref}" names no resource after the "/"`);
  return { kind, name };
}
