// The ProvisioningKey controller on the real control plane against the real ZPA simulator: every
// behaviour of issue 5, with the invariant checked throughout that the Secret holds exactly the key
// the simulator holds, and that the key value never reaches logs, Events or status.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { annotations, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupProvisioningKeyController, type Checkpoint } from "../../src/controllers/provisioningkey/index.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startZpaSimulator, SEED_IDS, type ZpaSimulator } from "../../src/sim/zpa/index.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}
interface Pk extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    id?: string;
    name?: string;
    usageCount?: number;
    maxUsage?: number;
    enabled?: boolean;
    observedRotation?: number;
    group?: { id?: string; name?: string };
    enrollmentCertificate?: { id?: string; name?: string };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

let client: KubeClient;
let sim: ZpaSimulator;
const running: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = adminClient();
  // ZPA's published limits (20 GET + 10 writes per 10 s), enforced.
  sim = await startZpaSimulator();
  ports = createVendorPorts();
});
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});
afterAll(async () => {
  await ports.close();
  await sim.close();
  await client.close();
});

/**
 * One VendorPorts (the operator's registry) for the whole file: ZPA counts its budget per tenant, so
 * every "process" started here draws on the one budget, as replicas of one deployment would. Each
 * operator still gets fresh informers, queue, reconciler memory and Kubernetes client.
 */
let ports: RegistryVendorPorts;
interface Operator {
  readonly manager: Manager;
  readonly logs: string[];
  stop(): Promise<void>;
}

/** A manager running only the ProvisioningKey controller, scoped to one namespace: a fresh "process". */
async function startOperator(ns: string, opts: { driftIntervalMs?: number; checkpoint?: (step: Checkpoint, key: string) => void } = {}): Promise<Operator> {
  const logs: string[] = [];
  const log = createLogger({
    level: "debug",
    destination: {
      write: (line: string) => {
        logs.push(line);
      },
    },
  });
  const manager = new Manager({ client: adminClient("certbridge"), log, metrics: new OperatorMetrics({ defaultMetrics: false }), namespaces: [ns] });
  setupProvisioningKeyController(
    manager,
    { concurrency: 4, identity: "test" },
    {
      ports,
      driftIntervalMs: opts.driftIntervalMs ?? 60 * 60_000,
      ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    },
  );
  await manager.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await manager.stop();
  };
  running.push(stop);
  return { manager, logs, stop };
}

async function zpaConnection(ns: string): Promise<void> {
  const c = sim.credentials[0]!;
  await client.create<Secret>(core.secrets, {
    metadata: { name: "zpa-api", namespace: ns },
    stringData: { clientId: c.clientId, clientSecret: c.clientSecret },
  } as Secret);
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "zpa", namespace: ns },
    spec: { zpa: { baseUrl: sim.url, customerId: sim.customerId }, credentialsRef: { name: "zpa-api" } },
  } as KubeObject);
}

function pkObject(ns: string, name: string, spec: Record<string, unknown> = {}): Pk {
  return {
    metadata: { name, namespace: ns },
    spec: {
      connectionRef: { name: "zpa" },
      associationType: "CONNECTOR_GRP",
      group: { name: "Connector Group A" },
      maxUsage: 3,
      secretName: `${name}-key`,
      ...spec,
    },
  };
}

const getPk = (ns: string, name: string) => client.get<Pk>(resourceTypes.provisioningKeys, ns, name);
const condition = (pk: Pk, type: string) => pk.status?.conditions?.find((c) => c.type === type);

