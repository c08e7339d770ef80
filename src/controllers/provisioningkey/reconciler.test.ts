// The ProvisioningKey reconciler end to end over the typed fake API server and a fake ZPA client
// (function fields over an in-memory key store): what a reconcile does, call for call, in the cases
// the managed driver exists for — a lost create answer, a refused create, a connection lost while Ready.
import pino from "pino";
import { describe, expect, test } from "vitest";
import { resourceTypes, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { DesiredProvisioningKey, ProvisioningKeyClient } from "../../ports/managed-provisioning-keys.ts";
import type { ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { FakeClock } from "../../runtime/clock.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { core, type KubeObject } from "../../runtime/kube/resource.ts";
import type { ConnectionLookup } from "../shared/connections.ts";
import { OWNED_SECRET_SELECTOR, type Secret } from "../shared/owned-secret.ts";
import { ProvisioningKeyReconciler } from "./reconciler.ts";

type Pk = KubeObject & { spec: Record<string, unknown>; status?: ProvisioningKeyStatus };

const connection = {
  kind: "VendorConnection",
  namespace: "team",
  name: "zpa",
  vendor: "zpa",
  settings: { authMode: "Legacy", customerId: "1" },
  credentials: {},
  fingerprint: "f",
} as ResolvedConnection;

/** ZPA as the driver sees it: keys by id, every call logged; `pendingCreate` holds a create that lands later. */
function fakeZpa(clock: FakeClock) {
  const keys = new Map<string, ProvisioningKeyRecord>();
  const calls: string[] = [];
  let nextId = 100;
  const behaviour = {
    createFails: undefined as VendorError | undefined,
    createLandsLater: false,
    pendingCreate: undefined as ProvisioningKeyRecord | undefined,
  };
  const make = (d: DesiredProvisioningKey): ProvisioningKeyRecord => ({
    ...d.key,
    id: String(nextId++),
    value: `3|zpa|${nextId}`,
    usageCount: 0,
    createdAt: clock.now().getTime(),
  });
  const client: ProvisioningKeyClient = {
    resolve: async () => ({
      ok: true,
      desired: {
        key: { name: "certbridge.team.edge", associationType: "CONNECTOR_GRP", enabled: true, maxUsage: 3, enrollmentCertId: "1", groupId: "2" },
        group: { id: "2", name: "G" },
        enrollmentCertificate: { id: "1", name: "Connector" },
      },
    }),
    get: async (id) => {
      calls.push(`get ${id}`);
      return keys.get(id);
    },
    find: async (name) => {
      calls.push(`find ${name}`);
      return [...keys.values()].find((k) => k.name === name);
    },
    diff: () => [],
    create: async (d) => {
      calls.push("create");
      if (behaviour.createFails !== undefined) throw behaviour.createFails;
      const k = make(d);
      if (behaviour.createLandsLater) {
        behaviour.pendingCreate = k;
        throw new VendorError({ kind: "transient", vendor: "zpa", operation: "createProvisioningKey", message: "timeout: no answer" });
      }
      keys.set(k.id, k);
      return k;
    },
    update: async (k) => k,
    delete: async (id) => {
      calls.push(`delete ${id}`);
      keys.delete(id);
    },
    availability: () => ({ usable: true }),
    absent: (name) => `no key named ${name}`,
    report: async (k) => ({
      id: k.id,
      name: k.name,
      usageCount: k.usageCount,
      maxUsage: k.maxUsage,
      enabled: k.enabled,
      group: { id: k.groupId },
      enrollmentCertificate: { id: k.enrollmentCertId },
    }),
    secretValue: (k) => k.value,
  };
  const land = () => {
    const k = behaviour.pendingCreate!;
    keys.set(k.id, k);
    behaviour.pendingCreate = undefined;
  };
  return { client, keys, calls, behaviour, land };
}

function setup() {
  const clock = new FakeClock(Date.parse("2030-01-01T00:00:00Z"));
  const api = new FakeKubeApi({ clock });
  const zpa = fakeZpa(clock);
  let lookup: ConnectionLookup = { ok: true, connection };
  const reconciler = new ProvisioningKeyReconciler({
    client: api,
    keys: api.cache<KubeObject>(resourceTypes.provisioningKeys),
    secrets: api.cache<Secret>(core.secrets, { labelSelector: OWNED_SECRET_SELECTOR }),
    connections: { resolve: async () => lookup },
    ports: () => ({ provisioningKeyClient: () => zpa.client }),
    events: { record: () => {} },
    metrics: { set: () => {}, remove: () => {} },
    driftIntervalMs: 60 * 60_000,
    clock,
    random: () => 0,
  });
  api.seed(resourceTypes.provisioningKeys, {
    metadata: { name: "edge", namespace: "team" },
    spec: {
      connectionRef: { kind: "VendorConnection", name: "zpa" },
      associationType: "CONNECTOR_GRP",
      group: { name: "G" },
      maxUsage: 3,
      secretName: "edge-key",
    },
  } as Pk);
  const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal };
  const run = async () => {
    try {
      return await reconciler.reconcile(ctx, "team/edge");
    } catch (e) {
      return { thrown: e };
    }
  };
  const pk = () => api.peek<Pk>(resourceTypes.provisioningKeys, "team", "edge")!;
  const ready = () => pk().status?.conditions?.find((c) => c.type === "Ready");
  return {
    clock,
    api,
    zpa,
    run,
    pk,
    ready,
    setLookup: (l: ConnectionLookup) => {
      lookup = l;
    },
  };
}

describe("ProvisioningKeyReconciler", () => {
  test("a create whose answer was lost is looked up, never repeated, within the settle window; the late key is its own", async () => {
    const s = setup();
    s.zpa.behaviour.createLandsLater = true;
    expect(await s.run()).toMatchObject({ thrown: expect.any(VendorError) }); // retried by the queue
    expect(s.pk().status?.createIntent?.name).toBe("certbridge.team.edge");
    s.zpa.behaviour.createLandsLater = false;

    s.clock.advance(20_000);
    expect(await s.run()).toEqual({ requeueAfterMs: 15_000 }); // nothing found yet: look again, create nothing
    s.zpa.land();
    s.clock.advance(15_000);
    await s.run();
    expect(s.zpa.calls.filter((c) => c === "create")).toHaveLength(1);
    expect(s.pk().status).toMatchObject({ id: "100", name: "certbridge.team.edge" });
    expect(s.pk().status?.createIntent).toBeUndefined();
    expect(s.ready()).toMatchObject({ status: "True", reason: "Created" });
  });

  test("once the settle window has passed with nothing found, it creates again", async () => {
    const s = setup();
    s.zpa.behaviour.createLandsLater = true;
    await s.run();
    s.zpa.behaviour.createLandsLater = false;
    s.zpa.behaviour.pendingCreate = undefined; // that create never lands
    s.clock.advance(2 * 60_000);
    await s.run();
    expect(s.zpa.calls.filter((c) => c === "create")).toHaveLength(2);
    expect(s.ready()).toMatchObject({ status: "True", reason: "Created" });
  });

  test("a create ZPA refused withdraws its intent: the next attempt need not wait out a create that never happened", async () => {
    const s = setup();
    s.zpa.behaviour.createFails = new VendorError({
      kind: "rateLimited",
      vendor: "zpa",
      operation: "createProvisioningKey",
      message: "429",
      retryAfterMs: 1000,
    });
    await s.run();
    expect(s.pk().status?.createIntent).toBeUndefined();
    expect(s.ready()).toMatchObject({ status: "False", reason: "RateLimited" });
    s.zpa.behaviour.createFails = undefined;
    s.clock.advance(1_000);
    await s.run();
    expect(s.zpa.calls.filter((c) => c === "create")).toHaveLength(2);
    expect(s.ready()).toMatchObject({ status: "True" });
  });

  test("a Ready key whose connection stops admitting its namespace says so at once, with no ZPA call", async () => {
    const s = setup();
    await s.run();
    expect(s.ready()).toMatchObject({ status: "True" });
    const callsBefore = s.zpa.calls.length;
    s.setLookup({ ok: false, reason: "ConnectionNotPermitted", message: "ClusterVendorConnection shared does not admit namespace team (namespaceSelector)" });
    s.clock.advance(60_000); // long before the next drift check
    expect(await s.run()).toEqual({ requeueAfterMs: 5 * 60_000 });
    expect(s.ready()).toMatchObject({ status: "False", reason: "ConnectionNotPermitted" });
    expect(s.zpa.calls.length).toBe(callsBefore);

    // Admitted again: the failed sync brings it back.
    s.setLookup({ ok: true, connection });
    await s.run();
    expect(s.ready()).toMatchObject({ status: "True" });
  });

  test("a Ready key between drift checks costs no ZPA call and no write", async () => {
    const s = setup();
    await s.run();
    const calls = s.zpa.calls.length;
    const writes = s.api.writes.length;
    s.clock.advance(60_000);
    expect((await s.run()) as { requeueAfterMs: number }).toMatchObject({ requeueAfterMs: 59 * 60_000 });
    expect([s.zpa.calls.length, s.api.writes.length]).toEqual([calls, writes]);
  });
});
