// What `certbridge dev --cert-manager` applies beside the other samples: the issuer samples as
// VendorIssuers in the dev namespace on the dev connections (a cluster issuer's sample too: the dev
// environment has no ClusterVendorConnection), and the cert-manager samples (a Certificate per issuer,
// an annotated Ingress) pointed at them. Pure, so what dev applies is tested without a cluster.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { load } from "js-yaml";
import { API_VERSION } from "../../api/v1alpha1/group.ts";
import { parseVendorIssuer, problemsMessage } from "../../api/v1alpha1/parse.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { CONNECTION_NAMES, DEV_LABELS, DEV_NAMESPACE, type SimCatalog, mapSectigo } from "./resources.ts";

export interface CertManagerSamples {
  /** deploy/samples/(cluster)vendorissuer-*.yaml */
  readonly issuers: readonly Doc[];
  /** deploy/samples/cert-manager/*.yaml: Certificates and Ingresses. */
  readonly certManager: readonly Doc[];
}

export interface Doc extends KubeObject {
  kind: string;
  spec: Record<string, unknown>;
}

export interface CertManagerDevObjects {
  readonly issuers: readonly KubeObject[];
  readonly certificates: readonly KubeObject[];
  readonly ingresses: readonly KubeObject[];
}

const ISSUER_FILE = /^(cluster)?vendorissuer-.*\.ya?ml$/;

export async function readCertManagerSamples(samplesDir: string): Promise<CertManagerSamples> {
  const read = async (dir: string, pick: (f: string) => boolean) =>
    Promise.all(
      (await readdir(dir))
        .filter(pick)
        .sort()
        .map(async (f) => load(await readFile(join(dir, f), "utf8")) as Doc),
    );
  return {
    issuers: await read(samplesDir, (f) => ISSUER_FILE.test(f)),
    certManager: await read(join(samplesDir, "cert-manager"), (f) => f.endsWith(".yaml") || f.endsWith(".yml")),
  };
}

const ISSUER_ANNOTATION = "cert-manager.io/issuer";
const ISSUER_KIND_ANNOTATION = "cert-manager.io/issuer-kind";

/** The samples mapped onto the dev namespace, its connections and the simulated tenants; each issuer validated. */
export function certManagerDevObjects(samples: CertManagerSamples, catalog: SimCatalog = {}, namespace = DEV_NAMESPACE): CertManagerDevObjects {
  const meta = (doc: KubeObject, extra: Record<string, unknown> = {}) => ({
    name: doc.metadata.name ?? "",
    namespace,
    labels: { ...doc.metadata.labels, ...DEV_LABELS },
    ...extra,
  });
  const issuers = samples.issuers.map((doc) => {
    const vendor = doc.spec.cloudflare !== undefined ? "cloudflare" : "sectigo";
    const block =
      vendor === "sectigo" && catalog.sectigo !== undefined ? mapSectigo(doc.spec.sectigo as Record<string, unknown>, catalog.sectigo) : doc.spec[vendor];
    const issuer = {
      apiVersion: API_VERSION,
      kind: "VendorIssuer",
      metadata: meta(doc),
      spec: { connectionRef: { kind: "VendorConnection", name: CONNECTION_NAMES[vendor] }, [vendor]: block },
    };
    const parsed = parseVendorIssuer(issuer);
    if (!parsed.ok) throw new Error(`sample ${doc.kind} ${doc.metadata.name ?? ""} does not match the API schema: ${problemsMessage(parsed.problems)}`);
    return issuer as KubeObject;
  });
  const certificates = samples.certManager
    .filter((d) => d.kind === "Certificate")
    .map((doc) => ({
      apiVersion: doc.apiVersion,
      kind: doc.kind,
      metadata: meta(doc),
      spec: { ...doc.spec, issuerRef: { ...(doc.spec.issuerRef as Record<string, unknown>), kind: "VendorIssuer" } },
    }));
  const ingresses = samples.certManager
    .filter((d) => d.kind === "Ingress")
    .map((doc) => ({
      apiVersion: doc.apiVersion,
      kind: doc.kind,
      metadata: meta(doc, { annotations: { ...doc.metadata.annotations, [ISSUER_KIND_ANNOTATION]: "VendorIssuer" } }),
      spec: doc.spec,
    }));
  // Every cert-manager object must name an issuer dev applies.
  const names = new Set(issuers.map((i) => i.metadata.name));
  for (const c of certificates) {
    const ref = (c.spec.issuerRef as { name?: string }).name ?? "";
    if (!names.has(ref)) throw new Error(`Certificate ${c.metadata.name} names issuer ${ref}, which has no sample`);
  }
  for (const i of ingresses) {
    const ref = (i.metadata as { annotations?: Record<string, string> }).annotations?.[ISSUER_ANNOTATION] ?? "";
    if (!names.has(ref)) throw new Error(`Ingress ${i.metadata.name} names issuer ${ref}, which has no sample`);
  }
  return { issuers, certificates: certificates as KubeObject[], ingresses: ingresses as KubeObject[] };
}