async function getSecret(ns: string, name: string): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(core.secrets, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const secretValue = (s: Secret | undefined, key = "provisioningKey") =>
  s?.data?.[key] === undefined ? undefined : Buffer.from(s.data[key]!, "base64").toString("utf8");
const simKeysNamed = (name: string) => [...sim.zpa.store.keys.values()].filter((k) => k.name === name);
const simKey = (id: string | undefined) => (id === undefined ? undefined : sim.zpa.store.keys.get(id));

async function readyWith(ns: string, name: string, reason: string, extra: (pk: Pk) => boolean = () => true, timeoutMs = 20_000): Promise<Pk> {
  return eventually(
    `${ns}/${name} Ready with ${reason}`,
    async () => {
      const pk = await getPk(ns, name);
      const ready = condition(pk, "Ready");
      return ready?.status === "True" && ready.reason === reason && extra(pk) ? pk : undefined;
    },
    timeoutMs,
  );
}

/** The invariant: the Secret holds the value of exactly the key status names, and ZPA holds that key. */
async function expectDelivered(ns: string, pk: Pk): Promise<string> {
  const secretName = String(pk.spec["secretName"]);
  const stored = simKey(pk.status?.id);
  expect(stored, "the key in status exists in ZPA").toBeDefined();
  const secret = await getSecret(ns, secretName);
  expect(secretValue(secret)).toBe(stored!.provisioningKey);
  expect(secret?.metadata.annotations?.[annotations.vendorRef]).toBe(stored!.id);
  return stored!.provisioningKey;
}

async function eventsOf(ns: string): Promise<Array<{ reason: string; note: string; type: string }>> {
  const list = await client.list<KubeObject & { reason: string; note: string; type: string }>(core.events, { namespace: ns });
  return list.items.map((e) => ({ reason: e.reason, note: e.note, type: e.type }));
}

/** No key value the simulator ever held appears in logs, Events or the status. */
async function expectNoKeyMaterial(ns: string, op: Operator, extra: string[] = []): Promise<void> {
  const values = [...[...sim.zpa.store.keys.values()].map((k) => k.provisioningKey), ...extra];
  const pks = await client.list<Pk>(resourceTypes.provisioningKeys, { namespace: ns });
  const haystacks = [op.logs.join("\n"), JSON.stringify(await eventsOf(ns)), JSON.stringify(pks.items.map((p) => p.status))];
  for (const v of values) for (const h of haystacks) expect(h.includes(v)).toBe(false);
  const metrics = await op.manager.metrics.registry.metrics();
  for (const v of values) expect(metrics.includes(v)).toBe(false);
}

async function adminCall(method: string, path: string, json?: unknown): Promise<void> {
  const res = await fetch(sim.url + path, {
    method,
    headers: { "content-type": "application/json" },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  expect(res.status).toBeLessThan(300);
}

describe("ProvisioningKey (Manage)", () => {
  it("creates the key with the default name, delivers it, reports it, and counts usage up to UsageExhausted", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const op = await startOperator(ns, { driftIntervalMs: 1000 });
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "edge"));
    const pk = await readyWith(ns, "edge", "Created");
    const keyName = `certbridge.${ns}.edge`;
    expect(simKeysNamed(keyName)).toHaveLength(1);
    expect(pk.status).toMatchObject({
      name: keyName,
      usageCount: 0,
      maxUsage: 3,
      enabled: true,
      group: { id: SEED_IDS.connectorGroups.a, name: "Connector Group A" },
      enrollmentCertificate: { id: SEED_IDS.enrollmentCerts.connector, name: "Connector" },
    });
    expect(condition(pk, "Synced")).toMatchObject({ status: "True", reason: "Created" });
    expect(pk.metadata.finalizers).toContain("certbridge.dev/cleanup");
    const value = await expectDelivered(ns, pk);
    const secret = await getSecret(ns, "edge-key");
    expect(secret?.metadata.labels?.["certbridge.dev/owner-kind"]).toBe("ProvisioningKey");
    expect(secret?.metadata.ownerReferences?.[0]?.uid).toBe(pk.metadata.uid);

    // Enrollments happen in ZPA; the drift check reports them, and the gauge follows.
    await adminCall("POST", `/__sim/zpa/provisioning-keys/${pk.status!.id}/usage`, { usageCount: 2 });
    await eventually("usageCount 2", async () => (await getPk(ns, "edge")).status?.usageCount === 2);
    expect(await op.manager.metrics.registry.getSingleMetricAsString("certbridge_provisioningkey_usage")).toContain(
      `certbridge_provisioningkey_usage{namespace="${ns}",name="edge"} 2`,
    );
    await adminCall("POST", `/__sim/zpa/provisioning-keys/${pk.status!.id}/usage`, { usageCount: 3 });
    const exhausted = await eventually("UsageExhausted", async () => {
      const p = await getPk(ns, "edge");
      return condition(p, "Ready")?.reason === "UsageExhausted" ? p : undefined;
    });
    expect(condition(exhausted, "Ready")?.status).toBe("False");
    await eventually("UsageExhausted event", async () => (await eventsOf(ns)).some((e) => e.reason === "UsageExhausted" && e.type === "Warning"));
    expect(secretValue(await getSecret(ns, "edge-key"))).toBe(value);
    expect(sim.state().rateLimit.violations).toBe(0);
    await expectNoKeyMaterial(ns, op);
  });

  it("updates the key in place when the spec changes (same value), then reverts changes made in ZPA", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const op = await startOperator(ns, { driftIntervalMs: 1000 });
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "upd"));
    const created = await readyWith(ns, "upd", "Created");
    const value = await expectDelivered(ns, created);

    await client.mergePatch(resourceTypes.provisioningKeys, ns, "upd", { spec: { maxUsage: 7, group: { name: "Connector Group B" } } });
    const updated = await readyWith(ns, "upd", "Updated", (p) => p.status?.maxUsage === 7);
    expect(updated.status?.id).toBe(created.status?.id);
    expect(simKey(created.status?.id)).toMatchObject({ maxUsage: 7, zcomponentId: SEED_IDS.connectorGroups.b });
    expect(await expectDelivered(ns, updated)).toBe(value);

    // Someone edits the key in the ZPA console: disabled, renamed, maxUsage raised.
    await adminCall("POST", `/__sim/zpa/provisioning-keys/${created.status!.id}/alter`, { enabled: false, name: "hand-edited", maxUsage: 100 });
    await eventually("drift reverted in ZPA", () => {
      const k = simKey(created.status?.id);
      return k?.enabled === true && k.name === `certbridge.${ns}.upd` && k.maxUsage === 7;
    });
    expect(await expectDelivered(ns, await getPk(ns, "upd"))).toBe(value);
    expect(sim.state().created.provisioningKey.CONNECTOR_GRP).toBeGreaterThan(0);
    expect(simKeysNamed(`certbridge.${ns}.upd`)).toHaveLength(1);
    await expectNoKeyMaterial(ns, op);
  });

  it("re-creates a key deleted in ZPA and updates the Secret", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const op = await startOperator(ns, { driftIntervalMs: 1000 });
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "gone"));
    const first = await readyWith(ns, "gone", "Created");
    const oldValue = await expectDelivered(ns, first);
    await adminCall("DELETE", `/__sim/zpa/provisioning-keys/${first.status!.id}`);
    const again = await readyWith(ns, "gone", "Created", (p) => p.status?.id !== first.status?.id);
    const newValue = await expectDelivered(ns, again);
    expect(newValue).not.toBe(oldValue);
    expect(simKeysNamed(`certbridge.${ns}.gone`)).toHaveLength(1);
    await eventually("Recreated event", async () => (await eventsOf(ns)).some((e) => e.reason === "Recreated"));
    await expectNoKeyMaterial(ns, op, [oldValue]);
  });

  it("restores a deleted or altered Secret from ZPA without rotating the key", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const op = await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "sec"));
    const pk = await readyWith(ns, "sec", "Created");
    const value = await expectDelivered(ns, pk);
    const createdBefore = sim.state().created.provisioningKey.CONNECTOR_GRP;

    await client.delete(core.secrets, ns, "sec-key");
    await eventually("Secret restored", async () => secretValue(await getSecret(ns, "sec-key")) === value);

    await client.mergePatch(core.secrets, ns, "sec-key", { data: { provisioningKey: Buffer.from("tampered").toString("base64") } });
    await eventually("Secret repaired", async () => secretValue(await getSecret(ns, "sec-key")) === value);

    expect(sim.state().created.provisioningKey.CONNECTOR_GRP).toBe(createdBefore);
    expect(sim.state().deleted.provisioningKey.CONNECTOR_GRP).toBe(0);
    expect((await getPk(ns, "sec")).status?.id).toBe(pk.status?.id);
    await expectNoKeyMaterial(ns, op);
  });

  it("rotates on a spec counter and on the annotation: delete and re-create, then the Secret", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const op = await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "rot"));
    const first = await readyWith(ns, "rot", "Created");
    const v1 = await expectDelivered(ns, first);

    await client.mergePatch(resourceTypes.provisioningKeys, ns, "rot", { spec: { rotation: 1 } });
    const second = await readyWith(ns, "rot", "Rotated", (p) => p.status?.observedRotation === 1);
    expect(second.status?.id).not.toBe(first.status?.id);
    expect(simKey(first.status?.id)).toBeUndefined();
    const v2 = await expectDelivered(ns, second);
    expect(v2).not.toBe(v1);

    await client.mergePatch(resourceTypes.provisioningKeys, ns, "rot", { metadata: { annotations: { [annotations.rotateRequest]: "2030-01-01T00:00:00Z" } } });
    const third = await readyWith(ns, "rot", "Rotated", (p) => p.status?.id !== second.status?.id);
    const v3 = await expectDelivered(ns, third);
    expect(new Set([v1, v2, v3]).size).toBe(3);
    expect(simKeysNamed(`certbridge.${ns}.rot`)).toHaveLength(1);
    await eventually("Rotated event", async () => (await eventsOf(ns)).some((e) => e.reason === "Rotated"));
    await expectNoKeyMaterial(ns, op, [v1, v2]);
  });

  const deletions = [
    { reason: "Delete removes the key in ZPA and the Secret", policy: "Delete", keyRemains: false },
    { reason: "Orphan leaves the key in ZPA", policy: "Orphan", keyRemains: true },
  ];
  it.each(deletions)("deletionPolicy $policy: $reason", async ({ policy, keyRemains }) => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "del", { deletionPolicy: policy }));
    const pk = await readyWith(ns, "del", "Created");
    await expectDelivered(ns, pk);
    await client.delete(resourceTypes.provisioningKeys, ns, "del");
    await eventually("resource gone (finalizer released)", async () => {
      try {
        await getPk(ns, "del");
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    });
    expect(simKey(pk.status?.id) !== undefined).toBe(keyRemains);
    // Without a garbage collector in the test control plane, only the operator's own delete shows here.
    if (!keyRemains) expect(await getSecret(ns, "del-key")).toBeUndefined();
  });

  it("never touches a foreign Secret: SecretConflict, and the Secret stays byte-identical", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    await startOperator(ns);
    await client.create<Secret>(core.secrets, { metadata: { name: "taken", namespace: ns }, data: { other: Buffer.from("x").toString("base64") } });
    const before = await getSecret(ns, "taken");
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "clash", { secretName: "taken" }));
    await eventually("SecretConflict", async () => condition(await getPk(ns, "clash"), "Ready")?.reason === "SecretConflict");
    const after = await getSecret(ns, "taken");
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.data).toEqual(before?.data);
  });

  it("reports NotFound for a group that does not exist, without creating anything", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "nogroup", { group: { name: "No Such Group" } }));
    const pk = await eventually("NotFound", async () => {
      const p = await getPk(ns, "nogroup");
      return condition(p, "Ready")?.reason === "NotFound" ? p : undefined;
    });
    expect(condition(pk, "Synced")).toMatchObject({ status: "False", reason: "NotFound" });
    expect(simKeysNamed(`certbridge.${ns}.nogroup`)).toHaveLength(0);
  });
});

