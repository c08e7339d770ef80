// Issue 9, findings 5 and 6, on the real control plane and the Cloudflare simulator: connections
// outlive the resources that use them (in-use finalizer, retained credentials copy, resolution
// purposes), and losing a ClusterVendorConnection's namespace admission reaches Ready resources at once.
//
// There is no namespace controller in a bare kube-apiserver: a namespace deletion is emulated as it
// happens — DELETE marks it Terminating, then its objects are deleted in the least favourable order
// (credentials Secret and connection first, the certificate last), and once nothing is left the
// namespace is finalized as the namespace controller would.
//
// Label, annotation and name strings are spelled out here (not imported) so that this file also runs
// against the code before these guarantees existed, where it must fail.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupManagedCertificates } from "../../src/controllers/managedcertificate/index.ts";
import { sharedConnectionResolver } from "../../src/controllers/shared/connections.ts";
import { provideVendorPorts } from "../../src/controllers/shared/vendor-ports.ts";
import { setupVendorConnectionControllers } from "../../src/controllers/vendorconnection/index.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { CloudflareClient } from "../../src/vendors/cloudflare/client.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";
import { createDispatcher } from "../../src/vendors/shared/dispatcher.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; vendorRef?: string; consumers?: number; phase?: string };
  data?: Record<string, string>;
}

const IN_USE = "certbridge.dev/in-use";
const RETAINED_SELECTOR = "certbridge.dev/retained-credentials=true";
const retainedName = (uid: string) => `certbridge-retained-${uid}`;

let client: KubeClient;
let sims: RunningSimulators;
let ports: RegistryVendorPorts;
/** The operator's own namespace: where retained credentials copies live. */
let operatorNs: string;
const running: Manager[] = [];

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");
const cf = () => sims.credentials.cloudflare as { apiToken: string; zoneId: string };
const ready = (o: Obj | undefined) => o?.status?.conditions?.find((c) => c.type === "Ready");
const cfOrders = () => (sims.sims.cloudflare.state() as { objects: { client_certificate: number } }).objects.client_certificate;

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators();
  ports = createVendorPorts({ timeoutMs: 10_000 });
  operatorNs = await freshNamespace(client, "op");
});
afterEach(async () => {
  for (const m of running.splice(0)) await m.stop();
});
afterAll(async () => {
  await ports?.close();
  await sims?.close();
  await client?.close();
});

/** The operator's wiring for one namespace: the connection controllers and the ManagedCertificate controller. */
async function startOperator(namespace: string): Promise<Manager> {
  const manager = new Manager({
    client: adminClient("certbridge"),
    log: testLogger(),
    metrics: new OperatorMetrics({ defaultMetrics: false }),
    namespaces: [namespace],
  });
  provideVendorPorts(manager, ports);
  setupVendorConnectionControllers(manager, { concurrency: 2, namespaces: [namespace], identity: "teardown-test", leaderElectionNamespace: operatorNs });
  setupManagedCertificates(manager, { concurrency: 2 });
  await manager.start();
  running.push(manager);
  return manager;
}

const cloudflareBlock = () => ({ baseUrl: sims.urls.cloudflare, zoneId: cf().zoneId });
const certificate = (connectionRef: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  connectionRef,
  secretName: "web-tls",
  commonName: "device-1.example.com",
  privateKey: { algorithm: "ECDSA", size: 256 },
  cloudflare: { validityDays: 30 },
  ...extra,
});

async function createCredentials(namespace: string, token = cf().apiToken): Promise<void> {
  await client.create<Obj>(core.secrets, { metadata: { name: "cf-creds", namespace }, data: { apiToken: b64(token) } });
}

async function gone(type: Parameters<KubeClient["get"]>[0], namespace: string | undefined, name: string): Promise<boolean> {
  try {
    await client.get(type, namespace, name);
    return false;
  } catch (e) {
    return isNotFound(e);
  }
}

async function readyCertificate(namespace: string, name: string): Promise<Obj> {
  return eventually(
    `${namespace}/${name} Ready`,
    async () => {
      const mc = await client.get<Obj>(resourceTypes.managedCertificates, namespace, name);
      return ready(mc)?.status === "True" ? mc : undefined;
    },
    30_000,
    100,
  );
}

