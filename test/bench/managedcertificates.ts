// Benchmark (not a test): apply N ManagedCertificates against the Cloudflare simulator and print
// time to all Ready, apply→Secret p50/p99, vendor calls and API requests per issuance, and operator RSS.
//
//   node test/bench/managedcertificates.ts [--n 1000] [--connections 4] [--concurrency 8] [--idle-seconds 30] [--steady 100]
//     [--source DIR] [--build js|ts] [--auth in-cluster|kubeconfig] [--heap-snapshot DIR]
//     [--expected-resources N|none] [--node-options="..."] [--memory-limit-mib M] [--env NAME=VALUE]
//
// The operator runs as it ships unless told otherwise: compiled JavaScript (--build js) with in-cluster
// service-account credentials (--auth in-cluster, when this process may give the operator a mount
// namespace of its own; else a kubeconfig, which also loads client-node), with the chart's process
// settings for --expected-resources (default N: its NODE_OPTIONS and env, in a memory cgroup of its
// limit; chart-settings.ts). --source runs another checkout (a before/after comparison on one machine
// under the same load).
//
// Phases: idle before any resource (RSS), a burst (N applied at once: time to all Ready, apply→Secret
// under a full queue, API requests per issuance from the audit log), an idle window (vendor calls and
// object changes must be 0; RSS settled), then a steady phase (one apply every 200 ms: apply→Secret
// latency when the operator is not saturated, as TARGETS P3 means it).
//
// Each connection is its own Cloudflare API token, hence its own vendor budget (960 requests per
// 5 minutes at 80 % of the published limit): one token alone bounds throughput at ~3.2 issuances/s.
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { X509Certificate } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ControlPlane } from "../harness/control-plane.ts";
import { installCrds } from "../harness/crds.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { Informer } from "../../src/runtime/informer.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { OWNED_SECRET_SELECTOR } from "../../src/controllers/shared/owned-secret.ts";
import { startCloudflareSimulator } from "../../src/sim/cloudflare/index.ts";
import { CLOUDFLARE_SIM_CREDENTIALS } from "../../src/sim/cloudflare/credentials.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { auditFlags, breakdown, isWrite, perUnit, readAudit, within } from "./scale-audit.ts";
import {
  type OperatorAuth,
  type OperatorBuild,
  benchWorkDir,
  canRunInCluster,
  heapFigures,
  operatorIdentity,
  peakSampler,
  prepareCli,
  startOperator,
  takeHeapSnapshot,
} from "./scale-operator.ts";
import { describeSettings, processSettingsOptions, resolveProcessSettings } from "./chart-settings.ts";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } };
type Secret = KubeObject & { data?: Record<string, string> };

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    connections: { type: "string", default: "4" },
    concurrency: { type: "string", default: "8" },
    "idle-seconds": { type: "string", default: "30" },
    "timeout-minutes": { type: "string", default: "20" },
    steady: { type: "string", default: "100" },
    source: { type: "string", default: fileURLToPath(new URL("../..", import.meta.url)) },
    build: { type: "string", default: "js" },
    auth: { type: "string" },
    "heap-snapshot": { type: "string" },
    ...processSettingsOptions,
  },
});
const N = Number(values.n);
const K = Number(values.connections);
const NS = "bench";
const AUTH = (values.auth ?? (canRunInCluster() ? "in-cluster" : "kubeconfig")) as OperatorAuth;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const token = (i: number) => `certbridge-sim-cloudflare-api-token-${String(i + 1).padStart(4, "0")}`;
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

function certificate(name: string, i: number): KubeObject {
  return {
    metadata: { name, namespace: NS },
    spec: {
      connectionRef: { kind: "VendorConnection", name: `cf-${i % K}` },
      secretName: `${name}-tls`,
      commonName: `${name}.bench.example`,
      privateKey: { algorithm: "ECDSA", size: 256 },
      cloudflare: { validityDays: 30 },
    },
  } as KubeObject;
}

