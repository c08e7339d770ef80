// The frame every CLI subcommand runs in: parse its flags (or print --help), run it, and turn what it
// throws into one line on stderr and an exit code scripts can rely on (exit-codes.ts).
import { CliError, ExitCode } from "./exit-codes.ts";
import { type CommandSpec, type Parsed, helpText, parseFlags, str } from "./flags.ts";
import type { CliIo } from "./io.ts";
import { type KubeAccess, connect, describeFailure } from "./kube.ts";
import type { DataFormat } from "./output.ts";
import { type Style, colourEnabled, createStyle } from "./style.ts";

export interface CommandContext {
  readonly io: CliIo;
  readonly parsed: Parsed;
  readonly style: Style;
  /** -o json|yaml, when asked for. */
  readonly format: DataFormat | undefined;
  /** The terminal's width when stdout is one; undefined when piped (nothing is cut or wrapped). */
  readonly width: number | undefined;
  /** The cluster, as the flags (--kubeconfig, --context, -n, -A) and the environment say; the client is closed after the command. */
  connect(): KubeAccess;
}

export async function runCommand(spec: CommandSpec, args: readonly string[], io: CliIo, body: (ctx: CommandContext) => Promise<number>): Promise<number> {
  let server: string | undefined;
  const opened: KubeAccess[] = [];
  try {
    const parsed = parseFlags(spec, args);
    if (parsed.values.help === true) {
      io.out(helpText(io.program, spec));
      return ExitCode.Ok;
    }
    const style = createStyle(colourEnabled(io, parsed.values["no-color"] === true));
    const format = str(parsed.values, "output") as DataFormat | undefined;
    const width = io.isTTY ? (io.columns ?? 100) : undefined;
    return await body({
      io,
      parsed,
      style,
      format,
      width,
      connect: () => {
        const access = connect(parsed.values, io);
        server = access.server;
        opened.push(access);
        return access;
      },
    });
  } catch (error) {
    const failure = error instanceof CliError ? error : describeFailure(error, server);
    io.err(`${io.program} ${spec.name}: ${failure.message}\n`);
    return failure.exitCode;
  } finally {
    await Promise.all(opened.map((a) => a.client.close().catch(() => undefined)));
  }
}
