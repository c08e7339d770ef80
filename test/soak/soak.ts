// `runSoak`: the whole soak — a real control plane, the simulators, two operator replicas with leader
// election — then chaos for the given duration, faults off, convergence, and the invariants checked
// against the simulators' state. Used by `npm run soak` (main.ts) and the integration test.
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlPlane } from "../harness/control-plane.ts";
import { installCrds } from "../harness/crds.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { isAlreadyExists } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { API_VERSION, resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { Chaos } from "./chaos.ts";
import { analyseLeadership, type LeaderAnalysis } from "./leader-gaps.ts";
import { LeaseMonitor } from "./lease-monitor.ts";
import { type CheckResult, type VendorView, checkInvariants } from "./invariants.ts";
import { Observer, readCluster } from "./observer.ts";
import type { SoakOptions, SoakVendor } from "./options.ts";
import { Random } from "./random.ts";
import { ReplicaSet } from "./replicas.ts";
import { SimulatorProcess } from "./simulators.ts";
import { VendorReader } from "./vendor-state.ts";
import { NAMESPACES, Workload } from "./workload.ts";

export const OPERATOR_NAMESPACE = "certbridge-system";
/** The issue's bound on leaderless time. */
export const MAX_LEADER_GAP_MS = 20_000;

export interface SoakResult {
  readonly options: SoakOptions;
  readonly outDir: string;
  readonly startedAt: number;
  readonly chaosEndedAt: number;
  /** ms from faults off to the first fully passing check; undefined when it never converged. */
  readonly convergenceMs: number | undefined;
  readonly check: CheckResult;
  readonly leadership: LeaderAnalysis;
  readonly chaos: Chaos;
  readonly workload: Workload;
  readonly replicas: ReplicaSet;
  readonly zpaCreatesBeyondIntents: number;
  readonly zpaRateLimitViolations: number;
  /** Cross-check of the listing: how many client certificates the Cloudflare simulator says it holds. */
  readonly cloudflareSimCount: number | undefined;
  /** Everything that makes the run fail, one line each. */
  readonly violations: string[];
}

const slotOfIdentity = (identity: string) => /^replica-([a-z]+)-\d+$/.exec(identity)?.[1];

