import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseResource, parseVendorConnection } from "../../api/v1alpha1/parse.ts";
import type { Vendor } from "../../api/v1alpha1/vendorconnection.ts";
import {
  credentialsSecret,
  DEV_CUSTOM_FIELD_VALUE,
  DEV_NAMESPACE,
  devObjects,
  presetKeys,
  readSamples,
  referencedSecrets,
  rewriteSample,
  type Sample,
  sampleVendor,
  type SectigoCatalog,
  type SimCatalog,
  type SimulatorEndpoint,
  vendorConnection,
  type ZpaCatalog,
} from "./resources.ts";

const SAMPLES = fileURLToPath(new URL("../../../deploy/samples", import.meta.url));
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** Simulator endpoints shaped like `startSimulators()` reports them. */
function sims(overrides: Partial<Record<Vendor, SimulatorEndpoint | undefined>> = {}): Partial<Record<Vendor, SimulatorEndpoint>> {
  const all: Record<Vendor, SimulatorEndpoint | undefined> = {
    zpa: { url: "https://127.0.0.1:4001", credentials: { clientId: "sim-client-id", clientSecret: "sim-client-secret", customerId: "217246660302995456" } },
    cloudflare: {
      url: "https://127.0.0.1:4002/client/v4",
      credentials: { zoneId: "023e105f4ecef8ad9ca31a8372d0c353", apiToken: "sim-api-token", email: "sim@example.com", globalApiKey: "sim-global-key" },
    },
    sectigo: { url: "https://127.0.0.1:4003", credentials: { login: "sim-login", password: "sim-password", customerUri: "cst1" } },
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));

describe("credentials Secrets", () => {
  it.each([
    {
      vendor: "zpa" as const,
      name: "zpa-api",
      data: { clientId: "sim-client-id", clientSecret: "sim-client-secret" },
      reason: "Legacy sign-in reads clientId/clientSecret",
    },
    { vendor: "cloudflare" as const, name: "cloudflare-api", data: { apiToken: "sim-api-token" }, reason: "APIToken mode reads only apiToken" },
    { vendor: "sectigo" as const, name: "sectigo-api", data: { login: "sim-login", password: "sim-password" }, reason: "Password mode reads login/password" },
  ])("$vendor: $reason", ({ vendor, name, data }) => {
    const secret = credentialsSecret(vendor, sims()[vendor]!);
    expect(secret.metadata).toMatchObject({ name, namespace: DEV_NAMESPACE });
    expect(decode(secret.data)).toEqual(data);
  });

  it("names a missing credential without echoing the others", () => {
    const broken = { url: "https://127.0.0.1:1", credentials: { clientId: "sim-client-id", customerId: "1" } };
    expect(() => credentialsSecret("zpa", broken)).toThrow(/"clientSecret"/);
    expect(() => credentialsSecret("zpa", broken)).not.toThrow(/sim-client-id/);
  });
});

