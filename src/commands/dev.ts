// `certbridge dev`: the embedded local environment. A real kube-apiserver + etcd with our CRDs, the
// three vendor simulators over HTTPS, connections and samples in one namespace, and the operator
// in-process; Ctrl-C undoes it all in reverse order.
import { once } from "node:events";
import { rename, rm, writeFile, copyFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { ControlPlane } from "../../test/harness/control-plane.ts";
import { installCrds } from "../../test/harness/crds.ts";
import { resourceTypes } from "../api/v1alpha1/group.ts";
import type { Vendor } from "../api/v1alpha1/vendorconnection.ts";
import { loadOperatorConfig } from "../config/operator.ts";
import { createLogger } from "../observability/logger.ts";
import { type OperatorHandle, startOperator } from "../operator.ts";
import { KubeClient } from "../runtime/kube/client.ts";
import { core, type KubeObject, type ResourceType } from "../runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../sim/index.ts";
import { presetZpaKeys, simulatorCatalog } from "./dev/catalog.ts";
import { reportCertificatesReady, startDevCertManager } from "./dev/cert-manager.ts";
import { killChildrenMentioning } from "./dev/emergency.ts";
import { repoKubectl } from "./dev/kubectl.ts";
import { readiness, type SampleStatus } from "./dev/readiness.ts";
import { DEV_NAMESPACE, type DevObject, devObjects, presetKeys, readSamples, type Sample, type SimulatorEndpoint } from "./dev/resources.ts";
import { acquireStateDir, defaultStateDir, type StateDir } from "./dev/state-dir.ts";
import { createTeardown } from "./dev/teardown.ts";

const USAGE = `usage: certbridge dev [--no-operator] [--cert-manager] [--ready-file PATH] [--state-dir DIR] [--log-level LEVEL]

  --no-operator       start everything but the operator (run \`npm start\` against it yourself)
  --cert-manager      also run cert-manager's controller (built once, cached) with a VendorIssuer and Certificates
  --ready-file PATH   once everything is up, write JSON there: kubeconfig, simulator URLs, metrics port
  --state-dir DIR     where the kubeconfig and simulator CA are kept (default <cache>/certbridge/dev)
  --log-level LEVEL   operator log level (trace|debug|info|warn|error); operator logs go to stderr
`;

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const PREFERRED_METRICS_PORT = 8080;
/** How long after start-up dev waits for every sample to be Ready before it says which are not. */
const SAMPLES_READY_WITHIN_MS = 120_000;
const VENDORS = ["zpa", "cloudflare", "sectigo"] as const;

const TYPES: Record<DevObject["kind"], ResourceType> = {
  Secret: core.secrets,
  VendorConnection: resourceTypes.vendorConnections,
  ManagedCertificate: resourceTypes.managedCertificates,
  ProvisioningKey: resourceTypes.provisioningKeys,
};

export interface DevCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** What the ready file holds: enough for a script or test to use the environment. No credentials. */
export interface DevReadyInfo {
  readonly pid: number;
  readonly kubeconfig: string;
  readonly apiServer: string;
  /** kube-apiserver and etcd data, logs and PKI; removed on exit. */
  readonly controlPlaneDir: string;
  readonly namespace: string;
  readonly simulators: Record<Vendor, string | null>;
  readonly caFile: string | null;
  readonly metricsPort: number | null;
  readonly metricsUrl: string | null;
}

class Interrupted extends Error {}

async function portFree(host: string, port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, host);
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function devCommand(
  args: string[],
  io: DevCommandIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env },
): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        "no-operator": { type: "boolean", default: false },
        "cert-manager": { type: "boolean", default: false },
        "ready-file": { type: "string" },
        "state-dir": { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    io.err(`certbridge dev: ${message(error)}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    io.out(USAGE);
    return 0;
  }

  const began = Date.now();
  const elapsed = () => `${((Date.now() - began) / 1000).toFixed(1)}s`;
  const progress = (line: string) => io.out(`[dev ${elapsed().padStart(6)}] ${line}\n`);
  const teardown = createTeardown();
  const stop = new AbortController();
  let current = "starting";
  let failure: string | undefined;
  let controlPlaneDir: string | undefined;

  // Signals are handled from the first moment: a Ctrl-C during a minutes-long first build still cleans up.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      const killed = controlPlaneDir === undefined ? [] : killChildrenMentioning(controlPlaneDir);
      io.err(
        `\n${signal} again: exiting at once${killed.length ? ` (killed etcd/kube-apiserver ${killed.join(", ")})` : ""}` +
          `${controlPlaneDir === undefined ? "" : `; left behind: ${controlPlaneDir}`}\n`,
      );
      process.exit(130);
    }
    io.out(`\n${signal}: shutting down (${current === "running" ? "" : `finishing "${current}" first; `}press Ctrl-C again to exit at once)\n`);
    stop.abort();
  };
  const onCrash = (error: unknown) => {
    failure ??= `unexpected error: ${message(error)}`;
    io.err(`certbridge dev: ${failure}\n`);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onCrash);

  /** One startup step: runs to completion (so whatever it started is registered for cleanup), then honours a pending stop. */
  const step = async <T>(what: string, fn: () => Promise<T>, note = ""): Promise<T> => {
    if (stop.signal.aborted) throw new Interrupted();
    current = what;
    const started = Date.now();
    progress(`${what}…${note && ` (${note})`}`);
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      if (stop.signal.aborted) throw new Interrupted();
      throw new Error(`${what} failed: ${message(error)}`, { cause: error });
    }
    progress(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (stop.signal.aborted) throw new Interrupted();
    return value;
  };

  try {
    const readyFile = flags["ready-file"];
    // A stale file from an earlier run must not look like this run being ready.
    if (readyFile !== undefined) await rm(readyFile, { force: true });

    const stateDir = flags["state-dir"] ?? defaultStateDir(io.env);
    const state = await acquireStateDir(stateDir);
    let owned: StateDir | undefined;
    if ("heldBy" in state) {
      progress(`another certbridge dev (pid ${state.heldBy}) owns ${stateDir}; this one uses temporary paths`);
    } else {
      owned = state;
      teardown.push(`state in ${state.dir}`, () => state.release());
    }

    const plane = await step(
      "starting kube-apiserver + etcd",
      async () => {
        const p = await ControlPlane.start({ log: (line) => progress(`  ${line}`) });
        teardown.push("kube-apiserver + etcd", () => p.stop());
        return p;
      },
      "a first run on this machine builds them from source: about 5 minutes",
    );
    controlPlaneDir = plane.dir;
    const kubeconfig = owned?.kubeconfig ?? plane.kubeconfigPath;
    if (owned !== undefined) await copyFile(plane.kubeconfigPath, owned.kubeconfig);

    const client = KubeClient.fromFile(kubeconfig, { fieldManager: "certbridge-dev" });
    teardown.push("API client", () => client.close());
    const crds = await step("installing CRDs", () => installCrds(client, `${REPO}crds`));
    progress(`  ${crds.join(", ")}`);

    const sims: RunningSimulators = await step("starting the ZPA, Cloudflare and Sectigo simulators (HTTPS)", async () => {
      const s = await startSimulators({ https: true, ...(owned ? { caFile: owned.caFile } : {}) });
      teardown.push("vendor simulators", () => s.close());
      return s;
    });
    for (const [vendor, reason] of Object.entries(sims.unavailable)) progress(`  warning: no ${vendor} simulator (${reason})`);

    const endpoints: Partial<Record<Vendor, SimulatorEndpoint>> = {};
    for (const v of VENDORS) {
      const url = sims.urls[v];
      const credentials = sims.credentials[v];
      if (url !== undefined && credentials !== undefined) endpoints[v] = { url, credentials };
    }
    const applied = await step(`applying connections and samples in namespace ${DEV_NAMESPACE}`, async () => {
      // The samples name real tenants' orgs, profiles and groups: map them onto what the simulators hold.
      const catalog = simulatorCatalog(sims);
      const { objects, skipped } = devObjects(endpoints, sims.caPem, await readSamples(`${REPO}deploy/samples`), DEV_NAMESPACE, catalog);
      const samples = objects.filter((o) => o.kind === "ManagedCertificate" || o.kind === "ProvisioningKey").map((o) => o.object as Sample);
      const preset = catalog.zpa === undefined ? [] : presetKeys(samples, catalog.zpa);
      presetZpaKeys(sims, preset);
      for (const k of preset) progress(`  ZPA simulator now holds the ${k.associationType} provisioning key "${k.name}" a sample names`);
      await client.apply(core.namespaces, { metadata: { name: DEV_NAMESPACE } } as KubeObject);
      for (const o of objects) {
        try {
          await client.apply(TYPES[o.kind], o.object);
        } catch (error) {
          throw new Error(`${o.kind} ${o.object.metadata.name ?? ""}: ${message(error)}`, { cause: error });
        }
      }
      return { objects, skipped };
    });
    const count = (kind: DevObject["kind"]) => applied.objects.filter((o) => o.kind === kind).map((o) => o.object.metadata.name ?? "");
    progress(`  VendorConnections: ${count("VendorConnection").join(", ")} (credentials Secrets beside them)`);
    progress(`  ManagedCertificates: ${count("ManagedCertificate").join(", ") || "none"}`);
    progress(`  ProvisioningKeys: ${count("ProvisioningKey").join(", ") || "none"}`);
    for (const s of applied.skipped) progress(`  skipped ${s}`);

    if (flags["cert-manager"]) {
      const certManager = { client, kubeconfig, samplesDir: `${REPO}deploy/samples`, catalog: simulatorCatalog(sims), teardown, progress };
      await step("starting cert-manager's controller", () => startDevCertManager(certManager), "a first run builds it from the Go module proxy: minutes");
    }

    let operator: OperatorHandle | undefined;
    if (!flags["no-operator"]) {
      operator = await step("starting the operator", async () => {
        const config = loadOperatorConfig(
          [
            "--kubeconfig",
            kubeconfig,
            "--leader-elect",
            "false",
            ...(io.env.CERTBRIDGE_METRICS_HOST ? [] : ["--metrics-host", "127.0.0.1"]),
            ...(flags["log-level"] === undefined ? [] : ["--log-level", flags["log-level"]]),
          ],
          { ...io.env, CERTBRIDGE_METRICS_PORT: io.env.CERTBRIDGE_METRICS_PORT ?? String(PREFERRED_METRICS_PORT) },
        );
        const port = config.metricsPort !== 0 && !(await portFree(config.metricsHost, config.metricsPort)) ? 0 : config.metricsPort;
        if (port !== config.metricsPort) progress(`  port ${config.metricsPort} is busy; metrics on a free port instead`);
        const log = createLogger({ level: config.logLevel, destination: process.stderr });
        const handle = await startOperator({ ...config, metricsPort: port }, log);
        teardown.push("operator", () => handle.stop());
        return handle;
      });
    }

    const metricsPort = operator?.manager.healthPort ?? null;
    const metricsUrl = metricsPort === null ? null : `http://127.0.0.1:${metricsPort}`;
    const info: DevReadyInfo = {
      pid: process.pid,
      kubeconfig,
      apiServer: plane.server,
      controlPlaneDir: plane.dir,
      namespace: DEV_NAMESPACE,
      simulators: { zpa: sims.urls.zpa ?? null, cloudflare: sims.urls.cloudflare ?? null, sectigo: sims.urls.sectigo ?? null },
      caFile: sims.caFile ?? null,
      metricsPort,
      metricsUrl,
    };
    current = "running";
    io.out(summary(info, crds.length, flags["no-operator"] === true, elapsed()));
    // Written after the summary is printed, so a script that waits for the file finds the summary too.
    if (readyFile !== undefined) {
      // Pushed last, so it goes first on shutdown: its absence tells scripts the environment is going away.
      teardown.push("ready file", () => rm(readyFile, { force: true }));
      await writeJsonAtomically(readyFile, info);
    }
    if (operator !== undefined) void reportSamplesReady(client, stop.signal, progress);
    if (operator !== undefined && flags["cert-manager"]) void reportCertificatesReady(client, stop.signal, progress);
    void repoKubectl(progress).then((k) => {
      if (!stop.signal.aborted && "path" in k) io.out(`kubectl 1.34 from the repo's test tooling: ${k.path}\n  alias kubectl=${k.path}\n`);
    });

    if (!stop.signal.aborted) await once(stop.signal, "abort");
  } catch (error) {
    if (!(error instanceof Interrupted)) {
      failure ??= message(error);
      io.err(`certbridge dev: ${failure}\n`);
    }
  }

  current = "cleanup";
  progress("cleaning up");
  const clean = await teardown.run((line) => progress(`  ${line}`));
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.off("uncaughtException", onCrash);
  progress(clean ? "all stopped" : "stopped, with errors (see above)");
  return failure === undefined && clean ? 0 : 1;
}