async function retainedCopies(): Promise<Obj[]> {
  return (await client.list<Obj>(core.secrets, { namespace: operatorNs, labelSelector: RETAINED_SELECTOR })).items;
}

describe("finding 5: cleanup does not depend on the order a namespace is torn down in", () => {
  it("namespace deleted, credentials Secret and connection deleted before the certificate: revoked at Cloudflare, no new order, nothing left behind", async () => {
    const ns = await freshNamespace(client, "td");
    const manager = await startOperator(ns);
    await createCredentials(ns);
    await client.create<Obj>(resourceTypes.vendorConnections, {
      metadata: { name: "cf", namespace: ns },
      spec: { credentialsRef: { name: "cf-creds" }, caBundle: sims.caPem, cloudflare: cloudflareBlock() },
    });
    await client.create<Obj>(resourceTypes.managedCertificates, {
      metadata: { name: "web", namespace: ns },
      spec: certificate({ kind: "VendorConnection", name: "cf" }, { revocationPolicy: { onDelete: "Revoke" } }),
    });
    const issued = await readyCertificate(ns, "web");

    // The connection is held for its user, and the operator keeps a copy of its credentials.
    const vc = await eventually("connection held with one consumer", async () => {
      const c = await client.get<Obj>(resourceTypes.vendorConnections, ns, "cf");
      return c.metadata.finalizers?.includes(IN_USE) && c.status?.consumers === 1 ? c : undefined;
    });
    const copy = await eventually("retained copy", async () => (await retainedCopies()).find((s) => s.metadata.name === retainedName(vc.metadata.uid!)));
    expect(unb64(copy.data?.apiToken)).toBe(cf().apiToken);
    expect(copy.metadata.labels?.["certbridge.dev/managed"]).toBeUndefined();
    const ordersBefore = cfOrders();

    // Teardown as the namespace controller might order it, at its worst.
    await client.delete(core.namespaces, undefined, ns);
    expect((await client.get<Obj>(core.namespaces, undefined, ns)).status?.phase).toBe("Terminating");
    await client.delete(core.secrets, ns, "cf-creds");
    await client.delete(resourceTypes.vendorConnections, ns, "cf");

    // The connection waits for its user, and says who that is.
    const held = await eventually("connection held while deleting", async () => {
      const c = await client.get<Obj>(resourceTypes.vendorConnections, ns, "cf");
      return c.metadata.deletionTimestamp && ready(c)?.reason === "Deleting" ? c : undefined;
    });
    expect(ready(held)?.message).toContain(`ManagedCertificate ${ns}/web`);

    // The resolver, as a finalizer and as an order would use it now (contract C1).
    const resolver = sharedConnectionResolver(manager);
    const ref = { kind: "VendorConnection" as const, name: "cf" };
    const signal = AbortSignal.timeout(30_000);
    // It reads the namespace from the namespace informer, whose stream is not the connection's: wait for
    // that informer to have seen the deletion too (an order is decided by the same read).
    const provision = await eventually("the resolver sees the namespace terminating", async () => {
      resolver.invalidate();
      const out = await resolver.resolve(ref, ns, "cloudflare", signal);
      return !out.ok && out.reason === "NamespaceTerminating" ? out : undefined;
    });
    expect(provision.ok ? "ok" : provision.reason).toBe("NamespaceTerminating");
    const cleanup = await resolver.resolve(ref, ns, "cloudflare", signal, { purpose: "cleanup" });
    expect(
      cleanup.ok && {
        deleting: cleanup.connection.deleting,
        retained: cleanup.connection.retainedCredentials,
        token: cleanup.connection.credentials.apiToken === cf().apiToken,
      },
    ).toEqual({ deleting: true, retained: true, token: true });

    // The certificate goes last: its finalizer revokes through the retained copy.
    await client.delete(resourceTypes.managedCertificates, ns, "web");
    await eventually("certificate gone", () => gone(resourceTypes.managedCertificates, ns, "web"), 30_000, 100);
    const at = new CloudflareClient({
      zoneId: cf().zoneId,
      auth: { kind: "apiToken", token: cf().apiToken },
      baseUrl: sims.urls.cloudflare!,
      dispatcher: createDispatcher({ caBundlePem: sims.caPem! }),
    });
    expect(["pending_revocation", "revoked"]).toContain((await at.get(issued.status!.vendorRef!)).status);
    expect(cfOrders()).toBe(ordersBefore);

    // Its last user gone, the connection goes, and the copy with it.
    await eventually("connection gone", () => gone(resourceTypes.vendorConnections, ns, "cf"), 20_000, 100);
    await eventually("retained copy gone", async () => !(await retainedCopies()).some((s) => s.metadata.name === retainedName(vc.metadata.uid!)));

    // Nothing of ours is left in the namespace, so the namespace controller can finish: do as it does.
    for (const type of [resourceTypes.managedCertificates, resourceTypes.vendorConnections]) {
      expect((await client.list(type, { namespace: ns })).items).toEqual([]);
    }
    const terminating = await client.get<Obj & { spec?: { finalizers?: string[] } }>(core.namespaces, undefined, ns);
    await client.call("PUT", `/api/v1/namespaces/${ns}/finalize`, { body: { ...terminating, spec: { finalizers: [] } } });
    await eventually("namespace gone", () => gone(core.namespaces, undefined, ns), 10_000, 100);
  });
});

