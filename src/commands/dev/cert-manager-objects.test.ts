import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseVendorIssuer } from "../../api/v1alpha1/parse.ts";
import { type CertManagerSamples, certManagerDevObjects, readCertManagerSamples } from "./cert-manager-objects.ts";
import { readSamples, type SimCatalog } from "./resources.ts";

const samplesDir = join(import.meta.dirname, "..", "..", "..", "deploy", "samples");
const catalog: SimCatalog = {
  sectigo: {
    orgIds: [8932],
    profiles: { SSL: [{ id: 5153, name: "OV SSL", renewable: true }], Client: [], Device: [] },
    customFields: { SSL: [{ name: "custom field", mandatory: true }], Client: [], Device: [] },
  },
};

describe("certManagerDevObjects (the repository's samples)", () => {
  it("makes every issuer sample a VendorIssuer on the dev connections, mapped onto the simulated tenant", async () => {
    const { issuers } = certManagerDevObjects(await readCertManagerSamples(samplesDir), catalog);
    expect(issuers.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort()).toEqual(["certbridge-dev/cloudflare-mtls", "certbridge-dev/sectigo-ssl"]);
    for (const i of issuers) expect(parseVendorIssuer(i).ok).toBe(true);
    const ssl = issuers.find((i) => i.metadata.name === "sectigo-ssl") as unknown as {
      spec: Record<string, { name?: string; profile?: unknown; customFields?: unknown }>;
    };
    expect(ssl.spec.connectionRef).toEqual({ kind: "VendorConnection", name: "sectigo" });
    // The sample's profile and custom field are the sample tenant's; the simulator's are used instead.
    expect(ssl.spec.sectigo?.profile).toEqual({ name: "OV SSL" });
    expect(ssl.spec.sectigo?.customFields).toEqual([{ name: "custom field", value: "certbridge-dev" }]);
  });

  it("points the Certificates and the Ingress at those VendorIssuers in the dev namespace", async () => {
    const { certificates, ingresses } = certManagerDevObjects(await readCertManagerSamples(samplesDir), catalog);
    expect(certificates.map((c) => (c as unknown as { spec: { issuerRef: unknown } }).spec.issuerRef)).toEqual(
      expect.arrayContaining([
        { group: "certbridge.dev", kind: "VendorIssuer", name: "sectigo-ssl" },
        { group: "certbridge.dev", kind: "VendorIssuer", name: "cloudflare-mtls" },
      ]),
    );
    expect(certificates.every((c) => c.metadata.namespace === "certbridge-dev")).toBe(true);
    expect(ingresses).toHaveLength(1);
    expect(ingresses[0]!.metadata.annotations).toMatchObject({ "cert-manager.io/issuer": "sectigo-ssl", "cert-manager.io/issuer-kind": "VendorIssuer" });
  });

  it("never points cert-manager at a Secret a ManagedCertificate sample writes (dev applies both in one namespace; they would fight)", async () => {
    const { certificates, ingresses } = certManagerDevObjects(await readCertManagerSamples(samplesDir), catalog);
    const certManagerSecrets = [
      ...certificates.map((c) => (c as unknown as { spec: { secretName: string } }).spec.secretName),
      ...ingresses.flatMap((i) => (i as unknown as { spec: { tls: Array<{ secretName: string }> } }).spec.tls.map((t) => t.secretName)),
    ];
    const managed = (await readSamples(samplesDir)).map((s) => s.spec.secretName as string);
    expect(certManagerSecrets.filter((name) => managed.includes(name))).toEqual([]);
    expect(new Set(certManagerSecrets).size).toBe(certManagerSecrets.length);
  });

  it("refuses a cert-manager sample that names an issuer without a sample (dev would wait forever)", () => {
    const samples: CertManagerSamples = {
      issuers: [],
      certManager: [{ apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "orphan" }, spec: { issuerRef: { name: "missing" } } }],
    };
    expect(() => certManagerDevObjects(samples)).toThrow("Certificate orphan names issuer missing, which has no sample");
  });
});
