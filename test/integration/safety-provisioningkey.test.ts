// Issue 9 on the real control plane and the ZPA simulator, for ProvisioningKeys: tenants stay apart
// even through one shared ClusterVendorConnection (finding 4), a pre-existing key is taken over only
// when the resource asks and the connection allows it, Delete keys do not hold their finalizer forever
// when the connection and credentials go first (finding 5), and the ProvisioningKey holes of
// finding 6 (blank-padded names, a foreign Secret). The rate limiter's restart behaviour is a unit
// test (src/vendors/shared/rate-limiter.test.ts).
//
// Field and reason names are spelled out (not imported) so the file also runs against the code
// before these guarantees, where it must fail.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupProvisioningKeyController } from "../../src/controllers/provisioningkey/index.ts";
import { provideVendorPorts } from "../../src/controllers/shared/vendor-ports.ts";
import { setupVendorConnectionControllers } from "../../src/controllers/vendorconnection/index.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startZpaSimulator, SEED_IDS, type ZpaSimulator } from "../../src/sim/zpa/index.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { id?: string; name?: string; conditions?: Condition[] };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

let client: KubeClient;
let sim: ZpaSimulator;
/** One registry for the file (ZPA counts per tenant): its limiter warms up once, as a process would. */
let ports: RegistryVendorPorts;
let credsNs: string;
const running: Manager[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  client = adminClient();
  sim = await startZpaSimulator();
  ports = createVendorPorts();
  credsNs = await freshNamespace(client, "creds");
  const c = sim.credentials[0]!;
  await client.create<Obj>(core.secrets, {
    metadata: { name: "zpa-api", namespace: credsNs },
    stringData: { clientId: c.clientId, clientSecret: c.clientSecret },
  });
});
afterEach(async () => {
  for (const m of running.splice(0)) await m.stop();
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});
afterAll(async () => {
  await ports?.close();
  await sim?.close();
  await client?.close();
});

/** The operator's ProvisioningKey controller watching `namespaces` (optionally with the connection controllers). */
async function startOperator(namespaces: string[], opts: { connections?: boolean; cleanupGraceMs?: number } = {}): Promise<Manager> {
  const manager = new Manager({ client: adminClient("certbridge"), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }), namespaces });
  provideVendorPorts(manager, ports);
  if (opts.connections) {
    setupVendorConnectionControllers(manager, { concurrency: 2, namespaces, identity: "pk-safety", leaderElectionNamespace: credsNs } as Parameters<
      typeof setupVendorConnectionControllers
    >[1]);
  }
  setupProvisioningKeyController(
    manager,
    { concurrency: 2, identity: "pk-safety" },
    {
      ports,
      driftIntervalMs: 60 * 60_000,
      ...(opts.cleanupGraceMs === undefined ? {} : { cleanupGraceMs: opts.cleanupGraceMs }),
    },
  );
  await manager.start();
  running.push(manager);
  return manager;
}

/** A ClusterVendorConnection admitting exactly `namespaces`, optionally with an adoption policy. */
async function sharedConnection(namespaces: string[], adoption?: Record<string, unknown>): Promise<string> {
  const name = `zpa-shared-${namespaces[0]}`;
  await client.create<Obj>(resourceTypes.clusterVendorConnections, {
    metadata: { name },
    spec: {
      zpa: { baseUrl: sim.url, customerId: sim.customerId },
      credentialsRef: { name: "zpa-api", namespace: credsNs },
      namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }] },
      ...(adoption === undefined ? {} : { adoption }),
    },
  });
  cleanups.push(async () => {
    const c = await client.get<Obj>(resourceTypes.clusterVendorConnections, undefined, name);
    if (c.metadata.finalizers?.length) await client.mergePatch(resourceTypes.clusterVendorConnections, undefined, name, { metadata: { finalizers: [] } });
    await client.delete(resourceTypes.clusterVendorConnections, undefined, name);
  });
  return name;
}

/** A VendorConnection in `ns` with its own credentials Secret. */
async function namespacedConnection(ns: string): Promise<void> {
  const c = sim.credentials[0]!;
  await client.create<Obj>(core.secrets, { metadata: { name: "zpa-api", namespace: ns }, stringData: { clientId: c.clientId, clientSecret: c.clientSecret } });
  await client.create<Obj>(resourceTypes.vendorConnections, {
    metadata: { name: "zpa", namespace: ns },
    spec: { zpa: { baseUrl: sim.url, customerId: sim.customerId }, credentialsRef: { name: "zpa-api" } },
  });
}