/**
 * "At once" here means on the namespace's watch event, not on a periodic look (the certificate's
 * connection recheck is a minute, the connection's Secret recheck five): well under both, with room for
 * a loaded two-core machine where a watch event and the reconcile after it can take seconds.
 */
const ADMISSION_WITHIN_MS = 20_000;

describe("finding 6: a ClusterVendorConnection's namespace admission is enforced on Ready resources", () => {
  it("unlabelling the namespace turns a Ready certificate ConnectionNotPermitted within seconds (and releases the connection); labelling it again restores both", async () => {
    const tier = `t${Math.random().toString(16).slice(2, 10)}`;
    const ns = await freshNamespace(client, "adm");
    await client.mergePatch(core.namespaces, undefined, ns, { metadata: { labels: { "certbridge.dev/test-tier": tier } } });
    await startOperator(ns);
    await createCredentials(ns);
    const cvcName = `shared-${tier}`;
    await client.create<Obj>(resourceTypes.clusterVendorConnections, {
      metadata: { name: cvcName },
      spec: {
        credentialsRef: { name: "cf-creds", namespace: ns },
        caBundle: sims.caPem,
        cloudflare: cloudflareBlock(),
        namespaceSelector: { matchLabels: { "certbridge.dev/test-tier": tier } },
      },
    });
    try {
      await client.create<Obj>(resourceTypes.managedCertificates, {
        metadata: { name: "web", namespace: ns },
        spec: certificate({ kind: "ClusterVendorConnection", name: cvcName }),
      });
      await readyCertificate(ns, "web");
      await eventually("connection held", async () => {
        const c = await client.get<Obj>(resourceTypes.clusterVendorConnections, undefined, cvcName);
        return c.metadata.finalizers?.includes(IN_USE) && c.status?.consumers === 1;
      });
      const orders = cfOrders();

      await client.mergePatch(core.namespaces, undefined, ns, { metadata: { labels: { "certbridge.dev/test-tier": null } } });
      const refused = await eventually(
        "certificate not permitted",
        async () => {
          const mc = await client.get<Obj>(resourceTypes.managedCertificates, ns, "web");
          return ready(mc)?.reason === "ConnectionNotPermitted" ? mc : undefined;
        },
        ADMISSION_WITHIN_MS,
        50,
      );
      expect(ready(refused)?.status).toBe("False");
      // A namespace it does not admit cannot keep the connection from being deleted either.
      await eventually(
        "connection released",
        async () => {
          const c = await client.get<Obj>(resourceTypes.clusterVendorConnections, undefined, cvcName);
          return !c.metadata.finalizers?.includes(IN_USE) && c.status?.consumers === 0;
        },
        ADMISSION_WITHIN_MS,
        50,
      );

      await client.mergePatch(core.namespaces, undefined, ns, { metadata: { labels: { "certbridge.dev/test-tier": tier } } });
      await eventually(
        "certificate Ready again",
        async () => ready(await client.get<Obj>(resourceTypes.managedCertificates, ns, "web"))?.status === "True",
        ADMISSION_WITHIN_MS,
        50,
      );
      await eventually(
        "connection held again",
        async () => (await client.get<Obj>(resourceTypes.clusterVendorConnections, undefined, cvcName)).status?.consumers === 1,
        ADMISSION_WITHIN_MS,
        50,
      );
      // The certificate it had is still valid: regaining admission is not a reason to pay again.
      expect(cfOrders()).toBe(orders);
    } finally {
      await client.delete(resourceTypes.managedCertificates, ns, "web").catch(() => undefined);
      await eventually("certificate gone", () => gone(resourceTypes.managedCertificates, ns, "web"), 20_000, 100);
      await client.delete(resourceTypes.clusterVendorConnections, undefined, cvcName).catch(() => undefined);
      await eventually("connection gone", () => gone(resourceTypes.clusterVendorConnections, undefined, cvcName), 20_000, 100);
    }
  });
});