describe("VendorConnections", () => {
  it.each([
    {
      vendor: "zpa" as const,
      block: { authMode: "Legacy", baseUrl: "https://127.0.0.1:4001", customerId: "217246660302995456" },
      reason: "legacy auth needs exactly one of cloud/baseUrl: baseUrl",
    },
    {
      vendor: "cloudflare" as const,
      block: { authMode: "APIToken", baseUrl: "https://127.0.0.1:4002/client/v4", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
      reason: "the base URL keeps /client/v4",
    },
    {
      vendor: "sectigo" as const,
      block: { authMode: "Password", baseUrl: "https://127.0.0.1:4003", customerUri: "cst1" },
      reason: "customerUri comes from the simulator",
    },
  ])("$vendor: valid against the schema; $reason", ({ vendor, block }) => {
    const vc = vendorConnection(vendor, sims()[vendor]!, CA);
    const parsed = parseVendorConnection(vc);
    expect(parsed.ok).toBe(true);
    expect((vc as unknown as { spec: Record<string, unknown> }).spec).toMatchObject({
      [vendor]: block,
      caBundle: CA,
      credentialsRef: { name: `${vendor}-api` },
    });
  });

  it("refuses a CA bundle that is not PEM rather than applying an invalid object", () => {
    expect(() => vendorConnection("sectigo", sims().sectigo!, "not a pem")).toThrow(/caBundle/);
  });
});

describe("samples", () => {
  it("every ManagedCertificate and ProvisioningKey sample, rewritten, parses and points at a dev connection of its vendor", async () => {
    const samples = await readSamples(SAMPLES);
    expect(samples.map((s) => s.kind).sort()).toEqual([
      "ManagedCertificate",
      "ManagedCertificate",
      "ManagedCertificate",
      "ManagedCertificate",
      "ProvisioningKey",
      "ProvisioningKey",
    ]);
    for (const sample of samples) {
      const out = rewriteSample(sample);
      expect(parseResource(out).ok, `${sample.metadata.name}`).toBe(true);
      expect(out.metadata.namespace).toBe(DEV_NAMESPACE);
      expect(out.spec.connectionRef, `${sample.metadata.name}: ClusterVendorConnection refs become the namespaced dev connection`).toEqual({
        kind: "VendorConnection",
        name: sampleVendor(sample),
      });
    }
  });

  it("a ZPA publish target is re-pointed too", () => {
    const sample = {
      apiVersion: "certbridge.dev/v1alpha1",
      kind: "ManagedCertificate" as const,
      metadata: { name: "pub", namespace: "elsewhere" },
      spec: {
        connectionRef: { name: "x" },
        secretName: "pub",
        commonName: "pub.example.com",
        cloudflare: {},
        publish: { zpa: { connectionRef: { name: "other-zpa" } } },
      },
    };
    expect(rewriteSample(sample).spec.publish).toEqual({ zpa: { connectionRef: { kind: "VendorConnection", name: "zpa" } } });
  });

  it("creates the PKCS#12 password Secret a sample refers to, with a random value", async () => {
    const jane = (await readSamples(SAMPLES)).find((s) => s.metadata.name === "jane-smime")!;
    const [a] = referencedSecrets(jane);
    const [b] = referencedSecrets(jane);
    expect(a!.metadata).toMatchObject({ name: "jane-smime-p12", namespace: DEV_NAMESPACE });
    expect(decode(a!.data).password!.length).toBeGreaterThanOrEqual(16);
    expect(a!.data).not.toEqual(b!.data);
  });

  it.each([
    { missing: "sectigo" as const, skipped: ["gateway-device", "jane-smime", "shop-tls"], reason: "Sectigo certificates need the Sectigo simulator" },
    { missing: "zpa" as const, skipped: ["app-connectors", "service-edges"], reason: "provisioning keys need the ZPA simulator" },
  ])("without the $missing simulator: $reason", async ({ missing, skipped }) => {
    const { objects, skipped: left } = devObjects(sims({ [missing]: undefined }), CA, await readSamples(SAMPLES));
    expect(left.map((s) => s.split(" ")[1]).sort()).toEqual(skipped);
    expect(objects.some((o) => o.kind === "VendorConnection" && o.object.metadata.name === missing)).toBe(false);
  });

  it("orders Secrets before the connections that read them, and connections before the samples", async () => {
    const { objects } = devObjects(sims(), CA, await readSamples(SAMPLES));
    const firstConnection = objects.findIndex((o) => o.kind === "VendorConnection");
    const firstSample = objects.findIndex((o) => o.kind === "ManagedCertificate" || o.kind === "ProvisioningKey");
    const credentialSecrets = objects.filter((o) => o.kind === "Secret" && o.object.metadata.name?.endsWith("-api"));
    expect(credentialSecrets).toHaveLength(3);
    expect(objects.slice(0, firstConnection).every((o) => o.kind === "Secret")).toBe(true);
    expect(firstSample).toBeGreaterThan(firstConnection + 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Mapping samples onto the simulated tenants

function sectigoCatalog(over: Partial<SectigoCatalog> = {}): SectigoCatalog {
  return {
    orgIds: [100, 101],
    profiles: {
      SSL: [
        { id: 1, name: "SSL no renew", renewable: false },
        { id: 2, name: "OV SSL", renewable: true },
      ],
      Client: [{ id: 3, name: "Client cert", renewable: true }],
      Device: [{ id: 4, name: "Device cert", renewable: true }],
    },
    customFields: {
      SSL: [
        { name: "cost center", mandatory: false },
        { name: "owner", mandatory: true },
      ],
      Client: [],
      Device: [],
    },
    ...over,
  };
}

function zpaCatalog(): ZpaCatalog {
  return {
    groups: {
      CONNECTOR_GRP: [
        { id: "10", name: "Disabled", enabled: false, microtenantId: "0" },
        { id: "11", name: "Other tenant", enabled: true, microtenantId: "77" },
        { id: "12", name: "Connector Group A", enabled: true, microtenantId: "0" },
      ],
      SERVICE_EDGE_GRP: [{ id: "20", name: "Service Edge Group A", enabled: true, microtenantId: "0" }],
    },
    enrollmentCertificates: [
      { id: "30", name: "Connector", privateKeyPresent: true },
      { id: "31", name: "Service Edge", privateKeyPresent: true },
      { id: "32", name: "Imported", privateKeyPresent: false },
    ],
  };
}

function sectigoSample(sectigo: Record<string, unknown>): Sample {
  const person = sectigo.type === "Client" ? { person: { email: "a@example.com", firstName: "A", lastName: "B" } } : {};
  return {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "ManagedCertificate",
    metadata: { name: "m", namespace: "web" },
    spec: { connectionRef: { name: "sectigo" }, secretName: "m", commonName: "m.example.com", sectigo: { ...person, ...sectigo } },
  };
}

function keySample(spec: Record<string, unknown>): Sample {
  return {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "ProvisioningKey",
    metadata: { name: "k", namespace: "connectors" },
    spec: { connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", maxUsage: 2, secretName: "k", ...spec },
  };
}

describe("mapping Sectigo samples onto the simulated tenant", () => {
  it.each([
    { given: { type: "SSL", profile: { name: "OV SSL" } }, want: { profile: { name: "OV SSL" } }, reason: "a profile the tenant has is kept" },
    {
      given: { type: "SSL", profile: { name: "ov ssl" } },
      want: { profile: { name: "ov ssl" } },
      reason: "profile names match case-insensitively, as the client resolves them",
    },
    {
      given: { type: "SSL", profile: { name: "OV Multi-Domain" } },
      want: { profile: { name: "OV SSL" } },
      reason: "an unknown name becomes the first renewable profile of the type, by name",
    },
    {
      given: { type: "Client", profile: { id: 2 } },
      want: { profile: { id: 3 } },
      reason: "an unknown id becomes a profile id of the type (id 2 is an SSL profile, not a client one)",
    },
    {
      given: { type: "Device", profile: { name: "Device Certificate" } },
      want: { profile: { name: "Device cert" } },
      reason: "device samples get a device profile",
    },
    { given: { type: "Device", profile: { id: 4 }, orgId: 5678 }, want: { orgId: 100 }, reason: "an org the tenant lacks becomes its first org" },
    { given: { type: "Device", profile: { id: 4 }, orgId: 101 }, want: { orgId: 101 }, reason: "an org (or department) the tenant has is kept" },
    {
      given: {
        type: "SSL",
        profile: { id: 2 },
        customFields: [
          { name: "Cost Center", value: "4711" },
          { name: "Unknown", value: "x" },
        ],
      },
      want: {
        customFields: [
          { name: "cost center", value: "4711" },
          { name: "owner", value: DEV_CUSTOM_FIELD_VALUE },
        ],
      },
      reason: "custom fields take the tenant's spelling, unknown ones are dropped (SCM refuses them), mandatory ones are filled",
    },
  ])("$reason", ({ given, want }) => {
    const out = rewriteSample(sectigoSample(given), DEV_NAMESPACE, { sectigo: sectigoCatalog() });
    expect(parseResource(out).ok).toBe(true);
    expect(out.spec.sectigo).toMatchObject(want);
  });

  it("drops customFields when the tenant has none of them and requires none", () => {
    const out = rewriteSample(sectigoSample({ type: "Device", profile: { id: 4 }, customFields: [{ name: "Cost Center", value: "1" }] }), DEV_NAMESPACE, {
      sectigo: sectigoCatalog(),
    });
    expect(out.spec.sectigo).not.toHaveProperty("customFields");
  });

  it("without a catalog, the Sectigo block is applied as written", () => {
    const given = { type: "SSL", profile: { name: "OV Multi-Domain" }, orgId: 5678 };
    expect(rewriteSample(sectigoSample(given)).spec.sectigo).toEqual(given);
  });

  it("the dev Sectigo connection defaults to the tenant's first org, so samples without orgId can enroll", () => {
    const vc = vendorConnection("sectigo", sims().sectigo!, CA, DEV_NAMESPACE, { sectigo: sectigoCatalog() }) as unknown as {
      spec: { sectigo: { orgId?: number } };
    };
    expect(parseVendorConnection(vc).ok).toBe(true);
    expect(vc.spec.sectigo.orgId).toBe(100);
  });
});

describe("mapping ProvisioningKey samples onto the simulated tenant", () => {
  it.each([
    { given: { group: { name: "Connector Group A" } }, want: { group: { name: "Connector Group A" } }, reason: "a group the tenant has is kept" },
    {
      given: { group: { name: "k8s-app-connectors" } },
      want: { group: { name: "Connector Group A" } },
      reason: "an unknown name becomes the first enabled default-microtenant group, by name",
    },
    { given: { group: { name: "Disabled" } }, want: { group: { name: "Connector Group A" } }, reason: "a disabled group is not usable" },
    {
      given: { associationType: "SERVICE_EDGE_GRP", group: { id: "217306507451045314" } },
      want: { group: { id: "20" } },
      reason: "an unknown id becomes a group id of the association type",
    },
    {
      given: { group: { id: "12" }, enrollmentCertificate: { name: "Connector" } },
      want: { enrollmentCertificate: { name: "Connector" } },
      reason: "a signing enrollment certificate is kept",
    },
  ])("$reason", ({ given, want }) => {
    const out = rewriteSample(keySample(given), DEV_NAMESPACE, { zpa: zpaCatalog() });
    expect(parseResource(out).ok).toBe(true);
    expect(out.spec).toMatchObject(want);
  });

  it.each([
    { cert: { name: "Imported" }, reason: "one without a private key cannot sign enrollments" },
    { cert: { name: "Corporate Edge CA" }, reason: "one the tenant lacks" },
  ])("an enrollment certificate is left to the controller's default: $reason", ({ cert }) => {
    const out = rewriteSample(keySample({ group: { id: "12" }, enrollmentCertificate: cert }), DEV_NAMESPACE, { zpa: zpaCatalog() });
    expect(out.spec).not.toHaveProperty("enrollmentCertificate");
  });

  it.each([
    {
      spec: { name: "k8s-keys", group: { name: "x" }, maxUsage: 3, enabled: false },
      want: [{ associationType: "CONNECTOR_GRP", name: "k8s-keys", groupId: "12", enrollmentCertId: "30", maxUsage: 3, enabled: false }],
      reason: "a named key is put in the mapped group, signed by the default certificate of its type",
    },
    { spec: { group: { name: "x" } }, want: [], reason: "an unnamed key is the controller's to create" },
    {
      spec: { name: "edge", associationType: "SERVICE_EDGE_GRP", group: { id: "1" }, enrollmentCertificate: { name: "Service Edge" } },
      want: [{ associationType: "SERVICE_EDGE_GRP", name: "edge", groupId: "20", enrollmentCertId: "31", maxUsage: 2, enabled: true }],
      reason: "the sample's own enrollment certificate is used",
    },
  ])("preset keys: $reason", ({ spec, want }) => {
    const catalog = zpaCatalog();
    expect(presetKeys([rewriteSample(keySample(spec), DEV_NAMESPACE, { zpa: catalog })], catalog)).toEqual(want);
  });

  it("no preset key when the tenant has no group of the type: the controller reports NotFound as in production", () => {
    const catalog: ZpaCatalog = { ...zpaCatalog(), groups: { CONNECTOR_GRP: [], SERVICE_EDGE_GRP: [] } };
    expect(presetKeys([rewriteSample(keySample({ name: "n", group: { name: "x" } }), DEV_NAMESPACE, { zpa: catalog })], catalog)).toEqual([]);
  });
});

describe("every sample against the catalog", () => {
  it("each Sectigo sample resolves to a profile and org of the tenant, each key to a usable group", async () => {
    const catalog: SimCatalog = { sectigo: sectigoCatalog(), zpa: zpaCatalog() };
    const { objects } = devObjects(sims(), CA, await readSamples(SAMPLES), DEV_NAMESPACE, catalog);
    const samples = objects.filter((o) => o.kind === "ManagedCertificate" || o.kind === "ProvisioningKey").map((o) => o.object as Sample);
    expect(samples).toHaveLength(6);
    for (const s of samples) {
      const sectigo = s.spec.sectigo as { type: "SSL" | "Client" | "Device"; profile: { id?: number; name?: string }; orgId?: number } | undefined;
      if (sectigo !== undefined) {
        const profiles = catalog.sectigo!.profiles[sectigo.type];
        expect(
          profiles.some((p) => p.id === sectigo.profile.id || p.name.toLowerCase() === sectigo.profile.name?.toLowerCase()),
          `${s.metadata.name} profile`,
        ).toBe(true);
        if (sectigo.orgId !== undefined) expect(catalog.sectigo!.orgIds, `${s.metadata.name} org`).toContain(sectigo.orgId);
      }
      if (s.kind === "ProvisioningKey") {
        const ref = s.spec.group as { id?: string; name?: string };
        const groups = catalog.zpa!.groups[s.spec.associationType as "CONNECTOR_GRP" | "SERVICE_EDGE_GRP"];
        expect(
          groups.some((g) => g.enabled && (g.id === ref.id || g.name === ref.name)),
          `${s.metadata.name} group`,
        ).toBe(true);
      }
    }
    expect(presetKeys(samples, catalog.zpa!).map((k) => k.name)).toEqual(["k8s-service-edges"]);
  });
});
