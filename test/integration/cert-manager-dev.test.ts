// `certbridge dev --cert-manager` as a real process: cert-manager's cached controller runs beside the
// operator, the issuer and cert-manager samples are applied, dev reports every cert-manager Certificate
// Ready through a VendorIssuer, and Ctrl-C stops cert-manager's controller with everything else.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { certManagerAvailable } from "../harness/cert-manager.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const log = (line: string) => process.stdout.write(`[cert-manager-dev] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

/** Pids of processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!cm.available)("certbridge dev --cert-manager (real process)", () => {
  it("shows cert-manager Certificates issued through VendorIssuers, and stops cert-manager's controller on SIGINT", { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "certbridge-dev-cm-"));
    scratch.push(dir);
    const child = spawn(process.execPath, [CLI, "dev", "--cert-manager", "--state-dir", join(dir, "state"), "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", () => undefined);
    // "close", not "exit": the process can be gone while its last lines ("stopped …") are still in the pipe.
    const exited = once(child, "close").then(([code]) => code as number | null);
    try {
      const deadline = Date.now() + 180_000;
      const issued = () => stdout.split("\n").filter((l) => /cert-manager Certificate \S+ is Ready: issued through VendorIssuer \S+ into Secret \S+/.test(l));
      while (issued().length < 3) {
        if (child.exitCode !== null) throw new Error(`certbridge dev exited (${child.exitCode}):\n${stdout}`);
        if (Date.now() > deadline || /not every cert-manager Certificate is Ready/.test(stdout)) throw new Error(`not every Certificate issued:\n${stdout}`);
        await sleep(250);
      }
      // Both samples and the Ingress's Certificate, each through the VendorIssuer its sample names.
      expect(issued().join("\n")).toMatch(/shop-cert-manager is Ready: issued through VendorIssuer sectigo-ssl/);
      expect(issued().join("\n")).toMatch(/payments-client-cert-manager is Ready: issued through VendorIssuer cloudflare-mtls/);
      expect(issued().join("\n")).toMatch(/shop-ingress-cert-manager-tls is Ready: issued through VendorIssuer sectigo-ssl/);
      const pid = /cert-manager's controller runs for namespace \S+ \(pid (\d+)/.exec(stdout)?.[1];
      expect(pid).toBeDefined();
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(stdout).toContain("stopped cert-manager's controller");
      expect(await processesMentioning(`${dir}/state`)).toEqual([]);
      expect((await processesMentioning("cert-manager-controller")).includes(Number(pid))).toBe(false);
    } finally {
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  });
});
