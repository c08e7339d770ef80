// demo.enabled: the chart runs the vendor simulators and creates the dev connections and one resource per
// vendor. Checked three ways: every rendered object passes a server-side dry run (the simulators' pod under
// the restricted Pod Security Standard); the objects are the ones `npm run dev` builds from the samples;
// and the simulators' container arguments, run through the same CLI, serve the demo resources until Ready
// from a real operator process.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { dump, loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { helmTemplate } from "../../deploy/render.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { simulatorCatalog } from "../../src/commands/dev/catalog.ts";
import { devObjects, readSamples, type SimulatorEndpoint } from "../../src/commands/dev/resources.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { ensureHelm, ensureKubectl } from "../harness/tools.ts";

const run = promisify(execFile);
const repoRoot = new URL("../..", import.meta.url).pathname;
const chartDir = join(repoRoot, "deploy", "chart", "certbridge");
const VENDORS = ["zpa", "cloudflare", "sectigo"] as const;
type Vendor = (typeof VENDORS)[number];

interface Obj extends KubeObject {
  kind: string;
  apiVersion: string;
  spec?: Record<string, unknown>;
  stringData?: Record<string, string>;
  status?: { conditions?: Array<{ type: string; status: string; reason: string }> };
}
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ args: string[]; image: string }> } & Record<string, unknown> };

let helm = "";
let kubectl = "";
let client: KubeClient;
let scratch = "";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

async function renderDemo(namespace: string, ports: Record<Vendor, number>): Promise<Obj[]> {
  const set = ["--set", "demo.enabled=true", ...VENDORS.flatMap((v) => ["--set", `demo.simulators.ports.${v}=${ports[v]}`])];
  return (loadAll(await helmTemplate(helm, "demo", namespace, set)) as Array<Obj | null>).filter((o): o is Obj => o !== null);
}

async function kubectlApply(objects: readonly Obj[], extra: readonly string[]): Promise<string> {
  const file = join(scratch, `objects-${randomBytes(3).toString("hex")}.yaml`);
  await writeFile(file, objects.map((o) => dump(o, { noRefs: true })).join("---\n"));
  const { stderr } = await run(
    kubectl,
    [
      "--kubeconfig",
      inject("kubeconfigPath"),
      "--cache-dir",
      join(scratch, "kube-cache"),
      "apply",
      "--server-side",
      "--field-manager",
      "certbridge-demo-test",
      ...extra,
      "-f",
      file,
    ],
    { timeout: 90_000 },
  );
  return stderr;
}

const demoObjects = (objects: readonly Obj[]) => objects.filter((o) => o.metadata.labels?.["app.kubernetes.io/component"] === "demo");
const simulatorPod = (objects: readonly Obj[]) => {
  const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name?.endsWith("-demo-simulators"));
  return (deployment as unknown as { spec: { template: PodTemplate } }).spec.template;
};

/** The name `npm run dev` gives the same object: the chart prefixes every demo name with "demo-". */
const devName = (name: string) => name.replace(/^demo-/, "");

/** A chart object in dev mode's terms: names unprefixed, stringData as the data dev mode encodes. */
function asDev(o: Obj): Record<string, unknown> {
  if (o.kind === "Secret") return { data: o.stringData };
  const spec = structuredClone(o.spec ?? {}) as Record<string, { name?: string } | string | undefined>;
  for (const ref of ["connectionRef", "credentialsRef"] as const) {
    const r = spec[ref] as { name?: string } | undefined;
    if (r?.name) r.name = devName(r.name);
  }
  if (typeof spec.secretName === "string") spec.secretName = devName(spec.secretName);
  return { spec };
}

