// Seed data for a simulated tenant: the default enrollment certificates ZPA creates (Root, Client,
// Connector, Service Edge, Isolation Client) with real PEM, one imported CA without a private key, one
// CSR-only certificate, several App Connector and Service Edge groups, one browser-access cert, and a
// browser-access application segment serving two apps with that cert (its segment group and server
// group), beside an ordinary segment without browser access.
// The PEM material is generated once per process: a test file pays for key generation once.
import { createCsr } from "../../pki/csr.ts";
import { generateKey } from "../../pki/keys.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { parseCertBlob, toRfc2253 } from "./cert-blob.ts";
import { X509Certificate } from "node:crypto";
import { SEGMENT_FLAG_DEFAULTS, SEGMENT_TEXT_DEFAULTS, type StoredApplication, type StoredSegmentGroup, type StoredServerGroup } from "./app-segments.ts";
import type { AssociationType, Microtenant, StoredCertificate, StoredEnrollmentCert, StoredGroup, StoredProvisioningKey } from "./model.ts";

export const SEED_IDS = {
  enrollmentCerts: { root: "2858", client: "2859", connector: "2860", serviceEdge: "2861", isolation: "2862", importedNoKey: "2863", csrOnly: "2864" },
  connectorGroups: { a: "217246660303024864", b: "217246660303024937", disabled: "217246660303024940", microtenant: "217246660303024950" },
  serviceEdgeGroups: { a: "217246660303030001", b: "217246660303030002" },
  microtenant: "216199618143191041",
  browserCertificate: "217246660303022175",
  segmentGroups: { browserAccess: "217246660303031001", internal: "217246660303031002" },
  serverGroups: { portal: "217246660303032001" },
  applications: { portal: "217246660303033001", internal: "217246660303033002" },
  clientlessApps: { portal: "217246660303033011", apps: "217246660303033012" },
} as const;

export type SeedData = {
  readonly microtenants: readonly Microtenant[];
  readonly groups: readonly StoredGroup[];
  readonly enrollmentCerts: readonly StoredEnrollmentCert[];
  readonly certificates: readonly StoredCertificate[];
  readonly provisioningKeys: readonly StoredProvisioningKey[];
  readonly segmentGroups?: readonly StoredSegmentGroup[];
  readonly serverGroups?: readonly StoredServerGroup[];
  readonly applications?: readonly StoredApplication[];
};

type Material = {
  readonly certs: Record<"root" | "client" | "connector" | "serviceEdge" | "isolation" | "imported", string>;
  readonly csr: string;
  readonly browser: { readonly certPem: string; readonly keyPem: string; readonly chainPem: string };
};

let material: Promise<Material> | undefined;

async function makeMaterial(): Promise<Material> {
  const ca = await createTestCa({ name: "ZPA Simulator Enrollment" });
  const partner = await createTestCa({ name: "Imported Partner" });
  const leaf = async (cn: string) =>
    (await ca.issue({ commonName: cn, organizations: ["Zscaler"], organizationalUnits: ["Private Access"] }, {}, { usage: "client", validityDays: 3650 }))
      .leafPem;
  const csrKey = await generateKey({ algorithm: "ECDSA", size: 256 });
  const browser = await ca.issue(
    { commonName: "portal.sim.example", organizations: ["certbridge simulator"] },
    { dnsNames: ["portal.sim.example", "apps.sim.example"] },
    { usage: "server", validityDays: 365 },
  );
  return {
    certs: {
      root: ca.root.certPem,
      client: ca.intermediate.certPem,
      connector: await leaf("zpa-sim.test/Connector"),
      serviceEdge: await leaf("zpa-sim.test/Service Edge"),
      isolation: await leaf("zpa-sim.test/Isolation Client"),
      imported: partner.root.certPem,
    },
    csr: await createCsr({ privateKey: csrKey.privateKey, subject: { commonName: "zpa-sim.test/pending", organizations: ["Zscaler"] } }),
    browser: { certPem: browser.leafPem, keyPem: browser.keyPem, chainPem: browser.chainPem },
  };
}

