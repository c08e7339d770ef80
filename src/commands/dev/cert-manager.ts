// `certbridge dev --cert-manager`: cert-manager's controller beside the operator. Built once from the Go
// module proxy and cached (test/harness/build-cert-manager.sh, ADR 0014), its CRDs installed, the
// controller started for the dev namespace, and the issuer and cert-manager samples applied
// (cert-manager-objects.ts); then dev reports when each Certificate is Ready, issued through a VendorIssuer.
import { setTimeout as sleep } from "node:timers/promises";
import { certManagerAvailable, certManagerTypes, installCertManagerCrds, startCertManager } from "../../../test/harness/cert-manager.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import type { KubeClient } from "../../runtime/kube/client.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { type CertManagerDevObjects, certManagerDevObjects, readCertManagerSamples } from "./cert-manager-objects.ts";
import { DEV_NAMESPACE, type SimCatalog } from "./resources.ts";
import type { Teardown } from "./teardown.ts";

const ingresses: ResourceType = { group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress", namespaced: true };

/** How long after start-up dev waits for the cert-manager Certificates to be Ready before it says which are not. */
const CERTIFICATES_READY_WITHIN_MS = 120_000;

export async function startDevCertManager(opts: {
  readonly client: KubeClient;
  readonly kubeconfig: string;
  readonly samplesDir: string;
  readonly catalog: SimCatalog;
  readonly teardown: Teardown;
  readonly progress: (line: string) => void;
}): Promise<CertManagerDevObjects> {
  const { client, progress } = opts;
  const availability = await certManagerAvailable({ log: (line) => progress(`  ${line}`) });
  if (!availability.available) throw new Error(`cert-manager's controller is not available: ${availability.reason}`);
  // Throws before anything is started when a sample does not fit.
  const objects = certManagerDevObjects(await readCertManagerSamples(opts.samplesDir), opts.catalog);
  const crds = await installCertManagerCrds(client);
  progress(`  ${crds.join(", ")}`);
  const controller = await startCertManager({ kubeconfig: opts.kubeconfig, namespace: DEV_NAMESPACE });
  opts.teardown.push("cert-manager's controller", () => controller.stop());
  progress(`  cert-manager's controller runs for namespace ${DEV_NAMESPACE} (pid ${controller.pid}; log ${controller.logPath})`);
  for (const o of objects.issuers) await client.apply(resourceTypes.vendorIssuers, o);
  for (const o of objects.certificates) await client.apply(certManagerTypes.certificates, o);
  for (const o of objects.ingresses) await client.apply(ingresses, o);
  progress(`  VendorIssuers: ${names(objects.issuers)}`);
  progress(`  cert-manager Certificates: ${names(objects.certificates)}; Ingress: ${names(objects.ingresses)} (ingress-shim makes its Certificate)`);
  progress(`  look: kubectl -n ${DEV_NAMESPACE} get vendorissuers,certificates.cert-manager.io,certificaterequests -o wide`);
  return objects;
}

const names = (list: readonly KubeObject[]) => list.map((o) => o.metadata.name ?? "").join(", ") || "none";

type Certificate = KubeObject & {
  spec: { secretName?: string; issuerRef?: { kind?: string; name?: string } };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
};

/** Polls the dev namespace's cert-manager Certificates until all are Ready and says so once, naming the issuer; after a while, which are not. */
export async function reportCertificatesReady(client: KubeClient, signal: AbortSignal, progress: (line: string) => void): Promise<void> {
  const deadline = Date.now() + CERTIFICATES_READY_WITHIN_MS;
  let waiting: string[] = ["(not listed yet)"];
  while (!signal.aborted) {
    try {
      const list = await client.listAll<Certificate>(certManagerTypes.certificates, { namespace: DEV_NAMESPACE, signal });
      const ready = (c: Certificate) => c.status?.conditions?.find((x) => x.type === "Ready");
      waiting = list.items
        .filter((c) => ready(c)?.status !== "True")
        .map((c) => `Certificate ${c.metadata.name}: ${ready(c)?.message ?? "no Ready condition yet"}`);
      if (list.items.length > 0 && waiting.length === 0) {
        for (const c of list.items)
          progress(
            `cert-manager Certificate ${c.metadata.name} is Ready: issued through ${c.spec.issuerRef?.kind} ${c.spec.issuerRef?.name} into Secret ${c.spec.secretName}`,
          );
        return;
      }
    } catch {
      // The API server may be going away (Ctrl-C); the loop ends on the abort.
    }
    if (Date.now() > deadline) {
      progress(`not every cert-manager Certificate is Ready after ${CERTIFICATES_READY_WITHIN_MS / 1000}s:`);
      for (const w of waiting) progress(`  ${w}`);
      return;
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
}