describe("ProvisioningKey (ObserveOnly)", () => {
  it("adopts an existing key by name, delivers it, reports changes made in ZPA and never writes to ZPA", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    const existing = sim.zpa.putKey({
      id: `9${Date.now()}`,
      associationType: "CONNECTOR_GRP",
      name: `legacy-${ns}`,
      maxUsage: 10,
      usageCount: 4,
      enabled: true,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.b,
      microtenantId: "0",
    });
    const writesBefore = {
      ...sim.state().created.provisioningKey,
      upd: sim.state().updated.provisioningKey.CONNECTOR_GRP,
      del: sim.state().deleted.provisioningKey.CONNECTOR_GRP,
    };
    const op = await startOperator(ns, { driftIntervalMs: 1000 });
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "obs", { managementPolicy: "ObserveOnly", name: `legacy-${ns}`, maxUsage: 1 }));
    const pk = await readyWith(ns, "obs", "Adopted");
    expect(pk.status).toMatchObject({
      id: existing.id,
      usageCount: 4,
      maxUsage: 10,
      group: { id: SEED_IDS.connectorGroups.b, name: "Connector Group B" },
      enrollmentCertificate: { name: "Connector" },
    });
    expect(pk.metadata.finalizers ?? []).not.toContain("certbridge.dev/cleanup");
    await expectDelivered(ns, pk);

    await adminCall("POST", `/__sim/zpa/provisioning-keys/${existing.id}/alter`, { enabled: false });
    await eventually("reported, not reverted", async () => (await getPk(ns, "obs")).status?.enabled === false);
    expect(simKey(existing.id)?.enabled).toBe(false);
    expect(sim.state().created.provisioningKey.CONNECTOR_GRP).toBe(writesBefore.CONNECTOR_GRP);
    expect(sim.state().updated.provisioningKey.CONNECTOR_GRP).toBe(writesBefore.upd);

    await client.delete(resourceTypes.provisioningKeys, ns, "obs");
    await eventually("gone", async () =>
      getPk(ns, "obs").then(
        () => false,
        (e) => isNotFound(e),
      ),
    );
    expect(simKey(existing.id)).toBeDefined();
    expect(sim.state().deleted.provisioningKey.CONNECTOR_GRP).toBe(writesBefore.del);
    await expectNoKeyMaterial(ns, op);
  });

  it("reports NotFound when the named key does not exist", async () => {
    const ns = await freshNamespace(client, "pk");
    await zpaConnection(ns);
    await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "missing", { managementPolicy: "ObserveOnly", name: "nope-nope" }));
    await eventually("NotFound", async () => condition(await getPk(ns, "missing"), "Ready")?.reason === "NotFound");
  });
});

