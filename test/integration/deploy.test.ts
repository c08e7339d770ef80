// deploy/: the Helm chart and the plain manifests render, pass helm lint, are accepted by the real
// API server (server-side dry run, Pod Security `restricted` enforced), carry least-privilege RBAC
// (proved with `kubectl auth can-i` as an identity bound only to the chart's roles), and stay equal
// to their one source; the Dockerfile keeps its promises; the Argo CD health script is consistent.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { builtinModules } from "node:module";
import { promisify } from "node:util";
import { dump, load, loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Reason } from "../../src/api/v1alpha1/conditions.ts";
import { loadOperatorConfig, settings } from "../../src/config/operator.ts";
import { chartDir, driftOf, healthCheckedKinds, helmTemplate, renderDeploy, repoRoot } from "../../deploy/render.ts";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient } from "../harness/kube.ts";
import { ensureHelm, ensureKubectl } from "../harness/tools.ts";
import { type RbacObject, waitForGrants } from "./rbac-grants.ts";

const execFileAsync = promisify(execFile);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
  serviceAccountName: string;
}

const cacheDir = mkdtempSync(join(tmpdir(), "certbridge-deploy-"));
let helm = "";
let kubectlBin = "";

async function exec(bin: string, args: readonly string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const child = execFileAsync(bin, args, { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    return await child;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${bin.split("/").pop()} ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function kubectl(args: readonly string[], stdin?: string, kubeconfig = inject("kubeconfigPath")) {
  return exec(kubectlBin, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], stdin);
}

function parse(yaml: string): K8sObject[] {
  return (loadAll(yaml) as Array<K8sObject | null>).filter((o): o is K8sObject => o !== null && typeof o === "object");
}

const yamlOf = (objects: readonly K8sObject[]) => objects.map((o) => dump(o, { noRefs: true })).join("---\n");
const suffix = () => randomBytes(3).toString("hex");

async function render(release: string, namespace: string, values: Record<string, unknown> = {}, extra: string[] = []): Promise<K8sObject[]> {
  const file = join(cacheDir, `values-${suffix()}.yaml`);
  writeFileSync(file, dump(values));
  return parse(await helmTemplate(helm, release, namespace, ["-f", file, ...extra]));
}

const only = <T extends K8sObject>(objects: readonly K8sObject[], kind: string) => objects.filter((o) => o.kind === kind) as T[];
const rulesOf = (o: K8sObject) => (o.rules ?? []) as PolicyRule[];
const podSpecOf = (objects: readonly K8sObject[]) =>
  (only(objects, "Deployment")[0] as unknown as { spec: { template: { spec: PodSpec; metadata: { labels: Record<string, string> } } } }).spec.template;

async function createNamespaces(names: readonly string[], labels: Record<string, string> = {}): Promise<void> {
  await kubectl(
    ["apply", "--server-side", "--field-manager", "certbridge-test", "-f", "-"],
    yamlOf(names.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }))),
  );
}

const RESTRICTED = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** Server-side dry run of everything; returns kubectl's stderr (warnings). */
async function dryRun(objects: readonly K8sObject[]): Promise<string> {
  const { stderr } = await kubectl(
    ["apply", "--server-side", "--force-conflicts", "--dry-run=server", "--field-manager", "certbridge-deploy-test", "-f", "-"],
    yamlOf(objects),
  );
  return stderr;
}

const kubeconfigFor = (user: string, groups: readonly string[] = []) => kubeconfigForUser(inject("kubeconfigPath"), cacheDir, user, groups);

beforeAll(async () => {
  [helm, kubectlBin] = await Promise.all([ensureHelm(), ensureKubectl()]);
});

afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("helm chart", () => {
  it("passes helm lint --strict with default, watched-namespace and all-features values", async () => {
    for (const set of [
      [],
      ["--set", "watchNamespaces={a,b}", "--set", "credentialsNamespaces={c}"],
      ["--set", "metrics.serviceMonitor.enabled=true", "--set", "replicaCount=3"],
    ]) {
      const { stdout } = await exec(helm, ["lint", "--strict", chartDir, ...set]);
      expect(stdout, set.join(" ")).toContain("0 chart(s) failed");
    }
  });

  it("refuses several replicas without leader election, a ServiceMonitor without the Service, and misspelt or invalid values", async () => {
    await expect(render("cb", "ns", { watchNamespace: ["a"] })).rejects.toThrow(/additional properties 'watchNamespace' not allowed/);
    await expect(render("cb", "ns", { logLevel: "loud" })).rejects.toThrow(/logLevel/);
    await expect(render("cb", "ns", { watchNamespaces: ["Not_A_Namespace"] })).rejects.toThrow(/watchNamespaces/);
    await expect(render("cb", "ns", { replicaCount: 2, leaderElection: { enabled: false } })).rejects.toThrow(/needs leaderElection.enabled/);
    await expect(render("cb", "ns", { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } })).rejects.toThrow(
      /needs metrics.service.enabled/,
    );
  });

  it("renders a restricted, read-only-root, leader-elected Deployment whose environment the operator's config accepts", async () => {
    const objects = await render("cb", "cb-system", {
      watchNamespaces: ["team-a", "team-b", "team-a"],
      extraEnv: [{ name: "NODE_OPTIONS", value: "--max-old-space-size=384" }],
    });
    const template = podSpecOf(objects);
    const pod = template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const [container] = pod.containers;
    expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, privileged: false });
    expect(container!.securityContext.capabilities?.drop).toEqual(["ALL"]);
    expect(container!.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.volumes?.find((v) => v.name === "tmp")?.emptyDir).toBeDefined();
    expect(container!.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container!.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container!.image).toBe("certbridge:0.1.0");
    expect(container!.args).toEqual(["run"]);

    const env = container!.env ?? [];
    expect(env.find((e) => e.name === "POD_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
    expect(env.find((e) => e.name === "POD_NAMESPACE")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.namespace");
    // The user's NODE_OPTIONS replaces the chart's (one entry: the kubelet would take the last of two).
    expect(env.filter((e) => e.name === "NODE_OPTIONS").map((e) => e.value)).toEqual(["--max-old-space-size=384"]);
    expect(env.find((e) => e.name === "MALLOC_ARENA_MAX")?.value).toBe("2");
    // Every CERTBRIDGE_* variable the chart sets is one the operator reads (src/config/operator.ts).
    const known = new Set<string>(Object.values(settings).map((s) => s.env));
    const ours = env.filter((e) => e.name.startsWith("CERTBRIDGE_")).map((e) => e.name);
    expect(ours.filter((name) => !known.has(name))).toEqual([]);
    // ...and the operator's config loader accepts the values as the kubelet would resolve them.
    const resolved: NodeJS.ProcessEnv = { POD_NAME: "cb-7d9f-abcde", POD_NAMESPACE: "cb-system" };
    for (const e of env) if (e.value !== undefined) resolved[e.name] = e.value;
    const config = loadOperatorConfig([], resolved);
    expect(config).toMatchObject({
      namespaces: ["team-a", "team-b"],
      leaderElect: true,
      leaderElectionNamespace: "cb-system",
      leaderElectionId: "certbridge-leader",
      identity: "cb-7d9f-abcde",
      metricsPort: 8080,
    });

    const [deployment] = only<K8sObject & { spec: { replicas: number } }>(objects, "Deployment");
    expect(deployment!.spec.replicas).toBe(2);
    expect(only(objects, "PodDisruptionBudget")).toHaveLength(1);
    expect(only(objects, "NetworkPolicy")).toHaveLength(1);
    expect(only(objects, "Service")[0]).toMatchObject({
      metadata: { name: "cb-certbridge-metrics" },
      spec: { ports: [{ name: "metrics", port: 8080, targetPort: "metrics" }] },
    });
    expect(only(objects, "ServiceMonitor")).toEqual([]);
  });

  it.each([
    { why: "the default (1,000 resources)", values: {}, limit: "212Mi", oldSpace: 96 },
    { why: "10,000 resources expected", values: { expectedResources: 10_000 }, limit: "392Mi", oldSpace: 276 },
    { why: "30,000 resources expected", values: { expectedResources: 30_000 }, limit: "792Mi", oldSpace: 676 },
    { why: "a limit set by hand: the heap follows it", values: { resources: { limits: { memory: "1Gi" } } }, limit: "1Gi", oldSpace: 908 },
    { why: "a limit in decimal units", values: { resources: { limits: { memory: "600M" } } }, limit: "600M", oldSpace: 456 },
    { why: "a fractional limit", values: { resources: { limits: { memory: "1.5Gi" } } }, limit: "1.5Gi", oldSpace: 1420 },
  ])("memory limit, request and Node's heap agree: $why (issue 13 item 5)", async ({ values, limit, oldSpace }) => {
    const [container] = podSpecOf(await render("cb", "cb-system", values)).spec.containers;
    const resources = (container as unknown as { resources: { limits: { memory: string }; requests: { memory: string; cpu: string } } }).resources;
    expect(resources.limits.memory).toBe(limit);
    expect(resources.requests.memory).toBe(limit);
    expect(resources.requests.cpu).toBe("50m");
    const nodeOptions = container!.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
    expect(nodeOptions).toBe(`--max-old-space-size=${oldSpace} --max-semi-space-size=4`);
    // The heap (old generation, three 4 MiB young semi-spaces) leaves 104 MiB of the limit for code and native memory.
    const limitMiB = limit.endsWith("Gi")
      ? Number.parseFloat(limit) * 1024
      : limit.endsWith("Mi")
        ? Number.parseInt(limit)
        : Math.floor((Number.parseInt(limit) * 1e6) / 1048576);
    expect(limitMiB - oldSpace - 3 * 4).toBe(104);
    // glibc's malloc kept to 2 arenas (ADR 0019).
    expect(container!.env?.find((e) => e.name === "MALLOC_ARENA_MAX")?.value).toBe("2");
  });

  it("refuses a memory limit the heap cannot follow", async () => {
    await expect(render("cb", "cb-system", { resources: { limits: { memory: "393216Ki" } } })).rejects.toThrow(/resources.limits.memory/);
  });

  it("renders an optional ServiceMonitor scraping the metrics Service, and configurable NetworkPolicy egress", async () => {
    const objects = await render("cb", "cb-system", {
      metrics: { serviceMonitor: { enabled: true, labels: { release: "prom" } } },
      networkPolicy: {
        apiServer: { cidrs: ["10.0.0.1/32"] },
        vendors: { cidrs: ["203.0.113.0/24"], ports: [443, 8443] },
        metricsFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      },
    });
    const [monitor] = only(objects, "ServiceMonitor");
    expect(monitor).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      metadata: { labels: { release: "prom" } },
      spec: { endpoints: [{ port: "metrics", path: "/metrics" }] },
    });
    const [policy] = only<K8sObject & { spec: { egress: Array<{ to?: unknown[]; ports: unknown[] }>; ingress: Array<{ from?: unknown[] }> } }>(
      objects,
      "NetworkPolicy",
    );
    expect(policy!.spec.egress[0]).toMatchObject({ to: [{ ipBlock: { cidr: "10.0.0.1/32" } }] });
    expect(policy!.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: "203.0.113.0/24" } }],
      ports: [
        { port: 443, protocol: "TCP" },
        { port: 8443, protocol: "TCP" },
      ],
    });
    expect(policy!.spec.ingress[0]!.from).toHaveLength(1);
  });

  it("ships the CRDs from crds/ unchanged", () => {
    for (const name of ["managedcertificates", "provisioningkeys", "vendorconnections", "clustervendorconnections"]) {
      const file = `certbridge.dev_${name}.yaml`;
      expect(readFileSync(join(chartDir, "crds", file), "utf8"), file).toBe(readFileSync(join(repoRoot, "crds", file), "utf8"));
    }
  });
});

