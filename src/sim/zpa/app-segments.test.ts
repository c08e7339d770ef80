// Application segments over HTTP: the seeded browser-access segment, the official SDKs' segment
// workflow (segment group → server group → certificate → segment → update → delete), their update
// bodies, and ZPA's refusal to delete what a segment still references. Sources in app-segments.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import { SEED_IDS } from "./seed.ts";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import { mgmt, raw, signIn } from "./testing.ts";

let sim: ZpaSimulator;
let token: string;
const base = () => mgmt(sim.customerId);
type Obj = Record<string, unknown>;
type Entry = { id: string; domain: string; certificateId: string; certificateName?: string; appId: string; cname: string; allowOptions: boolean };

beforeAll(async () => {
  sim = await startZpaSimulator({ rateLimits: false });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await sim.reset();
  token = await signIn(sim);
});

async function upload(name: string, cn: string): Promise<string> {
  const ca = await createTestCa({ name: `seg ${cn}` });
  const leaf = await ca.issue({ commonName: cn }, { dnsNames: [cn] }, { usage: "server" });
  const r = await raw(sim, "POST", `${base()}/certificate`, { token, json: { name, certBlob: leaf.leafPem + leaf.keyPem } });
  expect(r.status).toBe(201);
  return (r.json as { id: string }).id;
}

const get = async (path: string) => (await raw(sim, "GET", `${base()}${path}`, { token })).json as Obj;

describe("the seeded tenant", () => {
  test("a browser-access segment serving two apps with the seeded certificate, beside a plain segment", async () => {
    const list = (await get("/application")) as { totalPages: string; totalCount: string; list: Obj[] };
    expect(list.list.map((a) => a["name"])).toEqual(["Sim Portal", "Internal Tools"]);
    const portal = await get(`/application/${SEED_IDS.applications.portal}`);
    expect(portal).toMatchObject({
      name: "Sim Portal",
      domainNames: ["portal.sim.example", "apps.sim.example"],
      segmentGroupId: SEED_IDS.segmentGroups.browserAccess,
      segmentGroupName: "Browser Access Apps",
      tcpPortRanges: ["443", "443"],
      tcpPortRange: [{ from: "443", to: "443" }],
      matchStyle: "EXCLUSIVE",
      serverGroups: [{ id: SEED_IDS.serverGroups.portal, name: "Portal Servers" }],
    });
    const apps = portal["clientlessApps"] as Entry[];
    expect(apps.map((a) => [a.domain, a.certificateId, a.certificateName, a.appId])).toEqual([
      ["portal.sim.example", SEED_IDS.browserCertificate, "portal.sim.example", SEED_IDS.applications.portal],
      ["apps.sim.example", SEED_IDS.browserCertificate, "portal.sim.example", SEED_IDS.applications.portal],
    ]);
    expect(apps[0]!.cname).toMatch(/^\d+\.\d+\.h\.b\.zpa-app\.net$/);
    expect(await get(`/application/${SEED_IDS.applications.internal}`)).not.toHaveProperty("clientlessApps");
  });

  test("getAppsByType BROWSER_ACCESS lists the apps with their segment and certificate; totalCount '0' as recorded", async () => {
    const r = await get(`/application/getAppsByType?applicationType=BROWSER_ACCESS&expandAll=false`);
    expect(r["totalCount"]).toBe("0");
    expect(r["list"]).toEqual([
      expect.objectContaining({
        id: SEED_IDS.clientlessApps.portal,
        appId: SEED_IDS.applications.portal,
        domain: "portal.sim.example",
        certificateId: SEED_IDS.browserCertificate,
        certificateName: "portal.sim.example",
      }),
      expect.objectContaining({ id: SEED_IDS.clientlessApps.apps, appId: SEED_IDS.applications.portal, domain: "apps.sim.example" }),
    ]);
    const searched = await get(`/application/getAppsByType?search=name%2BEQ%2Bapps.sim.example&applicationType=BROWSER_ACCESS&expandAll=true`);
    expect((searched["list"] as Obj[]).map((e) => e["id"])).toEqual([SEED_IDS.clientlessApps.apps]);
    expect((searched["list"] as Obj[])[0]).toMatchObject({ allowOptions: true, path: "/" });
    expect((await raw(sim, "GET", `${base()}/application/getAppsByType`, { token })).status).toBe(400);
  });

  test("the certificate a segment serves cannot be deleted: 400 resource.referenced naming the segment", async () => {
    const r = await raw(sim, "DELETE", `${base()}/certificate/${SEED_IDS.browserCertificate}`, { token });
    expect([r.status, r.json]).toEqual([
      400,
      { params: ["Application", "Sim Portal"], id: "resource.referenced", reason: "Resource is being referenced in Application : Sim Portal." },
    ]);
    expect(sim.state()).toMatchObject({ deleted: { certificate: 0 }, rejectedWrites: 1 });
  });

  test("search by name works on segments in every form", async () => {
    for (const q of ["name%2BEQ%2BSim+Portal", "name%20EQ%20Sim%20Portal", "name+LIKE+portal"]) {
      const r = await get(`/application?search=${q}`);
      expect(
        (r["list"] as Obj[]).map((a) => a["id"]),
        q,
      ).toEqual([SEED_IDS.applications.portal]);
    }
  });
});

