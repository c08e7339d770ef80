// What a CLI command touches outside itself, injected so tests run commands in-process: where text
// goes, the environment, whether stdout is a terminal (colour and fitting to its width), and the clock.

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** stdout is a terminal: colour (unless NO_COLOR) and tables fitted to `columns`. Piped output is plain. */
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  readonly now: () => Date;
  /** How the user invoked us, for usage lines: "certbridge" or "kubectl certbridge". */
  readonly program: string;
}

/** The program name from the executable's file name: the kubectl plugin bin is `kubectl-certbridge`. */
export function programName(argv1: string | undefined): string {
  const base = (argv1 ?? "").split(/[\\/]/).pop() ?? "";
  return base.startsWith("kubectl-certbridge") ? "kubectl certbridge" : "certbridge";
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    now: () => new Date(),
    program: programName(process.argv[1]),
  };
}
