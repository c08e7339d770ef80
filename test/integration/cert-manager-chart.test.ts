// The chart's cert-manager toggle: with `certManager.enabled` (the default) its RBAC grants exactly what
// the external issuer uses — and an operator process bound only to those roles issues a CertificateRequest
// through a VendorIssuer with nothing refused; with `certManager.enabled=false` the grants are gone and
// the operator is told to leave cert-manager alone.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { helmTemplate } from "../../deploy/render.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { generateKey } from "../../src/pki/keys.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { ensureHelm } from "../harness/tools.ts";
import { type RbacObject, refusals, waitForGrants } from "./rbac-grants.ts";
import { type Conditioned, b64, condition, createConnections, createIssuer } from "./cert-manager-fixtures.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Rendered extends KubeObject {
  kind: string;
  rules?: Rule[];
  subjects?: Array<Record<string, string>>;
  spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
}

const rbacTypes: Record<string, ResourceType> = {
  ServiceAccount: { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true },
};

const log = (line: string) => process.stdout.write(`[cert-manager-chart] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

const render = async (release: string, namespace: string, extra: string[] = []) =>
  (loadAll(await helmTemplate(await ensureHelm(), release, namespace, extra)) as Array<Rendered | null>).filter((o): o is Rendered => o !== null);
/** Every rule of every role that touches the cert-manager front end's kinds. */
const frontEndRules = (docs: Rendered[]) =>
  docs
    .flatMap((d) => d.rules ?? [])
    .filter(
      (r) =>
        r.apiGroups.includes("cert-manager.io") ||
        r.resources.some((x) => x.startsWith("vendorissuers") || x.startsWith("clustervendorissuers") || x === "customresourcedefinitions"),
    );
const envOf = (docs: Rendered[], name: string) =>
  docs.find((d) => d.kind === "Deployment")?.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === name)?.value;

describe.skipIf(!cm.available)("the chart's certManager toggle", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  const scratch = mkdtempSync(join(tmpdir(), "certbridge-cm-chart-"));

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
  });
  afterAll(async () => {
    await sims?.close();
    await client?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("grants exactly the verbs the external issuer uses, and none when turned off", async () => {
    const on = await render("cm", "certbridge-system");
    expect(
      frontEndRules(on)
        .map((r) => `${r.apiGroups.join(",")} ${r.resources.join(",")}: ${r.verbs.join(",")}`)
        .sort(),
    ).toEqual([
      "apiextensions.k8s.io customresourcedefinitions: list,watch",
      "cert-manager.io certificaterequests/status: patch",
      "cert-manager.io certificaterequests: list,watch,patch",
      "certbridge.dev clustervendorissuers/status: patch",
      "certbridge.dev clustervendorissuers: list,watch",
      "certbridge.dev vendorissuers/status: patch",
      "certbridge.dev vendorissuers: list,watch",
    ]);
    expect(envOf(on, "CERTBRIDGE_CERT_MANAGER")).toBe("true");
    const off = await render("cm", "certbridge-system", ["--set", "certManager.enabled=false"]);
    expect(frontEndRules(off)).toEqual([]);
    expect(envOf(off, "CERTBRIDGE_CERT_MANAGER")).toBe("false");
  });

  it("an operator bound only to the chart's roles issues a CertificateRequest through a VendorIssuer, refused nothing", async () => {
    const id = randomBytes(3).toString("hex");
    const system = `cmc-sys-${id}`;
    await client.create(core.namespaces, { metadata: { name: system } } as KubeObject);
    const apps = await freshNamespace(client, "cmc-apps");
    const user = `certbridge-cm-${id}`;
    const rendered = (await render(`cmc-${id}`, system)).filter((o) => o.kind in rbacTypes);
    for (const o of rendered) {
      const withUser = o.kind.endsWith("Binding")
        ? { ...o, subjects: [...(o.subjects ?? []), { kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }] }
        : o;
      await client.apply(rbacTypes[o.kind]!, withUser);
    }
    const asUser = await kubeconfigForUser(inject("kubeconfigPath"), scratch, user);
    // Enforced from the API server's cache: a request the operator made before that would be refused (and logged).
    await waitForGrants(client, { user }, rendered as unknown as RbacObject[]);
    await createConnections(client, sims, apps);
    await createIssuer(client, apps, "cf", "cloudflare");
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: "rbac.example.com" } });
    await client.create(certificateRequests, {
      metadata: { name: "rbac", namespace: apps },
      spec: { request: b64(csr), issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "cf" } },
    } as KubeObject);
    const approved = [
      {
        type: "Approved",
        status: "True",
        reason: "cmctl",
        message: "approved by the test",
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    ];
    await client.mergePatch(certificateRequests, apps, "rbac", { status: { conditions: approved } }, { subresource: "status" });
    const operator = startOperatorProcess(["--kubeconfig", asUser, "--leader-elect", "false", "--namespaces", apps, "--identity", `cmc-${id}`]);
    try {
      const done = await eventually(
        "the request issued under the chart's RBAC",
        async () => {
          const o = await client.get<Conditioned>(certificateRequests, apps, "rbac");
          return condition(o, "Ready")?.status === "True" ? o : undefined;
        },
        60_000,
      );
      expect(condition(done, "Ready")?.reason).toBe("Issued");
      expect(refusals(operator.logs)).toEqual([]);
    } finally {
      operator.child.kill("SIGTERM");
      await operator.exited();
    }
  });
});