function summary(info: DevReadyInfo, crdCount: number, noOperator: boolean, took: string): string {
  const sim = (v: Vendor) => `    ${v.padEnd(11)} ${info.simulators[v] ?? "(not running)"}`;
  return (
    [
      "",
      `certbridge dev is ready (${took})`,
      "",
      `  kubeconfig   ${info.kubeconfig}`,
      `               export KUBECONFIG=${info.kubeconfig}`,
      `  API server   ${info.apiServer} (${crdCount} CRDs installed)`,
      `  namespace    ${info.namespace}: one VendorConnection per simulator, and every ManagedCertificate and`,
      "               ProvisioningKey sample mapped onto the simulated tenants (orgs, profiles, groups).",
      noOperator
        ? "               Nothing reconciles them until you start the operator."
        : "               The operator reconciles them: each should be Ready within seconds (reported below).",
      "  simulators   (HTTPS; test credentials are in the Secrets beside the connections)",
      sim("zpa"),
      sim("cloudflare"),
      sim("sectigo"),
      `    CA file     ${info.caFile ?? "(none)"}`,
      noOperator
        ? `  operator     not started (--no-operator); run it with:\n               npm start -- --kubeconfig ${info.kubeconfig} --leader-elect false --metrics-port 0`
        : `  metrics      ${info.metricsUrl}/metrics  (health: /healthz, /readyz; operator logs on stderr)`,
      "",
      "  look around:",
      "    kubectl get certbridge -A",
      `    npx certbridge status managedcertificate/shop-tls -n ${info.namespace}   # one sample's chain, start to end, and what to do next`,
      `    kubectl -n ${info.namespace} get vendorconnections,managedcertificates,provisioningkeys`,
      "    kubectl explain managedcertificate.spec",
      "",
      "  Ctrl-C stops everything.",
      "",
    ].join("\n") + "\n"
  );
}

