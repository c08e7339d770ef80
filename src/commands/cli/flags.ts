// Flags as data: each subcommand declares its flags once, and the same declaration parses the command
// line, prints --help and generates shell completion (completion.ts).
import { parseArgs } from "node:util";
import { CliError, ExitCode } from "./exit-codes.ts";

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  /** Placeholder of the value (e.g. "NAME"); absent: a boolean switch. */
  readonly value?: string;
  /** The values allowed, checked here and offered by completion. */
  readonly choices?: readonly string[];
  readonly help: string;
}

/** What a positional argument is, for completion: a kind, `kind/name`, a resource name of a kind, or a fixed word. */
export type PositionalCompletion =
  | { readonly type: "kind/name" }
  | { readonly type: "names"; readonly kind: "ManagedCertificate" | "ProvisioningKey" | "Secret" }
  | { readonly type: "words"; readonly words: readonly string[] }
  | { readonly type: "kinds" };

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Usage after the program and command name, e.g. "<kind>/<name> [flags]". */
  readonly usage: string;
  readonly flags: readonly FlagSpec[];
  /** What each positional argument is, in order; with `repeatLast`, the last one may be given many times. */
  readonly positionals: readonly PositionalCompletion[];
  readonly repeatLast?: boolean;
  /** Extra lines for --help (examples, exit codes). */
  readonly details?: string;
}

// Kubernetes access: the operator's kubeconfig loader, as kubectl spells the flags.
export const kubeFlags: readonly FlagSpec[] = [
  { name: "kubeconfig", value: "PATH", help: "kubeconfig file (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)" },
  { name: "context", value: "NAME", help: "kubeconfig context to use instead of the current one" },
  { name: "namespace", short: "n", value: "NAMESPACE", help: "namespace (default: the context's namespace, else default)" },
];
export const allNamespacesFlag: FlagSpec = { name: "all-namespaces", short: "A", help: "every namespace" };
export const outputFlag: FlagSpec = {
  name: "output",
  short: "o",
  value: "FORMAT",
  choices: ["json", "yaml"],
  help: "print the data as json or yaml instead of text",
};
export const noColorFlag: FlagSpec = { name: "no-color", help: "never colour the output (also: NO_COLOR=1; piped output is never coloured)" };
export const helpFlag: FlagSpec = { name: "help", short: "h", help: "show this help" };

export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export interface Parsed {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
}

/** Parses `args` against the spec; an unknown flag, a missing value or a value outside `choices` is a usage error. */
export function parseFlags(spec: CommandSpec, args: readonly string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const f of [...spec.flags, helpFlag]) options[f.name] = { type: f.value === undefined ? "boolean" : "string", ...(f.short ? { short: f.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(ExitCode.Usage, `${error instanceof Error ? error.message.split("\n")[0] : String(error)} (see --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const f of spec.flags) {
    const v = values[f.name];
    if (f.choices !== undefined && typeof v === "string" && !f.choices.includes(v))
      throw new CliError(ExitCode.Usage, `--${f.name} must be one of ${f.choices.join(", ")}, not "${v}"`);
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(program: string, spec: CommandSpec): string {
  const flags = [...spec.flags, helpFlag].map((f) => {
    const names = `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.value ? ` ${f.value}` : ""}`;
    return `  ${names.padEnd(30)} ${f.help}`;
  });
  return `usage: ${program} ${spec.name} ${spec.usage}\n\n${spec.summary}\n\nflags:\n${flags.join("\n")}\n${spec.details ? `\n${spec.details.trimEnd()}\n` : ""}`;
}

export const str = (values: FlagValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
};
export const bool = (values: FlagValues, name: string): boolean => values[name] === true;
