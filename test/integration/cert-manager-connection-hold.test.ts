// A CertificateRequest holds its connection (ADR 0007) while its order is in flight: the connection
// deleted while a Sectigo order awaits approval stays Terminating, naming the request, until the
// request is deleted — whose teardown then declines the order through it — and only then goes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { generateKey } from "../../src/pki/keys.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import type { KubeObject } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { type Conditioned, b64, condition, createConnections, createIssuer, startCertbridge } from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-connection-hold] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

describe.skipIf(!cm.available)("a CertificateRequest with its order in flight holds its connection", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let certbridge: Awaited<ReturnType<typeof startCertbridge>> | undefined;
  let ns: string;

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
    ns = await freshNamespace(client, "cmhold");
    await createConnections(client, sims, ns);
    await createIssuer(client, ns, "ssl", "sectigo-ssl");
    certbridge = await startCertbridge(ns);
  });
  afterAll(async () => {
    await certbridge?.stop();
    await sims?.close();
    await client?.close();
  });

  it("the connection stays Terminating until the request is deleted and its order declined, then goes", async () => {
    const sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
    sectigo.setIssuance({ approvalRequired: true }); // the order waits for a person at Sectigo
    await eventually(
      "VendorIssuer ssl Ready",
      async () => condition(await client.get<Conditioned>(resourceTypes.vendorIssuers, ns, "ssl"), "Ready")?.status === "True",
    );

    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: "hold.example.com" }, sans: { dnsNames: ["hold.example.com"] } });
    const created = await client.create(certificateRequests, {
      metadata: { name: "hold", namespace: ns },
      spec: {
        request: b64(csr),
        issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "ssl" },
        usages: ["digital signature", "key encipherment", "server auth"],
      },
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
    await client.mergePatch(certificateRequests, ns, "hold", { status: { conditions: approved } }, { subresource: "status" });
    const uid = created.metadata.uid ?? "";
    const orders = () => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `));
    await eventually("the Sectigo order placed and awaiting approval", () => orders().length === 1, 30_000, 100);
    await eventually(
      "the connection counts the request and holds the in-use finalizer",
      async () => {
        const c = await client.get<KubeObject & { status?: { consumers?: number } }>(resourceTypes.vendorConnections, ns, "scm");
        return (c.metadata.finalizers ?? []).includes("certbridge.dev/in-use") && c.status?.consumers === 1;
      },
      30_000,
      100,
    );

    await client.delete(resourceTypes.vendorConnections, ns, "scm");
    const terminating = await eventually(
      "the connection Terminating, saying who holds it",
      async () => {
        const c = await client.get<Conditioned>(resourceTypes.vendorConnections, ns, "scm");
        return c.metadata.deletionTimestamp !== undefined && condition(c, "Ready")?.reason === "Deleting" ? c : undefined;
      },
      30_000,
      100,
    );
    expect(condition(terminating, "Ready")?.message).toContain(`CertificateRequest ${ns}/hold`);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await client.get(resourceTypes.vendorConnections, ns, "scm")).metadata.finalizers).toContain("certbridge.dev/in-use");

    await client.delete(certificateRequests, ns, "hold");
    await eventually("the request's teardown declined the order", () => orders()[0]?.declinedAt !== undefined, 30_000, 100);
    await eventually(
      "the request gone, then the connection",
      async () => {
        const gone = async (get: () => Promise<unknown>) =>
          get().then(
            () => false,
            (e: unknown) => isNotFound(e),
          );
        return (await gone(() => client.get(certificateRequests, ns, "hold"))) && (await gone(() => client.get(resourceTypes.vendorConnections, ns, "scm")));
      },
      30_000,
      100,
    );
    expect(orders()).toHaveLength(1);
  });
});