/**
 * Polls the samples until all are Ready and says so once (with the time since start-up); after
 * SAMPLES_READY_WITHIN_MS it names those that are not, with their Ready reason, and stops looking.
 */
async function reportSamplesReady(client: KubeClient, signal: AbortSignal, progress: (line: string) => void): Promise<void> {
  const deadline = Date.now() + SAMPLES_READY_WITHIN_MS;
  let last: ReturnType<typeof readiness> | undefined;
  while (!signal.aborted) {
    try {
      const items: SampleStatus[] = [];
      for (const type of [resourceTypes.managedCertificates, resourceTypes.provisioningKeys]) {
        const list = await client.listAll<KubeObject & SampleStatus>(type, { namespace: DEV_NAMESPACE, signal });
        items.push(...list.items.map((i) => ({ ...i, kind: type === resourceTypes.managedCertificates ? "ManagedCertificate" : "ProvisioningKey" })));
      }
      last = readiness(items);
      if (last.waiting.length === 0) {
        progress(`all ${last.ready.length} samples are Ready`);
        return;
      }
    } catch {
      // The API server may be going away (Ctrl-C); the loop ends on the abort.
    }
    if (Date.now() > deadline) {
      progress(`not every sample is Ready after ${SAMPLES_READY_WITHIN_MS / 1000}s:`);
      for (const w of last?.waiting ?? ["(could not list the samples)"]) progress(`  ${w}`);
      return;
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
}
