// Tenants stay apart through a shared ClusterVendorIssuer (ADR 0022), on the real API server and the
// Cloudflare simulator: tenant B may edit its own CertificateRequest's order annotation (its namespace's
// edit role allows it), and writes into it tenant A's certificate — by its id (an order in flight) and
// by its public key's hash (a sweep). B then deletes its request. A's certificate stays active.
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { requestIdentity } from "../../src/controllers/certificaterequest/order.ts";
import { CLEANUP_FINALIZER, ORDER_ANNOTATION } from "../../src/controllers/certificaterequest/order-annotation.ts";
import type { CertificateRequest } from "../../src/controllers/certificaterequest/cert-manager.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { generateKey } from "../../src/pki/keys.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { type Conditioned, b64, condition, startCertbridge } from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-tenancy] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

describe.skipIf(!cm.available)("two tenants on one ClusterVendorIssuer: B's edited order annotation never reaches A's certificate", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let nsA: string;
  let nsB: string;
  let shared: string;
  let certbridge: Awaited<ReturnType<typeof startCertbridge>> | undefined;

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
    nsA = await freshNamespace(client, "tenant-a");
    nsB = await freshNamespace(client, "tenant-b");
    shared = `${nsA}-shared`;
    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    for (const ns of [nsA, nsB]) await client.mergePatch(core.namespaces, undefined, ns, { metadata: { labels: { "certbridge.dev/shared-cf": shared } } });
    await client.create(core.secrets, { metadata: { name: "cf-creds", namespace: nsA }, data: { apiToken: b64(cf.apiToken) } } as KubeObject);
    await client.create(resourceTypes.clusterVendorConnections, {
      metadata: { name: shared },
      spec: {
        credentialsRef: { name: "cf-creds", namespace: nsA },
        cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId },
        namespaceSelector: { matchLabels: { "certbridge.dev/shared-cf": shared } },
      },
    } as KubeObject);
    await client.create(resourceTypes.clusterVendorIssuers, {
      metadata: { name: shared },
      spec: { connectionRef: { name: shared }, cloudflare: { validityDays: 30 } },
    } as KubeObject);
    certbridge = await startCertbridge(nsA, { also: [nsB] });
  });
  afterAll(async () => {
    await certbridge?.stop();
    await client?.delete(resourceTypes.clusterVendorIssuers, undefined, shared).catch(() => undefined);
    await client?.delete(resourceTypes.clusterVendorConnections, undefined, shared).catch(() => undefined);
    await sims?.close();
    await client?.close();
  });

  async function request(ns: string, name: string, approve: boolean) {
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: `${name}.example.com` } });
    await client.create(certificateRequests, {
      metadata: { name, namespace: ns },
      spec: { request: b64(csr), issuerRef: { group: "certbridge.dev", kind: "ClusterVendorIssuer", name: shared } },
    } as KubeObject);
    if (approve) {
      const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const conditions = [{ type: "Approved", status: "True", reason: "cmctl", message: "approved by the test", lastTransitionTime: at }];
      await client.mergePatch(certificateRequests, ns, name, { status: { conditions } }, { subresource: "status" });
    }
    return key.publicKey.export({ type: "spki", format: "pem" }).toString().trim();
  }

  /** The simulator's certificates for a key: id, status and the key's SHA-256, read as any API client would. */
  async function certificatesFor(publicKeyPem: string) {
    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    const res = await fetch(`${sims.urls.cloudflare}/zones/${cf.zoneId}/client_certificates?per_page=50&status=all`, {
      headers: { authorization: `Bearer ${cf.apiToken}` },
    });
    const body = (await res.json()) as { result: Array<{ id: string; certificate: string; status: string }> };
    return body.result.filter((c) => new X509Certificate(c.certificate).publicKey.export({ type: "spki", format: "pem" }).toString().trim() === publicKeyPem);
  }

  it("B names A's certificate id and key hash in its annotation and deletes its request: nothing of A's is revoked", async () => {
    await eventually(
      "the shared issuer Ready",
      async () => condition(await client.get<Conditioned>(resourceTypes.clusterVendorIssuers, undefined, shared), "Ready")?.status === "True",
      30_000,
    );
    const keyA = await request(nsA, "web", true);
    await eventually("A issued", async () => condition(await client.get<Conditioned>(certificateRequests, nsA, "web"), "Ready")?.reason === "Issued", 30_000);
    const [certA] = await certificatesFor(keyA);
    expect(certA?.status).toBe("active");
    const victimKeyHash = (await requestIdentity(await client.get<CertificateRequest>(certificateRequests, nsA, "web"))) as { publicKeySha256: string };

    // B's request is never approved; B writes the record itself: its own marker and key, A's certificate id,
    // and a sweep with A's key hash. A's public certificate is all B needs for either.
    await request(nsB, "api", false);
    const own = await requestIdentity(await client.get<CertificateRequest>(certificateRequests, nsB, "api"));
    if (!own.ok) throw new Error(own.message);
    const since = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const until = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    const forged = {
      order: {
        revision: 1,
        state: "Pending",
        startedTime: since,
        vendorRef: certA!.id,
        marker: own.marker,
        publicKeySha256: own.publicKeySha256,
        submits: 1,
        pollCount: 0,
      },
      sweep: { revision: 1, marker: own.marker, publicKeySha256: victimKeyHash.publicKeySha256, since, until, keep: [] },
    };
    await client.mergePatch(certificateRequests, nsB, "api", {
      metadata: { annotations: { [ORDER_ANNOTATION]: JSON.stringify(forged) }, finalizers: [CLEANUP_FINALIZER] },
    });
    await client.delete(certificateRequests, nsB, "api");
    const gone = () =>
      client.get(certificateRequests, nsB, "api").then(
        () => false,
        (e: unknown) => isNotFound(e),
      );
    // Whichever comes first: B's request released, or A's certificate no longer active (the old behaviour).
    await eventually(
      "B's request released (or A's certificate revoked)",
      async () => (await gone()) || (await certificatesFor(keyA))[0]?.status !== "active",
      30_000,
      100,
    );
    expect((await certificatesFor(keyA)).map((c) => c.status)).toEqual(["active"]);
    expect(await gone()).toBe(true);
    const events = await client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(core.events, { namespace: nsB });
    const reasons = events.items.filter((e) => e.regarding?.name === "api").map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["OrderRecordRejected", "OrderNotConfirmed"]));
  });
});