async function main(): Promise<void> {
  const cli = prepareCli(values.source ?? ".", values.build as OperatorBuild);
  const work = await benchWorkDir("managedcertificates");
  const audit = await auditFlags(work);
  const plane = await ControlPlane.start({ log, extraApiServerArgs: audit.args });
  const client = KubeClient.fromFile(plane.kubeconfigPath, { fieldManager: "bench" });
  const sim = await startCloudflareSimulator({ transitionDelayMs: 100 });
  let operator: ReturnType<typeof startOperator> | undefined;
  try {
    await installCrds(client, new URL("../../crds", import.meta.url).pathname);
    await client.create(core.namespaces, { metadata: { name: NS } });
    for (let i = 0; i < K; i++) {
      await client.create(core.secrets, { metadata: { name: `cf-${i}`, namespace: NS }, stringData: { apiToken: token(i) } } as KubeObject);
      await client.create(resourceTypes.vendorConnections, {
        metadata: { name: `cf-${i}`, namespace: NS },
        spec: {
          cloudflare: { baseUrl: sim.apiBaseUrl, zoneId: CLOUDFLARE_SIM_CREDENTIALS.zoneId, authMode: "APIToken" },
          credentialsRef: { name: `cf-${i}` },
          issuanceBudget: { maxPerHour: 100000 },
        },
      } as KubeObject);
    }
    const identity = await operatorIdentity(plane, client, AUTH);
    // A fresh install (leader election on, no Lease yet) does not warm its rate limiters up; without
    // leader election the operator cannot tell, so say what a fresh install would decide.
    const snapshotDir = values["heap-snapshot"];
    const settings = await resolveProcessSettings(values.source ?? ".", N, values);
    const nodeOptions = [settings.env.NODE_OPTIONS, snapshotDir ? "--heapsnapshot-signal=SIGUSR2" : ""].filter(Boolean).join(" ");
    operator = startOperator({
      cli,
      identity,
      logPath: join(work, "operator.log"),
      env: { ...settings.env, NODE_OPTIONS: nodeOptions },
      ...(snapshotDir ? { cwd: snapshotDir } : {}),
      ...(settings.memoryLimitMiB === undefined ? {} : { memoryLimitMiB: settings.memoryLimitMiB }),
      args: ["--leader-elect", "false", "--rate-limit-warm-up", "never", "--concurrency", values.concurrency ?? "8", "--log-level", "info"],
    });
    const port = await operator.port;
    log(
      `operator: ${values.build} from ${values.source}, auth ${AUTH}, metrics on ${port}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );

    const applied = new Map<string, number>();
    const secretAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const certs = new Informer<Conditioned>({ client, type: resourceTypes.managedCertificates, namespace: NS, log: silentLogger() });
    const secrets = new Informer<Secret>({ client, type: core.secrets, namespace: NS, labelSelector: OWNED_SECRET_SELECTOR, log: silentLogger() });
    certs.onChange((key, cur) => {
      if (!readyAt.has(key) && cur?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) readyAt.set(key, performance.now());
    });
    secrets.onChange((_key, cur) => {
      const owner = cur?.metadata.labels?.["certbridge.dev/owner-name"];
      if (owner && cur?.data?.["tls.crt"] && !secretAt.has(`${NS}/${owner}`)) secretAt.set(`${NS}/${owner}`, performance.now());
    });
    certs.start();
    secrets.start();
    await Promise.all([certs.waitForSync(), secrets.waitForSync()]);
    // Connections verified, caches warm, nothing to do: what the process costs before any resource.
    await sleep(10_000);
    const rssIdle = await operator.rssMiB();

    const sampler = peakSampler(operator);
    log(`applying ${N} ManagedCertificates over ${K} Cloudflare connections`);
    const startedWall = Date.now();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const name = `cert-${i}`;
          applied.set(`${NS}/${name}`, performance.now());
          await client.create(resourceTypes.managedCertificates, certificate(name, i));
        }
      }),
    );
    const appliedAll = performance.now() - started;
    const deadline = Date.now() + Number(values["timeout-minutes"]) * 60_000;
    let lastReport = 0;
    while (readyAt.size < N && Date.now() < deadline) {
      await sleep(250);
      const ended = operator.ended();
      if (ended !== undefined) throw new Error(`the operator ended (${ended}) during the burst; memory: ${JSON.stringify(await operator.memoryLimit())}`);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(`${readyAt.size}/${N} Ready after ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    }
    const allReadyMs = Math.max(...readyAt.values()) - started;
    const burstReady = readyAt.size;
    const burstSecrets = secretAt.size;
    // Events are sent without waiting for them: give the last ones a moment to land in the burst's count.
    await sleep(5_000);
    const burstEndWall = Date.now();
    const latencies = [...secretAt.entries()]
      .filter(([k]) => !k.startsWith(`${NS}/steady-`))
      .map(([k, at]) => at - (applied.get(k) ?? at))
      .sort((a, b) => a - b);
    const state = sim.state() as { objects?: { client_certificate?: number }; requests?: Record<string, number>; rateLimitViolations?: number };
    const vendorRequests = Object.values(state.requests ?? {}).reduce((a, b) => a + b, 0);

    // Spot-check one Secret's chain against the simulator's root.
    const sample = secrets.list().find((s) => s.data?.["tls.crt"]);
    const leaf = sample?.data?.["tls.crt"] ? new X509Certificate(Buffer.from(sample.data["tls.crt"], "base64")) : undefined;

    // Idle phase: nothing should call the vendor or write to the API server.
    const vendorBeforeIdle = vendorRequests;
    const idleWritesBefore = secrets.stats().events + certs.stats().events;
    await sleep(Number(values["idle-seconds"]) * 1000);
    const idleEndWall = Date.now();
    const stateAfter = sim.state() as { requests?: Record<string, number> };
    const vendorIdle = Object.values(stateAfter.requests ?? {}).reduce((a, b) => a + b, 0) - vendorBeforeIdle;
    const idleWrites = secrets.stats().events + certs.stats().events - idleWritesBefore;
    const rssSettled = await operator.rssMiB();
    const heap = heapFigures(await operator.metrics());
    const cgroup = await operator.memoryLimit();
    sampler.stop();
    if (snapshotDir) {
      operator.liftMemoryLimit();
      log(`heap snapshot of the settled operator (memory limit lifted): ${await takeHeapSnapshot(operator.pid, snapshotDir)}`);
    }
    const peakRss = Math.max(sampler.peak(), rssSettled);

    // Steady phase: one new resource every 200 ms, latency measured alone.
    const steadyN = Number(values.steady);
    const steadyLatencies: number[] = [];
    for (let i = 0; i < steadyN; i++) {
      const name = `steady-${i}`;
      const key = `${NS}/${name}`;
      applied.set(key, performance.now());
      await client.create(resourceTypes.managedCertificates, certificate(name, i));
      await sleep(200);
    }
    const steadyDeadline = Date.now() + 60_000;
    while ([...Array(steadyN).keys()].some((i) => !secretAt.has(`${NS}/steady-${i}`)) && Date.now() < steadyDeadline) await sleep(100);
    for (let i = 0; i < steadyN; i++) {
      const key = `${NS}/steady-${i}`;
      const at = secretAt.get(key);
      if (at !== undefined) steadyLatencies.push(at - (applied.get(key) ?? at));
    }
    steadyLatencies.sort((a, b) => a - b);

    await operator.stop();
    operator = undefined;
    const requests = await readAudit(audit.logPath, identity.user);
    const burst = within(requests, startedWall, burstEndWall);
    const idle = within(requests, burstEndWall, idleEndWall);
    const burstByKind = breakdown(burst.filter((r) => r.verb !== "watch" && r.verb !== "list"));

    const figures = {
      n: N,
      connections: K,
      operator: `${values.build} ${AUTH}, ${describeSettings(settings)}`,
      loadAverage1m: +loadavg()[0]!.toFixed(2),
      ready: burstReady,
      secrets: burstSecrets,
      appliedAllSeconds: +(appliedAll / 1000).toFixed(2),
      allReadySeconds: +(allReadyMs / 1000).toFixed(2),
      issuancesPerSecond: +(burstReady / (allReadyMs / 1000)).toFixed(2),
      burstApplyToSecretP50Seconds: +(percentile(latencies, 50) / 1000).toFixed(3),
      burstApplyToSecretP99Seconds: +(percentile(latencies, 99) / 1000).toFixed(3),
      steadyN,
      steadyApplyToSecretP50Seconds: +(percentile(steadyLatencies, 50) / 1000).toFixed(3),
      steadyApplyToSecretP99Seconds: +(percentile(steadyLatencies, 99) / 1000).toFixed(3),
      vendorRequestsPerIssuance: +(vendorRequests / Math.max(1, burstReady)).toFixed(2),
      vendorCertificatesCreated: state.objects?.client_certificate ?? "n/a",
      vendorRateLimitViolations: state.rateLimitViolations ?? "n/a",
      apiRequestsPerIssuance: +(Object.values(burstByKind).reduce((a, b) => a + b, 0) / Math.max(1, burstReady)).toFixed(2),
      apiWritesPerIssuance: +(burst.filter(isWrite).length / Math.max(1, burstReady)).toFixed(2),
      idleSeconds: Number(values["idle-seconds"]),
      idleVendorRequests: vendorIdle,
      idleObjectChanges: idleWrites,
      idleApiRequests: idle.length,
      operatorIdleRssBeforeAnyResourceMiB: +rssIdle.toFixed(1),
      operatorPeakRssMiB: +peakRss.toFixed(1),
      operatorRssSettledMiB: +rssSettled.toFixed(1),
      ...heap,
      ...(cgroup === undefined ? {} : { memoryCgroupLimitMiB: cgroup.limitMiB, memoryCgroupPeakMiB: cgroup.peakMiB, memoryCgroupOomKills: cgroup.oomKills }),
      sampleLeafIssuer: leaf?.issuer.split("\n").join(", ") ?? "n/a",
    };
    log("results:");
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
    process.stdout.write(`  API requests per issuance, by kind (the burst; watches and lists apart):\n`);
    for (const [k, v] of Object.entries(perUnit(burstByKind, burstReady))) process.stdout.write(`    ${k.padEnd(40)} ${v}\n`);
    process.stdout.write(
      `${JSON.stringify({ benchmark: "managedcertificates", ...figures, apiRequestsPerIssuanceByKind: perUnit(burstByKind, burstReady) })}\n`,
    );
    await certs.stop();
    await secrets.stop();
  } finally {
    await operator?.stop();
    await sim.close();
    await client.close();
    await plane.stop();
  }
}

await main();
