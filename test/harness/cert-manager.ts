/**
 * cert-manager's controller on a test control plane: for tests of certbridge's cert-manager front end
 * (issue 14) and the side-by-side benchmark (issue 13). The binary is our launcher over cert-manager's
 * own controller packages, built once from the Go module proxy by build-cert-manager.sh into the cache
 * outside the repository (docs/adr/0014-cert-manager-launcher.md).
 *
 *   const cm = await certManagerAvailable({ log });    // builds on first use (minutes), else says why not
 *   describe.skipIf(!cm.available)(...)               // print cm.reason when skipping
 *   await installCertManagerCrds(client);             // cert-manager.io and acme.cert-manager.io, served
 *   const proc = await startCertManager({ kubeconfig, namespace });   // resolves once its caches synced
 *   ...                                               // proc.pid, proc.logPath (its whole log)
 *   await proc.stop();                                // SIGTERM, then SIGKILL after 10 s
 *
 * Scope: with `namespace` the controller watches only that namespace (and cert-manager turns its
 * ClusterIssuer controller off); without it, every namespace, which on the shared integration control
 * plane includes objects other test files left behind. Leader election is never on: one process per test.
 * In CI (`CI` set) a failed build fails the caller instead of skipping; .ci/run builds it up front.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { access, constants, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import type { ResourceType } from "../../src/runtime/kube/resource.ts";
import { installCrds } from "./crds.ts";

const run = promisify(execFile);
const BUILD_SCRIPT = new URL("./build-cert-manager.sh", import.meta.url).pathname;
const BUILD_TIMEOUT_MS = 45 * 60 * 1000;

/** What build-cert-manager.sh produced: the controller binary and the release's CRDs beside it. */
export interface CertManagerBuild {
  readonly dir: string;
  readonly controller: string;
  readonly crdsDir: string;
}

export type CertManagerAvailability = { readonly available: true; readonly build: CertManagerBuild } | { readonly available: false; readonly reason: string };

/** cert-manager's kinds, for clients in tests and the benchmark. */
export const certManagerTypes = {
  certificates: { group: "cert-manager.io", version: "v1", plural: "certificates", kind: "Certificate", namespaced: true },
  certificateRequests: { group: "cert-manager.io", version: "v1", plural: "certificaterequests", kind: "CertificateRequest", namespaced: true },
  issuers: { group: "cert-manager.io", version: "v1", plural: "issuers", kind: "Issuer", namespaced: true },
  clusterIssuers: { group: "cert-manager.io", version: "v1", plural: "clusterissuers", kind: "ClusterIssuer", namespaced: false },
} as const satisfies Record<string, ResourceType>;

let resolving: Promise<CertManagerAvailability> | undefined;

/** Builds (first use) or finds the cached controller; never throws outside CI: a reason to skip instead. */
export function certManagerAvailable(options: { readonly log?: (line: string) => void } = {}): Promise<CertManagerAvailability> {
  resolving ??= resolveBuild(options.log ?? (() => {})).then(
    (build): CertManagerAvailability => ({ available: true, build }),
    (error: unknown): CertManagerAvailability => {
      if (process.env.CI) throw error;
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    },
  );
  return resolving;
}

async function resolveBuild(log: (line: string) => void): Promise<CertManagerBuild> {
  log("resolving cert-manager's controller (the first run builds it from the Go module proxy: several minutes)");
  const started = Date.now();
  let stdout: string;
  try {
    ({ stdout } = await run("bash", [BUILD_SCRIPT], { maxBuffer: 64 * 1024 * 1024, timeout: BUILD_TIMEOUT_MS }));
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "")
      .trim()
      .split("\n")
      .slice(-5)
      .join("\n");
    throw new Error(`cert-manager's controller could not be built (test/harness/build-cert-manager.sh)${stderr ? `:\n${stderr}` : ""}`);
  }
  const dir = stdout.trim().split("\n").at(-1) ?? "";
  const build = { dir, controller: join(dir, "cert-manager-controller"), crdsDir: join(dir, "crds") };
  await access(build.controller, constants.X_OK);
  log(`cert-manager's controller ready in ${dir} (${Math.round((Date.now() - started) / 1000)}s)`);
  return build;
}

async function requireBuild(): Promise<CertManagerBuild> {
  const availability = await certManagerAvailable();
  if (!availability.available) throw new Error(`cert-manager is not available: ${availability.reason}`);
  return availability.build;
}

/** Installs cert-manager's CRDs and waits until each is Established and served; returns their names. */
export async function installCertManagerCrds(client: KubeClient): Promise<string[]> {
  return installCrds(client, (await requireBuild()).crdsDir);
}

export interface CertManagerOptions {
  /** The API server and the identity the controller runs as (its own user, to count its requests). */
  readonly kubeconfig: string;
  /** Watch only this namespace (ClusterIssuers are then off); default: all namespaces. */
  readonly namespace?: string;
  /** Where ClusterIssuers' Secrets live (cert-manager's default: kube-system). */
  readonly clusterResourceNamespace?: string;
  /** Workers per controller (cert-manager's default: 5). */
  readonly workers?: number;
  /** klog verbosity; default 2, as cert-manager's chart ships. */
  readonly verbosity?: number;
  /** The log file (stdout and stderr); default: a new file under the OS temp folder. */
  readonly logPath?: string;
  readonly readyTimeoutMs?: number;
  readonly extraArgs?: readonly string[];
}

export interface CertManagerProcess {
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /**
   * SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. Deletes the default log folder
   * unless CERTBRIDGE_KEEP_CONTROL_PLANE is set (a given logPath is kept): read the log before stopping.
   */
  stop(): Promise<void>;
}

/** Starts the controller against `kubeconfig` and resolves once every informer has synced. */
export async function startCertManager(options: CertManagerOptions): Promise<CertManagerProcess> {
  const build = await requireBuild();
  const work = await mkdtemp(join(tmpdir(), "certbridge-cert-manager-"));
  const logPath = options.logPath ?? join(work, "cert-manager.log");
  const readyFile = join(work, "ready");
  const args = [
    `--kubeconfig=${options.kubeconfig}`,
    `--cluster-resource-namespace=${options.clusterResourceNamespace ?? "kube-system"}`,
    `--concurrent-workers=${options.workers ?? 5}`,
    `--ready-file=${readyFile}`,
    `--v=${options.verbosity ?? 2}`,
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(build.controller, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(logPath, { flags: "a" });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exitCode: number | null | undefined;
  const exited = once(child, "exit").then(([code]) => {
    exitCode = code as number | null;
    return exitCode;
  });
  const proc: CertManagerProcess = {
    pid: child.pid ?? 0,
    logPath,
    exited,
    async stop() {
      if (exitCode === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
      if (!process.env.CERTBRIDGE_KEEP_CONTROL_PLANE) await rm(work, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) throw new Error(`cert-manager's controller exited (code ${exitCode}) before it was ready:\n${await logTail(logPath)}`);
    if (await exists(readyFile)) return proc;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`cert-manager's controller was not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${await logTail(logPath)}`);
    }
    await sleep(100);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function logTail(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-lines).join("\n");
}