describe("the SDK's browser-access workflow", () => {
  test("segment group → server group → certificate → segment (201s) → whole-object PUT moves the app → old cert deletable → deletes", async () => {
    const sg = await raw(sim, "POST", `${base()}/segmentGroup`, { token, json: { name: "tests-appseg", enabled: true } });
    expect(sg.status).toBe(201);
    expect(sg.json).toMatchObject({ configSpace: "DEFAULT", tcpKeepAliveEnabled: "0", readOnly: false, zscalerManaged: false });
    const srv = await raw(sim, "POST", `${base()}/serverGroup`, {
      token,
      json: { name: "tests-srv", dynamicDiscovery: true, appConnectorGroups: [{ id: SEED_IDS.connectorGroups.a }] },
    });
    expect(srv.status).toBe(201);
    expect(srv.json).toMatchObject({ dynamicDiscovery: true, appConnectorGroups: [{ id: SEED_IDS.connectorGroups.a, name: "Connector Group A" }] });
    expect(srv.json).not.toHaveProperty("enabled"); // created without it: reads false (recorded)
    const sgId = (sg.json as Obj)["id"] as string;
    const srvId = (srv.json as Obj)["id"] as string;
    const oldCert = await upload("wiki-2025", "wiki.sim.example");
    const newCert = await upload("wiki-2026", "wiki.sim.example");

    const created = await raw(sim, "POST", `${base()}/application`, {
      token,
      json: {
        name: "Wiki",
        enabled: true,
        domainNames: ["wiki.sim.example"],
        segmentGroupId: sgId,
        serverGroups: [{ id: srvId }],
        tcpPortRanges: ["443", "443"],
        clientlessApps: [
          { name: "wiki", domain: "wiki.sim.example", applicationProtocol: "HTTPS", applicationPort: "443", certificateId: oldCert, trustUntrustedCert: true },
        ],
      },
    });
    expect(created.status).toBe(201);
    const c = created.json as Obj;
    // The recorded create answer: no times, minimal server groups, no tcpPortRange objects.
    expect(c).not.toHaveProperty("creationTime");
    expect(c).not.toHaveProperty("tcpPortRange");
    expect(c["serverGroups"]).toEqual([{ id: srvId, enabled: false, configSpace: "DEFAULT", extranetEnabled: false, dynamicDiscovery: false }]);
    const appId = c["id"] as string;

    // zscaler-sdk-go applicationsegmentbrowseraccess.Update: read, change, send the whole object back.
    const current = await get(`/application/${appId}`);
    const entry = (current["clientlessApps"] as Entry[])[0]!;
    const body = { ...current, clientlessApps: [{ ...entry, certificateId: newCert }] };
    expect((await raw(sim, "PUT", `${base()}/application/${appId}`, { token, json: body })).status).toBe(204);
    const after = await get(`/application/${appId}`);
    expect((after["clientlessApps"] as Entry[])[0]).toMatchObject({ id: entry.id, certificateId: newCert, certificateName: "wiki-2026", cname: entry.cname });
    expect(Number(after["modifiedTime"])).toBeGreaterThanOrEqual(Number(current["modifiedTime"]));

    expect((await raw(sim, "DELETE", `${base()}/certificate/${oldCert}`, { token })).status).toBe(204);
    expect((await raw(sim, "DELETE", `${base()}/certificate/${newCert}`, { token })).status).toBe(400);
    expect((await raw(sim, "DELETE", `${base()}/segmentGroup/${sgId}`, { token })).json).toMatchObject({
      id: "resource.referenced",
      params: ["Application", "Wiki"],
    });
    expect((await raw(sim, "DELETE", `${base()}/application/${appId}?forceDelete=true`, { token })).status).toBe(204);
    for (const p of [`/serverGroup/${srvId}`, `/segmentGroup/${sgId}`, `/certificate/${newCert}`])
      expect((await raw(sim, "DELETE", `${base()}${p}`, { token })).status, p).toBe(204);
    expect(sim.state().segments.counters).toEqual({
      application: { created: 1, updated: 1, deleted: 1 },
      segmentGroup: { created: 1, updated: 0, deleted: 1 },
      serverGroup: { created: 1, updated: 0, deleted: 1 },
    });
  });

  test("clientlessApps entries are matched by id: without one an app is new, left out it is removed, an unknown id is not found", async () => {
    const path = `${base()}/application/${SEED_IDS.applications.portal}`;
    const current = await get(`/application/${SEED_IDS.applications.portal}`);
    const [portal] = current["clientlessApps"] as Entry[];
    const { id: _dropped, ...withoutId } = portal!;
    expect((await raw(sim, "PUT", path, { token, json: { ...current, clientlessApps: [withoutId] } })).status).toBe(204);
    const apps = (await get(`/application/${SEED_IDS.applications.portal}`))["clientlessApps"] as Entry[];
    expect(apps).toHaveLength(1);
    expect(apps[0]!.id).not.toBe(portal!.id);
    const unknown = await raw(sim, "PUT", path, { token, json: { ...current, clientlessApps: [{ ...portal, id: "123" }] } });
    expect([unknown.status, (unknown.json as Obj)["id"]]).toEqual([400, "resource.not.found"]);
  });

  test("fields left out of a PUT keep their values, except the description (recorded segment-group behaviour)", async () => {
    const path = `${base()}/application/${SEED_IDS.applications.portal}`;
    expect((await raw(sim, "PUT", path, { token, json: { name: "Sim Portal (renamed)" } })).status).toBe(204);
    const after = await get(`/application/${SEED_IDS.applications.portal}`);
    expect(after).toMatchObject({
      name: "Sim Portal (renamed)",
      healthReporting: "CONTINUOUS",
      icmpAccessType: "PING",
      selectConnectorCloseToApp: true,
      domainNames: ["portal.sim.example", "apps.sim.example"],
    });
    expect((after["clientlessApps"] as Entry[]).map((a) => a.id)).toEqual([SEED_IDS.clientlessApps.portal, SEED_IDS.clientlessApps.apps]);
    expect(after).not.toHaveProperty("description");
    const sgPath = `${base()}/segmentGroup/${SEED_IDS.segmentGroups.browserAccess}`;
    expect((await raw(sim, "PUT", sgPath, { token, json: { name: "Browser Access Apps Updated" } })).status).toBe(204);
    expect(await get(`/segmentGroup/${SEED_IDS.segmentGroups.browserAccess}`)).not.toHaveProperty("description");
  });

  test("zscaler-sdk-python v2 body: commonAppsDto.appsConfig with baAppId updates an app, deletedBaApps removes one", async () => {
    const newCert = await upload("portal-2026", "portal.sim.example");
    const path = `${base()}/application/${SEED_IDS.applications.portal}`;
    const body = {
      name: "Sim Portal",
      tcpPortRanges: [],
      tcpPortRange: [],
      udpPortRanges: [],
      udpPortRange: [],
      commonAppsDto: {
        appsConfig: [
          {
            appTypes: ["BROWSER_ACCESS"],
            domain: "portal.sim.example",
            name: "portal.sim.example",
            applicationProtocol: "HTTPS",
            applicationPort: "443",
            certificateId: newCert,
            baAppId: SEED_IDS.clientlessApps.portal,
            appId: SEED_IDS.applications.portal,
          },
        ],
        deletedBaApps: [SEED_IDS.clientlessApps.apps],
      },
    };
    expect((await raw(sim, "PUT", path, { token, json: body })).status).toBe(204);
    const apps = (await get(`/application/${SEED_IDS.applications.portal}`))["clientlessApps"] as Entry[];
    expect(apps.map((a) => [a.id, a.certificateId])).toEqual([[SEED_IDS.clientlessApps.portal, newCert]]);
  });

  const invalid: Array<{ reason: string; body: Obj; id: string }> = [
    { reason: "no segment group", body: { name: "x", domainNames: ["x.example"], serverGroups: [{ id: SEED_IDS.serverGroups.portal }] }, id: "invalid.input" },
    {
      reason: "an unknown segment group",
      body: { name: "x", domainNames: ["x.example"], segmentGroupId: "1", serverGroups: [{ id: SEED_IDS.serverGroups.portal }] },
      id: "resource.not.found",
    },
    {
      reason: "no server group (the field table marks it required)",
      body: { name: "x", domainNames: ["x.example"], segmentGroupId: SEED_IDS.segmentGroups.internal },
      id: "invalid.input",
    },
    {
      reason: "an app whose certificate does not exist",
      body: {
        name: "x",
        domainNames: ["x.example"],
        segmentGroupId: SEED_IDS.segmentGroups.internal,
        serverGroups: [{ id: SEED_IDS.serverGroups.portal }],
        clientlessApps: [{ name: "x", domain: "x.example", applicationProtocol: "HTTPS", applicationPort: "443", certificateId: "42" }],
      },
      id: "resource.not.found",
    },
    {
      reason: "browser access with matchStyle INCLUSIVE (the field table forbids it)",
      body: {
        name: "x",
        matchStyle: "INCLUSIVE",
        domainNames: ["x.example"],
        segmentGroupId: SEED_IDS.segmentGroups.internal,
        serverGroups: [{ id: SEED_IDS.serverGroups.portal }],
        clientlessApps: [{ name: "x", domain: "x.example", applicationProtocol: "HTTPS", applicationPort: "443", certificateId: SEED_IDS.browserCertificate }],
      },
      id: "invalid.input",
    },
    {
      reason: "a protocol other than HTTP/HTTPS",
      body: {
        name: "x",
        domainNames: ["x.example"],
        segmentGroupId: SEED_IDS.segmentGroups.internal,
        serverGroups: [{ id: SEED_IDS.serverGroups.portal }],
        clientlessApps: [{ name: "x", domain: "x.example", applicationProtocol: "FTP", applicationPort: "21", certificateId: SEED_IDS.browserCertificate }],
      },
      id: "invalid.input",
    },
  ];
  test.each(invalid)("create refused: $reason → 400 $id", async ({ body, id }) => {
    const r = await raw(sim, "POST", `${base()}/application`, { token, json: body });
    expect([r.status, (r.json as Obj)["id"]]).toEqual([400, id]);
    expect(sim.state().segments.counters.application.created).toBe(0);
  });

  test("a segment made in a microtenant is seen only there (and with no microtenantId)", async () => {
    const sg = (await raw(sim, "POST", `${base()}/segmentGroup?microtenantId=${SEED_IDS.microtenant}`, { token, json: { name: "mt" } })).json as Obj;
    const created = await raw(sim, "POST", `${base()}/application?microtenantId=${SEED_IDS.microtenant}`, {
      token,
      json: { name: "mt app", domainNames: ["mt.example"], segmentGroupId: sg["id"], serverGroups: [{ id: SEED_IDS.serverGroups.portal }] },
    });
    const id = (created.json as Obj)["id"] as string;
    expect((await raw(sim, "GET", `${base()}/application/${id}?microtenantId=0`, { token })).status).toBe(400);
    expect(await get(`/application/${id}?microtenantId=${SEED_IDS.microtenant}`)).toMatchObject({ microtenantName: "Microtenant A" });
    expect(((await get("/application"))["list"] as Obj[]).map((a) => a["id"])).toContain(id);
  });
});