describe("RBAC as rendered", () => {
  const cases = [
    { name: "all namespaces", values: {} },
    { name: "watched namespaces", values: { watchNamespaces: ["a", "b"], credentialsNamespaces: ["c"] } },
  ];
  it.each(cases)("$name: no wildcard anywhere, and no cluster-wide Secret access when namespaces are watched", async ({ values }) => {
    const objects = await render("cb", "cb-system", values);
    const roles = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role");
    for (const role of roles) {
      for (const rule of rulesOf(role)) {
        const fields = [...rule.verbs, ...(rule.resources ?? []), ...(rule.apiGroups ?? [])];
        expect(
          fields.filter((f) => f.includes("*")),
          `${role.kind} ${role.metadata.namespace ?? ""}/${role.metadata.name}`,
        ).toEqual([]);
        // Nothing the operator never does: no update/deletecollection on anything but its Lease.
        expect(rule.verbs.filter((v) => ["deletecollection", "escalate", "bind", "impersonate"].includes(v))).toEqual([]);
      }
    }
    if ("watchNamespaces" in values) {
      const clusterRole = only(objects, "ClusterRole")[0]!;
      expect(rulesOf(clusterRole).filter((r) => r.resources?.includes("secrets"))).toEqual([]);
      expect(
        only(objects, "Role")
          .map((r) => `${r.metadata.namespace}/${r.metadata.name}`)
          .sort(),
      ).toEqual([
        "a/cb-certbridge",
        "b/cb-certbridge",
        "c/cb-certbridge-credentials",
        "cb-system/cb-certbridge-credentials",
        "cb-system/cb-certbridge-leader-election",
        "cb-system/cb-certbridge-retained",
        "default/cb-certbridge-events",
      ]);
    }
  });
});

