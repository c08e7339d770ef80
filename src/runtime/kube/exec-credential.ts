// The client.authentication.k8s.io exec credential plugin protocol (kubeconfig `users[].user.exec`),
// as client-go's plugin/pkg/client/auth/exec documents it. Only what a plugin prints on stdout is a
// credential: nothing of it may reach an error message or a log line.
import { spawn } from "node:child_process";

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  interactiveMode?: "Never" | "IfAvailable" | "Always";
  provideClusterInfo?: boolean;
  installHint?: string;
}

export interface ExecResult {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  /** Epoch ms; undefined means the credential does not expire. */
  readonly expiresAt?: number;
}

export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;
/** A plugin that hangs would stall every request; client-go waits without limit, we give up after a minute. */
const EXEC_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1024 * 1024;

export class ExecCredentialError extends Error {
  override readonly name = "ExecCredentialError";
}

/** Runs the plugin once (stdin closed, stderr passed through as kubectl does) and validates its ExecCredential. */
export async function runExecPlugin(exec: ExecConfig, ctx: { env: NodeJS.ProcessEnv; cluster?: Record<string, unknown> }): Promise<ExecResult> {
  const fail = (why: string): never => { throw new ExecCredentialError(`exec credential plugin "${exec.command}": ${why}`); };
  const apiVersion = exec.apiVersion ?? "";
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) fail(`unsupported apiVersion "${apiVersion}" (want ${EXEC_API_VERSIONS.join(" or ")})`);
  if (exec.interactiveMode === "Always") fail("interactiveMode Always needs a terminal, and the operator has none");

  const info = { apiVersion, kind: "ExecCredential", spec: { interactive: false, ...(exec.provideClusterInfo && ctx.cluster ? { cluster: ctx.cluster } : {}) } };
  const env: NodeJS.ProcessEnv = { ...ctx.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env ?? []) if (e && typeof e.name === "string") env[e.name] = String(e.value ?? "");

  const stdout = await new Promise<string>((resolveRun, rejectRun) => {
    const child = spawn(exec.command, exec.args ?? [], { env, stdio: ["ignore", "pipe", "inherit"], timeout: EXEC_TIMEOUT_MS });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) chunks.push(chunk);
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      const hint = error.code === "ENOENT" && exec.installHint ? `\n${exec.installHint}` : "";
      rejectRun(new ExecCredentialError(`exec credential plugin "${exec.command}": cannot start (${error.code ?? "error"})${hint}`));
    });
    child.on("close", (code, signal) => {
      if (signal) rejectRun(new ExecCredentialError(`exec credential plugin "${exec.command}": killed by ${signal}${signal === "SIGTERM" ? ` (timeout ${EXEC_TIMEOUT_MS / 1000} s?)` : ""}`));
      else if (code !== 0) rejectRun(new ExecCredentialError(`exec credential plugin "${exec.command}": exit code ${code}`));
      else if (size > MAX_OUTPUT) rejectRun(new ExecCredentialError(`exec credential plugin "${exec.command}": output larger than ${MAX_OUTPUT} bytes`));
      else resolveRun(Buffer.concat(chunks).toString("utf8"));
    });
  });

  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    // The output may be a credential in another shape: say that it is not JSON, never what it is.
    return fail("output is not JSON");
  }
  const cred = doc as { kind?: unknown; apiVersion?: unknown; status?: Record<string, unknown> } | null;
  if (cred === null || typeof cred !== "object" || cred.kind !== "ExecCredential") return fail("output is not an ExecCredential");
  if (cred.apiVersion !== apiVersion) return fail(`plugin returned apiVersion "${String(cred.apiVersion)}", configured "${apiVersion}"`);
  const status = cred.status;
  if (status === undefined || status === null || typeof status !== "object") return fail("ExecCredential has no status");
  const str = (k: string): string | undefined => (typeof status[k] === "string" && (status[k] as string).length > 0 ? (status[k] as string) : undefined);
  const token = str("token");
  const clientCertificateData = str("clientCertificateData");
  const clientKeyData = str("clientKeyData");
  if ((clientCertificateData === undefined) !== (clientKeyData === undefined)) return fail("status needs both clientCertificateData and clientKeyData, or neither");
  if (token === undefined && clientCertificateData === undefined) return fail("status has neither token nor clientCertificateData/clientKeyData");
  let expiresAt: number | undefined;
  const expiration = str("expirationTimestamp");
  if (expiration !== undefined) {
    expiresAt = Date.parse(expiration);
    if (Number.isNaN(expiresAt)) return fail(`status.expirationTimestamp "${expiration}" is not a timestamp`);
  }
  return {
    ...(token ? { token } : {}),
    ...(clientCertificateData && clientKeyData ? { clientCertificateData, clientKeyData } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