export async function runSoak(options: SoakOptions, log: (line: string) => void = () => {}): Promise<SoakResult> {
  const outDir = options.outDir ?? (await mkdtemp(join(tmpdir(), "certbridge-soak-")));
  await mkdir(outDir, { recursive: true });
  const startedAt = Date.now();
  log(`soak seed=${options.seed}: logs in ${outDir}`);
  const plane = await ControlPlane.start({ log: (l) => log(`control plane: ${l}`) });
  const client = KubeClient.fromFile(plane.kubeconfigPath, { fieldManager: "certbridge-soak" });
  let sims: SimulatorProcess | undefined;
  let replicas: ReplicaSet | undefined;
  let monitor: LeaseMonitor | undefined;
  let observer: Observer | undefined;
  try {
    await installCrds(client, new URL("../../crds", import.meta.url).pathname);
    sims = await SimulatorProcess.start(outDir);
    // Sectigo takes seconds to issue (auto-approved): kills and deletes land while orders are pending.
    await sims.call("sectigo", "POST", "/__sim/config", { delayMs: 8_000, approvalRequired: false });
    await setUpNamespaces(client, sims, options.vendors);

    replicas = new ReplicaSet({
      kubeconfig: plane.kubeconfigPath,
      leaseNamespace: OPERATOR_NAMESPACE,
      logDir: outDir,
      slots: ["a", "b"],
      extraArgs: options.orderSettleMs === undefined ? [] : ["--debug-order-settle-ms", String(options.orderSettleMs)],
    });
    replicas.startAll();
    monitor = new LeaseMonitor(client, OPERATOR_NAMESPACE);
    monitor.start();
    const reader = new VendorReader(sims);
    const workload = new Workload({ client, random: new Random(options.seed, "workload"), targets: options.resources, log });
    observer = new Observer(client, workload, options.vendors, reader);
    observer.start();
    const chaos = new Chaos({ options, plane, replicas, sims, workload, log });

    await workload.fill();
    chaos.note(`initial resources created: ${workload.resources.length}`);
    log(`chaos for ${Math.round(options.durationMs / 1000)} s`);
    const progress = setInterval(() => log(progressLine(chaos, workload)), 30_000);
    try {
      await chaos.run(Date.now() + options.durationMs);
    } finally {
      clearInterval(progress);
    }
    await chaos.clearFaults();
    const chaosEndedAt = Date.now();
    log(`chaos over (${progressLine(chaos, workload)}); faults off, waiting for convergence`);

    const views = async (full: boolean): Promise<CheckResult> => {
      await observer!.sample();
      const cluster = await readCluster(client, options.vendors);
      for (const [ns, kind] of [
        [NAMESPACES.cloudflare, "ManagedCertificate"],
        [NAMESPACES.sectigo, "ManagedCertificate"],
        [NAMESPACES.zpa, "ProvisioningKey"],
      ] as const) {
        const uids = new Set([...cluster.objects.values()].filter((o) => o.metadata.namespace === ns).map((o) => o.metadata.uid ?? ""));
        workload.observeGone(ns, kind, uids);
      }
      const vendor = await readVendors(reader, options.vendors, full, workload, cluster, observer!);
      return checkInvariants(workload.resources, cluster, vendor);
    };

    let convergenceMs: number | undefined;
    let last: CheckResult | undefined;
    const deadline = chaosEndedAt + options.convergeTimeoutMs;
    while (Date.now() < deadline) {
      try {
        last = await views(false);
        const open = last.findings.filter((f) => f.class !== "duplicate");
        if (open.length === 0) {
          convergenceMs = Date.now() - chaosEndedAt;
          break;
        }
        log(`not converged yet (${Math.round((Date.now() - chaosEndedAt) / 1000)} s): ${open.length} open, e.g. ${open[0]!.resource}: ${open[0]!.message}`);
      } catch (error) {
        log(`convergence check failed: ${String(error).slice(0, 200)}`);
      }
      await sleep(5_000);
    }
    const check = await views(true);
    await monitor.stop();
    const disturbances = replicas.events.filter((e) => e.kind === "kill" || e.kind === "start").map((e) => e.at);
    const leadership = analyseLeadership(monitor.samples, replicas.incarnations, slotOfIdentity, disturbances);
    const zpa = options.vendors.includes("zpa") ? await reader.zpa() : undefined;
    const cloudflareSimCount = options.vendors.includes("cloudflare")
      ? (await sims.call<{ objects?: { client_certificate?: number } }>("cloudflare", "GET", "/__sim/state")).objects?.client_certificate
      : undefined;
    const intents = workload.resources.reduce((s, r) => s + r.keyIntents, 0);
    const zpaCreatesBeyondIntents = Math.max(0, (zpa?.createdTotal ?? 0) - intents);

    const violations: string[] = [];
    if (convergenceMs === undefined) violations.push(`did not converge within ${Math.round(options.convergeTimeoutMs / 1000)} s after the faults stopped`);
    for (const f of check.findings) violations.push(`${f.class}: ${f.resource}: ${f.message}${f.vendorObjects ? ` [${f.vendorObjects.join(", ")}]` : ""}`);
    if (zpaCreatesBeyondIntents > 0) violations.push(`duplicate: ZPA created ${zpa!.createdTotal} keys, ${intents} were asked for`);
    if (replicas.maxConcurrent > 2) violations.push(`harness: ${replicas.maxConcurrent} operator processes ran at once (two replicas expected)`);
    if (leadership.maxSettleMs > MAX_LEADER_GAP_MS)
      violations.push(`no leader for ${(leadership.maxSettleMs / 1000).toFixed(1)} s after the last disturbance (bound ${MAX_LEADER_GAP_MS / 1000} s)`);

    return {
      options,
      outDir,
      startedAt,
      chaosEndedAt,
      convergenceMs,
      check,
      leadership,
      chaos,
      workload,
      replicas,
      zpaCreatesBeyondIntents,
      zpaRateLimitViolations: zpa?.rateLimitViolations ?? 0,
      cloudflareSimCount,
      violations,
    };
  } finally {
    await observer?.stop();
    await monitor?.stop();
    await replicas?.stopAll();
    await sims?.stop();
    await client.close();
    await plane.stop();
  }
}

