// The connection controllers on a real API server, verifying against the real simulators over HTTPS
// (their CA given to each connection as caBundle).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupVendorConnectionControllers } from "../../src/controllers/vendorconnection/index.ts";
import { provideVendorPorts } from "../../src/controllers/shared/vendor-ports.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Connection extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; vendor?: string; lastVerifiedTime?: string; credentialsResourceVersion?: string; observedGeneration?: number };
}
interface Secret extends KubeObject {
  stringData?: Record<string, string>;
}
interface Event extends KubeObject {
  reason?: string;
  note?: string;
  regarding?: { name?: string; uid?: string };
}

const events = { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true } as const;

let client: KubeClient;
let sims: RunningSimulators;
let ports: RegistryVendorPorts;
let manager: Manager;

/**
 * The namespaces this file's tests use, made up front: the controller watches only them, so the
 * connections other test files left on the shared API server (whose simulators are gone) do not
 * queue ahead of ours.
 */
const testNamespaces: string[] = [];
const nextNamespace = (): string => {
  const ns = testNamespaces.shift();
  if (ns === undefined) throw new Error("vendorconnection.test: add a namespace to the pool made in beforeAll");
  return ns;
};

beforeAll(async () => {
  client = adminClient();
  for (let i = 0; i < 6; i++) testNamespaces.push(await freshNamespace(client, "vc"));
  const watched = [...testNamespaces];
  sims = await startSimulators();
  ports = createVendorPorts({ timeoutMs: 10_000 });
  manager = new Manager({ client: adminClient("certbridge"), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }), namespaces: watched });
  provideVendorPorts(manager, ports);
  setupVendorConnectionControllers(manager, { concurrency: 2, namespaces: watched, identity: "vendorconnection-test" });
  await manager.start();
});

afterAll(async () => {
  await manager?.stop();
  await ports?.close();
  await sims?.close();
  await client?.close();
});

const s = (v: unknown): string => String(v);

/** The vendor block and Secret data that work against the running simulator of `vendor`. */
function vendorSetup(vendor: "zpa" | "cloudflare" | "sectigo"): { block: Record<string, unknown>; data: Record<string, string> } {
  const c = sims.credentials[vendor]!;
  switch (vendor) {
    case "zpa":
      return { block: { zpa: { baseUrl: sims.urls.zpa, customerId: s(c.customerId) } }, data: { clientId: s(c.clientId), clientSecret: s(c.clientSecret) } };
    case "cloudflare":
      return { block: { cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: s(c.zoneId) } }, data: { apiToken: s(c.apiToken) } };
    case "sectigo":
      return { block: { sectigo: { baseUrl: sims.urls.sectigo, customerUri: s(c.customerUri) } }, data: { login: s(c.login), password: s(c.password) } };
  }
}

async function createSecret(namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await client.create<Secret>(core.secrets, { metadata: { name, namespace }, stringData: data });
}

async function createConnection(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await client.create<Connection>(resourceTypes.vendorConnections, { metadata: { name, namespace }, spec });
}

function readyOf(c: Connection | undefined): Condition | undefined {
  return c?.status?.conditions?.find((x) => x.type === "Ready");
}

async function waitForReady(
  type: typeof resourceTypes.vendorConnections | typeof resourceTypes.clusterVendorConnections,
  namespace: string | undefined,
  name: string,
  reason: string,
): Promise<Connection> {
  return eventually(
    `${name} Ready reason ${reason}`,
    async () => {
      const c = await client.get<Connection>(type, namespace, name);
      return readyOf(c)?.reason === reason ? c : undefined;
    },
    30_000,
    200,
  );
}

function totalRequests(state: Record<string, unknown>): number {
  const requests = (state.requests ?? {}) as Record<string, number>;
  return Object.values(requests).reduce((a, b) => a + b, 0);
}

