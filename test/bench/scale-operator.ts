// The operator as a benchmark runs it: as it ships (compiled JavaScript, in-cluster service-account
// credentials) unless told otherwise, from this checkout or another one (a before/after comparison
// runs both on one machine under the same load), under an identity of its own so the audit log can
// count its requests. Benchmarks only.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ControlPlane } from "../harness/control-plane.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isAlreadyExists } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** js: compiled as the image runs it (tsc -p tsconfig.build.json); ts: the sources, type-stripped. */
export type OperatorBuild = "js" | "ts";
/** in-cluster: a service-account token, as in a pod (client-node is never loaded); kubeconfig: a client certificate. */
export type OperatorAuth = "in-cluster" | "kubeconfig";

/** The CLI entry point of `source` (a checkout), compiled first when `build` is js. */
export function prepareCli(source: string, build: OperatorBuild): string {
  const root = resolve(source);
  if (build === "ts") return join(root, "src", "cli.ts");
  const out = join(root, ".cache", "bench-dist");
  const tsc = spawnSync(join(REPO, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.build.json"), "--outDir", out], { stdio: "inherit" });
  if (tsc.status !== 0) throw new Error(`compiling ${root} failed`);
  return join(out, "src", "cli.js");
}

/** A directory for one run's audit log and operator log, under the checkout's .cache (kept for a look afterwards). */
export async function benchWorkDir(prefix: string): Promise<string> {
  const root = join(REPO, ".cache", "bench-runs");
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, `${prefix}-`));
}

/** Can this process give a child its own mount namespace (to place a service-account token where in-cluster code reads it)? */
export function canRunInCluster(): boolean {
  return process.getuid?.() === 0 && spawnSync("unshare", ["--mount", "--propagation", "private", "true"]).status === 0;
}

export interface OperatorIdentity {
  readonly auth: OperatorAuth;
  /** The user name the audit log shows. */
  readonly user: string;
  readonly env: Record<string, string>;
  readonly args: string[];
  /** in-cluster: the directory holding token, ca.crt and namespace. */
  readonly serviceAccountDir?: string;
}

/** An identity for the operator with full rights (a benchmark measures cost, not RBAC). */
export async function operatorIdentity(plane: ControlPlane, client: KubeClient, auth: OperatorAuth): Promise<OperatorIdentity> {
  if (auth === "kubeconfig") {
    const user = "certbridge-bench-operator";
    const kubeconfig = await plane.kubeconfigFor(user, ["system:masters"]);
    return { auth, user, env: {}, args: ["--kubeconfig", kubeconfig] };
  }
  const ns = "certbridge-system";
  const ensure = async (type: Parameters<KubeClient["create"]>[0], object: KubeObject) => {
    try {
      await client.create(type, object);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  };
  await ensure(core.namespaces, { metadata: { name: ns } });
  await ensure(
    { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
    { metadata: { name: "certbridge", namespace: ns } },
  );
  await ensure({ group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false }, {
    metadata: { name: "certbridge-bench" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "certbridge", namespace: ns }],
  } as KubeObject);
  const answer = await client.call<{ status: { token: string } }>("POST", `/api/v1/namespaces/${ns}/serviceaccounts/certbridge/token`, {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 86_400 } },
  });
  const dir = await mkdtemp(join(tmpdir(), "certbridge-bench-sa-"));
  // A service-account token is a credential: it leaves with the benchmark, however the benchmark ends.
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "token"), answer.status.token, { mode: 0o600 });
  await writeFile(join(dir, "ca.crt"), await readFile(plane.pki.caCert));
  await writeFile(join(dir, "namespace"), ns);
  return {
    auth,
    user: `system:serviceaccount:${ns}:certbridge`,
    env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(plane.apiPort) },
    args: [],
    serviceAccountDir: dir,
  };
}

