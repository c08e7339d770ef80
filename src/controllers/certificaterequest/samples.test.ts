// deploy/samples/cert-manager/: each cert-manager object names an issuer sample that exists, in its
// namespace (or a cluster issuer), and asks for what that issuer's vendor can issue.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { type Issuer, parseIssuer } from "../vendorissuer/issuer.ts";
import { mapRequest } from "./mapping.ts";

const samples = join(import.meta.dirname, "..", "..", "..", "deploy", "samples");
type Doc = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec: Record<string, unknown> };
const read = (file: string) => load(readFileSync(file, "utf8")) as Doc;

const issuers = readdirSync(samples)
  .filter((f) => /^(cluster)?vendorissuer-.*\.yaml$/.test(f))
  .map((f) => read(join(samples, f)));
const certManagerDocs = readdirSync(join(samples, "cert-manager"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => [f, read(join(samples, "cert-manager", f))] as const);

function issuerFor(kind: string, name: string, namespace: string | undefined): Issuer {
  const doc = issuers.find((d) => d.kind === kind && d.metadata.name === name && (kind === "ClusterVendorIssuer" || d.metadata.namespace === namespace));
  if (doc === undefined) throw new Error(`no ${kind} sample ${name}${kind === "VendorIssuer" ? ` in ${namespace}` : ""}`);
  const parsed = parseIssuer(kind as Issuer["kind"], { apiVersion: "certbridge.dev/v1alpha1", ...doc });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.issuer;
}

describe("deploy/samples/cert-manager", () => {
  it("has a Certificate for each issuer sample and an annotated Ingress", () => {
    expect(certManagerDocs.map(([, d]) => d.kind).sort()).toEqual(["Certificate", "Certificate", "Ingress"]);
    expect(issuers.map((d) => d.kind).sort()).toEqual(["ClusterVendorIssuer", "VendorIssuer"]);
  });

  it.each(certManagerDocs)("%s names an issuer sample and asks only for what its vendor issues", (_file, doc) => {
    const ns = doc.metadata.namespace;
    if (doc.kind === "Ingress") {
      const a = doc.metadata.annotations ?? {};
      expect(a["cert-manager.io/issuer-group"]).toBe("certbridge.dev");
      const issuer = issuerFor(a["cert-manager.io/issuer-kind"] ?? "", a["cert-manager.io/issuer"] ?? "", ns);
      // ingress-shim asks for cert-manager's default usages.
      expect(mapRequest(issuer.options, {})).toMatchObject({ ok: true });
      return;
    }
    const ref = doc.spec.issuerRef as { group: string; kind: string; name: string };
    expect(ref.group).toBe("certbridge.dev");
    const issuer = issuerFor(ref.kind, ref.name, ns);
    const asked = { usages: doc.spec.usages as string[] | undefined, duration: doc.spec.duration as string | undefined };
    expect(mapRequest(issuer.options, asked)).toMatchObject({ ok: true });
  });
});