describe("the retained credentials copy follows the credentials, and only good ones", () => {
  it("no write at steady state; a rejected rotation keeps the last good copy; an accepted one replaces it; it goes with the last user", async () => {
    const ns = await freshNamespace(client, "rc");
    await startOperator(ns);
    await createCredentials(ns);
    await client.create<Obj>(resourceTypes.vendorConnections, {
      metadata: { name: "cf", namespace: ns },
      spec: { credentialsRef: { name: "cf-creds" }, caBundle: sims.caPem, cloudflare: cloudflareBlock() },
    });
    await client.create<Obj>(resourceTypes.managedCertificates, {
      metadata: { name: "web", namespace: ns },
      spec: certificate({ kind: "VendorConnection", name: "cf" }),
    });
    await readyCertificate(ns, "web");
    const uid = (await client.get<Obj>(resourceTypes.vendorConnections, ns, "cf")).metadata.uid!;
    const copyOf = async () => (await retainedCopies()).find((s) => s.metadata.name === retainedName(uid));
    const first = await eventually("retained copy", copyOf);
    const touch = async (value: string) =>
      client.mergePatch(resourceTypes.vendorConnections, ns, "cf", { metadata: { annotations: { "example.com/touched": value } } });
    const readyReason = async () => ready(await client.get<Obj>(resourceTypes.vendorConnections, ns, "cf"))?.reason;

    // A touch makes the controller look again; same credentials, so no write.
    await touch("1");
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await copyOf())?.metadata.resourceVersion).toBe(first.metadata.resourceVersion);

    // Rotated to credentials Cloudflare refuses: the copy keeps the last good ones.
    await client.mergePatch(core.secrets, ns, "cf-creds", { data: { apiToken: b64("refused-".padEnd(40, "x")) } });
    await touch("2");
    await eventually("credentials refused", async () => (await readyReason()) === "CredentialsInvalid", 20_000, 100);
    expect(unb64((await copyOf())?.data?.apiToken)).toBe(cf().apiToken);

    // Rotated to another token of the account that Cloudflare accepts: the copy follows.
    const other = "certbridge-sim-cloudflare-api-token-0002";
    await client.mergePatch(core.secrets, ns, "cf-creds", { data: { apiToken: b64(other) } });
    await touch("3");
    await eventually("copy follows the accepted rotation", async () => unb64((await copyOf())?.data?.apiToken) === other, 20_000, 100);

    // The last user goes: the copy is deleted and the connection released (it is not being deleted, so it stays).
    await client.delete(resourceTypes.managedCertificates, ns, "web");
    await eventually("copy deleted", async () => (await copyOf()) === undefined, 20_000, 100);
    await eventually(
      "connection released",
      async () => {
        const c = await client.get<Obj>(resourceTypes.vendorConnections, ns, "cf");
        return !c.metadata.finalizers?.includes(IN_USE) && c.status?.consumers === 0;
      },
      20_000,
      100,
    );
  });
});