function progressLine(chaos: Chaos, workload: Workload): string {
  const c = chaos.counters;
  const w = workload.counts;
  return `kills=${c.kills} (leader ${c.leaderKills}) api-restarts=${c.apiRestarts} fault-windows=${c.faultWindows} actions: create=${w.create} edit=${w.edit} touch=${w.touch} renew=${w.renew} delete=${w.delete}`;
}

async function readVendors(
  reader: VendorReader,
  vendors: readonly SoakVendor[],
  full: boolean,
  workload: Workload,
  cluster: Awaited<ReturnType<typeof readCluster>>,
  observer: Observer,
): Promise<VendorView> {
  const certificates = [
    ...(vendors.includes("cloudflare") ? await reader.cloudflare(full ? "all" : "active") : []),
    ...(vendors.includes("sectigo") ? await reader.sectigo() : []),
  ];
  if (!vendors.includes("zpa")) return { certificates };
  const zpa = await reader.zpa();
  observer.recordZpaKeys(zpa.keys);
  const zpaValues = new Map<string, string | undefined>();
  for (const r of workload.live("zpa")) {
    const id = cluster.objects.get(`${r.namespace}/${r.name}`)?.status?.["id"];
    const k = zpa.keys.find((x) => x.id === id);
    if (k !== undefined) zpaValues.set(k.id, await reader.zpaKeyValue(k));
  }
  return { certificates, zpa, zpaValues, zpaKeyHistory: observer.zpaKeyHistory };
}

async function setUpNamespaces(client: KubeClient, sims: SimulatorProcess, vendors: readonly SoakVendor[]): Promise<void> {
  const create = async (type: Parameters<KubeClient["create"]>[0], obj: KubeObject) => {
    try {
      await client.create(type, obj);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  };
  const e = sims.endpoints;
  await create(core.namespaces, { metadata: { name: OPERATOR_NAMESPACE } } as KubeObject);
  for (const vendor of vendors) {
    const ns = NAMESPACES[vendor];
    await create(core.namespaces, { metadata: { name: ns } } as KubeObject);
    const stringData =
      vendor === "cloudflare"
        ? { apiToken: e.credentials.cloudflare.apiToken }
        : vendor === "sectigo"
          ? { login: e.credentials.sectigo.login, password: e.credentials.sectigo.password }
          : { clientId: e.credentials.zpa.clientId, clientSecret: e.credentials.zpa.clientSecret };
    await create(core.secrets, { metadata: { name: `${vendor}-credentials`, namespace: ns }, stringData } as KubeObject);
    const block =
      vendor === "cloudflare"
        ? { cloudflare: { baseUrl: e.urls.cloudflare, zoneId: e.credentials.cloudflare.zoneId } }
        : vendor === "sectigo"
          ? { sectigo: { baseUrl: e.urls.sectigo, customerUri: e.credentials.sectigo.customerUri, orgId: SEED.orgId } }
          : { zpa: { baseUrl: e.urls.zpa, customerId: e.credentials.zpa.customerId } };
    await create(resourceTypes.vendorConnections, {
      apiVersion: API_VERSION,
      kind: "VendorConnection",
      metadata: { name: vendor, namespace: ns },
      spec: {
        ...block,
        credentialsRef: { name: `${vendor}-credentials` },
        caBundle: e.caPem,
        ...(vendor === "zpa" ? {} : { issuanceBudget: { maxPerHour: 100_000 } }),
      },
    } as KubeObject);
  }
}