const pkSpec = (connectionRef: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  connectionRef,
  associationType: "CONNECTOR_GRP",
  group: { name: "Connector Group A" },
  maxUsage: 3,
  secretName: "zpa-key",
  ...extra,
});

const condition = (o: Obj | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);
const getPk = (ns: string, name: string) => client.get<Obj>(resourceTypes.provisioningKeys, ns, name);
const simKey = (id: string | undefined) => (id === undefined ? undefined : sim.zpa.store.keys.get(id));
const keysNamed = (name: string) => [...sim.zpa.store.keys.values()].filter((k) => k.name.trim() === name.trim());
const zpaCalls = () => Object.values(sim.state().endpointCalls).reduce((n, v) => n + v, 0);

async function getSecret(ns: string, name: string): Promise<Obj | undefined> {
  try {
    return await client.get<Obj>(core.secrets, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function gone(ns: string, name: string): Promise<boolean> {
  return getPk(ns, name).then(
    () => false,
    (e) => isNotFound(e),
  );
}

async function withReason(ns: string, name: string, type: string, reason: string, timeoutMs = 30_000): Promise<Obj> {
  return eventually(
    `${ns}/${name} ${type}=${reason}`,
    async () => {
      const pk = await getPk(ns, name);
      return condition(pk, type)?.reason === reason ? pk : undefined;
    },
    timeoutMs,
    100,
  );
}

async function events(ns: string): Promise<Array<{ reason: string; type: string; note: string }>> {
  return (await client.list<KubeObject & { reason: string; type: string; note: string }>(core.events, { namespace: ns })).items.map((e) => ({
    reason: e.reason,
    type: e.type,
    note: e.note,
  }));
}

/** A key made in ZPA outside certbridge (the console, Terraform). */
function preExisting(name: string) {
  return sim.zpa.putKey({
    id: `7${Date.now()}${Math.floor(Math.random() * 1000)}`,
    associationType: "CONNECTOR_GRP",
    name,
    maxUsage: 10,
    usageCount: 2,
    enabled: true,
    enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
    zcomponentId: SEED_IDS.connectorGroups.b,
    microtenantId: "0",
  });
}

describe("finding 4: one ClusterVendorConnection, two namespaces, one key", () => {
  const intrusions = [
    { reason: "ObserveOnly would copy the key's value", spec: { managementPolicy: "ObserveOnly" } },
    { reason: "Manage would take it over, disable and reshape it", spec: { enabled: false, maxUsage: 99, adopt: true } },
    { reason: "Manage with deletionPolicy Delete, then deleted, would delete it", spec: { deletionPolicy: "Delete", adopt: true }, deleteAfter: true },
  ];
  it.each(intrusions)("namespace B names A's key: $reason — refused with no ZPA call at all", async ({ spec, deleteAfter }) => {
    const a = await freshNamespace(client, "tenant-a");
    const b = await freshNamespace(client, "tenant-b");
    // Even an adoption policy admitting both namespaces does not let B reach a key A's resource holds.
    const cvc = await sharedConnection([a, b], { namespaceSelector: {} });
    await startOperator([a, b]);
    const ref = { kind: "ClusterVendorConnection", name: cvc };
    // The key's name says nothing about A's namespace, so a message naming it would be a leak.
    const keyName = `team-edge-${Math.random().toString(36).slice(2, 10)}`;
    await client.create<Obj>(resourceTypes.provisioningKeys, { metadata: { name: "edge", namespace: a }, spec: pkSpec(ref, { name: keyName }) });
    const owned = await withReason(a, "edge", "Ready", "Created");
    const before = simKey(owned.status?.id)!;
    const valueBefore = before.provisioningKey;
    const callsBefore = zpaCalls();

    await client.create<Obj>(resourceTypes.provisioningKeys, { metadata: { name: "intruder", namespace: b }, spec: pkSpec(ref, { name: keyName, ...spec }) });
    const refused = await withReason(b, "intruder", "Ready", "KeyClaimed");
    expect(condition(refused, "Ready")?.status).toBe("False");
    expect(condition(refused, "Ready")?.message, "another tenant's namespace is never named").not.toContain(a);
    expect(refused.status?.id).toBeUndefined();
    expect(await getSecret(b, "zpa-key"), "no copy of A's key in B").toBeUndefined();
    await eventually("Warning event in B", async () => (await events(b)).some((e) => e.reason === "KeyClaimed" && e.type === "Warning" && !e.note.includes(a)));

    if (deleteAfter) {
      await client.delete(resourceTypes.provisioningKeys, b, "intruder");
      await eventually("B's resource gone (nothing of its own to delete)", () => gone(b, "intruder"));
    }
    expect(zpaCalls() - callsBefore, "B made no ZPA call, not even a read").toBe(0);
    const after = simKey(owned.status?.id);
    expect(after, "A's key still exists").toBeDefined();
    expect(after).toMatchObject({ enabled: true, maxUsage: 3, name: keyName, provisioningKey: valueBefore });
    expect(keysNamed(keyName)).toHaveLength(1);
    expect(condition(await getPk(a, "edge"), "Ready")).toMatchObject({ status: "True", reason: "Created" });
  });

  it("a name of the form certbridge.<A>.… is A's default name: B cannot squat it", async () => {
    const a = await freshNamespace(client, "tenant-a");
    const b = await freshNamespace(client, "tenant-b");
    const cvc = await sharedConnection([a, b], { namespaceSelector: {} });
    await startOperator([a, b]);
    const callsBefore = zpaCalls();
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "squat", namespace: b },
      spec: pkSpec({ kind: "ClusterVendorConnection", name: cvc }, { name: `certbridge.${a}.edge` }),
    });
    const refused = await withReason(b, "squat", "Ready", "InvalidSpec");
    expect(condition(refused, "Ready")?.message).toContain("reserved");
    expect(zpaCalls() - callsBefore).toBe(0);
    expect(keysNamed(`certbridge.${a}.edge`)).toHaveLength(0);
  });

  it("two resources in one namespace naming one key: the later one is told which resource holds it", async () => {
    const a = await freshNamespace(client, "tenant-a");
    await namespacedConnection(a);
    await startOperator([a]);
    const ref = { kind: "VendorConnection", name: "zpa" };
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "first", namespace: a },
      spec: pkSpec(ref, { name: `same-${a}`, secretName: "first-key" }),
    });
    await withReason(a, "first", "Ready", "Created");
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "second", namespace: a },
      spec: pkSpec(ref, { name: `same-${a}`, secretName: "second-key", adopt: true }),
    });
    const second = await withReason(a, "second", "Ready", "KeyClaimed");
    expect(condition(second, "Ready")?.message).toContain("ProvisioningKey first in this namespace");
    expect(await getSecret(a, "second-key")).toBeUndefined();
    expect(keysNamed(`same-${a}`)).toHaveLength(1);
  });
});

