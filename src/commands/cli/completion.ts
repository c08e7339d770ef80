// `certbridge completion bash|zsh|fish` prints a completion script; the script calls the hidden
// `certbridge __complete <words…>`, which answers from the command table and the subcommands' specs
// (and the cluster, for resource names) in Cobra's format.
import { planCompletion, type TopCommand } from "./completion/plan.ts";
import { Directive, bashScript, fishScript, zshScript } from "./completion/scripts.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { type CliIo, processIo } from "./io.ts";
import { runCommand } from "./run.ts";
import { cliSpecs, completionSpec } from "./specs.ts";

/** Both names a user may complete: the CLI and its kubectl plugin bin. */
const PROGRAMS = ["certbridge", "kubectl-certbridge"] as const;

export function completionCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  return runCommand(completionSpec, args, io, async (ctx) => {
    const [shell, ...extra] = ctx.parsed.positionals;
    if (extra.length > 0) throw new CliError(ExitCode.Usage, "one shell: bash, zsh or fish");
    switch (shell) {
      case "bash":
        io.out(bashScript(PROGRAMS));
        return ExitCode.Ok;
      case "zsh":
        io.out(zshScript(PROGRAMS));
        return ExitCode.Ok;
      case "fish":
        io.out(fishScript(PROGRAMS));
        return ExitCode.Ok;
      default:
        throw new CliError(ExitCode.Usage, `name a shell: bash, zsh or fish${shell ? ` (not "${shell}")` : ""}`);
    }
  });
}

/** `__complete <words…>`: candidates for the last word, one per line, then ":<directive>". */
export function completeCommandFor(commands: readonly TopCommand[]): (args: string[], io?: CliIo) => Promise<number> {
  return async (args, io = processIo()) => {
    const plan = planCompletion(
      args.length === 0 ? [""] : args,
      commands.filter((c) => !c.name.startsWith("__")),
      cliSpecs,
    );
    const lines = plan.candidates.map((c) => (c.description ? `${c.value}\t${c.description.replace(/\s+/g, " ")}` : c.value));
    if (plan.names) {
      const { lookUpNames } = await import("./completion/names.ts");
      lines.push(...(await lookUpNames(plan.names, io)).filter((n) => n.startsWith(plan.partial)));
    }
    const directive = (plan.noSpace ? Directive.NoSpace : 0) | (plan.files ? 0 : Directive.NoFileComp);
    io.out(`${[...lines, `:${directive}`].join("\n")}\n`);
    return ExitCode.Ok;
  };
}
