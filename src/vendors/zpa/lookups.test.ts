// Find-by-name must find the one object with exactly that name, whatever characters it holds: a
// lookup that misses an existing key or certificate makes its caller create a duplicate. Each name
// sits beside near-duplicates (case, '+' vs space, doubled or trailing blanks) that a server-side
// search may return or confuse it with.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { SEED_IDS } from "../../sim/zpa/seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/server.ts";
import { exactLookup, nameIsSearchable, type ZpaClient } from "./client.ts";
import { legacyClient, oneApiClient } from "./testing.ts";

let sim: ZpaSimulator;
beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const fast = {
  rateLimitRules: { read: { limit: 100_000, windowMs: 1000 }, write: { limit: 100_000, windowMs: 1000 }, default: { limit: 100_000, windowMs: 1000 } },
};

const names: Array<{ reason: string; name: string; searched: boolean }> = [
  { reason: "the operator's default key name", name: "certbridge.team-a.edge-keys", searched: true },
  { reason: "words and single spaces (recorded: 'Service Edge')", name: "Portal Cert 2026", searched: true },
  { reason: "'+'", name: "a+b", searched: false },
  { reason: "'%'", name: "100% portal", searched: false },
  { reason: "'&'", name: "R&D portal", searched: false },
  { reason: "unicode", name: "Zürich Portal ✓", searched: false },
  { reason: "a doubled space", name: "two  spaces", searched: false },
  { reason: "a leading blank", name: " leading", searched: false },
  { reason: "a trailing blank", name: "trailing ", searched: false },
  { reason: "'/' and ':' (a namespace/name shape)", name: "team-a/portal:443", searched: false },
];

/** Near-duplicates of a name: case, '+'↔space, trimmed, doubled blanks. */
function decoys(name: string): string[] {
  const d = new Set([
    name.toUpperCase(),
    name.toLowerCase(),
    name.replaceAll("+", " "),
    name.replaceAll(" ", "+"),
    name.trim(),
    name.replaceAll("  ", " "),
    `${name} copy`,
  ]);
  d.delete(name);
  return [...d];
}

test.each(names)("nameIsSearchable: $reason → $searched", ({ name, searched }) => {
  expect(nameIsSearchable(name)).toBe(searched);
});

describe.each([
  { mode: "legacy", client: (s: ZpaSimulator): ZpaClient => legacyClient(s, fast) },
  { mode: "OneAPI", client: (s: ZpaSimulator): ZpaClient => oneApiClient(s, fast) },
])("exact lookups over $mode", ({ client }) => {
  test.each(names)("provisioning key named with $reason is found exactly, never a near-duplicate", async ({ name, searched }) => {
    const zpa = client(sim);
    const input = { maxUsage: 1, enrollmentCertId: SEED_IDS.enrollmentCerts.connector, zcomponentId: SEED_IDS.connectorGroups.a };
    for (const d of decoys(name)) await zpa.createProvisioningKey("CONNECTOR_GRP", { ...input, name: d });
    const before = sim.state().searches.length;
    expect(await zpa.findProvisioningKeyByName("CONNECTOR_GRP", name)).toBeUndefined();
    const created = await zpa.createProvisioningKey("CONNECTOR_GRP", { ...input, name });
    const found = await zpa.findProvisioningKeyByName("CONNECTOR_GRP", name);
    expect(found?.id).toBe(created.id);
    expect(found?.name).toBe(name);
    // Searchable names ask ZPA; the others list every page and compare here.
    expect(sim.state().searches.length - before).toBe(searched ? 2 : 0);
  });
});

test.each(names)("browser-access certificate named with $reason is found again after a crash (no second upload)", async ({ name }) => {
  const zpa = legacyClient(sim, fast);
  const ca = await createTestCa({ name: "lookups" });
  const leaf = await ca.issue({ commonName: "lookup.sim.example" }, { dnsNames: ["lookup.sim.example"] }, { usage: "server" });
  const blob = leaf.leafPem + leaf.keyPem;
  const near = decoys(name).slice(0, 3);
  for (const d of near) await zpa.createCertificate({ certBlob: blob, name: d });
  const uploaded = await zpa.createCertificate({ certBlob: blob, name });
  // A restarted publisher looks the certificate up before uploading again.
  const again = await legacyClient(sim, fast).findCertificateByName(name);
  expect(again?.id).toBe(uploaded.id);
  expect(sim.state().created.certificate).toBe(near.length + 1);
});

test("a name found on a later page is still found (the scan pages until the end)", async () => {
  for (let i = 0; i < 1100; i++)
    sim.zpa.putKey({
      id: String(70_000 + i),
      associationType: "SERVICE_EDGE_GRP",
      name: `bulk ${i}`,
      maxUsage: 1,
      usageCount: 0,
      enabled: true,
      enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge,
      zcomponentId: SEED_IDS.serviceEdgeGroups.a,
      microtenantId: "0",
    });
  sim.zpa.putKey({
    id: "79999",
    associationType: "SERVICE_EDGE_GRP",
    name: "last & least",
    maxUsage: 1,
    usageCount: 0,
    enabled: true,
    enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge,
    zcomponentId: SEED_IDS.serviceEdgeGroups.a,
    microtenantId: "0",
  });
  const found = await legacyClient(sim, fast).findProvisioningKeyByName("SERVICE_EDGE_GRP", "last & least");
  expect(found?.id).toBe("79999");
  expect(sim.state().endpointCalls["GET provisioningKey"]).toBe(3);
});

test("exactLookup: with two exact matches (a duplicate exists already) the oldest wins", async () => {
  const at = (s: number) => new Date(s * 1000);
  const pick = await exactLookup("k", async () => [
    { name: "K", creationTime: at(1) },
    { name: "k", creationTime: at(30) },
    { name: "k", creationTime: at(20) },
  ]);
  expect(pick?.creationTime).toEqual(at(20));
});

test("clients accept both create codes: 200/201 for keys and certificates in either profile", async () => {
  const doc = await startZpaSimulator({ rateLimits: false, profile: "documented" });
  try {
    for (const s of [sim, doc]) {
      const zpa = legacyClient(s, fast);
      const k = await zpa.createProvisioningKey("CONNECTOR_GRP", {
        name: "codes",
        maxUsage: 1,
        enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
        zcomponentId: SEED_IDS.connectorGroups.a,
      });
      expect(k.name).toBe("codes");
      const ca = await createTestCa({ name: "codes" });
      const leaf = await ca.issue({ commonName: "codes.sim.example" }, {}, { usage: "server" });
      expect((await zpa.createCertificate({ certBlob: leaf.leafPem + leaf.keyPem, name: "codes" })).cName).toBe("codes.sim.example");
    }
  } finally {
    await doc.close();
  }
});