describe("adoption only when asked for and allowed", () => {
  it("Manage over a pre-existing key: refused without spec.adopt, nothing written or copied; with it (VendorConnection) Adopted, not Created", async () => {
    const ns = await freshNamespace(client, "adopt");
    await namespacedConnection(ns);
    const existing = preExisting(`console-made-${ns}`);
    const valueBefore = existing.provisioningKey;
    await startOperator([ns]);
    const writes = () => {
      const s = sim.state();
      return s.created.provisioningKey.CONNECTOR_GRP + s.updated.provisioningKey.CONNECTOR_GRP + s.deleted.provisioningKey.CONNECTOR_GRP;
    };
    const writesBefore = writes();
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { name: existing.name, maxUsage: 5 }),
    });
    const refused = await withReason(ns, "k", "Ready", "AdoptionNotAllowed");
    expect(condition(refused, "Ready")?.message).toContain("spec.adopt");
    expect(writes() - writesBefore, "no ZPA write").toBe(0);
    expect(await getSecret(ns, "zpa-key"), "no value copied").toBeUndefined();
    expect(simKey(existing.id)).toMatchObject({ maxUsage: 10, zcomponentId: SEED_IDS.connectorGroups.b, provisioningKey: valueBefore });

    await client.mergePatch(resourceTypes.provisioningKeys, ns, "k", { spec: { adopt: true } });
    const adopted = await withReason(ns, "k", "Ready", "Adopted");
    expect(condition(adopted, "Synced")).toMatchObject({ status: "True", reason: "Adopted" });
    expect(adopted.status?.id).toBe(existing.id);
    expect(simKey(existing.id)).toMatchObject({ maxUsage: 5, zcomponentId: SEED_IDS.connectorGroups.a, provisioningKey: valueBefore });
    expect(keysNamed(existing.name)).toHaveLength(1);
    await eventually("Adopted event", async () => (await events(ns)).some((e) => e.reason === "Adopted"));
  });

  it("through a ClusterVendorConnection: refused unless its spec.adoption admits the namespace (ObserveOnly and Manage alike)", async () => {
    const allowed = await freshNamespace(client, "adopt-yes");
    const denied = await freshNamespace(client, "adopt-no");
    const cvc = await sharedConnection([allowed, denied], {
      namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [allowed] }] },
      namePrefix: "legacy-",
    });
    const observed = preExisting(`legacy-observed-${allowed}`);
    const managed = preExisting(`legacy-managed-${allowed}`);
    const unprefixed = preExisting(`other-${allowed}`);
    await startOperator([allowed, denied]);
    const ref = { kind: "ClusterVendorConnection", name: cvc };
    const callsBefore = zpaCalls();
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "obs", namespace: denied },
      spec: pkSpec(ref, { managementPolicy: "ObserveOnly", name: observed.name }),
    });
    const obsRefused = await withReason(denied, "obs", "Ready", "AdoptionNotAllowed");
    expect(condition(obsRefused, "Ready")?.message).toContain("spec.adoption");
    expect(zpaCalls() - callsBefore, "ObserveOnly refused before any ZPA call").toBe(0);
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "mng", namespace: denied },
      spec: pkSpec(ref, { name: managed.name, adopt: true }),
    });
    await withReason(denied, "mng", "Ready", "AdoptionNotAllowed");
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "pfx", namespace: allowed },
      spec: pkSpec(ref, { name: unprefixed.name, adopt: true, secretName: "pfx-key" }),
    });
    expect(condition(await withReason(allowed, "pfx", "Ready", "AdoptionNotAllowed"), "Ready")?.message).toContain("namePrefix");
    for (const [ns, s] of [
      [denied, "zpa-key"],
      [allowed, "pfx-key"],
    ] as const)
      expect(await getSecret(ns, s)).toBeUndefined();
    expect(simKey(managed.id)).toMatchObject({ maxUsage: 10, zcomponentId: SEED_IDS.connectorGroups.b });

    // The same asks from the admitted namespace, for names with the prefix.
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "obs", namespace: allowed },
      spec: pkSpec(ref, { managementPolicy: "ObserveOnly", name: observed.name, secretName: "obs-key" }),
    });
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "mng", namespace: allowed },
      spec: pkSpec(ref, { name: managed.name, adopt: true, secretName: "mng-key" }),
    });
    await withReason(allowed, "obs", "Ready", "Adopted");
    const mng = await withReason(allowed, "mng", "Ready", "Adopted");
    expect(mng.status?.id).toBe(managed.id);
    expect(Buffer.from((await getSecret(allowed, "mng-key"))!.data!["provisioningKey"]!, "base64").toString()).toBe(managed.provisioningKey);
  });
});

