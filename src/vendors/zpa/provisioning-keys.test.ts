// ZpaProvisioningKeyService against the ZPA simulator over HTTP: the port's contract, the lookups'
// caching (counted in the simulator's endpoint calls) and the not-found conventions.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { PROVISIONING_KEY_FORMAT } from "../../sim/zpa/key-value.ts";
import type { ProvisioningKeyDesired } from "../../ports/provisioning-keys.ts";
import { VendorError } from "../shared/errors.ts";
import type { Clock } from "../shared/clock.ts";
import { ZpaProvisioningKeyService } from "./provisioning-keys.ts";
import { legacyClient, rejection } from "./testing.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: { get: 100_000, write: 100_000 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const fast = {
  rateLimitRules: { read: { limit: 100_000, windowMs: 1000 }, write: { limit: 100_000, windowMs: 1000 }, default: { limit: 100_000, windowMs: 1000 } },
};
const signal = new AbortController().signal;

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async () => {},
    advance: (ms) => {
      now += ms;
    },
  };
}

function service(over: { clock?: Clock; cacheTtlMs?: number; missRefreshMs?: number } = {}) {
  return new ZpaProvisioningKeyService(legacyClient(sim, fast), over);
}

const calls = (endpoint: string): number => sim.state().endpointCalls[endpoint] ?? 0;

const desired = (over: Partial<ProvisioningKeyDesired> = {}): ProvisioningKeyDesired => ({
  name: "certbridge-ns-a",
  associationType: "CONNECTOR_GRP",
  enabled: true,
  maxUsage: 3,
  enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
  groupId: SEED_IDS.connectorGroups.a,
  ...over,
});

describe("keys", () => {
  test("create returns the record with the secret value; get and findByName see the same key", async () => {
    const s = service();
    const created = await s.create(desired(), signal);
    expect(created).toMatchObject({
      name: "certbridge-ns-a",
      associationType: "CONNECTOR_GRP",
      enabled: true,
      maxUsage: 3,
      usageCount: 0,
      groupId: SEED_IDS.connectorGroups.a,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
    });
    expect(created.value).toMatch(PROVISIONING_KEY_FORMAT);
    expect(await s.get("CONNECTOR_GRP", created.id, undefined, signal)).toEqual(created);
    expect((await s.findByName("CONNECTOR_GRP", "certbridge-ns-a", undefined, signal))?.id).toBe(created.id);
  });

  const absent: Array<{ reason: string; run: (s: ZpaProvisioningKeyService, id: string) => Promise<unknown> }> = [
    { reason: "get of an unknown id is undefined, not an error", run: (s) => s.get("CONNECTOR_GRP", "999999", undefined, signal) },
    { reason: "a key is visible only under its own association type", run: (s, id) => s.get("SERVICE_EDGE_GRP", id, undefined, signal) },
    { reason: "findByName matches exactly, never a substring", run: (s) => s.findByName("CONNECTOR_GRP", "certbridge-ns", undefined, signal) },
  ];
  test.each(absent)("$reason", async ({ run }) => {
    const s = service();
    const created = await s.create(desired(), signal);
    expect(await run(s, created.id)).toBeUndefined();
  });

  test("update sends the full payload and keeps the key value", async () => {
    const s = service();
    const created = await s.create(desired(), signal);
    await s.update(created.id, desired({ maxUsage: 9, enabled: false, groupId: SEED_IDS.connectorGroups.b }), signal);
    const got = await s.get("CONNECTOR_GRP", created.id, undefined, signal);
    expect(got).toMatchObject({ maxUsage: 9, enabled: false, groupId: SEED_IDS.connectorGroups.b, value: created.value });
  });

  test("delete removes the key; deleting a missing key is success", async () => {
    const s = service();
    const created = await s.create(desired(), signal);
    await s.delete("CONNECTOR_GRP", created.id, undefined, signal);
    expect(await s.get("CONNECTOR_GRP", created.id, undefined, signal)).toBeUndefined();
    await expect(s.delete("CONNECTOR_GRP", created.id, undefined, signal)).resolves.toBeUndefined();
  });

  test("ZPA's refusal (a group of the other type) surfaces as a classified VendorError", async () => {
    const e = await rejection(service().create(desired({ groupId: SEED_IDS.serviceEdgeGroups.a }), signal));
    expect(e).toBeInstanceOf(VendorError);
    expect((e as VendorError).kind).toBe("invalid");
    expect((e as VendorError).message).not.toMatch(PROVISIONING_KEY_FORMAT);
  });

  test("microtenantId is sent: a key made in a microtenant is found there", async () => {
    const s = service();
    const mt = SEED_IDS.microtenant;
    const created = await s.create(desired({ microtenantId: mt, groupId: SEED_IDS.connectorGroups.microtenant }), signal);
    expect(created.microtenantId).toBe(mt);
    expect((await s.findByName("CONNECTOR_GRP", created.name, mt, signal))?.id).toBe(created.id);
  });
});

