import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly logs: string[];
  /** The port the metrics/health server bound (from the "certbridge started" log line). */
  readonly port: Promise<number>;
  exited(): Promise<number | null>;
}

/** Runs `certbridge run` as a real child process with the pinned Node, capturing its JSON logs. */
export function startOperatorProcess(args: string[], env: Record<string, string> = {}): OperatorProcess {
  const child = spawn(process.execPath, [CLI, "run", "--metrics-port", "0", "--metrics-host", "127.0.0.1", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let resolvePort: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => {
    resolvePort = resolve;
  });
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      logs.push(line);
      try {
        const record = JSON.parse(line) as { msg?: string; metricsPort?: number };
        if (record.msg === "certbridge started" && record.metricsPort) resolvePort(record.metricsPort);
      } catch {
        /* not JSON */
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return { child, logs, port, exited: () => exit };
}
