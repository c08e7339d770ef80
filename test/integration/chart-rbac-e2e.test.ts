// The operator, as a real process, under exactly the Helm chart's RBAC: an identity bound only to the
// roles the chart renders issues a certificate and delivers a provisioning key end to end.
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
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { startZpaSimulator } from "../../src/sim/zpa/index.ts";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient, eventually } from "../harness/kube.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { ensureHelm } from "../harness/tools.ts";
import { type RbacObject, refusals, waitForGrants } from "./rbac-grants.ts";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };
interface Rendered extends KubeObject {
  kind: string;
  apiVersion: string;
  subjects?: Array<Record<string, string>>;
}

const rbac = {
  ServiceAccount: { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true },
} as const satisfies Record<string, ResourceType>;

const b64 = (s: string) => Buffer.from(s).toString("base64");
const ready = (o: Conditioned | undefined) => o?.status?.conditions?.find((c) => c.type === "Ready");

let client: KubeClient;
let sims: RunningSimulators;
let zpa: Awaited<ReturnType<typeof startZpaSimulator>>;
const scratch = mkdtempSync(join(tmpdir(), "certbridge-rbac-e2e-"));

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
  zpa = await startZpaSimulator({});
});
afterAll(async () => {
  await zpa?.close();
  await sims?.close();
  await client?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("end to end under exactly the chart's RBAC", () => {
  it("issues a certificate and delivers a provisioning key as an identity bound only to the chart's roles", async () => {
    const id = randomBytes(3).toString("hex");
    const release = `cb${id}`;
    const system = `certbridge-system-${id}`;
    const apps = `apps-${id}`;
    for (const name of [system, apps]) await client.create(core.namespaces, { metadata: { name } });

    // The chart's RBAC objects, applied for real; each binding also names our test user.
    const user = `certbridge-e2e-${id}`;
    const rendered = (loadAll(await helmTemplate(await ensureHelm(), release, system)) as Array<Rendered | null>).filter((o): o is Rendered => o !== null);
    const rbacObjects = rendered.filter((o) => o.kind in rbac);
    expect(rbacObjects.map((o) => o.kind).sort()).toEqual(
      expect.arrayContaining(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"]),
    );
    for (const o of rbacObjects) {
      const withUser = o.kind.endsWith("Binding")
        ? { ...o, subjects: [...(o.subjects ?? []), { kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }] }
        : o;
      await client.apply(rbac[o.kind as keyof typeof rbac], withUser);
    }
    const asUser = await kubeconfigForUser(inject("kubeconfigPath"), scratch, user);
    // Enforced from the API server's cache: a request the operator made before that would be refused (and logged).
    await waitForGrants(client, { user }, rbacObjects as unknown as RbacObject[]);

    // Tenant objects, made by the platform team (admin).
    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    const z = zpa.credentials[0]!;
    await client.create(core.secrets, { metadata: { name: "cf-api", namespace: apps }, data: { apiToken: b64(cf.apiToken) } } as KubeObject);
    await client.create(core.secrets, {
      metadata: { name: "zpa-api", namespace: apps },
      data: { clientId: b64(z.clientId), clientSecret: b64(z.clientSecret) },
    } as KubeObject);
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "cloudflare", namespace: apps },
      spec: { credentialsRef: { name: "cf-api" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } },
    } as KubeObject);
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "zpa", namespace: apps },
      spec: { credentialsRef: { name: "zpa-api" }, zpa: { baseUrl: zpa.url, customerId: zpa.customerId } },
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
    await client.create(resourceTypes.provisioningKeys, {
      metadata: { name: "connectors", namespace: apps },
      spec: {
        connectionRef: { name: "zpa" },
        associationType: "CONNECTOR_GRP",
        group: { name: "Connector Group A" },
        maxUsage: 5,
        secretName: "connectors-key",
      },
    } as KubeObject);

    // The operator as that identity, with the chart's Lease settings. It watches only this test's
    // namespace: on the shared control plane of a full run, other files' leftovers (resources whose
    // simulators are gone) would queue ahead of ours. The chart's roles are cluster-wide either way.
    const operator = startOperatorProcess([
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
    try {
      const mc = await eventually(
        "certificate Ready",
        async () => {
          const o = await client.get<Conditioned>(resourceTypes.managedCertificates, apps, "api-client");
          return ready(o)?.status === "True" ? o : undefined;
        },
        60_000,
      );
      const pk = await eventually(
        "provisioning key Ready",
        async () => {
          const o = await client.get<Conditioned>(resourceTypes.provisioningKeys, apps, "connectors");
          return ready(o)?.status === "True" ? o : undefined;
        },
        60_000,
      );
      const tls = await client.get<KubeObject & { type: string; data: Record<string, string> }>(core.secrets, apps, "api-client-tls");
      expect(tls.type).toBe("kubernetes.io/tls");
      expect(Buffer.from(tls.data["tls.crt"] ?? "", "base64").toString()).toContain("BEGIN CERTIFICATE");
      const key = await client.get<KubeObject & { data: Record<string, string> }>(core.secrets, apps, "connectors-key");
      const simKey = [...zpa.zpa.store.keys.values()].find((k) => k.name === `certbridge.${apps}.connectors`);
      expect(Buffer.from(key.data.provisioningKey ?? "", "base64").toString()).toBe(simKey?.provisioningKey);
      expect(ready(mc)?.reason).toBe("Issued");
      expect(ready(pk)?.status).toBe("True");
      // Nothing the operator tried was refused by RBAC: its watches on the cert-manager front end's CRDs
      // (by name) included, which started the issuer controllers.
      // The issuer controllers start on their own path (cert-manager's CRDs seen), not before the Ready above.
      await eventually("the VendorIssuer controllers started", () => operator.logs.some((l) => l.includes('"VendorIssuer controllers started"')), 30_000);
      expect(refusals(operator.logs)).toEqual([]);
      const lease = await client.get<KubeObject & { spec: { holderIdentity: string } }>(core.leases, system, "certbridge-leader");
      expect(lease.spec.holderIdentity).toBe(`${release}-0`);
    } finally {
      operator.child.kill("SIGTERM");
      await operator.exited();
    }
  });
});