export interface RunningOperator {
  readonly pid: number;
  /** With a memory limit: the cgroup's peak usage and whether the kernel OOM-killed the operator. */
  memoryLimit(): Promise<{ limitMiB: number; peakMiB: number; oomKills: number } | undefined>;
  /** Lifts the memory limit (a heap snapshot needs memory beyond the heap; take the figures first). */
  liftMemoryLimit(): void;
  readonly port: Promise<number>;
  /** Resident set size now, MiB. */
  rssMiB(): Promise<number>;
  /** How it ended, once it has (a signal name, or an exit code). */
  ended(): string | undefined;
  /** The /metrics text. */
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  readonly cli: string;
  readonly identity: OperatorIdentity;
  readonly args: readonly string[];
  /** Process settings for the operator (NODE_OPTIONS and the like, as the chart sets them: chart-settings.ts); empty values are left out. */
  readonly env?: Readonly<Record<string, string>>;
  /** The operator's stdout and stderr go here. */
  readonly logPath: string;
  readonly cwd?: string;
  /** Run inside a memory cgroup with this limit (what a pod's resources.limits.memory does), when one can be made. */
  readonly memoryLimitMiB?: number;
}

/** Starts `certbridge run`; in-cluster inside a private mount namespace whose /run holds the service-account files. */
export function startOperator(o: StartOptions): RunningOperator {
  const node = process.execPath;
  const run = [node, o.cli, "run", "--metrics-port", "0", "--metrics-host", "127.0.0.1", ...o.identity.args, ...o.args];
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.identity.env };
  delete env.KUBECONFIG;
  delete env.NODE_OPTIONS;
  for (const [name, value] of Object.entries(o.env ?? {})) if (value !== "") env[name] = value;
  // The memory cgroup is made first and the shell enters it before it execs Node: all Node allocates is charged there.
  const cgroup = o.memoryLimitMiB === undefined ? undefined : memoryCgroup(o.memoryLimitMiB);
  const enter = cgroup === undefined ? "" : `echo $$ > "${cgroup.procsFile}" && `;
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  let child: ChildProcess;
  if (o.identity.serviceAccountDir !== undefined) {
    const script = `${enter}mount -t tmpfs -o size=1m tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && cp "$SA_DIR"/* /run/secrets/kubernetes.io/serviceaccount/ && exec "$@"`;
    child = spawn("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", ...run], {
      env: { ...env, SA_DIR: o.identity.serviceAccountDir },
      stdio,
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
  } else {
    child = spawn("/bin/sh", ["-c", `${enter}exec "$@"`, "sh", ...run], { env, stdio, ...(o.cwd ? { cwd: o.cwd } : {}) });
  }
  const log = createWriteStream(o.logPath, { flags: "a" });
  child.stderr?.pipe(log);
  const exited = once(child, "exit");
  const port = new Promise<number>((resolvePort, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.includes("certbridge started")) continue;
        const record = JSON.parse(line) as { metricsPort?: number };
        if (record.metricsPort) resolvePort(record.metricsPort);
      }
      if (buffered.length > 1 << 20) buffered = "";
    });
    void exited.then(([code]) => reject(new Error(`operator exited (${String(code)}) before it started; log: ${o.logPath}`)));
  });
  port.catch(() => {});
  const pid = child.pid ?? 0;
  return {
    pid,
    port,
    memoryLimit: async () => cgroup?.read(),
    liftMemoryLimit: () => cgroup?.lift(),
    ended: () => (child.signalCode !== null ? child.signalCode : child.exitCode !== null ? `exit ${child.exitCode}` : undefined),
    rssMiB: async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024,
    metrics: async () => {
      const res = await fetch(`http://127.0.0.1:${await port}/metrics`);
      return res.text();
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
      log.end();
      // The kernel lets go of an exited process's cgroup a moment later.
      if (cgroup !== undefined) await new Promise((r) => setTimeout(r, 500));
      cgroup?.remove();
    },
  };
}

