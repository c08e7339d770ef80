// The stream the README names for logs is the stream a real `certbridge run` process writes them to:
// JSON lines on stdout from start to a graceful stop, nothing on stderr; only a configuration error,
// before the logger exists, goes to stderr as plain text (ADR 0016).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const README = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** `certbridge run` with its two streams apart. */
function run(args: string[]) {
  const child = spawn(process.execPath, [CLI, "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out.stderr += c.toString()));
  // "close", not "exit": the process can be gone while its last lines are still in the pipe.
  const exited = once(child, "close").then(([code]) => code as number | null);
  return { child, out, exited };
}

let client: KubeClient;
beforeAll(() => {
  client = adminClient();
});
afterAll(async () => {
  await client.close();
});

describe("where logs go", () => {
  it("the README says stdout, and a real process writes JSON lines there and nothing to stderr, from start to SIGTERM", async () => {
    expect(README).toContain("Logs are\nJSON lines on stdout");
    const ns = await freshNamespace(client, "logs");
    const p = run([
      "--kubeconfig",
      inject("kubeconfigPath"),
      "--namespaces",
      ns,
      "--leader-election-namespace",
      ns,
      "--metrics-port",
      "0",
      "--metrics-host",
      "127.0.0.1",
      "--log-level",
      "debug",
    ]);
    try {
      await eventually("certbridge started", () => p.out.stdout.includes('"msg":"certbridge started"'), 60_000, 100);
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill("SIGKILL");
    }
    const lines = p.out.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
    expect(lines.some((l) => l.includes("released leadership") || l.includes("stopping"))).toBe(true);
    expect(p.out.stderr).toBe("");
  });

  it("a configuration error, before any logger, is plain text on stderr and stdout stays empty", async () => {
    const p = run(["--provisioningkey-drift-interval", "5s"]);
    expect(await p.exited).toBe(2);
    expect(p.out.stdout).toBe("");
    expect(p.out.stderr).toMatch(
      /^certbridge run: invalid configuration:\n {2}--provisioningkey-drift-interval \(CERTBRIDGE_PROVISIONINGKEY_DRIFT_INTERVAL\): .*between 10s and 24h/,
    );
  });
});
