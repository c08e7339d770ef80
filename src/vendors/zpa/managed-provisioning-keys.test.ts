import { describe, expect, test } from "vitest";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { ProvisioningKeyScope } from "../../ports/managed-provisioning-keys.ts";
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord, ProvisioningKeyService } from "../../ports/provisioning-keys.ts";
import { driftedFields, usageExhausted, zpaProvisioningKeyClient } from "./managed-provisioning-keys.ts";

const desired: ProvisioningKeyDesired = { name: "k", associationType: "CONNECTOR_GRP", enabled: true, maxUsage: 5, enrollmentCertId: "1", groupId: "2" };
const record = (over: Partial<ProvisioningKeyRecord> = {}): ProvisioningKeyRecord => ({ id: "9", value: "3|h|x", usageCount: 0, ...desired, ...over });

describe("driftedFields", () => {
  const cases: Array<{ reason: string; observed: ProvisioningKeyRecord; want: string[] }> = [
    { reason: "identical managed fields need no update", observed: record(), want: [] },
    { reason: "usageCount is ZPA's, never drift", observed: record({ usageCount: 4 }), want: [] },
    { reason: "maxUsage changed in ZPA", observed: record({ maxUsage: 50 }), want: ["maxUsage"] },
    { reason: "disabled in ZPA and renamed", observed: record({ enabled: false, name: "other" }), want: ["name", "enabled"] },
    { reason: "moved to another group and cert", observed: record({ groupId: "7", enrollmentCertId: "8" }), want: ["enrollmentCertId", "groupId"] },
  ];
  test.each(cases)("$reason", ({ observed, want }) => expect(driftedFields(desired, observed)).toEqual(want));
});

describe("usageExhausted", () => {
  const cases = [
    { reason: "below max", usageCount: 4, maxUsage: 5, want: false },
    { reason: "at max", usageCount: 5, maxUsage: 5, want: true },
    { reason: "max lowered below usage", usageCount: 7, maxUsage: 5, want: true },
  ];
  test.each(cases)("$reason", ({ usageCount, maxUsage, want }) => expect(usageExhausted({ usageCount, maxUsage })).toBe(want));
});

/** A ProvisioningKeyService made of function fields; every call is logged with the scope it was given. */
function fakeService(over: Partial<ProvisioningKeyService> = {}) {
  const calls: string[] = [];
  const groups: NamedRef[] = [
    { id: "2", name: "Connector Group A" },
    { id: "7", name: "Connector Group B" },
  ];
  const certs: NamedRef[] = [{ id: "1", name: "Connector" }];
  const find = (list: NamedRef[], ref: { id?: string; name?: string } | undefined) =>
    list.find((x) => (ref?.id !== undefined ? x.id === ref.id : x.name === (ref?.name ?? "Connector")));
  const service: ProvisioningKeyService = {
    findByName: async (type, name, mt) => {
      calls.push(`findByName ${type} ${name} ${mt}`);
      return undefined;
    },
    get: async (type, id, mt) => {
      calls.push(`get ${type} ${id} ${mt}`);
      return undefined;
    },
    create: async (d) => {
      calls.push(`create ${d.associationType} ${d.name} ${d.microtenantId}`);
      return record({ ...d, id: "10" });
    },
    update: async (id, d) => {
      calls.push(`update ${id} ${d.maxUsage}`);
    },
    delete: async (type, id, mt) => {
      calls.push(`delete ${type} ${id} ${mt}`);
    },
    resolveGroup: async (type, ref, mt) => {
      calls.push(`resolveGroup ${type} ${ref.id ?? ref.name} ${mt}`);
      return find(groups, ref);
    },
    resolveEnrollmentCertificate: async (type, ref) => {
      calls.push(`resolveCert ${type} ${ref?.id ?? ref?.name ?? "default"}`);
      return find(certs, ref);
    },
    ...over,
  };
  return { service, calls };
}

const connection = (microtenantId?: string): ResolvedConnection =>
  ({
    kind: "VendorConnection",
    namespace: "team",
    name: "zpa",
    vendor: "zpa",
    settings: { authMode: "Legacy", customerId: "1", ...(microtenantId === undefined ? {} : { microtenantId }) },
    credentials: {},
    fingerprint: "f",
  }) as ResolvedConnection;
const scope = (over: Partial<ProvisioningKeyScope["spec"]> = {}): ProvisioningKeyScope => ({
  name: "edge",
  spec: { associationType: "CONNECTOR_GRP", group: { name: "Connector Group A" }, enabled: true, maxUsage: 5, ...over },
});
const signal = new AbortController().signal;