/** Sum of a metric's samples whose labels include every one of `labels` (Prometheus text format). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = m[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** Samples RSS every `everyMs` and keeps the peak. */
export function peakSampler(operator: RunningOperator, everyMs = 500): { peak(): number; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    void operator.rssMiB().then(
      (r) => {
        peak = Math.max(peak, r);
      },
      () => {},
    );
  }, everyMs);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/**
 * Asks an operator started with --heapsnapshot-signal=SIGUSR2 (cwd `dir`) for a heap snapshot and
 * waits until it is written; returns its path. Summarise it with test/bench/heap-summary.ts.
 */
export async function takeHeapSnapshot(pid: number, dir: string, timeoutMs = 120_000): Promise<string> {
  const before = new Set(await readdir(dir));
  process.kill(pid, "SIGUSR2");
  const deadline = Date.now() + timeoutMs;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    const file = (await readdir(dir)).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (file === undefined) continue;
    const size = (await stat(join(dir, file))).size;
    if (size > 0 && size === lastSize) return join(dir, file);
    lastSize = size;
  }
  throw new Error("no heap snapshot appeared");
}

/** V8's view of the settled process from its /metrics (prom-client's default metrics): where RSS goes. */
export function heapFigures(metrics: string): Record<string, number> {
  const mib = (v: number) => +(v / 1048576).toFixed(1);
  const space = (name: string, which: "total" | "used") => mib(metricSum(metrics, `certbridge_nodejs_heap_space_size_${which}_bytes`, { space: name }));
  return {
    heapTotalMiB: mib(metricSum(metrics, "certbridge_nodejs_heap_size_total_bytes")),
    heapUsedMiB: mib(metricSum(metrics, "certbridge_nodejs_heap_size_used_bytes")),
    heapOldSpaceTotalMiB: space("old", "total"),
    heapOldSpaceUsedMiB: space("old", "used"),
    heapNewSpaceTotalMiB: space("new", "total"),
    heapCodeSpaceTotalMiB: space("code", "total"),
    heapLargeObjectTotalMiB: space("large_object", "total"),
    externalMiB: mib(metricSum(metrics, "certbridge_nodejs_external_memory_bytes")),
  };
}

/**
 * A cgroup v1 memory cgroup beside this process's own, limited to `limitMiB`, for the operator to enter:
 * the kernel OOM-kills it there as a pod's memory limit would. Undefined (and said) where none can be
 * made (no cgroup v1 memory controller, or not allowed).
 */
function memoryCgroup(
  limitMiB: number,
): { procsFile: string; read(): Promise<{ limitMiB: number; peakMiB: number; oomKills: number }>; lift(): void; remove(): void } | undefined {
  try {
    const own = /^\d+:memory:(.*)$/m.exec(readFileSync("/proc/self/cgroup", "utf8"))?.[1];
    if (own === undefined) throw new Error("no cgroup v1 memory controller");
    const dir = join("/sys/fs/cgroup/memory", own, `certbridge-bench-${process.pid}-${Date.now()}`);
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, "memory.limit_in_bytes"), String(limitMiB * 1048576));
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    return {
      procsFile: join(dir, "cgroup.procs"),
      read: async () => {
        const peak = Number(readFileSync(join(dir, "memory.max_usage_in_bytes"), "utf8")) / 1048576;
        const oom = Number(/oom_kill (\d+)/.exec(readFileSync(join(dir, "memory.oom_control"), "utf8"))?.[1] ?? 0);
        return { limitMiB, peakMiB: +peak.toFixed(1), oomKills: oom };
      },
      lift: () => writeFileSync(join(dir, "memory.limit_in_bytes"), "-1"),
      remove: () => {
        try {
          rmdirSync(dir);
        } catch {
          /* still has a process, or already gone */
        }
      },
    };
  } catch (error) {
    process.stdout.write(`[bench] memory limit of ${limitMiB} MiB not enforced: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}

/** The lowest RSS over `ms` (sampled every second): a figure between garbage collections, steadier than one sample. */
export async function settledRss(operator: RunningOperator, ms: number): Promise<number> {
  let low = Infinity;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    low = Math.min(low, await operator.rssMiB());
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return low;
}
