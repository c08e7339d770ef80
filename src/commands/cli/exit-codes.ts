// Exit codes scripts can branch on; the README's Commands section lists them.
export const ExitCode = {
  /** Done; for `status`, the resource is Ready; for `check`, every check passed. */
  Ok: 0,
  /** The answer is "no": not Ready, a check failed, a key does not match its certificate. */
  Problem: 1,
  /** The command line is wrong (unknown flag, missing argument). */
  Usage: 2,
  /** The named resource or Secret does not exist. */
  NotFound: 3,
  /** The cluster could not be asked: no usable kubeconfig, the API server unreachable, or access refused. */
  Unreachable: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a given code and a one-line message for stderr. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}
