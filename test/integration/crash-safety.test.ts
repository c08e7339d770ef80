// The operator PROCESS is SIGKILLed at each await point of the create paths in turn (the
// `--debug-crash-at` fault injection), then a fresh process finishes the job. Each row must end
// Ready with exactly one vendor order / one ZPA key: nothing paid twice, nothing leaked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAtStepThenRecover } from "../harness/crash-recovery.ts";
import { adminClient, freshNamespace } from "../harness/kube.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { startZpaSimulator } from "../../src/sim/zpa/index.ts";
import type { IssuanceStep } from "../../src/controllers/managedcertificate/index.ts";
import type { Checkpoint } from "../../src/controllers/provisioningkey/reconciler.ts";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } };

let client: KubeClient;
let sims: RunningSimulators;
let zpa: Awaited<ReturnType<typeof startZpaSimulator>>;

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
  zpa = await startZpaSimulator({});
});
afterAll(async () => {
  await zpa?.close();
  await sims?.close();
  await client?.close();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const isReady = (o: Conditioned | undefined) => o?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * Runs the operator until it SIGKILLs itself at `crashAt` (or finishes without reaching it), then a clean one until `done`.
 * Both watch only the test's namespace: resources other files left on the shared API server (their
 * simulators gone) would otherwise queue ahead of the one under test.
 */
async function crashThenRecover(crashAt: string, namespace: string, done: () => Promise<boolean>): Promise<{ killed: boolean }> {
  return killAtStepThenRecover({ crashAt, namespace, done, extraArgs: ["--log-level", "info"] });
}

describe("SIGKILL at each await point (real operator processes)", () => {
  const mcSteps: IssuanceStep[] = [
    "start",
    "key-persisted",
    "intent-recorded",
    "found",
    "submitted",
    "vendor-ref-recorded",
    "collected",
    "secret-written",
    "status-written",
  ];
  const vendors = ["cloudflare", "sectigo-ssl"] as const;
  const rows = vendors.flatMap((vendor) => mcSteps.map((step) => ({ vendor, step })));

  it.each(rows)("ManagedCertificate via $vendor: killed at $step → Ready with exactly one vendor order", async ({ vendor, step }) => {
    const ns = await freshNamespace(client, "crash");
    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
    if (vendor === "cloudflare") {
      await client.create(core.secrets, { metadata: { name: "creds", namespace: ns }, data: { apiToken: b64(cf.apiToken) } } as KubeObject);
      await client.create(resourceTypes.vendorConnections, {
        metadata: { name: "conn", namespace: ns },
        spec: { credentialsRef: { name: "creds" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } },
      } as KubeObject);
    } else {
      await client.create(core.secrets, {
        metadata: { name: "creds", namespace: ns },
        data: { login: b64(sc.login), password: b64(sc.password) },
      } as KubeObject);
      await client.create(resourceTypes.vendorConnections, {
        metadata: { name: "conn", namespace: ns },
        spec: { credentialsRef: { name: "creds" }, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } },
      } as KubeObject);
    }
    const spec =
      vendor === "cloudflare"
        ? { commonName: `${ns}.example.com`, cloudflare: { validityDays: 30 } }
        : { dnsNames: [`${ns}.example.com`], sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields } };
    const mc = await client.create<KubeObject>(resourceTypes.managedCertificates, {
      metadata: { name: "web", namespace: ns },
      spec: { connectionRef: { kind: "VendorConnection", name: "conn" }, secretName: "web-tls", privateKey: { algorithm: "ECDSA", size: 256 }, ...spec },
    } as KubeObject);
    const uid = mc.metadata.uid ?? "";
    const orders = async () =>
      vendor === "cloudflare"
        ? countCloudflareOrders(ns)
        : (sims.sims.sectigo as unknown as SectigoSimulator).orders().filter((o) => o.comments.includes(`uid=${uid} `)).length;
    const done = async () => {
      const current = await client.get<Conditioned>(resourceTypes.managedCertificates, ns, "web");
      if (!isReady(current)) return false;
      const secret = await client.get<KubeObject & { data?: Record<string, string> }>(core.secrets, ns, "web-tls").catch(() => undefined);
      return secret?.data?.["tls.crt"] !== undefined;
    };
    const { killed } = await crashThenRecover(`managedcertificate:${step}`, ns, done);
    expect(await orders()).toBe(1);
    if (step === "intent-recorded") {
      // On a first issuance this step follows the ONE write that added the finalizer and recorded the
      // intent in the annotation (ADR 0020): killed there, the restart took that intent over (looked
      // it up until its deadline, then ordered once), and status says so.
      expect(killed).toBe(true);
      const after = await client.get<Conditioned & { status?: { orderIntentTaken?: string } }>(resourceTypes.managedCertificates, ns, "web");
      const first = JSON.parse(after.metadata.annotations?.["certbridge.dev/order-intent"] ?? "{}") as { id?: string; order?: { revision?: number } };
      expect(after.metadata.finalizers).toContain("certbridge.dev/cleanup");
      expect(first.order?.revision).toBe(1);
      expect(after.status?.orderIntentTaken).toBe(first.id);
    }
    process.stdout.write(
      `crash at managedcertificate:${step} (${vendor}): ${killed ? "SIGKILLed" : "step not on this path"} → Ready, ${await orders()} order\n`,
    );
  });

  /** Cloudflare orders for this namespace's certificate, from the simulator's own list (CN carries the namespace). */
  async function countCloudflareOrders(ns: string): Promise<number> {
    const res = await fetch(
      `${sims.urls.cloudflare}/zones/${(sims.credentials.cloudflare as { zoneId: string }).zoneId}/client_certificates?per_page=50&status=all`,
      {
        headers: { authorization: `Bearer ${(sims.credentials.cloudflare as { apiToken: string }).apiToken}` },
      },
    );
    const body = (await res.json()) as { result: Array<{ certificate: string }> };
    const { X509Certificate } = await import("node:crypto");
    return body.result.filter((c) => new X509Certificate(c.certificate).subject.includes(`${ns}.example.com`)).length;
  }

  const pkSteps: Checkpoint[] = ["finalizer-added", "connection-resolved", "references-resolved", "looked-up", "created", "secret-written", "status-written"];
  it.each(pkSteps)("ProvisioningKey: killed at %s → Ready with exactly one ZPA key", async (step) => {
    const ns = await freshNamespace(client, "crash");
    const c = zpa.credentials[0]!;
    await client.create(core.secrets, {
      metadata: { name: "zpa-api", namespace: ns },
      stringData: { clientId: c.clientId, clientSecret: c.clientSecret },
    } as KubeObject);
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "zpa", namespace: ns },
      spec: { zpa: { baseUrl: zpa.url, customerId: zpa.customerId }, credentialsRef: { name: "zpa-api" } },
    } as KubeObject);
    await client.create(resourceTypes.provisioningKeys, {
      metadata: { name: "edge", namespace: ns },
      spec: { connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", group: { name: "Connector Group A" }, maxUsage: 3, secretName: "edge-key" },
    } as KubeObject);
    const keys = () => [...zpa.zpa.store.keys.values()].filter((k) => k.name === `certbridge.${ns}.edge`);
    const done = async () => {
      const pk = await client.get<Conditioned>(resourceTypes.provisioningKeys, ns, "edge");
      if (!isReady(pk)) return false;
      const secret = await client.get<KubeObject & { data?: Record<string, string> }>(core.secrets, ns, "edge-key").catch(() => undefined);
      const value = secret?.data?.provisioningKey;
      return value !== undefined && keys().length === 1 && Buffer.from(value, "base64").toString() === keys()[0]?.provisioningKey;
    };
    const { killed } = await crashThenRecover(`provisioningkey:${step}`, ns, done);
    expect(keys()).toHaveLength(1);
    process.stdout.write(`crash at provisioningkey:${step}: ${killed ? "SIGKILLed" : "step not on this path"} → Ready, ${keys().length} key\n`);
  });
});
