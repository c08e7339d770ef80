import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseResource, parseVendorConnection } from "../../api/v1alpha1/parse.ts";
import type { Vendor } from "../../api/v1alpha1/vendorconnection.ts";
import {
  credentialsSecret,
  DEV_NAMESPACE,
  devObjects,
  readSamples,
  referencedSecrets,
  rewriteSample,
  sampleVendor,
  type SimulatorEndpoint,
  vendorConnection,
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
    { vendor: "zpa" as const, name: "zpa-api", data: { clientId: "sim-client-id", clientSecret: "sim-client-secret" }, reason: "Legacy sign-in reads clientId/clientSecret" },
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
    { vendor: "zpa" as const, block: { authMode: "Legacy", baseUrl: "https://127.0.0.1:4001", customerId: "217246660302995456" }, reason: "legacy auth needs exactly one of cloud/baseUrl: baseUrl" },
    { vendor: "cloudflare" as const, block: { authMode: "APIToken", baseUrl: "https://127.0.0.1:4002/client/v4", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" }, reason: "the base URL keeps /client/v4" },
    { vendor: "sectigo" as const, block: { authMode: "Password", baseUrl: "https://127.0.0.1:4003", customerUri: "cst1" }, reason: "customerUri comes from the simulator" },
  ])("$vendor: valid against the schema; $reason", ({ vendor, block }) => {
    const vc = vendorConnection(vendor, sims()[vendor]!, CA);
    const parsed = parseVendorConnection(vc);
    expect(parsed.ok).toBe(true);
    expect((vc as unknown as { spec: Record<string, unknown> }).spec).toMatchObject({ [vendor]: block, caBundle: CA, credentialsRef: { name: `${vendor}-api` } });
  });

  it("refuses a CA bundle that is not PEM rather than applying an invalid object", () => {
    expect(() => vendorConnection("sectigo", sims().sectigo!, "not a pem")).toThrow(/caBundle/);
  });
});

describe("samples", () => {
  it("every ManagedCertificate and ProvisioningKey sample, rewritten, parses and points at a dev connection of its vendor", async () => {
    const samples = await readSamples(SAMPLES);
    expect(samples.map((s) => s.kind).sort()).toEqual(["ManagedCertificate", "ManagedCertificate", "ManagedCertificate", "ManagedCertificate", "ProvisioningKey", "ProvisioningKey"]);
    for (const sample of samples) {
      const out = rewriteSample(sample);
      expect(parseResource(out).ok, `${sample.metadata.name}`).toBe(true);
      expect(out.metadata.namespace).toBe(DEV_NAMESPACE);
      expect(out.spec.connectionRef, `${sample.metadata.name}: ClusterVendorConnection refs become the namespaced dev connection`).toEqual({ kind: "VendorConnection", name: sampleVendor(sample) });
    }
  });

  it("a ZPA publish target is re-pointed too", () => {
    const sample = {
      apiVersion: "certbridge.dev/v1alpha1",
      kind: "ManagedCertificate" as const,
      metadata: { name: "pub", namespace: "elsewhere" },
      spec: { connectionRef: { name: "x" }, secretName: "pub", commonName: "pub.example.com", cloudflare: {}, publish: { zpa: { connectionRef: { name: "other-zpa" } } } },
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
