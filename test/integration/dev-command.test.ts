import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import type { DevReadyInfo } from "../../src/commands/dev.ts";
import { readiness, type SampleStatus } from "../../src/commands/dev/readiness.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const READY_WITHIN_MS = 180_000;
/** After the ready file: every sample issued/delivered by the operator against the simulators (takes ~3 s). */
const SAMPLES_READY_WITHIN_MS = 60_000;
const EXIT_WITHIN_MS = 30_000;

type Secret = KubeObject & { type?: string; data?: Record<string, string> };
type Sample = KubeObject & SampleStatus & { spec: { connectionRef: { kind: string; name: string }; secretName: string; secretKey?: string } };

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function waitForFile(path: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`certbridge dev exited (${child.exitCode}) before it was ready:\n${output()}`);
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text !== undefined) return text;
    if (Date.now() > deadline) throw new Error(`no ready file within ${timeoutMs} ms:\n${output()}`);
    await sleep(250);
  }
}

/** Processes whose command line mentions `needle` (the control plane passes its data dir to etcd and kube-apiserver). */
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

describe("certbridge dev (real process)", () => {
  it("brings up control plane, simulators, connections and samples; the operator makes every sample Ready; SIGINT tears it all down", {
    timeout: READY_WITHIN_MS + SAMPLES_READY_WITHIN_MS + EXIT_WITHIN_MS + 30_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "certbridge-dev-test-"));
    scratch.push(dir);
    const readyFile = join(dir, "ready.json");
    const child = spawn(process.execPath, [CLI, "dev", "--ready-file", readyFile, "--state-dir", join(dir, "state")], {
      env: { ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));

    let client: KubeClient | undefined;
    try {
      const startedAt = Date.now();
      const info = JSON.parse(await waitForFile(readyFile, child, () => stdout + stderr, READY_WITHIN_MS)) as DevReadyInfo;
      process.stdout.write(`certbridge dev ready in ${Date.now() - startedAt} ms\n`);

      // The printed block tells the user where things are. dev prints it just after writing the ready
      // file, and a pipe delivers it when it does: wait for the block itself.
      const blockWithin = Date.now() + 10_000;
      while (!stdout.includes("Ctrl-C stops everything.") && Date.now() < blockWithin) await sleep(100);
      expect(stdout).toContain(`export KUBECONFIG=${info.kubeconfig}`);
      expect(stdout).toContain("kubectl get certbridge -A");
      expect(stdout).toContain("kubectl explain managedcertificate.spec");
      for (const url of Object.values(info.simulators)) expect(stdout).toContain(url);

      client = KubeClient.fromFile(info.kubeconfig, { fieldManager: "certbridge-test" });
      const ns = info.namespace;
      expect(ns).toBe("certbridge-dev");

      const connections = (await client.listAll<KubeObject & { spec: Record<string, unknown> }>(resourceTypes.vendorConnections, { namespace: ns })).items;
      const byName = new Map(connections.map((c) => [c.metadata.name, c.spec]));
      const cases = [
        { name: "zpa", block: "zpa", url: info.simulators.zpa, reason: "ZPA legacy sign-in against the ZPA simulator" },
        {
          name: "cloudflare",
          block: "cloudflare",
          url: info.simulators.cloudflare,
          reason: "Cloudflare API token against the Cloudflare simulator (/client/v4 base)",
        },
        { name: "sectigo", block: "sectigo", url: info.simulators.sectigo, reason: "Sectigo password login against the SCM simulator" },
      ];
      for (const c of cases) {
        const spec = byName.get(c.name);
        expect(spec, c.reason).toBeDefined();
        expect((spec![c.block] as { baseUrl?: string }).baseUrl, c.reason).toBe(c.url);
        expect(spec!.caBundle, `${c.reason}: trusts the simulator CA`).toBe(await readFile(info.caFile!, "utf8"));
        const secretName = (spec!.credentialsRef as { name: string }).name;
        const secret = await client.get<Secret>(core.secrets, ns, secretName);
        expect(Object.keys(secret.data ?? {}).length, `${c.reason}: credentials Secret has data`).toBeGreaterThan(0);
      }

      const list = async () => {
        const certs = (await client!.listAll<Sample>(resourceTypes.managedCertificates, { namespace: ns })).items.map((c) => ({
          ...c,
          kind: "ManagedCertificate",
        }));
        const keys = (await client!.listAll<Sample>(resourceTypes.provisioningKeys, { namespace: ns })).items.map((k) => ({ ...k, kind: "ProvisioningKey" }));
        return { certs, keys };
      };
      const { certs, keys } = await list();
      expect(certs.map((c) => c.metadata.name).sort()).toEqual(["gateway-device", "jane-smime", "payments-client", "shop-tls"]);
      expect(keys.map((k) => k.metadata.name).sort()).toEqual(["app-connectors", "service-edges"]);
      for (const r of [...certs, ...keys]) {
        expect(r.spec.connectionRef.kind, `${r.metadata.name} uses a connection in its own namespace`).toBe("VendorConnection");
        expect(byName.has(r.spec.connectionRef.name), `${r.metadata.name} points at a dev connection`).toBe(true);
      }

      // Every sample becomes Ready=True for its current spec: dev maps each onto what the simulators hold.
      const samplesFrom = Date.now();
      let state = readiness([...certs, ...keys]);
      let latest = { certs, keys };
      while (state.waiting.length > 0 && Date.now() - samplesFrom < SAMPLES_READY_WITHIN_MS) {
        await sleep(500);
        latest = await list();
        state = readiness([...latest.certs, ...latest.keys]);
      }
      expect(state.waiting, `samples not Ready within ${SAMPLES_READY_WITHIN_MS} ms`).toEqual([]);
      expect(state.ready).toHaveLength(6);
      process.stdout.write(`every sample Ready ${Date.now() - startedAt} ms after start (${Date.now() - samplesFrom} ms after the ready file)\n`);

      // Each certificate is delivered: a kubernetes.io/tls Secret with a certificate and its key.
      for (const c of latest.certs) {
        const secret = await client.get<Secret>(core.secrets, ns, c.spec.secretName);
        expect(secret.type, `${c.metadata.name}: TLS Secret type`).toBe("kubernetes.io/tls");
        const crt = Buffer.from(secret.data?.["tls.crt"] ?? "", "base64").toString("utf8");
        const key = Buffer.from(secret.data?.["tls.key"] ?? "", "base64").toString("utf8");
        expect(crt, `${c.metadata.name}: tls.crt holds a certificate`).toMatch(/^-----BEGIN CERTIFICATE-----/);
        expect(key, `${c.metadata.name}: tls.key holds a private key`).toMatch(/^-----BEGIN (EC |RSA )?PRIVATE KEY-----/);
      }
      // Each provisioning key is delivered under its secretKey.
      for (const k of latest.keys) {
        const secret = await client.get<Secret>(core.secrets, ns, k.spec.secretName);
        expect(secret.data?.[k.spec.secretKey ?? "provisioningKey"], `${k.metadata.name}: key delivered`).toBeTruthy();
      }
      // dev says so itself, once every sample is Ready: its own look comes every second, and on a loaded
      // machine its two LISTs and the pipe take their time.
      const saidReady = Date.now() + 30_000;
      while (!stdout.includes("all 6 samples are Ready") && Date.now() < saidReady) await sleep(250);
      expect(stdout).toContain("all 6 samples are Ready");

      // Never print secrets: none of the Secret values in the namespace (credentials, private keys,
      // provisioning keys) may appear in its output.
      const secrets = (await client.listAll<Secret>(core.secrets, { namespace: ns })).items;
      const values = secrets.flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8")));
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) {
        expect(stdout.includes(v) || stderr.includes(v), "a Secret value leaked into the output").toBe(false);
      }

      expect(info.metricsPort).not.toBeNull();
      const ready = await request(`http://127.0.0.1:${info.metricsPort}/readyz`);
      await ready.body.dump();
      expect(ready.statusCode).toBe(200);

      expect(await processesMentioning(info.controlPlaneDir)).not.toEqual([]);

      const stopAt = Date.now();
      child.kill("SIGINT");
      const result = await Promise.race([exited, sleep(EXIT_WITHIN_MS).then(() => "timeout" as const)]);
      expect(result, `exit within ${EXIT_WITHIN_MS} ms:\n${stdout.slice(-2000)}`).not.toBe("timeout");
      expect(result).toEqual({ code: 0, signal: null });
      process.stdout.write(`certbridge dev stopped in ${Date.now() - stopAt} ms\n`);

      // Everything it started is gone: the API server does not answer, no etcd or kube-apiserver is left,
      // and its files are removed.
      await expect(client.call("GET", "/version", { timeoutMs: 5_000 })).rejects.toThrow();
      expect(await processesMentioning(info.controlPlaneDir)).toEqual([]);
      expect(await exists(info.controlPlaneDir)).toBe(false);
      expect(await exists(info.kubeconfig)).toBe(false);
      expect(await exists(readyFile)).toBe(false);
      await expect(request(`http://127.0.0.1:${info.metricsPort}/readyz`)).rejects.toThrow();
      for (const url of Object.values(info.simulators)) {
        await expect(request(url!, { headersTimeout: 5_000 }), `simulator ${url} closed`).rejects.toThrow();
      }
    } finally {
      await client?.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(EXIT_WITHIN_MS)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    }
  });
});