describe("findByName: names compared without blanks at either end, after every page", () => {
  // ZPA stores names verbatim but trims the search value: a padded key must still be found, or a
  // second key with the same name gets created (issue 9, finding 6).
  const put = (id: string, name: string) =>
    sim.zpa.putKey({
      id,
      associationType: "CONNECTOR_GRP",
      name,
      maxUsage: 1,
      usageCount: 0,
      enabled: true,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.a,
      microtenantId: "0",
    });
  const cases: Array<{ reason: string; stored: Array<[string, string]>; asked: string; want: string | undefined }> = [
    { reason: "a key stored with blanks is found by its bare name", stored: [["9001", "  padded-key "]], asked: "padded-key", want: "9001" },
    { reason: "a bare key is found by a padded name", stored: [["9001", "bare-key"]], asked: " bare-key\t", want: "9001" },
    {
      reason: "the exact name wins over a padded twin",
      stored: [
        ["9001", " twin"],
        ["9002", "twin"],
      ],
      asked: "twin",
      want: "9002",
    },
    {
      reason: "among padded twins, the lowest id (the same answer every time)",
      stored: [
        ["12", "twin "],
        ["9", " twin"],
      ],
      asked: "twin",
      want: "9",
    },
    { reason: "a longer name containing it is another key", stored: [["9001", "twin-2"]], asked: "twin", want: undefined },
    { reason: "case matters", stored: [["9001", "Twin"]], asked: "twin", want: undefined },
    { reason: "a name of blanks only names nothing", stored: [["9001", " "]], asked: "  ", want: undefined },
  ];
  test.each(cases)("$reason", async ({ stored, asked, want }) => {
    for (const [id, name] of stored) put(id, name);
    expect((await service().findByName("CONNECTOR_GRP", asked, undefined, signal))?.id).toBe(want);
  });

  test("every page is read: the one match among 1,100 candidates sits on the last of 3 pages", async () => {
    for (let i = 0; i < 1100; i++) put(String(100_000 + i), `target-${i}`);
    put("999999", " target");
    const before = calls("GET provisioningKey");
    const s = new ZpaProvisioningKeyService(legacyClient(sim, { ...fast, pageSize: 500 }));
    expect((await s.findByName("CONNECTOR_GRP", "target", undefined, signal))?.id).toBe("999999");
    expect(calls("GET provisioningKey") - before).toBe(3);
  });

  test("records carry ZPA's creation time (ms), so a key just created is told from an older one", async () => {
    const created = await service().create(desired(), signal);
    expect(created.createdAt).toBeTypeOf("number");
    expect(Math.abs(created.createdAt! - Date.now())).toBeLessThan(60_000);
  });
});