describe("finding 6: blank-padded names and foreign Secrets", () => {
  it("the API server refuses a name with leading or trailing blanks", async () => {
    const ns = await freshNamespace(client, "blank");
    for (const name of [" edge", "edge ", "\tedge", "edge\u00a0"]) {
      const e = await client
        .create<Obj>(resourceTypes.provisioningKeys, {
          metadata: { name: "padded", namespace: ns },
          spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { name }),
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(String(e), JSON.stringify(name)).toContain("must not begin or end with blanks");
    }
  });

  it("a key stored in ZPA with blanks around its name is found, not created a second time", async () => {
    const ns = await freshNamespace(client, "blank");
    await namespacedConnection(ns);
    const padded = preExisting(`  padded-${ns} `);
    await startOperator([ns]);
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { name: `padded-${ns}`, adopt: true }),
    });
    const pk = await withReason(ns, "k", "Ready", "Adopted");
    expect(pk.status?.id).toBe(padded.id);
    expect(keysNamed(`padded-${ns}`), "one key for the name").toHaveLength(1);
  });

  it("a foreign target Secret: no ZPA key is created, nothing asked of ZPA, the Secret stays byte-identical", async () => {
    const ns = await freshNamespace(client, "foreign");
    await namespacedConnection(ns);
    await client.create<Obj>(core.secrets, { metadata: { name: "taken", namespace: ns }, data: { other: Buffer.from("x").toString("base64") } });
    const before = await getSecret(ns, "taken");
    await startOperator([ns]);
    const callsBefore = zpaCalls();
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { secretName: "taken" }),
    });
    const pk = await withReason(ns, "k", "Ready", "SecretConflict");
    expect(condition(pk, "Synced")?.status).toBe("False");
    expect(keysNamed(`certbridge.${ns}.k`)).toHaveLength(0);
    expect(zpaCalls() - callsBefore).toBe(0);
    const after = await getSecret(ns, "taken");
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);

    // Freed (foreign Secrets are not watched: a touch wakes the resource, else the next retry does).
    await client.delete(core.secrets, ns, "taken");
    await client.mergePatch(resourceTypes.provisioningKeys, ns, "k", { metadata: { annotations: { touched: "1" } } });
    await withReason(ns, "k", "Ready", "Created");
    expect(keysNamed(`certbridge.${ns}.k`)).toHaveLength(1);
  });
});

