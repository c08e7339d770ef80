// The operator PROCESS is SIGKILLed at each step of a CertificateRequest's ordering path (the
// `--debug-crash-at certificaterequest:<step>` fault injection) while cert-manager's real controller
// drives a Certificate through a VendorIssuer; a fresh process then finishes. Each row must end with the
// Certificate Ready, one CertificateRequest and exactly one vendor order for it: the intent lives on
// the request (annotation, ADR 0017), so a restart looks the order up instead of ordering again.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import type { RequestStep } from "../../src/controllers/certificaterequest/context.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { type CertManagerProcess, certManagerAvailable, certManagerTypes, installCertManagerCrds, startCertManager } from "../harness/cert-manager.ts";
import { killAtStepThenRecover } from "../harness/crash-recovery.ts";
import { adminClient, freshNamespace } from "../harness/kube.ts";
import {
  type Conditioned,
  type IssuerFlavour,
  certificateSpec,
  condition,
  createCertificate,
  createConnections,
  createIssuer,
  liveOrdersFor,
  ordersFor,
  unb64,
} from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-crash] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

type Request = Conditioned & { spec: { request: string } };

describe.skipIf(!cm.available)("SIGKILL at each step of a CertificateRequest's ordering path (real processes, cert-manager's controller)", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let ns: string;
  let certManager: CertManagerProcess;

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
    ns = await freshNamespace(client, "cmcrash");
    await createConnections(client, sims, ns);
    for (const flavour of ["sectigo-ssl", "cloudflare"] as const) await createIssuer(client, ns, flavour, flavour);
    certManager = await startCertManager({ kubeconfig: inject("kubeconfigPath"), namespace: ns });
  });
  afterAll(async () => {
    await certManager?.stop();
    await sims?.close();
    await client?.close();
  });

  // "found" is reached only by a process that restarted after an unanswered order: the rows after intent-recorded and submitted take it.
  const steps: RequestStep[] = ["start", "intent-recorded", "submitted", "vendor-ref-recorded", "collected", "status-written", "released"];
  // Cloudflare issues on the submit: no collect; its path's other steps are the same as Sectigo's.
  const rows: Array<{ flavour: IssuerFlavour; step: RequestStep }> = [
    ...steps.map((step) => ({ flavour: "sectigo-ssl" as const, step })),
    ...(["intent-recorded", "submitted", "status-written"] as const).map((step) => ({ flavour: "cloudflare" as const, step })),
  ];

  it.each(rows)("$flavour: killed at $step → the Certificate is Ready from exactly one vendor order", async ({ flavour, step }) => {
    const name = `${flavour}-${step}`;
    await createCertificate(client, ns, name, certificateSpec(flavour, flavour, `${name}-tls`, `${name}.example.com`));
    const requests = async () =>
      (await client.list<Request>(certificateRequests, { namespace: ns })).items.filter(
        (r) => r.metadata.annotations?.["cert-manager.io/certificate-name"] === name,
      );
    const done = async () => {
      const certificate = await client.get<Conditioned>(certManagerTypes.certificates, ns, name);
      if (condition(certificate, "Ready")?.status !== "True") return false;
      // Released too: no order record or finalizer left on the request.
      const [request] = await requests();
      return request !== undefined && request.metadata.annotations?.["certbridge.dev/order"] === undefined;
    };
    const { killed } = await killAtStepThenRecover({ crashAt: `certificaterequest:${step}`, namespace: ns, done });
    const all = await requests();
    expect(all).toHaveLength(1);
    const request = all[0]!;
    const orders = await ordersFor(sims, flavour, request.metadata.uid ?? "", (await parseCsr(unb64(request.spec.request))).publicKeyPem);
    expect(orders).toBe(1);
    // …and the delivered certificate stands: nothing cancelled or revoked it after the restart.
    expect(await liveOrdersFor(sims, flavour, request.metadata.uid ?? "", (await parseCsr(unb64(request.spec.request))).publicKeyPem)).toBe(1);
    expect(request.metadata.finalizers ?? []).not.toContain("certbridge.dev/cleanup");
    log(`crash at certificaterequest:${step} (${flavour}): ${killed ? "SIGKILLed" : "step not on this path"} → Ready, ${orders} order`);
  });
});