describe("lookups", () => {
  const groups: Array<{ reason: string; type: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP"; ref: { id?: string; name?: string }; want: string | undefined }> = [
    { reason: "by name", type: "CONNECTOR_GRP", ref: { name: "Connector Group B" }, want: SEED_IDS.connectorGroups.b },
    { reason: "by id", type: "CONNECTOR_GRP", ref: { id: SEED_IDS.connectorGroups.a }, want: SEED_IDS.connectorGroups.a },
    { reason: "service edge groups are their own list", type: "SERVICE_EDGE_GRP", ref: { name: "Service Edge Group A" }, want: SEED_IDS.serviceEdgeGroups.a },
    { reason: "a connector group is not a service edge group", type: "SERVICE_EDGE_GRP", ref: { id: SEED_IDS.connectorGroups.a }, want: undefined },
    { reason: "names match exactly", type: "CONNECTOR_GRP", ref: { name: "Connector Group" }, want: undefined },
    { reason: "an empty ref resolves nothing", type: "CONNECTOR_GRP", ref: {}, want: undefined },
  ];
  test.each(groups)("group $reason", async ({ type, ref, want }) => {
    expect((await service().resolveGroup(type, ref, undefined, signal))?.id).toBe(want);
  });

  const certs: Array<{
    reason: string;
    type: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP";
    ref: { id?: string; name?: string } | undefined;
    want: string | undefined;
  }> = [
    { reason: "default for CONNECTOR_GRP is Connector", type: "CONNECTOR_GRP", ref: undefined, want: SEED_IDS.enrollmentCerts.connector },
    { reason: "default for SERVICE_EDGE_GRP is Service Edge", type: "SERVICE_EDGE_GRP", ref: undefined, want: SEED_IDS.enrollmentCerts.serviceEdge },
    { reason: "by name", type: "CONNECTOR_GRP", ref: { name: "Root" }, want: SEED_IDS.enrollmentCerts.root },
    { reason: "by id", type: "CONNECTOR_GRP", ref: { id: SEED_IDS.enrollmentCerts.client }, want: SEED_IDS.enrollmentCerts.client },
    {
      reason: "a certificate without a private key cannot sign enrollments",
      type: "CONNECTOR_GRP",
      ref: { id: SEED_IDS.enrollmentCerts.importedNoKey },
      want: undefined,
    },
    { reason: "an unknown name resolves nothing", type: "CONNECTOR_GRP", ref: { name: "Nope" }, want: undefined },
  ];
  test.each(certs)("enrollment certificate: $reason", async ({ type, ref, want }) => {
    const got = await service().resolveEnrollmentCertificate(type, ref, signal);
    expect(got?.id).toBe(want);
  });

  test("one list per TTL serves every lookup, and concurrent lookups share one request", async () => {
    const clock = manualClock();
    const s = service({ clock, cacheTtlMs: 60_000 });
    await Promise.all(Array.from({ length: 20 }, () => s.resolveGroup("CONNECTOR_GRP", { name: "Connector Group A" }, undefined, signal)));
    await Promise.all(Array.from({ length: 20 }, () => s.resolveEnrollmentCertificate("CONNECTOR_GRP", undefined, signal)));
    expect(calls("GET appConnectorGroup")).toBe(1);
    expect(calls("GET enrollmentCert")).toBe(1);
    clock.advance(60_000);
    await s.resolveGroup("CONNECTOR_GRP", { id: SEED_IDS.connectorGroups.b }, undefined, signal);
    expect(calls("GET appConnectorGroup")).toBe(2);
  });

  test("a miss refetches, but at most once per missRefreshMs", async () => {
    const clock = manualClock();
    const s = service({ clock, cacheTtlMs: 600_000, missRefreshMs: 30_000 });
    expect(await s.resolveGroup("CONNECTOR_GRP", { name: "Nope" }, undefined, signal)).toBeUndefined();
    expect(await s.resolveGroup("CONNECTOR_GRP", { name: "Nope" }, undefined, signal)).toBeUndefined();
    expect(calls("GET appConnectorGroup")).toBe(1);
    clock.advance(30_000);
    expect(await s.resolveGroup("CONNECTOR_GRP", { name: "Nope" }, undefined, signal)).toBeUndefined();
    expect(calls("GET appConnectorGroup")).toBe(2);
  });

  test("a failed list is not cached", async () => {
    const s = new ZpaProvisioningKeyService(legacyClient(sim, { ...fast, maxAttempts: 1 }));
    sim.zpa.injectFault("retryableServerError", { count: 1, pathPattern: "appConnectorGroup", retryAfterSeconds: 0 });
    await expect(s.resolveGroup("CONNECTOR_GRP", { name: "Connector Group A" }, undefined, signal)).rejects.toBeInstanceOf(VendorError);
    expect((await s.resolveGroup("CONNECTOR_GRP", { name: "Connector Group A" }, undefined, signal))?.id).toBe(SEED_IDS.connectorGroups.a);
  });
});
