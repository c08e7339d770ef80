// Scale benchmark (not a test; issue 13 item 4): N ManagedCertificates (default 10,000) against the
// Cloudflare simulator, then
//   burst      time to all Ready, RSS peak and settled, API requests per issuance (audit log)
//   steady     API requests per hour with nothing to do, and what resyncs add (a sample spaced as they are)
//   restart    the operator restarted: time until every resource was reconciled, vendor calls and
//              API writes meanwhile (both must be 0), RSS of the fresh process
//   unrelated  RSS added by Secrets the operator does not manage (created while it runs)
//
//   node test/bench/scale.ts [--n 10000] [--connections 16] [--steady-minutes 11] [--unrelated 30000 --unrelated-kib 10]
//     [--source DIR] [--build js|ts] [--auth in-cluster|kubeconfig] [--expected-resources N|none] [--node-options="..."]
//     [--memory-limit-mib M] [--env NAME=VALUE] [--resync-sample 40 --resync-spacing-ms MS] [--skip steady,resync,restart,unrelated]
//     [--heap-snapshot DIR]
//
// The operator runs with the chart's process settings for --expected-resources (default N): its
// NODE_OPTIONS and other env, in a memory cgroup of its memory limit, as a pod would (where this
// process may make one): an OOM kill ends the run and is reported. --heap-snapshot writes a heap
// snapshot of the settled operator into DIR after the settled figures are taken (summarise it with
// heap-summary.ts; writing one needs memory beyond the heap, so the memory limit is lifted first). --node-options, --memory-limit-mib
// and --env replace or add to them; --expected-resources none runs Node's defaults without a limit.
//
// The operator runs as it ships (compiled, in-cluster credentials) unless told otherwise; see
// scale-operator.ts. Leader election is off: a Lease renewal every few seconds is a per-process cost,
// not a per-resource one (say so beside the figure).
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ControlPlane } from "../harness/control-plane.ts";
import { installCrds } from "../harness/crds.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { Informer } from "../../src/runtime/informer.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { startCloudflareSimulator } from "../../src/sim/cloudflare/index.ts";
import { CLOUDFLARE_SIM_CREDENTIALS } from "../../src/sim/cloudflare/credentials.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { auditFlags, breakdown, isWrite, perUnit, readAudit, within } from "./scale-audit.ts";
import {
  type OperatorAuth,
  type OperatorBuild,
  type RunningOperator,
  benchWorkDir,
  canRunInCluster,
  heapFigures,
  metricSum,
  operatorIdentity,
  peakSampler,
  prepareCli,
  settledRss,
  startOperator,
  takeHeapSnapshot,
} from "./scale-operator.ts";
import { describeSettings, processSettingsOptions, resolveProcessSettings } from "./chart-settings.ts";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    connections: { type: "string", default: "16" },
    concurrency: { type: "string", default: "8" },
    "steady-minutes": { type: "string", default: "11" },
    unrelated: { type: "string", default: "30000" },
    "unrelated-kib": { type: "string", default: "10" },
    "timeout-minutes": { type: "string", default: "60" },
    source: { type: "string", default: fileURLToPath(new URL("../..", import.meta.url)) },
    build: { type: "string", default: "js" },
    auth: { type: "string" },
    skip: { type: "string", default: "" },
    ...processSettingsOptions,
    "heap-snapshot": { type: "string" },
    "resync-sample": { type: "string", default: "40" },
    "resync-spacing-ms": { type: "string" },
  },
});
const N = Number(values.n);
const K = Number(values.connections);
const NS = "scale";
const AUTH = (values.auth ?? (canRunInCluster() ? "in-cluster" : "kubeconfig")) as OperatorAuth;
const skip = new Set((values.skip ?? "").split(",").filter(Boolean));
const log = (line: string) => process.stdout.write(`[scale] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const token = (i: number) => `certbridge-sim-cloudflare-api-token-${String(i + 1).padStart(4, "0")}`;
const load = () => loadavg()[0]!.toFixed(2);
/** The ManagedCertificate controller's resync period (DEFAULT_RESYNC_MS). */
const RESYNC_HOURS = 10;

async function createAll(count: number, make: (i: number) => Promise<unknown>, parallel = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < count; i = next++) await make(i);
    }),
  );
}

/** Every ManagedCertificate reconciled at least once since the process started, and nothing queued. */
async function allReconciled(operator: RunningOperator, n: number): Promise<boolean> {
  const text = await operator.metrics().catch(() => "");
  const reconciled = metricSum(text, "certbridge_reconcile_total", { controller: "managedcertificate" });
  const depth = metricSum(text, "certbridge_workqueue_depth", { controller: "managedcertificate" });
  return text !== "" && reconciled >= n && depth === 0;
}

async function main(): Promise<void> {
  const cli = prepareCli(values.source ?? ".", values.build as OperatorBuild);
  const work = await benchWorkDir("scale");
  const audit = await auditFlags(work);
  const plane = await ControlPlane.start({ log, extraApiServerArgs: audit.args });
  const client = KubeClient.fromFile(plane.kubeconfigPath, { fieldManager: "bench" });
  const sim = await startCloudflareSimulator({ transitionDelayMs: 100 });
  const vendorCalls = () => Object.values((sim.state() as { requests?: Record<string, number> }).requests ?? {}).reduce((a, b) => a + b, 0);
  const figures: Record<string, unknown> = { n: N, connections: K };
  let operator: RunningOperator | undefined;
  const certs = new Informer<Conditioned>({ client, type: resourceTypes.managedCertificates, namespace: NS, log: silentLogger() });
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
          issuanceBudget: { maxPerHour: 100_000 },
        },
      } as KubeObject);
    }
    const identity = await operatorIdentity(plane, client, AUTH);
    const settings = await resolveProcessSettings(values.source ?? ".", N, values);
    const snapshotDir = values["heap-snapshot"];
    const start = () =>
      startOperator({
        cli,
        identity,
        logPath: join(work, "operator.log"),
        env: snapshotDir
          ? { ...settings.env, NODE_OPTIONS: [settings.env.NODE_OPTIONS, "--heapsnapshot-signal=SIGUSR2"].filter(Boolean).join(" ") }
          : settings.env,
        ...(snapshotDir ? { cwd: snapshotDir } : {}),
        ...(settings.memoryLimitMiB === undefined ? {} : { memoryLimitMiB: settings.memoryLimitMiB }),
        args: ["--leader-elect", "false", "--rate-limit-warm-up", "never", "--concurrency", values.concurrency ?? "8", "--log-level", "info"],
      });
    figures.operator = `${values.build} ${AUTH}, ${describeSettings(settings)}`;
    operator = start();
    await operator.port;
    log(`operator (${figures.operator as string}) started; load ${load()}`);

    const readyAt = new Map<string, number>();
    certs.onChange((key, cur) => {
      if (!readyAt.has(key) && cur?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) readyAt.set(key, performance.now());
    });
    certs.start();
    await certs.waitForSync();
    await sleep(10_000);
    figures.rssBeforeAnyResourceMiB = +(await operator.rssMiB()).toFixed(1);

    // Burst.
    const sampler = peakSampler(operator);
    const burstStartWall = Date.now();
    const started = performance.now();
    log(`applying ${N} ManagedCertificates over ${K} connections`);
    await createAll(N, (i) =>
      client.create(resourceTypes.managedCertificates, {
        metadata: { name: `cert-${i}`, namespace: NS },
        spec: {
          connectionRef: { kind: "VendorConnection", name: `cf-${i % K}` },
          secretName: `cert-${i}-tls`,
          commonName: `cert-${i}.scale.example`,
          privateKey: { algorithm: "ECDSA", size: 256 },
          cloudflare: { validityDays: 30 },
        },
      } as KubeObject),
    );
    const deadline = Date.now() + Number(values["timeout-minutes"]) * 60_000;
    let lastReport = Date.now();
    while (readyAt.size < N && Date.now() < deadline) {
      await sleep(500);
      const ended = operator.ended();
      if (ended !== undefined) throw new Error(`the operator ended (${ended}) during the burst; memory: ${JSON.stringify(await operator.memoryLimit())}`);
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        log(
          `${readyAt.size}/${N} Ready after ${((performance.now() - started) / 1000).toFixed(0)} s; RSS ${(await operator.rssMiB()).toFixed(0)} MiB; load ${load()}`,
        );
      }
    }
    figures.ready = readyAt.size;
    figures.allReadySeconds = +((Math.max(...readyAt.values()) - started) / 1000).toFixed(1);
    figures.loadDuringBurst = load();
    await sleep(5_000);
    const burstEndWall = Date.now();
    figures.vendorCallsPerIssuance = +(vendorCalls() / Math.max(1, readyAt.size)).toFixed(2);
    // Settled: a minute with nothing to do.
    await sleep(60_000);
    sampler.stop();
    const settled = await operator.rssMiB();
    figures.rssPeakMiB = +Math.max(sampler.peak(), settled).toFixed(1);
    figures.rssSettledMiB = +settled.toFixed(1);
    Object.assign(figures, heapFigures(await operator.metrics()));
    const limit = await operator.memoryLimit();
    if (limit !== undefined) figures.memoryCgroupBurst = limit;
    log(`all Ready in ${figures.allReadySeconds as number} s; RSS peak ${figures.rssPeakMiB as number}, settled ${figures.rssSettledMiB as number} MiB`);
    if (snapshotDir) {
      operator.liftMemoryLimit();
      log(`heap snapshot of the settled operator (memory limit lifted): ${await takeHeapSnapshot(operator.pid, snapshotDir)}`);
    }

    // Steady state: nothing changes; every connection's re-verification interval (10 min) passes once.
    let steadyFrom = 0;
    let steadyTo = 0;
    let steadyVendor = 0;
    if (!skip.has("steady")) {
      const minutes = Number(values["steady-minutes"]);
      log(`steady state for ${minutes} min`);
      const vendorBefore = vendorCalls();
      steadyFrom = Date.now();
      await sleep(minutes * 60_000);
      steadyTo = Date.now();
      steadyVendor = vendorCalls() - vendorBefore;
    }

    // Resyncs: a window of minutes sees none (each resource reconciles again ~10 h ± 20 % after its
    // last time), and a restart reconciles everything within seconds, where short-lived caches hide
    // what a resync costs. So: reconciles spaced as resyncs are (N per 10 h), brought by touching an
    // annotation no controller reads, counting the operator's requests meanwhile.
    let resyncFrom = 0;
    let resyncTo = 0;
    const sampled = Math.min(N, Number(values["resync-sample"]));
    if (!skip.has("resync") && sampled > 0) {
      const spacingMs = Number(values["resync-spacing-ms"] ?? Math.min(60_000, Math.max(1_000, (RESYNC_HOURS * 3_600_000) / N)));
      log(`resync sample: ${sampled} resources touched ${spacingMs} ms apart`);
      resyncFrom = Date.now();
      for (let i = 0; i < sampled; i++) {
        await client.mergePatch(resourceTypes.managedCertificates, NS, `cert-${i}`, {
          metadata: { annotations: { "bench.certbridge.dev/touch": String(Date.now()) } },
        });
        await sleep(spacingMs);
      }
      resyncTo = Date.now();
    }

    // Restart.
    let restartFrom = 0;
    let restartTo = 0;
    if (!skip.has("restart")) {
      await operator.stop();
      const vendorBefore = vendorCalls();
      restartFrom = Date.now();
      const t0 = performance.now();
      operator = start();
      await operator.port;
      while (!(await allReconciled(operator, N)) && performance.now() - t0 < 600_000) await sleep(100);
      figures.restartAllReconciledSeconds = +((performance.now() - t0) / 1000).toFixed(2);
      await sleep(5_000);
      restartTo = Date.now();
      figures.restartVendorCalls = vendorCalls() - vendorBefore;
      log(`restart: all reconciled in ${figures.restartAllReconciledSeconds as number} s`);
    }
    // A fresh process holding N, settled (the restart's allocations collected): its lowest RSS over a
    // minute. Without the restart it is the burst's process (a heap snapshot may have grown it since).
    const freshRss = await settledRss(operator, 60_000);
    figures[skip.has("restart") ? "rssSameProcessLaterMiB" : "rssFreshProcessHoldingNMiB"] = +freshRss.toFixed(1);

    // Unrelated Secrets: the operator must not hold them (its Secret watch is label-selected).
    let unrelatedFrom = 0;
    let unrelatedTo = 0;
    if (!skip.has("unrelated")) {
      const count = Number(values.unrelated);
      const kib = Number(values["unrelated-kib"]);
      await client.create(core.namespaces, { metadata: { name: "unrelated" } });
      const before = await settledRss(operator, 20_000);
      unrelatedFrom = Date.now();
      const payload = Buffer.alloc(kib * 1024, 7).toString("base64");
      log(`creating ${count} unrelated Secrets of ${kib} KiB`);
      await createAll(count, (i) =>
        client.create(core.secrets, { metadata: { name: `unrelated-${i}`, namespace: "unrelated" }, data: { blob: payload } } as KubeObject),
      );
      const after = await settledRss(operator, 30_000);
      unrelatedTo = Date.now();
      figures.unrelatedSecrets = `${count} × ${kib} KiB`;
      figures.rssAddedByUnrelatedSecretsRunningMiB = +(after - before).toFixed(1);
      // And a fresh process started beside them, against the fresh process above (the same settle time).
      await operator.stop();
      operator = start();
      await operator.port;
      const t0 = performance.now();
      while (!(await allReconciled(operator, N)) && performance.now() - t0 < 600_000) await sleep(100);
      figures.rssAddedByUnrelatedSecretsFreshMiB = +((await settledRss(operator, 60_000)) - freshRss).toFixed(1);
    }

    await operator.stop();
    operator = undefined;
    const requests = await readAudit(audit.logPath, identity.user);
    const burst = within(requests, burstStartWall, burstEndWall).filter((r) => r.verb !== "watch" && r.verb !== "list");
    figures.apiRequestsPerIssuance = +(burst.length / Math.max(1, N)).toFixed(2);
    figures.apiRequestsPerIssuanceByKind = perUnit(breakdown(burst), N);
    if (steadyTo > 0) {
      const steady = within(requests, steadyFrom, steadyTo);
      const hours = (steadyTo - steadyFrom) / 3_600_000;
      figures.steadyApiRequestsPerHour = Math.round(steady.length / hours);
      figures.steadyApiRequestsPerSecondPer1k = +(steady.length / (hours * 3600) / (N / 1000)).toFixed(4);
      figures.steadyApiRequestsByKind = breakdown(steady);
      figures.steadyVendorCalls = steadyVendor;
    }
    if (restartTo > 0) {
      const restart = within(requests, restartFrom, restartTo);
      figures.restartApiWrites = restart.filter(isWrite).length;
      figures.restartApiRequestsByKind = breakdown(restart);
    }
    if (resyncTo > 0) {
      // The sample's requests beyond the steady window's own rate (watches, connection re-reads).
      const sample = within(requests, resyncFrom, resyncTo).filter((r) => r.verb !== "list" && r.verb !== "watch");
      const baseline =
        steadyTo > 0
          ? (within(requests, steadyFrom, steadyTo).filter((r) => r.verb !== "list" && r.verb !== "watch").length / (steadyTo - steadyFrom)) *
            (resyncTo - resyncFrom)
          : 0;
      const perReconcile = Math.max(0, sample.length - baseline) / sampled;
      figures.resyncApiRequestsPerReconcile = +perReconcile.toFixed(3);
      figures.resyncSampleByKind = breakdown(sample);
      if (steadyTo > 0) {
        const perHour = (figures.steadyApiRequestsPerHour as number) + (N / RESYNC_HOURS) * perReconcile;
        figures.steadyWithResyncsApiRequestsPerHour = Math.round(perHour);
        figures.steadyWithResyncsApiRequestsPerSecondPer1k = +(perHour / 3600 / (N / 1000)).toFixed(4);
      }
    }
    if (unrelatedTo > 0) figures.apiRequestsWhileUnrelatedSecretsCreated = within(requests, unrelatedFrom, unrelatedTo).length;
    figures.loadAverage1mAtEnd = load();
    log("results:");
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(40)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}\n`);
    process.stdout.write(`${JSON.stringify({ benchmark: "scale", ...figures })}\n`);
  } finally {
    await certs.stop();
    await operator?.stop();
    await sim.close();
    await client.close();
    await plane.stop();
  }
}

await main();