beforeAll(async () => {
  [helm, kubectl] = await Promise.all([ensureHelm(), ensureKubectl()]);
  client = adminClient();
  scratch = await mkdtemp(join(tmpdir(), "certbridge-demo-"));
});
afterAll(async () => {
  await client?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("chart value demo.enabled", () => {
  it("is off by default: no simulators, connections or demo resources", async () => {
    const objects = (loadAll(await helmTemplate(helm, "demo", "certbridge-system")) as Array<Obj | null>).filter((o): o is Obj => o !== null);
    expect(demoObjects(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind === "VendorConnection" || o.kind === "Secret")).toEqual([]);
  });

  it("passes helm lint --strict and a server-side dry run; the simulators' pod is admitted as restricted", async () => {
    const { stdout } = await run(helm, ["lint", "--strict", chartDir, "--set", "demo.enabled=true"]);
    expect(stdout).toMatch(/0 chart\(s\) failed/);
    const ns = await freshNamespace(client, "demo-dry");
    const objects = await renderDemo(ns, { zpa: 8081, cloudflare: 8082, sectigo: 8083 });
    expect(
      demoObjects(objects)
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual([
      "Deployment/demo-certbridge-demo-simulators",
      "ManagedCertificate/demo-payments-client",
      "ManagedCertificate/demo-shop-tls",
      "ProvisioningKey/demo-app-connectors",
      "Secret/demo-cloudflare-api",
      "Secret/demo-sectigo-api",
      "Secret/demo-zpa-api",
      "Service/demo-certbridge-demo-simulators",
      "VendorConnection/demo-cloudflare",
      "VendorConnection/demo-sectigo",
      "VendorConnection/demo-zpa",
    ]);
    const warnings = await kubectlApply(objects, ["--dry-run=server"]);
    expect(warnings).not.toMatch(/warning/i);

    // Pod Security admission judges pods, not Deployments: the simulators' pod template as a Pod, enforced.
    await client.apply(core.namespaces, {
      metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } },
    } as KubeObject);
    const template = simulatorPod(objects);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "demo-simulators", namespace: ns, labels: template.metadata.labels },
      spec: template.spec,
    } as unknown as Obj;
    expect(await kubectlApply([pod], ["--dry-run=server"])).not.toMatch(/warning|violate/i);

    // The operator's NetworkPolicy lets it reach the simulators' pods on their ports.
    const policy = objects.find((o) => o.kind === "NetworkPolicy") as unknown as {
      spec: { egress: Array<{ ports: Array<{ port: number }>; to?: Array<{ podSelector?: { matchLabels: Record<string, string> } }> }> };
    };
    const toSims = policy.spec.egress.find((e) =>
      e.to?.some((t) => t.podSelector?.matchLabels["app.kubernetes.io/name"] === template.metadata.labels["app.kubernetes.io/name"]),
    );
    expect(toSims?.ports.map((p) => p.port).sort()).toEqual([8081, 8082, 8083]);
    // ...and no operator selector (Deployment, Service, PDB, NetworkPolicy) matches the simulators' pods.
    const selectorOf = (o: Obj) => {
      const spec = o.spec as {
        selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
        podSelector?: { matchLabels: Record<string, string> };
      };
      return o.kind === "Service" ? spec.selector : o.kind === "NetworkPolicy" ? spec.podSelector?.matchLabels : spec.selector?.matchLabels;
    };
    const operatorSelectors = objects
      .filter((o) => ["Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"].includes(o.kind) && !demoObjects(objects).includes(o))
      .map((o) => ({ what: `${o.kind}/${o.metadata.name}`, selector: selectorOf(o) ?? {} }));
    expect(operatorSelectors.map((s) => s.what).sort()).toEqual(
      ["Deployment/demo-certbridge", "NetworkPolicy/demo-certbridge", "PodDisruptionBudget/demo-certbridge", "Service/demo-certbridge-metrics"].sort(),
    );
    const matching = operatorSelectors.filter(({ selector }) => Object.entries(selector).every(([k, v]) => template.metadata.labels[k] === v));
    expect(matching.map((m) => m.what)).toEqual([]);
  });

  it("refuses watchNamespaces that leave the release namespace out (its demo resources would never reconcile)", async () => {
    await expect(helmTemplate(helm, "demo", "certbridge-system", ["--set", "demo.enabled=true", "--set", "watchNamespaces={apps}"])).rejects.toThrow(
      /add it to watchNamespaces/,
    );
  });

  describe("against the simulators its container runs", () => {
    let ns = "";
    let objects: Obj[] = [];
    let simulators: ChildProcess | undefined;
    let printed: { credentials: Record<Vendor, Record<string, unknown>>; zpa: string; cloudflare: string; sectigo: string } | undefined;
    let inProcess: RunningSimulators;
    const ports = {} as Record<Vendor, number>;

    beforeAll(async () => {
      for (const v of VENDORS) ports[v] = await freePort();
      ns = await freshNamespace(client, "demo");
      objects = await renderDemo(ns, ports);
      // The simulators' container, with the image's entrypoint (node dist/cli.js) swapped for the sources'.
      const args = simulatorPod(objects).spec.containers[0]!.args;
      simulators = spawn(process.execPath, [join(repoRoot, "src", "cli.ts"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: simulators!.stdout! }).once("line", resolve);
        simulators!.once("exit", (code) => reject(new Error(`simulators exited early with ${code}`)));
      });
      printed = JSON.parse(first) as typeof printed;
      // Seeded tenants are the same in every simulator process: read the catalog dev mode maps onto in-process.
      inProcess = await startSimulators({ https: false });
    }, 60_000);
    afterAll(async () => {
      simulators?.kill("SIGTERM");
      if (simulators && simulators.exitCode === null) await once(simulators, "exit");
      await inProcess?.close();
    });

    it("serves on the ports the chart's Service and connections name, with the credentials the chart's Secrets hold", () => {
      for (const v of VENDORS) expect(new URL(printed![v]).port).toBe(String(ports[v]));
      const service = objects.find((o) => o.kind === "Service" && o.metadata.name?.endsWith("-demo-simulators")) as unknown as {
        spec: { ports: Array<{ name: string; port: number }> };
      };
      expect(Object.fromEntries(service.spec.ports.map((p) => [p.name, p.port]))).toEqual(ports);
    });

    it("holds exactly the objects npm run dev builds from the samples for these simulators", async () => {
      const host = `demo-certbridge-demo-simulators.${ns}.svc`;
      const endpoints: Record<Vendor, SimulatorEndpoint> = {
        zpa: { url: `http://${host}:${ports.zpa}`, credentials: printed!.credentials.zpa },
        cloudflare: { url: `http://${host}:${ports.cloudflare}/client/v4`, credentials: printed!.credentials.cloudflare },
        sectigo: { url: `http://${host}:${ports.sectigo}`, credentials: printed!.credentials.sectigo },
      };
      const dev = devObjects(endpoints, undefined, await readSamples(join(repoRoot, "deploy", "samples")), ns, simulatorCatalog(inProcess)).objects;
      const chart = demoObjects(objects).filter((o) => ["Secret", "VendorConnection", "ManagedCertificate", "ProvisioningKey"].includes(o.kind));
      for (const o of chart) {
        const twin = dev.find((d) => d.kind === o.kind && d.object.metadata.name === devName(o.metadata.name!));
        expect(twin, `${o.kind} ${o.metadata.name} has no counterpart in dev mode`).toBeDefined();
        const want =
          twin!.kind === "Secret"
            ? { data: Object.fromEntries(Object.entries(twin!.object.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])) }
            : { spec: (twin!.object as Obj).spec };
        expect(asDev(o), `${o.kind} ${o.metadata.name}`).toEqual(want);
      }
    });

    it("gets every demo resource Ready from a real operator process", async () => {
      // In a cluster the connections reach the Service by DNS; here the simulators listen on loopback.
      const host = `demo-certbridge-demo-simulators.${ns}.svc`;
      const local = demoObjects(objects)
        .filter((o) => ["Secret", "VendorConnection", "ManagedCertificate", "ProvisioningKey"].includes(o.kind))
        .map((o) => JSON.parse(JSON.stringify(o).replaceAll(`http://${host}:`, "http://127.0.0.1:")) as Obj);
      await kubectlApply(local, []);
      const operator = startOperatorProcess(["--kubeconfig", inject("kubeconfigPath"), "--namespaces", ns, "--leader-elect=false"]);
      try {
        const types: Record<string, ResourceType> = {
          VendorConnection: resourceTypes.vendorConnections,
          ManagedCertificate: resourceTypes.managedCertificates,
          ProvisioningKey: resourceTypes.provisioningKeys,
        };
        const watched = local.filter((o) => o.kind in types);
        expect(watched).toHaveLength(6);
        await eventually(
          "every demo resource Ready",
          async () => {
            const states = await Promise.all(
              watched.map(
                async (o) => (await client.get<Obj>(types[o.kind]!, ns, o.metadata.name!)).status?.conditions?.find((c) => c.type === "Ready")?.status,
              ),
            );
            return states.every((s) => s === "True");
          },
          90_000,
          250,
        );
        const shop = await client.get<KubeObject & { type: string; metadata: { labels?: Record<string, string> } }>(core.secrets, ns, "demo-shop-tls");
        expect(shop.type).toBe("kubernetes.io/tls");
        expect(shop.metadata.labels?.app).toBe("shop");
        const key = await client.get<KubeObject & { data: Record<string, string> }>(core.secrets, ns, "demo-zpa-connector-key");
        expect(Buffer.from(key.data.provisioningKey ?? "", "base64").toString().length).toBeGreaterThan(10);
      } finally {
        operator.child.kill("SIGTERM");
        await operator.exited();
      }
    }, 150_000);
  });
});