describe("accepted by the real API server", () => {
  it("chart with default values: every object, the CRDs included, passes a server-side dry run without Pod Security warnings", async () => {
    const ns = `cb-${suffix()}`;
    await createNamespaces([ns], RESTRICTED);
    const objects = await render("certbridge", ns, {}, ["--include-crds"]);
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set([
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
      ]),
    );
    const warnings = await dryRun(objects);
    expect(warnings).not.toMatch(/PodSecurity|Warning/);
  });

  it("chart with watched namespaces: Roles in each watched namespace are accepted", async () => {
    const [rel, a, b, c] = [`cb-${suffix()}`, `wa-${suffix()}`, `wb-${suffix()}`, `cr-${suffix()}`];
    await createNamespaces([rel], RESTRICTED);
    await createNamespaces([a!, b!, c!]);
    const objects = await render("certbridge", rel, { watchNamespaces: [a, b], credentialsNamespaces: [c], replicaCount: 3 });
    expect(await dryRun(objects)).not.toMatch(/Warning/);
  });

  it("the operator's pod, as the chart templates it, is admitted where `restricted` is enforced", async () => {
    const ns = `pss-${suffix()}`;
    await createNamespaces([ns], RESTRICTED);
    const template = podSpecOf(await render("certbridge", ns));
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "certbridge-pss", namespace: ns, labels: template.metadata.labels }, spec: template.spec };
    const { stdout } = await kubectl(["create", "--dry-run=server", "-o", "name", "-f", "-"], yamlOf([pod as K8sObject]));
    expect(stdout.trim()).toBe("pod/certbridge-pss");
    // The control: a privileged variant of the same pod is rejected there.
    const bad = structuredClone(pod);
    bad.spec.containers[0]!.securityContext = { ...bad.spec.containers[0]!.securityContext, allowPrivilegeEscalation: true };
    await expect(kubectl(["create", "--dry-run=server", "-f", "-"], yamlOf([bad as K8sObject]))).rejects.toThrow(/violates PodSecurity "restricted/);
  });

  it("plain manifests: kustomize builds deploy/manifests and the result passes a server-side dry run", async () => {
    const { stdout } = await kubectl(["kustomize", join(repoRoot, "deploy", "manifests")]);
    const objects = parse(stdout);
    expect(objects.filter((o) => o.kind === "CustomResourceDefinition")).toHaveLength(
      readdirSync(join(repoRoot, "crds")).filter((f) => f.endsWith(".yaml")).length,
    );
    const namespace = objects.find((o) => o.kind === "Namespace")!;
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // The Namespace must exist for a dry run of what goes inside it.
    await kubectl(["apply", "--server-side", "--field-manager", "certbridge-test", "-f", "-"], yamlOf([namespace]));
    expect(await dryRun(objects.filter((o) => o.kind !== "Namespace"))).not.toMatch(/Warning/);
    expect(objects.every((o) => o.metadata.labels?.["app.kubernetes.io/managed-by"] !== "Helm")).toBe(true);
  });

  it("checked-in generated files (chart CRDs, deploy/manifests, argocd-cm.yaml) equal a fresh render", async () => {
    const drift = await driftOf(await renderDeploy(helm));
    expect(drift, "run: npm run gen:deploy").toEqual({ changed: [], missing: [], stale: [] });
  });
});

type Check = readonly [verb: string, resource: string, where: string, expected: "yes" | "no", why: string];