function enrollmentFrom(
  id: string,
  name: string,
  pem: string,
  created: number,
  extra: Partial<StoredEnrollmentCert> & Pick<StoredEnrollmentCert, "allowSigning" | "privateKeyPresent" | "clientCertType">,
): StoredEnrollmentCert {
  const c = new X509Certificate(pem);
  const subject = toRfc2253(c.subject);
  return {
    id,
    name,
    creationTime: created,
    modifiedBy: "217246660302995849",
    cName:
      subject
        .split(",")
        .find((p) => p.startsWith("CN="))
        ?.slice(3) ?? name,
    validFromInEpochSec: Math.floor(c.validFromDate.getTime() / 1000),
    validToInEpochSec: Math.floor(c.validToDate.getTime() / 1000),
    certificate: pem,
    issuedTo: subject,
    issuedBy: toRfc2253(c.issuer),
    serialNo: BigInt(`0x${c.serialNumber}`).toString(10),
    ...extra,
  };
}

export async function defaultSeed(nowSeconds: number): Promise<SeedData> {
  material ??= makeMaterial();
  const m = await material;
  const t = nowSeconds - 86_400 * 30;
  const ids = SEED_IDS.enrollmentCerts;
  const enrollmentCerts: StoredEnrollmentCert[] = [
    enrollmentFrom(ids.root, "Root", m.certs.root, t, { allowSigning: true, privateKeyPresent: true, clientCertType: "NONE" }),
    enrollmentFrom(ids.client, "Client", m.certs.client, t, { allowSigning: true, privateKeyPresent: true, clientCertType: "ZAPP_CLIENT" }),
    enrollmentFrom(ids.connector, "Connector", m.certs.connector, t, { allowSigning: true, privateKeyPresent: true, clientCertType: "NONE" }),
    enrollmentFrom(ids.serviceEdge, "Service Edge", m.certs.serviceEdge, t, { allowSigning: true, privateKeyPresent: true, clientCertType: "NONE" }),
    enrollmentFrom(ids.isolation, "Isolation Client", m.certs.isolation, t, {
      allowSigning: true,
      privateKeyPresent: true,
      clientCertType: "ISOLATION_CLIENT",
      modifiedTime: t + 3600,
    }),
    enrollmentFrom(ids.importedNoKey, "Imported Partner Root", m.certs.imported, t, {
      allowSigning: false,
      privateKeyPresent: false,
      clientCertType: "NONE",
      description: "Uploaded without its private key",
    }),
    // A CSR-only certificate: no certificate, cName or validity fields, as in the documented example.
    {
      id: ids.csrOnly,
      name: "Pending CSR",
      description: "2",
      creationTime: t,
      modifiedBy: "217246660302995849",
      allowSigning: false,
      privateKeyPresent: true,
      clientCertType: "NONE",
      csr: m.csr,
    },
  ];
  const group = (id: string, type: AssociationType, name: string, extra: Partial<StoredGroup> = {}): StoredGroup => ({
    id,
    type,
    name,
    enabled: true,
    microtenantId: "0",
    creationTime: t,
    modifiedBy: "217246660302995849",
    ...extra,
  });
  const cg = SEED_IDS.connectorGroups;
  const sg = SEED_IDS.serviceEdgeGroups;
  const groups: StoredGroup[] = [
    group(cg.a, "CONNECTOR_GRP", "Connector Group A", { location: "San Jose, CA, USA" }),
    group(cg.b, "CONNECTOR_GRP", "Connector Group B", { description: "Frankfurt data centre" }),
    group(cg.disabled, "CONNECTOR_GRP", "DR Connector Group", { enabled: false, modifiedTime: t + 60 }),
    group(cg.microtenant, "CONNECTOR_GRP", "Microtenant Connector Group", { microtenantId: SEED_IDS.microtenant }),
    group(sg.a, "SERVICE_EDGE_GRP", "Service Edge Group A"),
    group(sg.b, "SERVICE_EDGE_GRP", "Service Edge Group B", { description: "Private edge, branch offices" }),
  ];
  const parsed = await parseCertBlob(m.browser.certPem + m.browser.chainPem + m.browser.keyPem);
  const certificates: StoredCertificate[] = [
    {
      id: SEED_IDS.browserCertificate,
      name: "portal.sim.example",
      description: "Seeded browser-access certificate",
      microtenantId: "0",
      creationTime: t,
      modifiedBy: "217246660302995849",
      ...parsed,
    },
  ];
  return {
    microtenants: [{ id: SEED_IDS.microtenant, name: "Microtenant A" }],
    groups,
    enrollmentCerts,
    certificates,
    provisioningKeys: [],
    ...segmentSeed(t),
  };
}

