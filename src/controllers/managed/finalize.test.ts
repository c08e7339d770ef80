// The managed driver's deletion path (finalize.ts) under every kind of vendor error, through its one
// kind (ProvisioningKey) over the typed fake API server and a fake ZPA client. Only the vendor's own
// refusal (a 4xx other than 408/429, refused credentials, or our client refusing to send) makes a
// cleanup impossible: CleanupBlocked with the way out, then released after the grace with the key
// reported left. An answer that was not a refusal — garbled, oversized, a 5xx, none at all — may have
// deleted the key: it is asked again, never taken as deleted, and the finalizer is never released
// because of it, however long it lasts (ADR 0005, ADR 0006 §3).
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type ProvisioningKeyStatus, resourceTypes } from "../../api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { DesiredProvisioningKey, ProvisioningKeyClient } from "../../ports/managed-provisioning-keys.ts";
import type { ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";
import { VendorError, type VendorErrorKind } from "../../ports/vendor-error.ts";
import { FakeClock } from "../../runtime/clock.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import { ProvisioningKeyReconciler } from "../provisioningkey/reconciler.ts";
import { OWNED_SECRET_SELECTOR, type Secret } from "../shared/owned-secret.ts";
import { DEFAULT_CLEANUP_GRACE_MS } from "./decide.ts";
import { cleanupErrorStep } from "./finalize.ts";

type Pk = KubeObject & { spec: Record<string, unknown>; status?: ProvisioningKeyStatus };
type Condition = { type: string; status: string; reason: string; message: string };
type Recorded = { type: string; reason: string; note: string };

const connection = {
  kind: "VendorConnection",
  namespace: "team",
  name: "zpa",
  vendor: "zpa",
  settings: { authMode: "Legacy", customerId: "1" },
  credentials: {},
  fingerprint: "f",
} as ResolvedConnection;

const vendorError = (kind: VendorErrorKind, operation: string, httpStatus?: number, message = `answered ${httpStatus ?? "nothing"}`) =>
  new VendorError({ kind, vendor: "zpa", operation, message, ...(httpStatus === undefined ? {} : { httpStatus }) });

/** ZPA as the driver sees it: keys by id; `deleteFails` / `findFails` throw from delete / find while set. */
function fakeZpa(clock: FakeClock) {
  const keys = new Map<string, ProvisioningKeyRecord>();
  let nextId = 100;
  const behaviour = {
    deleteFails: undefined as VendorError | undefined,
    findFails: undefined as VendorError | undefined,
    createLost: false,
  };
  const client: ProvisioningKeyClient = {
    resolve: async () => ({
      ok: true,
      desired: {
        key: { name: "certbridge.team.edge", associationType: "CONNECTOR_GRP", enabled: true, maxUsage: 3, enrollmentCertId: "1", groupId: "2" },
        group: { id: "2", name: "G" },
        enrollmentCertificate: { id: "1", name: "Connector" },
      },
    }),
    get: async (id) => keys.get(id),
    find: async (name) => {
      if (behaviour.findFails) throw behaviour.findFails;
      return [...keys.values()].find((k) => k.name === name);
    },
    diff: () => [],
    create: async (d: DesiredProvisioningKey) => {
      const k = { ...d.key, id: String(nextId++), value: `3|zpa|${nextId}`, usageCount: 0, createdAt: clock.now().getTime() };
      keys.set(k.id, k);
      if (behaviour.createLost) throw vendorError("transient", "createProvisioningKey"); // made, the answer lost
      return k;
    },
    update: async (k) => k,
    delete: async (id) => {
      if (behaviour.deleteFails) throw behaviour.deleteFails;
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
  return { client, keys, behaviour };
}

function setup() {
  const clock = new FakeClock(Date.parse("2030-01-01T00:00:00Z"));
  const api = new FakeKubeApi({ clock });
  const zpa = fakeZpa(clock);
  const events: Recorded[] = [];
  const reconciler = new ProvisioningKeyReconciler({
    client: api,
    keys: api.cache<KubeObject>(resourceTypes.provisioningKeys),
    secrets: api.cache<Secret>(core.secrets, { labelSelector: OWNED_SECRET_SELECTOR }),
    connections: { resolve: async () => ({ ok: true, connection }) },
    ports: () => ({ provisioningKeyClient: () => zpa.client }),
    events: { record: (_about, event) => void events.push(event) },
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
  const run = async (): Promise<{ thrown?: unknown; requeueAfterMs?: number }> => {
    try {
      return await reconciler.reconcile(ctx, "team/edge");
    } catch (thrown) {
      return { thrown };
    }
  };
  const pk = () => api.peek<Pk>(resourceTypes.provisioningKeys, "team", "edge");
  const condition = (type: string) => (pk()?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
  const remove = () => api.delete(resourceTypes.provisioningKeys, "team", "edge");
  return { clock, zpa, events, run, pk, condition, remove };
}

const afterGrace = DEFAULT_CLEANUP_GRACE_MS + 60_000;

// What each answer to the delete means on the deletion path; the outcome columns are checked below.
const cases = [
  {
    why: "a 200 whose body did not match the schema (garbled): the key may be gone",
    error: vendorError("permanent", "deleteProvisioningKey", 200),
    step: "retry",
  },
  {
    why: "a 200 too large to read: the same",
    error: vendorError("permanent", "deleteProvisioningKey", 200, "response body exceeds the 1048576-byte limit"),
    step: "retry",
  },
  { why: "no answer (timeout, reset): the delete may have happened", error: vendorError("transient", "deleteProvisioningKey"), step: "policy" },
  { why: "a 502 after forwarding: no verdict", error: vendorError("transient", "deleteProvisioningKey", 502), step: "policy" },
  { why: "a 408: ZPA timed out, no verdict", error: vendorError("transient", "deleteProvisioningKey", 408), step: "policy" },
  { why: "a 429: throttled, come back later", error: vendorError("rateLimited", "deleteProvisioningKey", 429), step: "policy" },
  { why: "a 409: a conflict at ZPA often clears (the error policy retries it)", error: vendorError("conflict", "deleteProvisioningKey", 409), step: "policy" },
  { why: "a 400 ZPA refused: asking again will not change it", error: vendorError("invalid", "deleteProvisioningKey", 400), step: "blocked" },
  { why: "another 4xx (405): ZPA will never allow it", error: vendorError("permanent", "deleteProvisioningKey", 405), step: "blocked" },
  { why: "credentials refused (401): as impossible as a missing connection", error: vendorError("credentials", "deleteProvisioningKey", 401), step: "blocked" },
  {
    why: "our client refused to send it (an invalid reference): asking again changes nothing",
    error: vendorError("invalid", "deleteProvisioningKey"),
    step: "blocked",
  },
] as const;

describe("cleanupErrorStep: only the vendor's own refusal makes a cleanup impossible", () => {
  it.each(cases)("$why → $step", ({ error, step }) => {
    expect(cleanupErrorStep(error)).toBe(step);
  });
});

describe("a ProvisioningKey's deletion when ZPA's answer to the delete is an error", () => {
  it.each(cases.filter((c) => c.step !== "blocked"))(
    "$why: asked again, shown in Synced, never released — not even after the grace — until ZPA deletes it",
    async ({ error }) => {
      const s = setup();
      await s.run();
      expect(s.condition("Ready")).toMatchObject({ status: "True" });
      await s.remove();
      s.zpa.behaviour.deleteFails = error;

      expect((await s.run()).thrown, "returned to the queue, which backs off").toBe(error);
      expect(s.condition("Synced")).toMatchObject({ status: "False" });
      expect(s.condition("Synced")?.message).toMatch(/retrying|asking again/);
      expect(s.condition("Ready")?.reason).not.toBe("CleanupBlocked");

      s.clock.advance(afterGrace);
      expect((await s.run()).thrown).toBe(error);
      expect(s.pk()?.metadata.finalizers, "the finalizer holds: the key is still tracked").toContain("certbridge.dev/cleanup");
      expect(s.events.map((e) => e.reason)).not.toContain("KeyOrphaned");
      expect(s.zpa.keys.size).toBe(1);

      s.zpa.behaviour.deleteFails = undefined;
      await s.run();
      expect(s.pk(), "released once ZPA deleted it").toBeUndefined();
      expect(s.zpa.keys.size).toBe(0);
    },
  );

  it.each(cases.filter((c) => c.step === "blocked"))(
    "$why: CleanupBlocked with the vendor's reason and the way out; released after the grace, the key reported left",
    async ({ error }) => {
      const s = setup();
      await s.run();
      await s.remove();
      s.zpa.behaviour.deleteFails = error;

      const first = await s.run();
      expect(first.thrown).toBeUndefined();
      expect(first.requeueAfterMs).toBeGreaterThan(0);
      const ready = s.condition("Ready");
      expect(ready).toMatchObject({ status: "False", reason: "CleanupBlocked" });
      expect(ready?.message, "the vendor's verdict, as classified").toContain(error.httpStatus === undefined ? `(${error.kind})` : `HTTP ${error.httpStatus}`);
      expect(ready?.message).toContain("deletionPolicy: Orphan");
      expect(ready?.message).toMatch(error.kind === "credentials" ? /credentials/ : /ZPA refused the delete/);
      expect(s.events.filter((e) => e.reason === "CleanupBlocked")).toHaveLength(1);

      s.clock.advance(afterGrace);
      await s.run();
      expect(s.pk()).toBeUndefined();
      expect(s.events.find((e) => e.reason === "KeyOrphaned")).toMatchObject({ type: "Warning" });
      expect(s.zpa.keys.size, "left in ZPA, as the Event says").toBe(1);
    },
  );

  it("a garbled answer to the lookup of a create the resource announced: asked again, never released while that key may exist", async () => {
    const s = setup();
    s.zpa.behaviour.createLost = true;
    await s.run(); // the key was made; the answer never came
    expect(s.pk()?.status?.createIntent).toBeDefined();
    s.zpa.behaviour.createLost = false;
    await s.remove();
    const garbled = vendorError("permanent", "listProvisioningKeys", 200);
    s.zpa.behaviour.findFails = garbled;

    expect((await s.run()).thrown).toBe(garbled);
    s.clock.advance(afterGrace);
    expect((await s.run()).thrown).toBe(garbled);
    expect(s.pk()?.metadata.finalizers).toContain("certbridge.dev/cleanup");
    expect(s.condition("Ready")?.reason).not.toBe("CleanupBlocked");

    s.zpa.behaviour.findFails = undefined;
    await s.run();
    expect(s.pk()).toBeUndefined();
    expect(s.zpa.keys.size, "the announced key found and deleted").toBe(0);
  });
});
