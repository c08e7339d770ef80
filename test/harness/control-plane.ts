import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { dump } from "js-yaml";
import { type ControlPlaneBinaries, resolveBinaries } from "./binaries.ts";
import { type ClientCredentials, type ControlPlanePki, createPki, issueClientCredentials } from "./pki.ts";

export interface ControlPlaneOptions {
  readonly log?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. `--watch-cache=false` so watches read etcd directly. */
  readonly extraApiServerArgs?: readonly string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("could not allocate a port");
  return address.port;
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== undefined) throw new Error(`${what} exited before it was ready: ${exit}`);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}

interface Supervised {
  readonly child: ChildProcess;
  exitReason(): string | undefined;
}

function supervise(binary: string, args: string[], logFile: string): Supervised {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = createWriteStream(logFile, { flags: "a" });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let reason: string | undefined;
  child.once("exit", (code, signal) => {
    reason = `code ${code} signal ${signal} (log: ${logFile})`;
  });
  return { child, exitReason: () => reason };
}

async function terminate(proc: Supervised | undefined, graceMs = 15_000): Promise<void> {
  if (proc === undefined || proc.exitReason() !== undefined) return;
  const exited = once(proc.child, "exit");
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A real kube-apiserver backed by a real etcd on loopback: what envtest gives Go operators.
 * The API server can be stopped and started again on the same port and data, for outage tests.
 */
export class ControlPlane {
  readonly dir: string;
  readonly binaries: ControlPlaneBinaries;
  readonly pki: ControlPlanePki;
  readonly apiPort: number;
  readonly etcdPort: number;
  readonly kubeconfigPath: string;
  readonly admin: ClientCredentials;
  #etcd: Supervised | undefined;
  #apiserver: Supervised | undefined;
  readonly #log: (line: string) => void;
  readonly #timeoutMs: number;
  readonly #extraArgs: readonly string[];

  private constructor(init: {
    dir: string;
    binaries: ControlPlaneBinaries;
    pki: ControlPlanePki;
    apiPort: number;
    etcdPort: number;
    admin: ClientCredentials;
    log: (l: string) => void;
    timeoutMs: number;
    extraArgs: readonly string[];
  }) {
    this.dir = init.dir;
    this.binaries = init.binaries;
    this.pki = init.pki;
    this.apiPort = init.apiPort;
    this.etcdPort = init.etcdPort;
    this.admin = init.admin;
    this.kubeconfigPath = join(init.dir, "admin.kubeconfig");
    this.#log = init.log;
    this.#timeoutMs = init.timeoutMs;
    this.#extraArgs = init.extraArgs;
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? (() => {});
    const binaries = await resolveBinaries(log);
    const dir = await mkdtemp(join(tmpdir(), "certbridge-cp-"));
    const pki = await createPki(join(dir, "pki"));
    const admin = await issueClientCredentials(pki, "admin", ["system:masters"]);
    const plane = new ControlPlane({
      dir,
      binaries,
      pki,
      admin,
      log,
      apiPort: await freePort(),
      etcdPort: await freePort(),
      timeoutMs: options.startTimeoutMs ?? 120_000,
      extraArgs: options.extraApiServerArgs ?? [],
    });
    await plane.#writeKubeconfig();
    try {
      await plane.#startEtcd();
      await plane.startApiServer();
    } catch (error) {
      await plane.stop();
      throw error;
    }
    return plane;
  }

  /** A kubeconfig for another identity, e.g. to run the operator under exactly its RBAC. */
  async kubeconfigFor(user: string, groups: readonly string[] = []): Promise<string> {
    const creds = await issueClientCredentials(this.pki, user, groups);
    const path = join(this.dir, `${user.replace(/[^a-zA-Z0-9_.-]/g, "_")}.kubeconfig`);
    await writeFile(path, await this.#kubeconfigYaml(creds), { mode: 0o600 });
    return path;
  }

  async #kubeconfigYaml(creds: ClientCredentials): Promise<string> {
    const ca = await readFile(this.pki.caCert);
    return dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "certbridge-test", cluster: { server: this.server, "certificate-authority-data": ca.toString("base64") } }],
      users: [
        {
          name: "certbridge-test",
          user: {
            "client-certificate-data": Buffer.from(creds.certPem).toString("base64"),
            "client-key-data": Buffer.from(creds.keyPem).toString("base64"),
          },
        },
      ],
      contexts: [{ name: "certbridge-test", context: { cluster: "certbridge-test", user: "certbridge-test" } }],
      "current-context": "certbridge-test",
    });
  }

  async #writeKubeconfig(): Promise<void> {
    await writeFile(this.kubeconfigPath, await this.#kubeconfigYaml(this.admin), { mode: 0o600 });
  }

  async #startEtcd(): Promise<void> {
    const url = `http://127.0.0.1:${this.etcdPort}`;
    this.#etcd = supervise(
      this.binaries.etcd,
      [
        `--data-dir=${join(this.dir, "etcd")}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      join(this.dir, "etcd.log"),
    );
    const etcd = this.#etcd;
    await waitFor(
      "etcd",
      this.#timeoutMs,
      async () => {
        const res = await request(`${url}/health`);
        const body = await res.body.text();
        return res.statusCode === 200 && body.includes("true");
      },
      () => etcd.exitReason(),
    );
    this.#log(`etcd ready on ${url}`);
  }

  async startApiServer(): Promise<void> {
    const p = this.pki;
    this.#apiserver = supervise(
      this.binaries.kubeApiServer,
      [
        `--etcd-servers=http://127.0.0.1:${this.etcdPort}`,
        `--cert-dir=${p.dir}`,
        `--client-ca-file=${p.caCert}`,
        `--tls-cert-file=${p.serverCert}`,
        `--tls-private-key-file=${p.serverKey}`,
        `--secure-port=${this.apiPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        "--service-cluster-ip-range=10.0.0.0/24",
        `--service-account-issuer=https://127.0.0.1:${this.apiPort}/`,
        `--service-account-key-file=${p.serviceAccountPub}`,
        `--service-account-signing-key-file=${p.serviceAccountKey}`,
        "--authorization-mode=RBAC",
        "--allow-privileged=true",
        "--disable-admission-plugins=ServiceAccount",
        "-v=0",
        ...this.#extraArgs,
      ],
      join(this.dir, "kube-apiserver.log"),
    );
    const apiserver = this.#apiserver;
    const agent = new Agent({ connect: { ca: await readFile(p.caCert), cert: this.admin.certPem, key: this.admin.keyPem } });
    try {
      await waitFor(
        "kube-apiserver",
        this.#timeoutMs,
        async () => {
          const ready = await request(`${this.server}/readyz`, { dispatcher: agent });
          await ready.body.dump();
          if (ready.statusCode !== 200) return false;
          const ns = await request(`${this.server}/api/v1/namespaces/default`, { dispatcher: agent });
          await ns.body.dump();
          return ns.statusCode === 200;
        },
        () => apiserver.exitReason(),
      );
    } finally {
      await agent.close();
    }
    this.#log(`kube-apiserver ready on ${this.server}`);
  }

  async stopApiServer(): Promise<void> {
    await terminate(this.#apiserver);
    this.#apiserver = undefined;
  }

  async version(): Promise<string> {
    const agent = new Agent({ connect: { ca: await readFile(this.pki.caCert), cert: this.admin.certPem, key: this.admin.keyPem } });
    try {
      const res = await request(`${this.server}/version`, { dispatcher: agent });
      const body = (await res.body.json()) as { gitVersion?: string };
      return body.gitVersion ?? "unknown";
    } finally {
      await agent.close();
    }
  }

  async stop(): Promise<void> {
    await terminate(this.#apiserver);
    await terminate(this.#etcd);
    this.#apiserver = undefined;
    this.#etcd = undefined;
    if (!process.env.CERTBRIDGE_KEEP_CONTROL_PLANE) await rm(this.dir, { recursive: true, force: true });
  }
}