/**
 * The browser-access rollout a publishing certificate lands in. Some switches differ from the defaults
 * on purpose, so a client that writes a segment back without them is seen to lose them.
 */
function segmentSeed(t: number): Pick<SeedData, "segmentGroups" | "serverGroups" | "applications"> {
  const admin = "217246660302995849";
  const ids = SEED_IDS;
  const segmentGroups: StoredSegmentGroup[] = [
    {
      id: ids.segmentGroups.browserAccess,
      name: "Browser Access Apps",
      description: "Published through Browser Access",
      enabled: true,
      microtenantId: "0",
      creationTime: t,
      modifiedTime: t,
      modifiedBy: admin,
    },
    { id: ids.segmentGroups.internal, name: "Internal Applications", enabled: true, microtenantId: "0", creationTime: t, modifiedBy: admin },
  ];
  const serverGroups: StoredServerGroup[] = [
    {
      id: ids.serverGroups.portal,
      name: "Portal Servers",
      enabled: true,
      dynamicDiscovery: true,
      appConnectorGroupIds: [ids.connectorGroups.a],
      microtenantId: "0",
      creationTime: t,
      modifiedTime: t,
      modifiedBy: admin,
    },
  ];
  const clientless = (id: string, domain: string, n: number) => ({
    id,
    name: domain,
    domain,
    applicationProtocol: "HTTPS" as const,
    applicationPort: "443",
    certificateId: ids.browserCertificate,
    enabled: true,
    trustUntrustedCert: false,
    allowOptions: n === 2,
    hidden: false,
    path: "/",
    cname: `${n}.217246660302995456.h.b.zpa-app.net`,
    creationTime: t,
    modifiedTime: t,
    modifiedBy: admin,
  });
  const applications: StoredApplication[] = [
    {
      id: ids.applications.portal,
      name: "Sim Portal",
      description: "Seeded browser-access segment",
      enabled: true,
      domainNames: ["portal.sim.example", "apps.sim.example"],
      segmentGroupId: ids.segmentGroups.browserAccess,
      serverGroupIds: [ids.serverGroups.portal],
      tcpPortRanges: ["443", "443"],
      udpPortRanges: [],
      text: { ...SEGMENT_TEXT_DEFAULTS, healthReporting: "CONTINUOUS", icmpAccessType: "PING" },
      flags: { ...SEGMENT_FLAG_DEFAULTS, selectConnectorCloseToApp: true, isCnameEnabled: false },
      clientlessApps: [clientless(ids.clientlessApps.portal, "portal.sim.example", 1), clientless(ids.clientlessApps.apps, "apps.sim.example", 2)],
      commonApps: [],
      microtenantId: "0",
      creationTime: t,
      modifiedTime: t + 120,
      modifiedBy: admin,
    },
    {
      id: ids.applications.internal,
      name: "Internal Tools",
      enabled: true,
      domainNames: ["tools.internal.sim.example"],
      segmentGroupId: ids.segmentGroups.internal,
      serverGroupIds: [ids.serverGroups.portal],
      tcpPortRanges: ["8080", "8090"],
      udpPortRanges: [],
      text: { ...SEGMENT_TEXT_DEFAULTS },
      flags: { ...SEGMENT_FLAG_DEFAULTS },
      clientlessApps: [],
      commonApps: [],
      microtenantId: "0",
      creationTime: t,
      modifiedBy: admin,
    },
  ];
  return { segmentGroups, serverGroups, applications };
}