describe("finding 5: deletionPolicy Delete after the connection and its credentials are gone", () => {
  it("with the connection controllers (in-use finalizer, retained credentials): the key is deleted in ZPA and the finalizer released", async () => {
    const ns = await freshNamespace(client, "td");
    await namespacedConnection(ns);
    await startOperator([ns], { connections: true });
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { deletionPolicy: "Delete" }),
    });
    const pk = await withReason(ns, "k", "Ready", "Created");
    expect(simKey(pk.status?.id)).toBeDefined();
    await eventually("the connection knows its consumer", async () =>
      (await client.get<Obj>(resourceTypes.vendorConnections, ns, "zpa")).metadata.finalizers?.includes("certbridge.dev/in-use"),
    );

    // A GitOps prune in the worst order: credentials, connection, then the key.
    await client.delete(core.secrets, ns, "zpa-api");
    await client.delete(resourceTypes.vendorConnections, ns, "zpa");
    await client.delete(resourceTypes.provisioningKeys, ns, "k");
    await eventually("finalizer released", () => gone(ns, "k"), 60_000, 200);
    expect(simKey(pk.status?.id), "the key was deleted in ZPA").toBeUndefined();
    expect(keysNamed(`certbridge.${ns}.k`)).toHaveLength(0);
  });

  it("nothing is rotated while the namespace is being deleted (the key stays as it is)", async () => {
    const ns = await freshNamespace(client, "td");
    await namespacedConnection(ns);
    await startOperator([ns]);
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { deletionPolicy: "Orphan" }),
    });
    const pk = await withReason(ns, "k", "Ready", "Created");
    const value = simKey(pk.status?.id)!.provisioningKey;
    // No namespace controller here: the namespace stays Terminating with everything in it.
    await client.delete(core.namespaces, undefined, ns);
    await client.mergePatch(resourceTypes.provisioningKeys, ns, "k", { spec: { rotation: 1 } });
    await withReason(ns, "k", "Synced", "NamespaceTerminating");
    expect(simKey(pk.status?.id)?.provisioningKey, "the key was not rotated").toBe(value);
    expect(keysNamed(`certbridge.${ns}.k`)).toHaveLength(1);
  });

  it("with no way left to delete it: CleanupBlocked says so with the way out, then after the grace it is released and the key reported left", async () => {
    const ns = await freshNamespace(client, "td");
    await namespacedConnection(ns);
    const graceMs = 6_000;
    await startOperator([ns], { cleanupGraceMs: graceMs });
    await client.create<Obj>(resourceTypes.provisioningKeys, {
      metadata: { name: "k", namespace: ns },
      spec: pkSpec({ kind: "VendorConnection", name: "zpa" }, { deletionPolicy: "Delete" }),
    });
    const pk = await withReason(ns, "k", "Ready", "Created");
    // Without the connection controllers nothing holds the connection or keeps a copy of its credentials.
    await client.delete(resourceTypes.vendorConnections, ns, "zpa");
    await client.delete(core.secrets, ns, "zpa-api");
    await eventually("connection gone", async () =>
      client.get(resourceTypes.vendorConnections, ns, "zpa").then(
        () => false,
        (e) => isNotFound(e),
      ),
    );
    await client.delete(resourceTypes.provisioningKeys, ns, "k");
    const blocked = await withReason(ns, "k", "Ready", "CleanupBlocked");
    expect(condition(blocked, "Ready")?.message).toContain("deletionPolicy: Orphan");
    await eventually("CleanupBlocked event", async () => (await events(ns)).some((e) => e.reason === "CleanupBlocked" && e.type === "Warning"));
    await eventually("released after the grace", () => gone(ns, "k"), graceMs + 30_000, 200);
    // The Event is sent just before the finalizer goes, without waiting for it: it may land after.
    const orphaned = await eventually("a KeyOrphaned Event", async () => (await events(ns)).find((e) => e.reason === "KeyOrphaned"));
    expect(orphaned?.type).toBe("Warning");
    expect(orphaned?.note).toContain(pk.status!.id!);
    expect(simKey(pk.status?.id), "left in ZPA, and said so").toBeDefined();
  });
});
