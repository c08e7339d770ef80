// cert-manager is optional: an operator process started while cert-manager's CRDs are absent says once
// that the CertificateRequest controller is not started, keeps running everything else, and starts it
// when the CRDs appear (a request is then issued). cert-manager's CRDs are removed for this test (files
// run one at a time; every file that needs them installs them).
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { discoveryOver } from "../../src/controllers/certificaterequest/detection.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { generateKey } from "../../src/pki/keys.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { type OperatorProcess, startOperatorProcess } from "../harness/operator-process.ts";
import { type Conditioned, b64, condition, createConnections, createIssuer } from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-detection] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

const NOT_STARTED = "cert-manager's CertificateRequest API is not served";

describe.skipIf(!cm.available)("the CertificateRequest controller starts by detection", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    client = adminClient();
    sims = await startSimulators({ https: false });
  });
  afterAll(async () => {
    operator?.child.kill("SIGTERM");
    await operator?.exited();
    await sims?.close();
    await client?.close();
  });

  /** Removes cert-manager's CRDs (and, first, any certbridge finalizer a request left), until discovery no longer serves them. */
  async function removeCertManagerCrds(): Promise<void> {
    const served = discoveryOver(client);
    if (!(await served(certificateRequests, AbortSignal.timeout(10_000)))) return;
    const left = await client.list<KubeObject>(certificateRequests);
    for (const r of left.items.filter((o) => (o.metadata.finalizers ?? []).includes("certbridge.dev/cleanup"))) {
      const finalizers = (r.metadata.finalizers ?? []).filter((f) => f !== "certbridge.dev/cleanup");
      await client.mergePatch(certificateRequests, r.metadata.namespace, r.metadata.name ?? "", { metadata: { finalizers } }).catch(() => undefined);
    }
    const crds = await client.list<KubeObject & { spec: { group: string } }>(core.customResourceDefinitions);
    for (const crd of crds.items.filter((c) => c.spec.group.endsWith("cert-manager.io"))) {
      await client
        .delete(core.customResourceDefinitions, undefined, crd.metadata.name ?? "")
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
    await eventually("cert-manager's CRDs gone", async () => !(await served(certificateRequests, AbortSignal.timeout(10_000))), 60_000, 200);
  }

  it("absent: says so once and serves the rest; installed later: starts and issues", async () => {
    await removeCertManagerCrds();
    const ns = await freshNamespace(client, "cmdet");
    await createConnections(client, sims, ns);
    await createIssuer(client, ns, "cf", "cloudflare");
    operator = startOperatorProcess(["--kubeconfig", inject("kubeconfigPath"), "--leader-elect", "false", "--namespaces", ns]);
    const notStarted = () => operator!.logs.filter((l) => l.includes(NOT_STARTED));
    await eventually("the operator says the CertificateRequest controller is not started", () => notStarted().length > 0, 30_000, 100);
    // Everything else runs: the issuer is served (and Ready once its connection is verified).
    await eventually("VendorIssuer cf Ready without cert-manager", async () => {
      const issuer = await client.get<Conditioned>(resourceTypes.vendorIssuers, ns, "cf");
      return condition(issuer, "Ready")?.status === "True";
    });

    await installCertManagerCrds(client);
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: "late.example.com" } });
    await client.create(certificateRequests, {
      metadata: { name: "late", namespace: ns },
      spec: { request: b64(csr), issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "cf" } },
    } as KubeObject);
    const approved = [
      {
        type: "Approved",
        status: "True",
        reason: "cmctl",
        message: "approved by the test",
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    ];
    await client.mergePatch(certificateRequests, ns, "late", { status: { conditions: approved } }, { subresource: "status" });
    const started = Date.now();
    await eventually(
      "the late request issued",
      async () => condition(await client.get<Conditioned>(certificateRequests, ns, "late"), "Ready")?.status === "True",
      30_000,
      100,
    );
    log(`issued ${Date.now() - started} ms after cert-manager's CRDs were installed`);
    // Said once in the whole run (repeated looks while absent stay silent: detection.test.ts).
    await sleep(100);
    expect(notStarted()).toHaveLength(1);
    expect(operator.logs.some((l) => l.includes("CertificateRequest controller started"))).toBe(true);
  });
});
