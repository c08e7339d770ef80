// One round of the side-by-side benchmark for one system: a fresh control plane (the same kube-apiserver
// and etcd for both systems) with an audit log, the system's controller under a user of its own, N
// resources created at once, and the figures: time to all Ready, apply→Secret, API requests and writes
// (audit log), CPU and RSS (/proc).
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlPlane } from "../harness/control-plane.ts";
import { Informer } from "../../src/runtime/informer.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { countRequests, type RequestCounts } from "./compare-audit.ts";
import { auditFlags } from "./scale-audit.ts";
import { cpuMs, rssMiB, sampleRss } from "./compare-process.ts";

export const NAMESPACE = "bench";

export interface RunningController {
  readonly pid: number;
  /** The user it authenticates as; the audit log counts its requests by this name. */
  readonly user: string;
  stop(): Promise<void>;
}

export interface RoundContext {
  readonly plane: ControlPlane;
  /** The bench's own admin client (its requests are not the controller's). */
  readonly client: KubeClient;
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/** What the round needs from a system: its kind, how to start it, and the object for resource `name`. */
export interface SystemUnderTest {
  readonly name: string;
  readonly kind: ResourceType;
  /** Installs its CRDs and issuer (ready to sign), then starts the controller under a user of its own, caches synced. */
  start(ctx: RoundContext): Promise<RunningController>;
  /** The resource to create; its Secret must be named `${name}-tls` in NAMESPACE. */
  resource(name: string): KubeObject;
}

export interface RoundOptions {
  readonly n: number;
  /** Idle seconds before the burst (RSS before) and after all Ready (RSS settled). */
  readonly settleSeconds: number;
  readonly timeoutMinutes: number;
  readonly log: (line: string) => void;
}

export interface RoundFigures {
  readonly system: string;
  readonly n: number;
  readonly ready: number;
  readonly secrets: number;
  readonly allReadySeconds: number;
  readonly applyToSecretP50Seconds: number;
  readonly applyToSecretP99Seconds: number;
  /** The controller's requests from the first create to the end of the settle window. */
  readonly api: RequestCounts;
  readonly cpuSeconds: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssSettledMiB: number;
  readonly loadAverage: number;
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
type Secret = KubeObject & { data?: Record<string, string> };

/** Polls `check` every 100 ms until it is true; fails naming `what` after `timeoutMs`. */
export async function eventuallyTrue(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Watches the system's resources and their Secrets in NAMESPACE: when each became Ready, when its Secret held a certificate. */
function track(client: KubeClient, kind: ResourceType) {
  const readyAt = new Map<string, number>();
  const secretAt = new Map<string, number>();
  const resources = new Informer<Conditioned>({ client, type: kind, namespace: NAMESPACE, log: silentLogger() });
  const secrets = new Informer<Secret>({ client, type: core.secrets, namespace: NAMESPACE, log: silentLogger() });
  resources.onChange((_key, cur) => {
    const name = cur?.metadata.name;
    if (name && !readyAt.has(name) && cur.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) readyAt.set(name, performance.now());
  });
  secrets.onChange((_key, cur) => {
    const name = cur?.metadata.name;
    if (name?.endsWith("-tls") && cur?.data?.["tls.crt"] && !secretAt.has(name.slice(0, -4))) secretAt.set(name.slice(0, -4), performance.now());
  });
  resources.start();
  secrets.start();
  return {
    readyAt,
    secretAt,
    synced: () => Promise.all([resources.waitForSync(), secrets.waitForSync()]),
    stop: () => Promise.all([resources.stop(), secrets.stop()]),
  };
}

export async function runRound(system: SystemUnderTest, o: RoundOptions): Promise<RoundFigures> {
  const workDir = await mkdtemp(join(tmpdir(), "certbridge-compare-"));
  const audit = await auditFlags(workDir);
  const plane = await ControlPlane.start({ extraApiServerArgs: audit.args });
  const client = KubeClient.fromFile(plane.kubeconfigPath, { fieldManager: "bench" });
  let controller: RunningController | undefined;
  let tracker: ReturnType<typeof track> | undefined;
  try {
    await client.create(core.namespaces, { metadata: { name: NAMESPACE } });
    controller = await system.start({ plane, client, workDir, log: o.log });
    const { pid, user } = controller;
    tracker = track(client, system.kind);
    await tracker.synced();
    await sleep(o.settleSeconds * 1000);
    const rssBefore = await rssMiB(pid);
    const cpuBefore = await cpuMs(pid);
    const sampler = sampleRss(pid);

    o.log(`${system.name}: creating ${o.n} ${system.kind.kind}s at once`);
    const from = Date.now();
    const started = performance.now();
    const applied = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < o.n; i = next++) {
          const name = `cert-${i}`;
          applied.set(name, performance.now());
          await client.create(system.kind, system.resource(name));
        }
      }),
    );
    const deadline = Date.now() + o.timeoutMinutes * 60_000;
    let lastReport = Date.now();
    while ((tracker.readyAt.size < o.n || tracker.secretAt.size < o.n) && Date.now() < deadline) {
      await sleep(100);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        o.log(`${system.name}: ${tracker.readyAt.size}/${o.n} Ready after ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
    }
    const allReadyMs = Math.max(...tracker.readyAt.values(), started) - started;
    await sleep(o.settleSeconds * 1000);
    const rssSettled = await rssMiB(pid);
    const cpuAfter = await cpuMs(pid);
    const to = Date.now();
    sampler.stop();
    const rssPeak = Math.max(sampler.peakRssMiB(), rssSettled);
    const latencies = [...tracker.secretAt].map(([name, at]) => at - (applied.get(name) ?? at)).sort((a, b) => a - b);
    const ready = tracker.readyAt.size;
    const secrets = tracker.secretAt.size;
    await tracker.stop();
    tracker = undefined;
    // Watches are logged when they end: stop the controller before reading its requests.
    await controller.stop();
    controller = undefined;
    await sleep(500);
    return {
      system: system.name,
      n: o.n,
      ready,
      secrets,
      allReadySeconds: allReadyMs / 1000,
      applyToSecretP50Seconds: percentile(latencies, 50) / 1000,
      applyToSecretP99Seconds: percentile(latencies, 99) / 1000,
      api: await countRequests(audit.logPath, user, from, to),
      cpuSeconds: (cpuAfter - cpuBefore) / 1000,
      rssBeforeMiB: rssBefore,
      rssPeakMiB: rssPeak,
      rssSettledMiB: rssSettled,
      loadAverage: loadavg()[0] ?? 0,
    };
  } finally {
    await tracker?.stop();
    await controller?.stop();
    await client.close();
    await plane.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
