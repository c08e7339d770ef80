import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSectigoSimulator, type SectigoSimulator } from "../../sim/sectigo/index.ts";
import { SEED_IDS, startZpaSimulator, type ZpaSimulator } from "../../sim/zpa/index.ts";
import { presetZpaKeys, simulatorCatalog } from "./catalog.ts";

let sectigo: SectigoSimulator;
let zpa: ZpaSimulator;
const running = () => ({ sims: { sectigo, zpa } });

beforeAll(async () => {
  [sectigo, zpa] = await Promise.all([startSectigoSimulator(), startZpaSimulator()]);
});
afterAll(async () => {
  await Promise.all([sectigo?.close(), zpa?.close()]);
});

describe("simulatorCatalog", () => {
  it("reads the Sectigo tenant: its org first (the connection default), profiles per sectigo.type, custom fields", () => {
    const c = simulatorCatalog(running()).sectigo!;
    const org = sectigo.model.seed.organizations[0]!;
    expect(c.orgIds[0]).toBe(org.id);
    expect(c.orgIds).toEqual(expect.arrayContaining(org.departments.map((d) => d.id)));
    expect(c.profiles.SSL.map((p) => p.name)).toEqual(sectigo.model.seed.profiles.ssl.map((p) => p.name));
    expect(c.profiles.Client.map((p) => p.id)).toEqual(sectigo.model.seed.profiles.smime.map((p) => p.id));
    expect(c.profiles.Device.map((p) => p.id)).toEqual(sectigo.model.seed.profiles.device.map((p) => p.id));
    expect(c.profiles.SSL.filter((p) => !p.renewable).map((p) => p.name)).toEqual(
      sectigo.model.seed.profiles.ssl.filter((p) => p.allowRenew === false).map((p) => p.name),
    );
    expect(c.customFields.SSL.some((f) => f.mandatory)).toBe(sectigo.model.seed.customFields.ssl.some((f) => f.mandatory));
  });

  it("reads the ZPA tenant: groups per association type and enrollment certificates", () => {
    const c = simulatorCatalog(running()).zpa!;
    expect(c.groups.CONNECTOR_GRP.map((g) => g.id)).toContain(SEED_IDS.connectorGroups.a);
    expect(c.groups.SERVICE_EDGE_GRP.map((g) => g.id)).toEqual(expect.arrayContaining(Object.values(SEED_IDS.serviceEdgeGroups)));
    expect(c.groups.CONNECTOR_GRP.find((g) => g.id === SEED_IDS.connectorGroups.disabled)?.enabled).toBe(false);
    expect(c.enrollmentCertificates.find((e) => e.id === SEED_IDS.enrollmentCerts.importedNoKey)?.privateKeyPresent).toBe(false);
  });

  it.each([
    { sims: { sectigo: { url: "x" } }, error: /Sectigo simulator exposes no model/, reason: "a Sectigo simulator without its model cannot be mapped onto" },
    { sims: { zpa: { url: "x" } }, error: /ZPA simulator exposes no store/, reason: "a ZPA simulator without its store cannot be mapped onto" },
  ])("$reason", ({ sims, error }) => {
    expect(() => simulatorCatalog({ sims })).toThrow(error);
  });

  it("is empty for vendors not running", () => {
    expect(simulatorCatalog({ sims: {} })).toEqual({});
  });
});

describe("presetZpaKeys", () => {
  it("puts the key into the simulator where the ZPA API finds it by name, without counting an API create", () => {
    const before = zpa.state().created;
    const [id] = presetZpaKeys(running(), [
      {
        associationType: "SERVICE_EDGE_GRP",
        name: "k8s-service-edges",
        groupId: SEED_IDS.serviceEdgeGroups.a,
        enrollmentCertId: SEED_IDS.enrollmentCerts.serviceEdge,
        maxUsage: 3,
        enabled: true,
      },
    ]);
    const listed = zpa.zpa.store.listKeys("SERVICE_EDGE_GRP", undefined);
    expect(listed).toContainEqual(
      expect.objectContaining({ id, name: "k8s-service-edges", zcomponentId: SEED_IDS.serviceEdgeGroups.a, maxUsage: "3", enabled: true }),
    );
    expect(zpa.state().created).toEqual(before);
  });

  it("refuses keys without a ZPA simulator rather than leaving the sample to fail later", () => {
    const key = { associationType: "CONNECTOR_GRP" as const, name: "n", groupId: "1", enrollmentCertId: "2", maxUsage: 1, enabled: true };
    expect(() => presetZpaKeys({ sims: {} }, [key])).toThrow(/no ZPA simulator/);
    expect(presetZpaKeys({ sims: {} }, [])).toEqual([]);
  });
});