describe("least privilege, proved as an identity bound only to the chart's roles", () => {
  async function bindAndCheck(values: Record<string, unknown>, checks: (n: Record<string, string>) => Check[], namespaces: Record<string, string>) {
    const release = `cb${suffix()}`;
    const user = `certbridge-rbac-${release}`;
    const objects = await render(release, namespaces.rel!, values);
    // Exactly the chart's RBAC, applied for real; each binding also names our test user.
    const rbac = objects
      .filter((o) => ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(o.kind))
      .map((o) => {
        if (!o.kind.endsWith("Binding")) return o;
        return { ...o, subjects: [...(o.subjects as Subject[]), { kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }] };
      });
    await kubectl(["apply", "--server-side", "--field-manager", "certbridge-test", "-f", "-"], yamlOf(rbac));
    const asUser = await kubeconfigFor(user);
    // Enforced from the API server's cache: ask can-i only once the bindings just applied are enforced.
    const admin = adminClient();
    try {
      await waitForGrants(admin, { user }, rbac as unknown as RbacObject[], "default");
    } finally {
      await admin.close();
    }
    const serviceAccount = `system:serviceaccount:${namespaces.rel}:${release}-certbridge`;
    try {
      const table = checks(namespaces);
      const ask = async (identity: "user" | "sa", [verb, resource, where]: Check) => {
        const scope = where === "*" ? ["-A"] : where === "" ? [] : ["-n", where];
        // "x --subresource=status": a subresource, since "x/status" would mean the object named status.
        const args = ["auth", "can-i", verb, ...resource.split(" "), ...scope];
        const kubeconfig = identity === "user" ? asUser : inject("kubeconfigPath");
        const full = identity === "sa" ? [...args, "--as", serviceAccount] : args;
        // can-i exits 1 for "no": read the answer, not the exit code.
        const child = execFileAsync(kubectlBin, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...full], { timeout: 60_000 });
        const out = await child.then(
          (r) => r.stdout,
          (e: { stdout?: string }) => e.stdout ?? "error",
        );
        return out.trim();
      };
      for (const identity of ["user", "sa"] as const) {
        const answers = await Promise.all(table.map((c) => ask(identity, c)));
        const wrong = table.flatMap((c, i) =>
          answers[i] === c[3] ? [] : [`${identity}: can-i ${c[0]} ${c[1]} in ${c[2] || "(cluster)"} → ${answers[i]}, want ${c[3]} (${c[4]})`],
        );
        expect(wrong).toEqual([]);
      }
      // No rule anywhere this user holds carries a wildcard verb.
      for (const ns of Object.values(namespaces)) {
        const { stdout } = await kubectl(["auth", "can-i", "--list", "-n", ns], undefined, asUser);
        const lines = stdout.split("\n").filter((l) => /certbridge|secrets|leases|events|namespaces/.test(l));
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.filter((l) => /\[\*\]|\s\*\s/.test(l))).toEqual([]);
      }
    } finally {
      await kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", "-"], yamlOf(rbac)).catch(() => undefined);
    }
  }

  const common = (n: Record<string, string>, w: string): Check[] => [
    ["list", "clustervendorconnections.certbridge.dev", "", "yes", "ClusterVendorConnection informer"],
    ["watch", "clustervendorconnections.certbridge.dev", "", "yes", "ClusterVendorConnection informer"],
    ["patch", "clustervendorconnections.certbridge.dev --subresource=status", "", "yes", "connection status"],
    ["get", "namespaces", "", "yes", "namespaceSelector of ClusterVendorConnections"],
    ["list", "namespaces", "", "yes", "namespace informer: labels for namespaceSelector, phase for teardown"],
    ["watch", "namespaces", "", "yes", "namespace informer: admission changes reach Ready resources at once"],
    ["update", "namespaces", "", "no", "namespaces are only read"],
    ["patch", "clustervendorconnections.certbridge.dev", "", "yes", "in-use finalizer"],
    ["list", "managedcertificates.certbridge.dev", w, "yes", "informer"],
    ["watch", "provisioningkeys.certbridge.dev", w, "yes", "informer"],
    ["watch", "vendorconnections.certbridge.dev", w, "yes", "informer"],
    ["patch", "managedcertificates.certbridge.dev", w, "yes", "cleanup finalizer"],
    ["patch", "provisioningkeys.certbridge.dev --subresource=status", w, "yes", "status by server-side apply"],
    ["patch", "vendorconnections.certbridge.dev --subresource=status", w, "yes", "status by server-side apply"],
    ["patch", "vendorconnections.certbridge.dev", w, "yes", "in-use finalizer (metadata.finalizers only)"],
    ["update", "vendorconnections.certbridge.dev", w, "no", "patch only"],
    ["delete", "vendorconnections.certbridge.dev", w, "no", "never deletes user resources"],
    ["create", "managedcertificates.certbridge.dev", w, "no", "never creates user resources"],
    ["delete", "managedcertificates.certbridge.dev", w, "no", "never deletes user resources"],
    ["update", "managedcertificates.certbridge.dev", w, "no", "patch only"],
    ["list", "secrets", w, "yes", "owned-Secret informer (label-selected)"],
    ["watch", "secrets", w, "yes", "owned-Secret informer (label-selected)"],
    ["create", "secrets", w, "yes", "a new owned Secret"],
    ["patch", "secrets", w, "yes", "server-side apply of an owned Secret"],
    ["delete", "secrets", w, "yes", "cleanup policy"],
    ["update", "secrets", w, "no", "server-side apply only"],
    ["deletecollection", "secrets", w, "no", "never bulk"],
    ["create", "events.events.k8s.io", w, "yes", "events on transitions"],
    ["create", "leases.coordination.k8s.io", n.rel!, "yes", "leader election"],
    ["get", "leases.coordination.k8s.io/certbridge-leader", n.rel!, "yes", "leader election"],
    ["update", "leases.coordination.k8s.io/certbridge-leader", n.rel!, "yes", "renew the lease"],
    ["update", "leases.coordination.k8s.io/someone-elses-lease", n.rel!, "no", "only its own Lease"],
    ["delete", "leases.coordination.k8s.io/certbridge-leader", n.rel!, "no", "released by update, not delete"],
    ["create", "leases.coordination.k8s.io", n.other!, "no", "Leases only in its own namespace"],
    ["get", "configmaps", n.rel!, "no", "not used"],
    ["list", "pods", "*", "no", "not used"],
    ["create", "pods", n.rel!, "no", "not used"],
    ["create", "clusterrolebindings.rbac.authorization.k8s.io", "", "no", "no RBAC self-service"],
    ["escalate", "clusterroles.rbac.authorization.k8s.io", "", "no", "no RBAC self-service"],
    ["impersonate", "users", "", "no", "no impersonation"],
    ["update", "customresourcedefinitions.apiextensions.k8s.io", "", "no", "CRDs are installed by the deployer"],
    ["watch", "customresourcedefinitions.apiextensions.k8s.io/certificaterequests.cert-manager.io", "", "yes", "is cert-manager installed? (detection)"],
    ["list", "customresourcedefinitions.apiextensions.k8s.io/vendorissuers.certbridge.dev", "", "yes", "are the issuer kinds served? (detection)"],
    ["list", "customresourcedefinitions.apiextensions.k8s.io", "", "no", "only the CRDs detection needs, by name"],
    ["get", "customresourcedefinitions.apiextensions.k8s.io/certificaterequests.cert-manager.io", "", "no", "read through the watch only"],
    ["*", "*", "*", "no", "no wildcard"],
  ];

  it("all namespaces: cluster-wide kinds, label-selected Secrets (RBAC cannot narrow by label), nothing else", async () => {
    const n = { rel: `rb-${suffix()}`, work: `rw-${suffix()}`, other: `ro-${suffix()}` };
    await createNamespaces(Object.values(n));
    await bindAndCheck(
      {},
      (ns) => [
        ...common(ns, ns.work!),
        ["list", "managedcertificates.certbridge.dev", "*", "yes", "all namespaces watched"],
        ["list", "secrets", "*", "yes", "the owned-Secret informer spans all namespaces; the operator always sends certbridge.dev/managed=true"],
      ],
      n,
    );
  });

  it("watched namespaces: Secrets only there, credentials by GET elsewhere, nothing cluster-wide", async () => {
    const n = { rel: `rb-${suffix()}`, work: `rw-${suffix()}`, work2: `rx-${suffix()}`, cred: `rc-${suffix()}`, other: `ro-${suffix()}` };
    await createNamespaces(Object.values(n));
    await bindAndCheck(
      { watchNamespaces: [n.work, n.work2], credentialsNamespaces: [n.cred] },
      (ns) => [
        ...common(ns, ns.work!),
        ["watch", "secrets", ns.work2!, "yes", "second watched namespace"],
        ["list", "secrets", "*", "no", "no cluster-wide Secret list"],
        ["watch", "secrets", "*", "no", "no cluster-wide Secret watch"],
        ["get", "secrets", "*", "no", "no cluster-wide Secret read"],
        ["list", "secrets", ns.other!, "no", "unwatched namespace"],
        ["get", "secrets", ns.other!, "no", "unwatched namespace"],
        ["get", "secrets", ns.cred!, "yes", "ClusterVendorConnection credentials, by name"],
        ["get", "secrets", ns.rel!, "yes", "credentials in the operator's namespace, by name"],
        ["list", "secrets", ns.cred!, "no", "credentials are never listed"],
        ["watch", "secrets", ns.rel!, "yes", "retained credentials copies (label-selected), in the operator's own namespace only"],
        ["create", "secrets", ns.rel!, "yes", "retained credentials copies"],
        ["watch", "secrets", ns.cred!, "no", "credentials are never watched"],
        ["create", "secrets", ns.cred!, "no", "credentials are read-only"],
        ["list", "managedcertificates.certbridge.dev", "*", "no", "only watched namespaces"],
        ["list", "managedcertificates.certbridge.dev", ns.other!, "no", "unwatched namespace"],
        ["create", "events.events.k8s.io", ns.other!, "no", "events only where it works"],
        ["create", "events.events.k8s.io", "default", "yes", "events about ClusterVendorConnections"],
      ],
      n,
    );
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const instructions = dockerfile
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const stages = instructions.filter((l) => /^FROM\s/i.test(l));
  const final = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

  it.each([
    { what: "is multi-stage", ok: () => stages.length >= 2 },
    {
      what: "installs production dependencies only, from the lock file",
      ok: () => /npm ci\b[^\n]*--omit=dev/.test(dockerfile) && !/npm (install|i)\s/.test(dockerfile),
    },
    {
      what: "runs the final stage as a numeric non-root user",
      ok: () => /^USER\s+([1-9]\d*)(:[1-9]\d*)?$/.test(final.filter((l) => /^USER\s/.test(l)).at(-1) ?? ""),
    },
    {
      what: "starts node directly (no npm, no shell) on the compiled run command",
      ok: () => final.includes('ENTRYPOINT ["node", "dist/cli.js"]') && final.includes('CMD ["run"]'),
    },
    {
      what: "compiles with tsc in a build stage and ships only its JavaScript output",
      ok: () =>
        /RUN node node_modules\/typescript\/bin\/tsc -p tsconfig\.build\.json/.test(dockerfile) &&
        final.some((l) => l === "COPY --from=build /src/dist/src ./dist") &&
        !final.some((l) => /^COPY\s+(src|bin)\b/.test(l)),
    },
    {
      what: "copies node_modules into the final stage only from the deps stage",
      ok: () => final.filter((l) => l.includes("node_modules") && l.startsWith("COPY")).every((l) => l.includes("--from=deps")),
    },
    {
      what: "names no registry host in the base image",
      ok: () => stages.every((l) => !/[a-z0-9-]+\.[a-z]{2,}\//i.test(l)) && /ARG NODE_IMAGE=node:\d+/.test(dockerfile),
    },
    { what: "exposes the metrics port the chart uses", ok: () => final.includes("EXPOSE 8080") },
    { what: "writes nothing at run time (no VOLUME; the chart mounts /tmp)", ok: () => !instructions.some((l) => /^VOLUME\s/.test(l)) },
  ])("$what", ({ ok }) => {
    expect(ok()).toBe(true);
  });

  it("ships with .dockerignore an allow-list: package files, tsconfig, src/ and the harness dev mode imports, no tests", () => {
    const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    expect(ignore.filter((l) => l.startsWith("!")).sort()).toEqual([
      "!package-lock.json",
      "!package.json",
      "!src/",
      "!test/harness/*.ts",
      "!tsconfig.build.json",
      "!tsconfig.json",
    ]);
    expect(ignore).toContain("**/*.test.ts");
  });

  it("the run command reaches only production dependencies and files the image contains", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    const seen = new Set<string>();
    // cli.ts loads commands lazily; the image promises `run`, and `sim` for the chart's demo (dev needs the test harness and tools).
    const queue = [join(repoRoot, "src", "cli.ts"), join(repoRoot, "src", "commands", "run.ts"), join(repoRoot, "src", "commands", "sim.ts")];
    const importRe = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          const rel = target.slice(repoRoot.length + 1);
          if (!/^(src|bin)\//.test(rel) || rel.endsWith(".test.ts"))
            problems.push(`${file.slice(repoRoot.length + 1)} imports ${rel}, which the image does not contain`);
          else if (existsSync(target)) queue.push(target);
          else problems.push(`${file} imports missing ${rel}`);
        } else if (!spec.startsWith("node:") && !builtins.has(spec)) {
          const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
          if (!(name in pkg.dependencies)) problems.push(`${file.slice(repoRoot.length + 1)} imports ${name}, not a production dependency`);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});

describe("Argo CD health check", () => {
  const lua = readFileSync(join(repoRoot, "deploy", "argocd", "health-check.lua"), "utf8");
  const waitingReasons = [...lua.matchAll(/^\s+(\w+) = true,$/gm)].map((m) => m[1]!);

  it("names only real condition reasons, and the Flux notes use the same ones", () => {
    expect(waitingReasons.length).toBeGreaterThan(3);
    expect(waitingReasons.filter((r) => !(r in Reason))).toEqual([]);
    const flux = readFileSync(join(repoRoot, "deploy", "flux", "README.md"), "utf8");
    for (const list of flux.matchAll(/e\.reason in \[([^\]]+)\]/g)) {
      expect(
        list[1]!
          .split(",")
          .map((s) => s.trim().replace(/'/g, ""))
          .sort(),
      ).toEqual([...waitingReasons].sort());
    }
  });

  it("has the shape Argo CD runs: reads the global obj, returns hs with a status on every path", () => {
    expect(lua).toMatch(/^local hs = \{ status = "Progressing"/m);
    for (const status of ["Healthy", "Degraded", "Progressing"]) expect(lua).toContain(`"${status}"`);
    // The main chunk (helper functions, defined at column 0, aside) ends every path with `return hs`.
    const main = lua.replace(/^local function[\s\S]*?^end$/gm, "");
    const returns = main.split("\n").filter((l) => /^\s*return\b/.test(l));
    expect(returns.length).toBeGreaterThan(3);
    expect(returns.every((l) => l.trim() === "return hs")).toBe(true);
    expect(lua.trimEnd().endsWith("return hs")).toBe(true);
    // Balanced blocks: every function/if/for opens exactly one `end` (comments and strings aside).
    const code = lua.replace(/--.*$/gm, "").replace(/"[^"]*"/g, '""');
    const opens = (code.match(/\b(function|if|for|while)\b/g) ?? []).length;
    expect((code.match(/\bend\b/g) ?? []).length).toBe(opens);
  });

  it("every kind the CRDs define is health-checked (a new kind without a check is Unknown in Argo CD)", () => {
    const kinds = readdirSync(join(repoRoot, "crds"))
      .filter((n) => n.endsWith(".yaml"))
      .map((n) => (load(readFileSync(join(repoRoot, "crds", n), "utf8")) as { spec: { names: { kind: string } } }).spec.names.kind);
    expect([...healthCheckedKinds].sort()).toEqual(kinds.sort());
  });

  it("the issuers' wait-for-connection reason is a real reason, for both issuer kinds", () => {
    const entries = [...lua.matchAll(/^\s+(\w+) = "(\w+)",$/gm)].map((m) => [m[1]!, m[2]!]);
    expect(entries).toEqual([
      ["VendorIssuer", Reason.ConnectionNotReady],
      ["ClusterVendorIssuer", Reason.ConnectionNotReady],
    ]);
  });

  it("argocd-cm.yaml carries the script for every certbridge kind", () => {
    const cm = load(readFileSync(join(repoRoot, "deploy", "argocd", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
    expect(Object.keys(cm.data).sort()).toEqual(healthCheckedKinds.map((k) => `resource.customizations.health.certbridge.dev_${k}`).sort());
    for (const script of Object.values(cm.data)) expect(script).toBe(lua.trimEnd() + "\n");
  });

  // Evaluated only where a Lua interpreter is already installed (none is among the project's tools).
  const luaBin = ["lua5.4", "lua5.3", "lua", "luajit"]
    .map((b) =>
      (process.env.PATH ?? "")
        .split(delimiter)
        .map((d) => join(d, b))
        .find((p) => existsSync(p)),
    )
    .find(Boolean);
  const toLua = (v: unknown): string => {
    if (v === null || v === undefined) return "nil";
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    if (Array.isArray(v)) return `{${v.map(toLua).join(", ")}}`;
    return `{${Object.entries(v)
      .map(([k, x]) => `[${JSON.stringify(k)}] = ${toLua(x)}`)
      .join(", ")}}`;
  };
  const cond = (type: string, status: string, reason: string, observedGeneration = 2) => ({
    type,
    status,
    reason,
    message: `${reason} happened`,
    observedGeneration,
  });
  it.skipIf(!luaBin).each([
    { why: "no status yet", status: undefined, want: "Progressing" },
    { why: "Ready=True at the current generation", status: { conditions: [cond("Ready", "True", "Issued")] }, want: "Healthy" },
    { why: "Ready=True but an older generation", status: { conditions: [cond("Ready", "True", "Issued", 1)] }, want: "Progressing" },
    { why: "awaiting approval is a wait", status: { conditions: [cond("Ready", "False", "AwaitingApproval")] }, want: "Progressing" },
    {
      why: "Issuing=True while not ready",
      status: { conditions: [cond("Ready", "False", "Backoff"), cond("Issuing", "True", "Pending")] },
      want: "Progressing",
    },
    { why: "rejected needs a person", status: { conditions: [cond("Ready", "False", "Rejected")] }, want: "Degraded" },
    { why: "Ready=Unknown", status: { conditions: [cond("Ready", "Unknown", "Pending")] }, want: "Progressing" },
    {
      why: "a ManagedCertificate whose connection is not Ready needs a person",
      status: { conditions: [cond("Ready", "False", "ConnectionNotReady")] },
      want: "Degraded",
    },
    { why: "VendorIssuer: its connection is Ready", kind: "VendorIssuer", status: { conditions: [cond("Ready", "True", "Verified")] }, want: "Healthy" },
    {
      why: "VendorIssuer: waits for its connection's verification (a broken one is Degraded itself)",
      kind: "VendorIssuer",
      status: { conditions: [cond("Ready", "False", "ConnectionNotReady")] },
      want: "Progressing",
    },
    {
      why: "ClusterVendorIssuer: waits for its connection too",
      kind: "ClusterVendorIssuer",
      status: { conditions: [cond("Ready", "False", "ConnectionNotReady")] },
      want: "Progressing",
    },
    {
      why: "VendorIssuer: the connection it names does not exist",
      kind: "VendorIssuer",
      status: { conditions: [cond("Ready", "False", "ConnectionNotFound")] },
      want: "Degraded",
    },
    {
      why: "ClusterVendorIssuer: the connection is for another vendor",
      kind: "ClusterVendorIssuer",
      status: { conditions: [cond("Ready", "False", "ConnectionVendorMismatch")] },
      want: "Degraded",
    },
    { why: "VendorIssuer: an invalid spec", kind: "VendorIssuer", status: { conditions: [cond("Ready", "False", "InvalidSpec")] }, want: "Degraded" },
    {
      why: "ClusterVendorIssuer: Ready=True for an older generation",
      kind: "ClusterVendorIssuer",
      status: { conditions: [cond("Ready", "True", "Verified", 1)] },
      want: "Progressing",
    },
  ])("evaluated by a Lua interpreter: $why → $want", async ({ kind, status, want }) => {
    const obj = { kind: kind ?? "ManagedCertificate", metadata: { name: "x", generation: 2 }, ...(status ? { status } : {}) };
    const file = join(cacheDir, `eval-${suffix()}.lua`);
    writeFileSync(
      file,
      `obj = ${toLua(obj)}\nlocal hs = dofile(${JSON.stringify(join(repoRoot, "deploy", "argocd", "health-check.lua"))})\nprint(hs.status)\n`,
    );
    const { stdout } = await exec(luaBin!, [file]);
    expect(stdout.trim()).toBe(want);
  });
});