class Killed extends Error {}

describe("crash safety", () => {
  const createPath: Checkpoint[] = [
    "finalizer-added",
    "connection-resolved",
    "references-resolved",
    "looked-up",
    "created",
    "secret-written",
    "status-written",
  ];

  it.each(createPath)("killed at %s on the create path: one key after restart, none after delete", async (step) => {
    const ns = await freshNamespace(client, "kill");
    await zpaConnection(ns);
    let killedAt: string | undefined;
    // Once "killed", this operator never gets past another await point, like a dead process.
    const dying = await startOperator(ns, {
      checkpoint: (s) => {
        if (killedAt !== undefined || s === step) {
          killedAt ??= s;
          throw new Killed(`killed at ${s}`);
        }
      },
    });
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "k"));
    await eventually(`kill at ${step}`, () => killedAt === step);
    await dying.stop();

    await startOperator(ns);
    const pk = await readyWith(ns, "k", "Created");
    expect(simKeysNamed(`certbridge.${ns}.k`)).toHaveLength(1);
    await expectDelivered(ns, pk);

    await client.delete(resourceTypes.provisioningKeys, ns, "k");
    await eventually("gone", async () =>
      getPk(ns, "k").then(
        () => false,
        (e) => isNotFound(e),
      ),
    );
    expect(simKeysNamed(`certbridge.${ns}.k`)).toHaveLength(0);
  });

  const rotationPath: Checkpoint[] = ["rotation-deleted", "created", "secret-written"];
  it.each(rotationPath)("killed at %s during a rotation: rotated exactly once", async (step) => {
    const ns = await freshNamespace(client, "kill");
    await zpaConnection(ns);
    const first = await startOperator(ns);
    await client.create(resourceTypes.provisioningKeys, pkObject(ns, "r"));
    const before = await readyWith(ns, "r", "Created");
    await first.stop();
    const createdBefore = sim.state().created.provisioningKey.CONNECTOR_GRP;

    let killed = false;
    const dying = await startOperator(ns, {
      checkpoint: (s) => {
        if (killed || s === step) {
          killed = true;
          throw new Killed(`killed at ${s}`);
        }
      },
    });
    await client.mergePatch(resourceTypes.provisioningKeys, ns, "r", { spec: { rotation: 1 } });
    await eventually(`kill at ${step}`, () => killed);
    await dying.stop();

    await startOperator(ns);
    const after = await readyWith(ns, "r", "Rotated", (p) => p.status?.observedRotation === 1);
    expect(after.status?.id).not.toBe(before.status?.id);
    expect(simKeysNamed(`certbridge.${ns}.r`)).toHaveLength(1);
    expect(sim.state().created.provisioningKey.CONNECTOR_GRP - createdBefore).toBe(1);
    await expectDelivered(ns, after);
  });
});

