// What to offer at the cursor (pure): the words typed so far, read against the command table and the
// subcommands' specs. Resource names are not known here: the plan says which to look up (names.ts).
import { settings } from "../../../config/operator.ts";
import type { CommandSpec, FlagSpec, FlagValues } from "../flags.ts";
import { kindWords, resolveKind } from "../kinds.ts";

export interface Candidate {
  readonly value: string;
  readonly description?: string;
}

export type NameKind = "ManagedCertificate" | "ProvisioningKey" | "Secret" | "Namespace" | (string & {});

export interface NameQuery {
  /** A certbridge kind name, "Secret" or "Namespace". */
  readonly kind: NameKind;
  /** Put before each name ("mcert/" while completing kind/name). */
  readonly prefix: string;
  /** The kube flags typed so far (namespace, context, kubeconfig). */
  readonly flags: FlagValues;
}

export interface CompletionPlan {
  readonly candidates: readonly Candidate[];
  /** The word continues after the candidate ("mcert/"): no space after it. */
  readonly noSpace?: boolean;
  /** Let the shell complete file names (--kubeconfig). */
  readonly files?: boolean;
  readonly names?: NameQuery;
  /** What the candidates must start with (names are filtered after the look-up). */
  readonly partial: string;
}

export interface TopCommand {
  readonly name: string;
  readonly summary: string;
}

/** `certbridge run`'s flags come from the operator's settings table: every one takes a value. */
const runSpec: CommandSpec = {
  name: "run",
  summary: "",
  usage: "",
  flags: Object.values(settings).map((s) => ({ name: s.flag, value: "VALUE", help: s.help })),
  positionals: [],
};

function findFlag(flags: readonly FlagSpec[], word: string): { flag: FlagSpec | undefined; inline: string | undefined } {
  if (word.startsWith("--")) {
    const [name, inline] = word.slice(2).split(/=(.*)/s) as [string, string | undefined];
    return { flag: flags.find((f) => f.name === name), inline };
  }
  return { flag: flags.find((f) => f.short !== undefined && f.short === word.slice(1, 2)), inline: word.length > 2 ? word.slice(2) : undefined };
}

const filtered = (candidates: readonly Candidate[], partial: string): Candidate[] => candidates.filter((c) => c.value.startsWith(partial));

/** `words`: everything after the program name; the last is the word being completed (maybe ""). */
export function planCompletion(words: readonly string[], commands: readonly TopCommand[], specs: Readonly<Record<string, CommandSpec>>): CompletionPlan {
  const partial = words.at(-1) ?? "";
  if (words.length <= 1)
    return {
      candidates: filtered(
        commands.map((c) => ({ value: c.name, description: c.summary })),
        partial,
      ),
      partial,
    };
  const spec = words[0] === "run" ? runSpec : specs[words[0]!];
  if (spec === undefined) return { candidates: [], partial };

  const values: Record<string, string | boolean> = {};
  let positionals = 0;
  let pending: FlagSpec | undefined;
  for (const word of words.slice(1, -1)) {
    if (pending !== undefined) {
      values[pending.name] = word;
      pending = undefined;
    } else if (word.startsWith("-") && word !== "-") {
      const { flag, inline } = findFlag(spec.flags, word);
      if (flag === undefined) continue;
      if (flag.value === undefined) values[flag.name] = true;
      else if (inline !== undefined && inline !== "") values[flag.name] = inline;
      else pending = flag;
    } else positionals++;
  }

  if (pending !== undefined) {
    if (pending.choices)
      return {
        candidates: filtered(
          pending.choices.map((value) => ({ value })),
          partial,
        ),
        partial,
      };
    if (pending.name === "kubeconfig") return { candidates: [], files: true, partial };
    if (pending.name === "namespace" || pending.name === "operator-namespace")
      return { candidates: [], names: { kind: "Namespace", prefix: "", flags: values }, partial };
    return { candidates: [], partial };
  }
  if (partial.startsWith("-")) {
    const flags = spec.flags.map((f) => ({ value: `--${f.name}`, description: f.help }));
    return { candidates: filtered([...flags, { value: "--help", description: "show the command's help" }], partial), partial };
  }
  const position = spec.positionals[positionals] ?? (spec.repeatLast ? spec.positionals.at(-1) : undefined);
  switch (position?.type) {
    case undefined:
      return { candidates: [], partial };
    case "kinds":
      return {
        candidates: filtered(
          kindWords.map((value) => ({ value })),
          partial,
        ),
        partial,
      };
    case "words":
      return {
        candidates: filtered(
          position.words.map((value) => ({ value })),
          partial,
        ),
        partial,
      };
    case "names":
      return { candidates: [], names: { kind: position.kind, prefix: "", flags: values }, partial };
    case "kind/name": {
      const slash = partial.indexOf("/");
      if (slash < 0)
        return {
          candidates: filtered(
            kindWords.map((w) => ({ value: `${w}/` })),
            partial,
          ),
          noSpace: true,
          partial,
        };
      const kind = resolveKind(partial.slice(0, slash));
      return kind === undefined
        ? { candidates: [], partial }
        : { candidates: [], names: { kind: kind.name, prefix: partial.slice(0, slash + 1), flags: values }, partial };
    }
  }
}
