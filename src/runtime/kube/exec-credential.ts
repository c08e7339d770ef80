// The client.authentication.k8s.io exec credential plugin (kubeconfig `users[].user.exec`). client-node
// runs the plugin; this module gives it what client-go would and client-node 1.4 does not: a check of
// the apiVersion and interactiveMode, a relative command resolved against the kubeconfig's directory,
// and KUBERNETES_EXEC_INFO (with the cluster when provideClusterInfo). It also words the failures: what
// a plugin prints on stdout is a credential, so nothing of it may reach an error message or a log line.
import { isAbsolute, resolve, sep } from "node:path";

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  interactiveMode?: "Never" | "IfAvailable" | "Always";
  provideClusterInfo?: boolean;
  installHint?: string;
}

export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;

export class ExecCredentialError extends Error {
  override readonly name = "ExecCredentialError";
}

/** The cluster as client-go describes it to a plugin (ExecCredential spec.cluster). */
export interface ExecClusterInfo {
  readonly server: string;
  readonly "tls-server-name"?: string;
  readonly "insecure-skip-tls-verify"?: boolean;
  readonly "certificate-authority-data"?: string;
  /** The cluster's "client.authentication.k8s.io/exec" extension, handed over as-is. */
  readonly config?: unknown;
}

/**
 * The exec section client-node should run: validated, command made absolute when it names a path
 * relative to the kubeconfig (client-go), KUBERNETES_EXEC_INFO added last so that it wins.
 */
export function prepareExec(exec: ExecConfig, ctx: { baseDir: string; cluster: ExecClusterInfo }): ExecConfig {
  const fail = (why: string): never => {
    throw new ExecCredentialError(`exec credential plugin "${String(exec.command)}": ${why}`);
  };
  if (typeof exec.command !== "string" || exec.command === "") return fail("no command");
  const apiVersion = exec.apiVersion ?? "";
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) fail(`unsupported apiVersion "${apiVersion}" (want ${EXEC_API_VERSIONS.join(" or ")})`);
  if (exec.interactiveMode === "Always") fail("interactiveMode Always needs a terminal, and the operator has none");
  const command = exec.command.includes(sep) && !isAbsolute(exec.command) ? resolve(ctx.baseDir, exec.command) : exec.command;
  const info = { apiVersion, kind: "ExecCredential", spec: { interactive: false, ...(exec.provideClusterInfo ? { cluster: ctx.cluster } : {}) } };
  const env = (exec.env ?? []).filter((e) => e && typeof e.name === "string").map((e) => ({ name: e.name, value: String(e.value ?? "") }));
  return { ...exec, command, args: exec.args ?? [], env: [...env, { name: "KUBERNETES_EXEC_INFO", value: JSON.stringify(info) }] };
}

/**
 * Words a failure of client-node's plugin run without repeating the plugin's output: JSON.parse quotes
 * the text it could not read, and client-node puts the plugin's stderr in its error, so that goes to
 * this process's stderr instead (as client-go passes it through) and the message stays our own.
 */
export function describeExecFailure(exec: ExecConfig, error: unknown, writeStderr: (text: string) => void): ExecCredentialError {
  const prefix = `exec credential plugin "${exec.command}"`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") {
    const hint = code === "ENOENT" && exec.installHint ? `\n${exec.installHint}` : "";
    return new ExecCredentialError(`${prefix}: cannot start (${code})${hint}`);
  }
  if (error instanceof SyntaxError) return new ExecCredentialError(`${prefix}: output is not JSON`);
  if (error instanceof TypeError) return new ExecCredentialError(`${prefix}: output is not an ExecCredential`);
  const stderr = error instanceof Error ? error.message : "";
  if (stderr.trim().length > 0) writeStderr(stderr.endsWith("\n") ? stderr : `${stderr}\n`);
  return new ExecCredentialError(`${prefix}: exited with an error${stderr.trim().length > 0 ? " (its stderr was written to this process's stderr)" : ""}`);
}
