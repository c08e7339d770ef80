// cert-manager support is optional, and so is its RBAC: an operator whose ClusterRole lacks the rule on
// the front end's CRDs (custom RBAC, or a ClusterRole from before detection watched them) is ready and
// serves ManagedCertificates; it says once, as a Warning, which rule is missing and how to grant it, and
// picks the rule up, without a restart, once it is granted. The chart's own RBAC, minus that one rule.
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { helmTemplate } from "../../deploy/render.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient, eventually } from "../harness/kube.ts";
import { type OperatorProcess, startOperatorProcess } from "../harness/operator-process.ts";
import { ensureHelm } from "../harness/tools.ts";
import { type RbacObject, waitForGrants } from "./rbac-grants.ts";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}
interface Rendered extends KubeObject {
  kind: string;
  apiVersion: string;
  rules?: Rule[];
  subjects?: Array<Record<string, string>>;
}
type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } };

const rbac = {
  ServiceAccount: { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true },
} as const satisfies Record<string, ResourceType>;

const b64 = (s: string) => Buffer.from(s).toString("base64");
const isCrdRule = (r: Rule) => (r.resources ?? []).includes("customresourcedefinitions");
const CRDS = ["vendorissuers.certbridge.dev", "clustervendorissuers.certbridge.dev", "certificaterequests.cert-manager.io"];

let client: KubeClient;
let sims: RunningSimulators;
let operator: OperatorProcess | undefined;
const scratch = mkdtempSync(join(tmpdir(), "certbridge-cm-rbac-"));

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
});
afterAll(async () => {
  operator?.child.kill("SIGTERM");
  await operator?.exited();
  await sims?.close();
  await client?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("cert-manager support without the RBAC rule on its CRDs", () => {
  it("the operator is ready and issues; one Warning names the missing rule; granted later, the issuer controllers start without a restart", async () => {
    const id = randomBytes(3).toString("hex");
    const release = `cbnp${id}`;
    const system = `certbridge-np-${id}`;
    const apps = `apps-np-${id}`;
    for (const name of [system, apps]) await client.create(core.namespaces, { metadata: { name } });

    // The chart's RBAC, with the CRD rule taken out of its ClusterRole; each binding also names our user.
    const user = `certbridge-np-${id}`;
    const rendered = (loadAll(await helmTemplate(await ensureHelm(), release, system)) as Array<Rendered | null>).filter((o): o is Rendered => o !== null);
    let removed = 0;
    for (const o of rendered.filter((r) => r.kind in rbac)) {
      const rules = o.rules?.filter((r) => !isCrdRule(r));
      removed += (o.rules?.length ?? 0) - (rules?.length ?? 0);
      const withUser = o.kind.endsWith("Binding")
        ? { ...o, subjects: [...(o.subjects ?? []), { kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }] }
        : { ...o, ...(rules ? { rules } : {}) };
      await client.apply(rbac[o.kind as keyof typeof rbac], withUser);
    }
    expect(removed, "the chart grants the CRD rule (taken out here)").toBe(1);
    // RBAC is enforced from the API server's cache: act as the user only once its bindings are (rbac-grants.ts).
    await waitForGrants(client, { user }, rendered.filter((r) => r.kind in rbac) as unknown as RbacObject[]);
    const asUser = await kubeconfigForUser(inject("kubeconfigPath"), scratch, user);

    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    await client.create(core.secrets, { metadata: { name: "cf-api", namespace: apps }, data: { apiToken: b64(cf.apiToken) } } as KubeObject);
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "cloudflare", namespace: apps },
      spec: { credentialsRef: { name: "cf-api" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } },
    } as KubeObject);
    await client.create(resourceTypes.managedCertificates, {
      metadata: { name: "api-client", namespace: apps },
      spec: {
        connectionRef: { name: "cloudflare" },
        secretName: "api-client-tls",
        commonName: "api-client",
        privateKey: { algorithm: "ECDSA", size: 256 },
        cloudflare: { validityDays: 30 },
      },
    } as KubeObject);

    const started = Date.now();
    operator = startOperatorProcess([
      "--kubeconfig",
      asUser,
      "--namespaces",
      apps,
      "--leader-election-namespace",
      system,
      "--leader-election-id",
      "certbridge-leader",
      "--identity",
      `${release}-0`,
    ]);
    const logs = operator.logs;
    const port = await operator.port;
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    await eventually("/readyz answers 200", async () => (await get("/readyz")).status === 200, 20_000, 100);
    const ready = Date.now() - started;
    await eventually(
      "the ManagedCertificate issued",
      async () =>
        (await client.get<Conditioned>(resourceTypes.managedCertificates, apps, "api-client")).status?.conditions?.find((c) => c.type === "Ready")?.status ===
        "True",
      30_000,
      100,
    );
    const warnings = () =>
      logs
        .filter((l) => l.startsWith("{") && l.includes("customresourcedefinitions"))
        .map((l) => JSON.parse(l) as { level: string; msg: string; missingRule?: Rule })
        .filter((l) => l.level === "warn");
    await eventually("the Warning naming the missing rule", () => warnings().length > 0, 10_000, 100);
    const [warning] = warnings();
    expect(warning?.missingRule).toEqual({
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      resourceNames: CRDS,
      verbs: ["list", "watch"],
    });
    expect(warning?.msg).toContain("certManager.enabled");
    expect(warning?.msg).toContain("--cert-manager=false");
    const status = async () =>
      (await (await get("/metrics")).text()).split("\n").filter((l) => l.startsWith("certbridge_optional_controller_status") && l.endsWith(" 1"));
    expect(await status()).toEqual([
      'certbridge_optional_controller_status{part="vendorissuer",status="not_permitted"} 1',
      'certbridge_optional_controller_status{part="certificaterequest",status="not_permitted"} 1',
    ]);
    expect(
      logs.filter((l) => l.includes("list/watch failed") && l.includes("customresourcedefinitions")),
      "no watch left retrying a refused list",
    ).toEqual([]);

    // Granted: picked up at the next retry, no restart; the Warning was said once for the whole episode.
    const granted = Date.now();
    await client.apply(rbac.ClusterRole, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${release}-crds` },
      rules: [{ apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], resourceNames: CRDS, verbs: ["list", "watch"] }],
    } as KubeObject);
    await client.apply(rbac.ClusterRoleBinding, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${release}-crds` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${release}-crds` },
      subjects: [{ kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }],
    } as KubeObject);
    await eventually("the VendorIssuer controllers started", () => logs.some((l) => l.includes('"VendorIssuer controllers started"')), 30_000, 100);
    process.stdout.write(`[cert-manager-not-permitted] ready after ${ready} ms; permission picked up ${Date.now() - granted} ms after it was granted\n`);
    expect(warnings()).toHaveLength(1);
    expect((await status()).filter((l) => l.includes('part="vendorissuer"'))).toEqual([
      'certbridge_optional_controller_status{part="vendorissuer",status="running"} 1',
    ]);
    expect((await get("/readyz")).status).toBe(200);
  });
});