describe("VendorConnection", () => {
  it.each(["zpa", "cloudflare", "sectigo"] as const)("%s: reaches Ready/Verified against the simulator over HTTPS", async (vendor) => {
    const ns = nextNamespace();
    const { block, data } = vendorSetup(vendor);
    await createSecret(ns, "creds", data);
    await createConnection(ns, vendor, { ...block, credentialsRef: { name: "creds" }, caBundle: sims.caPem });
    const c = await waitForReady(resourceTypes.vendorConnections, ns, vendor, "Verified");
    const ready = readyOf(c)!;
    expect(ready.status).toBe("True");
    const host = new URL(sims.urls[vendor]!).host;
    expect(ready.message).toContain(host);
    expect(c.status).toMatchObject({ vendor, observedGeneration: 1 });
    expect(c.status?.lastVerifiedTime).toBeTruthy();
    const secret = await client.get<KubeObject>(core.secrets, ns, "creds");
    expect(c.status?.credentialsResourceVersion).toBe(secret.metadata.resourceVersion);
    for (const value of Object.values(data)) expect(JSON.stringify(c.status)).not.toContain(value);
    // One transition, one Event.
    const recorded = await eventually("a Verified event", async () => {
      const list = await client.list<Event>(events, { namespace: ns });
      const mine = list.items.filter((e) => e.regarding?.uid === c.metadata.uid);
      return mine.length > 0 ? mine : undefined;
    });
    expect(recorded.map((e) => e.reason)).toEqual(["Verified"]);
  });

  it("wrong credentials → CredentialsInvalid, without the credentials in status", async () => {
    const ns = nextNamespace();
    const { block } = vendorSetup("cloudflare");
    const wrongToken = "certbridge-sim-cloudflare-api-token-0bad";
    await createSecret(ns, "creds", { apiToken: wrongToken });
    await createConnection(ns, "cf", { ...block, credentialsRef: { name: "creds" }, caBundle: sims.caPem });
    const c = await waitForReady(resourceTypes.vendorConnections, ns, "cf", "CredentialsInvalid");
    expect(readyOf(c)!.status).toBe("False");
    expect(JSON.stringify(c.status)).not.toContain(wrongToken);
  });

  it("missing Secret → SecretNotFound; creating it and touching the connection → Ready", async () => {
    const ns = nextNamespace();
    const { block, data } = vendorSetup("sectigo");
    await createConnection(ns, "sg", { ...block, credentialsRef: { name: "later" }, caBundle: sims.caPem });
    const missing = await waitForReady(resourceTypes.vendorConnections, ns, "sg", "SecretNotFound");
    expect(readyOf(missing)!.message).toContain(`${ns}/later`);

    await createSecret(ns, "later", data);
    await client.mergePatch(resourceTypes.vendorConnections, ns, "sg", { metadata: { annotations: { "example.test/touched": new Date().toISOString() } } });
    const c = await waitForReady(resourceTypes.vendorConnections, ns, "sg", "Verified");
    expect(readyOf(c)!.status).toBe("True");
  });

  it("a settled connection makes no further vendor calls or status writes on resyncs", async () => {
    const ns = nextNamespace();
    const { block, data } = vendorSetup("cloudflare");
    await createSecret(ns, "creds", data);
    await createConnection(ns, "quiet", { ...block, credentialsRef: { name: "creds" }, caBundle: sims.caPem });
    const first = await waitForReady(resourceTypes.vendorConnections, ns, "quiet", "Verified");
    const requestsBefore = totalRequests(sims.sims.cloudflare.state());
    expect(requestsBefore).toBeGreaterThan(0); // the verification itself was counted
    // Poke it (a label change reconciles it again): nothing due, so no vendor call and nothing written.
    await client.mergePatch(resourceTypes.vendorConnections, ns, "quiet", { metadata: { labels: { poked: "yes" } } });
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await client.get<Connection>(resourceTypes.vendorConnections, ns, "quiet");
    expect(after.status).toEqual(first.status);
    expect(totalRequests(sims.sims.cloudflare.state())).toBe(requestsBefore);
  });
});

describe("ClusterVendorConnection", () => {
  it("verifies with credentials from the Secret namespace it names", async () => {
    const ns = await freshNamespace(client, "cvc");
    const { block, data } = vendorSetup("zpa");
    await createSecret(ns, "zpa-creds", data);
    const name = `zpa-${ns}`;
    await client.create<Connection>(resourceTypes.clusterVendorConnections, {
      metadata: { name },
      spec: { ...block, credentialsRef: { name: "zpa-creds", namespace: ns }, caBundle: sims.caPem, namespaceSelector: { matchLabels: { team: "nobody" } } },
    });
    try {
      // The namespaceSelector limits who may use the connection, not whether it can be verified.
      const c = await waitForReady(resourceTypes.clusterVendorConnections, undefined, name, "Verified");
      expect(c.status).toMatchObject({ vendor: "zpa", observedGeneration: 1 });
    } finally {
      await client.delete(resourceTypes.clusterVendorConnections, undefined, name);
    }
  });
});