describe("scale", () => {
  // At ZPA's real budget (80 % of 10 writes per 10 s on the client) 100 creates take about two and a half minutes.
  it("100 ProvisioningKeys applied at once: all Ready, one create each, 0 rate-limit violations", async () => {
    const ns = await freshNamespace(client, "many");
    await zpaConnection(ns);
    const before = sim.state();
    const op = await startOperator(ns);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        client.create(
          resourceTypes.provisioningKeys,
          pkObject(ns, `k${i}`, i % 2 ? {} : { associationType: "SERVICE_EDGE_GRP", group: { name: "Service Edge Group A" } }),
        ),
      ),
    );
    await eventually(
      "all 100 Ready",
      async () => {
        const list = await client.list<Pk>(resourceTypes.provisioningKeys, { namespace: ns });
        return list.items.length === 100 && list.items.every((p) => condition(p, "Ready")?.status === "True");
      },
      280_000,
      1000,
    );
    const elapsed = Date.now() - started;
    const after = sim.state();
    const created =
      after.created.provisioningKey.CONNECTOR_GRP +
      after.created.provisioningKey.SERVICE_EDGE_GRP -
      before.created.provisioningKey.CONNECTOR_GRP -
      before.created.provisioningKey.SERVICE_EDGE_GRP;
    expect(created).toBe(100);
    const violations = after.rateLimit.violations - before.rateLimit.violations;
    expect(violations).toBe(0);
    const gets = Object.entries(after.endpointCalls)
      .filter(([k]) => k.startsWith("GET "))
      .reduce((n, [k, v]) => n + v - (before.endpointCalls[k] ?? 0), 0);
    // One lookup by name per key, plus one list of groups per type and one of enrollment certificates.
    expect(gets).toBeLessThanOrEqual(100 + 3 + 5);
    const list = await client.list<Pk>(resourceTypes.provisioningKeys, { namespace: ns });
    for (const p of list.items.slice(0, 10)) await expectDelivered(ns, p);
    process.stdout.write(`[provisioningkey] 100 keys Ready in ${elapsed} ms; ZPA GETs ${gets}, creates ${created}, violations ${violations}\n`);
    await expectNoKeyMaterial(ns, op);
  }, 300_000);
});
