import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { simCommand } from "./sim.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));

describe("simCommand", () => {
  it("prints one JSON line with URLs, CA file and credentials, then stops when told", async () => {
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const caFile = join(mkdtempSync(join(tmpdir(), "sim-cmd-")), "ca.pem");
    const done = simCommand(["--ca-file", caFile], { out: (l) => lines.push(l), err: () => {}, stopped });
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
    const printed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(lines[0]!.endsWith("\n") && !lines[0]!.trimEnd().includes("\n")).toBe(true);
    expect(Object.keys(printed)).toEqual(expect.arrayContaining(["zpa", "cloudflare", "sectigo", "caFile", "credentials"]));
    expect(printed["caFile"]).toBe(caFile);
    expect(readFileSync(caFile, "utf8")).toMatch(/BEGIN CERTIFICATE/);
    expect(printed["cloudflare"]).toMatch(/^https:/);
    expect((printed["credentials"] as Record<string, Record<string, string>>)["cloudflare"]!["apiToken"]).toBeDefined();
    stop();
    expect(await done).toBe(0);
    await expect(fetch(String(printed["cloudflare"]))).rejects.toThrow(); // closed
    expect(existsSync(caFile)).toBe(true); // a caller-chosen CA file is left in place
  });

  const bad: Array<{ args: string[]; reason: string }> = [
    { args: ["--nope"], reason: "unknown flag" },
    { args: ["--zpa-port", "http"], reason: "port is not a number" },
    { args: ["--cloudflare-port", "70000"], reason: "port out of range" },
  ];
  it.each(bad)("exits 2 on $reason", async ({ args }) => {
    const errs: string[] = [];
    expect(await simCommand(args, { out: () => {}, err: (l) => errs.push(l) })).toBe(2);
    expect(errs.join("")).toMatch(/usage: certbridge sim/);
  });

  it("the CLI runs it as a process and shuts down cleanly on SIGTERM", async () => {
    const child = spawn(join(repo, "node_modules/.bin/node"), ["src/cli.ts", "sim", "--http"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const printed = JSON.parse(first) as Record<string, unknown>;
    expect(printed["cloudflare"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(printed["caFile"]).toBeNull();
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 30_000);
});
