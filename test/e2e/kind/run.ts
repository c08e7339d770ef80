// `npm run e2e:kind`: certbridge end to end in a kind cluster on a Docker host. Creates (or reuses) a kind
// cluster, builds the image from the Dockerfile with `docker build`, loads it into the cluster, installs
// the chart with demo.enabled (the vendor simulators, the dev connections and the samples mapped onto them
// run in the cluster) and waits until every demo connection, certificate and provisioning key is Ready.
// Without a Docker engine it prints why and exits 0 (SKIPPED), or 1 with --require-docker.
//   npm run e2e:kind -- [--keep] [--require-docker] [--cluster NAME] [--node-image IMAGE]
// kind and helm come from PATH when compatible, else they are built from the Go module proxy once
// (test/harness/build-tools.sh); the readiness checks use certbridge's own Kubernetes client, so no
// kubectl within the kind node's version skew is needed.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { resourceTypes } from "../../../src/api/v1alpha1/group.ts";
import { KubeClient } from "../../../src/runtime/kube/client.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/kube/resource.ts";
import { ensureHelm, ensureKind } from "../../harness/tools.ts";

const exec = promisify(execFile);
const repoRoot = new URL("../../..", import.meta.url).pathname;
export const RELEASE = "certbridge";
export const NAMESPACE = "certbridge-system";
const IMAGE = "certbridge:e2e";
const started = Date.now();
const say = (line: string) => process.stdout.write(`[e2e:kind ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);

/** The chart values the e2e installs with: the loaded image (never pulled), the demo, one replica. */
export function chartValues(image = IMAGE): string[] {
  const [repository, tag] = image.split(":") as [string, string];
  return [
    "--set",
    `image.repository=${repository}`,
    "--set",
    `image.tag=${tag}`,
    "--set",
    "image.pullPolicy=Never",
    "--set",
    "demo.enabled=true",
    "--set",
    "replicaCount=1",
  ];
}

/** How many demo objects with a Ready condition the chart creates (connections, certificates, keys). */
export const DEMO_READY_OBJECTS = 6;

/** Why Docker cannot be used here, or undefined when an engine answers. */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
    return undefined;
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string; message: string };
    if (e.code === "ENOENT") return "docker is not on PATH";
    const reason = (e.stderr ?? e.message).trim().split("\n").filter(Boolean).at(-1) ?? "docker info failed";
    return `no Docker engine answers (${reason})`;
  }
}

/** Runs a command with its output streamed, prefixed; rejects on a non-zero exit. */
async function step(what: string, command: string, args: readonly string[]): Promise<void> {
  say(what);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: repoRoot });
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) process.stdout.write(`    ${line}\n`);
  };
  child.stdout.on("data", relay);
  child.stderr.on("data", relay);
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${what}: ${command} exited ${code}`);
}

type Conditioned = KubeObject & { kind?: string; status?: { conditions?: Array<{ type: string; status: string; reason: string; message?: string }> } };

async function waitForDemoReady(client: KubeClient, timeoutMs: number): Promise<void> {
  const kinds: Array<[string, ResourceType]> = [
    ["VendorConnection", resourceTypes.vendorConnections],
    ["ManagedCertificate", resourceTypes.managedCertificates],
    ["ProvisioningKey", resourceTypes.provisioningKeys],
  ];
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const rows: string[] = [];
    let ready = 0;
    for (const [kind, type] of kinds) {
      const { items } = await client.listAll<Conditioned>(type, { namespace: NAMESPACE, labelSelector: "app.kubernetes.io/component=demo" });
      for (const o of items) {
        const c = o.status?.conditions?.find((x) => x.type === "Ready");
        if (c?.status === "True") ready++;
        rows.push(`${kind}/${o.metadata.name}: ${c ? `${c.status} ${c.reason}` : "no status yet"}`);
      }
    }
    const summary = rows.join(", ");
    if (summary !== last) say(`  ${ready}/${rows.length} Ready: ${summary}`);
    last = summary;
    if (rows.length === DEMO_READY_OBJECTS && ready === rows.length) return;
    if (Date.now() > deadline) throw new Error(`not all demo resources Ready after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values: flags } = parseArgs({
    args: [...argv],
    options: {
      keep: { type: "boolean", default: false },
      "require-docker": { type: "boolean", default: false },
      cluster: { type: "string", default: "certbridge-e2e" },
      "node-image": { type: "string" },
    },
  });
  const missing = await dockerUnavailable();
  if (missing) {
    say(`SKIPPED: ${missing}. kind runs Kubernetes nodes as Docker containers; run this on a host with Docker.`);
    return flags["require-docker"] ? 1 : 0;
  }
  const [kind, helm] = await Promise.all([ensureKind({ log: say }), ensureHelm({ log: say })]);
  const cluster = flags.cluster!;
  const scratch = await mkdtemp(join(tmpdir(), "certbridge-e2e-"));
  let created = false;
  try {
    const { stdout: clusters } = await exec(kind, ["get", "clusters"]);
    if (clusters.split("\n").includes(cluster)) say(`reusing kind cluster ${cluster}`);
    else {
      const image = flags["node-image"] ? ["--image", flags["node-image"]] : [];
      await step(`creating kind cluster ${cluster}`, kind, ["create", "cluster", "--name", cluster, "--wait", "180s", ...image]);
      created = true;
    }
    const kubeconfig = join(scratch, "kubeconfig");
    await writeFile(kubeconfig, (await exec(kind, ["get", "kubeconfig", "--name", cluster])).stdout, { mode: 0o600 });

    // A TLS-inspecting proxy's CA reaches npm in the build stages as a build secret, as build-image.sh does.
    const secret = process.env.NODE_EXTRA_CA_CERTS ? ["--secret", `id=extra_ca,src=${process.env.NODE_EXTRA_CA_CERTS}`] : [];
    await step(`building ${IMAGE} from the Dockerfile`, "docker", ["build", ...secret, "-t", IMAGE, "."]);
    await step(`loading ${IMAGE} into the cluster`, kind, ["load", "docker-image", IMAGE, "--name", cluster]);
    await step("installing the chart with demo.enabled (simulators, connections, samples)", helm, [
      "upgrade",
      "--install",
      RELEASE,
      "deploy/chart/certbridge",
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      NAMESPACE,
      "--create-namespace",
      ...chartValues(),
      "--wait",
      "--timeout",
      "5m",
    ]);
    say("waiting for every demo connection, certificate and provisioning key to be Ready");
    const client = KubeClient.fromFile(kubeconfig);
    try {
      await waitForDemoReady(client, 5 * 60 * 1000);
    } finally {
      await client.close();
    }
    say(`PASSED: certbridge issued certificates and a provisioning key in kind cluster ${cluster}`);
    if (flags.keep || !created) say(`look around: kind export kubeconfig --name ${cluster}; kubectl -n ${NAMESPACE} get certbridge`);
    return 0;
  } finally {
    if (created && !flags.keep)
      await step(`deleting kind cluster ${cluster} (--keep keeps it)`, kind, ["delete", "cluster", "--name", cluster]).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    say(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