describe("zpaProvisioningKeyClient", () => {
  test("every call is scoped to the spec's association type and microtenant, else the connection's", async () => {
    const { service, calls } = fakeService();
    const viaConnection = zpaProvisioningKeyClient(service, connection("55"), scope());
    await viaConnection.find("edge", signal);
    await viaConnection.delete("9", signal);
    const viaSpec = zpaProvisioningKeyClient(service, connection("55"), scope({ associationType: "SERVICE_EDGE_GRP", microtenantId: "66" }));
    await viaSpec.get("9", signal);
    expect(calls).toEqual(["findByName CONNECTOR_GRP edge 55", "delete CONNECTOR_GRP 9 55", "get SERVICE_EDGE_GRP 9 66"]);
  });

  test("resolve: the spec's group and certificate to ids, the key's name and microtenant", async () => {
    const { service } = fakeService();
    const resolved = await zpaProvisioningKeyClient(service, connection("55"), scope({ maxUsage: 3 })).resolve(signal);
    expect(resolved).toEqual({
      ok: true,
      desired: {
        key: { ...desired, name: "edge", maxUsage: 3, microtenantId: "55" },
        group: { id: "2", name: "Connector Group A" },
        enrollmentCertificate: { id: "1", name: "Connector" },
      },
    });
  });

  const missing = [
    {
      reason: "an App Connector group that does not exist",
      spec: scope({ group: { name: "nope" } }).spec,
      says: 'App Connector group "nope" does not exist in ZPA',
    },
    {
      reason: "a Service Edge group by id",
      spec: scope({ associationType: "SERVICE_EDGE_GRP", group: { id: "404" } }).spec,
      says: "Service Edge group id 404 does not exist in ZPA",
    },
    {
      reason: "a certificate named in the spec",
      spec: scope({ enrollmentCertificate: { name: "Old" } }).spec,
      says: 'enrollment certificate "Old" does not exist in ZPA or has no private key',
    },
  ];
  test.each(missing)("resolve names what is missing: $reason", async ({ spec, says }) => {
    const { service } = fakeService();
    expect(await zpaProvisioningKeyClient(service, connection(), { name: "edge", spec }).resolve(signal)).toEqual({ ok: false, message: says });
  });

  test("the default certificate, when missing, is named by its association type", async () => {
    const { service } = fakeService({ resolveEnrollmentCertificate: async () => undefined });
    expect(await zpaProvisioningKeyClient(service, connection(), scope()).resolve(signal)).toEqual({
      ok: false,
      message: "enrollment certificate (default for CONNECTOR_GRP) does not exist in ZPA or has no private key",
    });
  });

  test("diff names managed fields only; update returns the desired fields on ZPA's id, value and usage", async () => {
    const { service, calls } = fakeService();
    const client = zpaProvisioningKeyClient(service, connection(), scope());
    const resolved = await client.resolve(signal);
    if (!resolved.ok) throw new Error(resolved.message);
    const observed = record({ name: "edge", maxUsage: 50, usageCount: 3, value: "secret" });
    expect(client.diff(resolved.desired, observed)).toEqual(["maxUsage"]);
    const updated = await client.update(observed, resolved.desired, signal);
    expect(updated).toMatchObject({ id: "9", value: "secret", usageCount: 3, maxUsage: 5 });
    expect(calls.at(-1)).toBe("update 9 5");
  });

  test("report: the resolved group and certificate when the spec named them, else looked up by the key's ids", async () => {
    const { service, calls } = fakeService();
    const client = zpaProvisioningKeyClient(service, connection(), scope());
    const observed = record({ groupId: "7", usageCount: 2 });
    const observedOnly = await client.report(observed, undefined, signal);
    expect(observedOnly).toEqual({
      id: "9",
      name: "k",
      usageCount: 2,
      maxUsage: 5,
      enabled: true,
      group: { id: "7", name: "Connector Group B" },
      enrollmentCertificate: { id: "1", name: "Connector" },
    });
    expect(calls).toEqual(["resolveGroup CONNECTOR_GRP 7 undefined", "resolveCert CONNECTOR_GRP 1"]);
    const unknown = await client.report(record({ groupId: "8", enrollmentCertId: "3" }), undefined, signal);
    expect([unknown.group, unknown.enrollmentCertificate]).toEqual([{ id: "8" }, { id: "3" }]);
    expect(JSON.stringify(unknown)).not.toContain("3|h|x");
  });

  const availability = [
    { reason: "usable", k: record(), want: { usable: true } },
    { reason: "disabled in ZPA: usable, said in a note", k: record({ enabled: false }), want: { usable: true, note: "the key is disabled in ZPA" } },
    { reason: "used up: not usable, with the way out", k: record({ usageCount: 5 }), want: { usable: false, reason: "UsageExhausted" } },
  ];
  test.each(availability)("availability: $reason", ({ k, want }) => {
    const { service } = fakeService();
    expect(zpaProvisioningKeyClient(service, connection(), scope()).availability(k)).toMatchObject(want);
  });

  test("absent names the association type and name; the secret value is the key", () => {
    const client = zpaProvisioningKeyClient(fakeService().service, connection(), scope());
    expect(client.absent("legacy")).toBe("no CONNECTOR_GRP provisioning key named legacy exists in ZPA to observe");
    expect(client.secretValue(record())).toBe("3|h|x");
  });
});
