// The CertificateRequest controller on the real control plane with cert-manager's CRDs but without its
// controller: requests made and approved or denied by hand (as `cmctl approve` / `cmctl deny` do), so
// each step of the contract is seen alone — nothing before approval, Denied, refusals, the certificate
// for the key only the requester holds, and a ClusterVendorIssuer through a ClusterVendorConnection.
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { generateKey } from "../../src/pki/keys.ts";
import { createCsr } from "../../src/pki/csr.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import {
  type Conditioned,
  b64,
  condition,
  createConnections,
  createIssuer,
  expectChainToSimRoot,
  ordersFor,
  startCertbridge,
  trustOf,
  unb64,
} from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-requests] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

describe.skipIf(!cm.available)("CertificateRequests for VendorIssuers (cert-manager's CRDs, requests made by hand)", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let ns: string;
  let certbridge: Awaited<ReturnType<typeof startCertbridge>>;

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
    ns = await freshNamespace(client, "cmreq");
    await createConnections(client, sims, ns);
    await createIssuer(client, ns, "cf", "cloudflare");
    certbridge = await startCertbridge(ns);
  });
  afterAll(async () => {
    await certbridge?.stop();
    await sims?.close();
    await client?.close();
  });

  /** A request for `cn` with a key only the test holds; its public key PEM and the request's name. */
  async function request(name: string, cn: string, extra: Record<string, unknown> = {}, issuerRef: Record<string, string> = {}) {
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: cn } });
    const created = await client.create<Conditioned>(certificateRequests, {
      metadata: { name, namespace: ns },
      spec: { request: b64(csr), issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "cf", ...issuerRef }, ...extra },
    } as KubeObject);
    return { uid: created.metadata.uid ?? "", publicKeyPem: key.publicKey.export({ type: "spki", format: "pem" }).toString() };
  }

  /** As cmctl approve / deny: the condition on the status subresource. */
  async function decide(name: string, type: "Approved" | "Denied") {
    const conditions = [
      { type, status: "True", reason: "cmctl", message: `${type} by the test`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    ];
    await client.mergePatch(certificateRequests, ns, name, { status: { conditions } }, { subresource: "status" });
  }

  const get = (name: string) => client.get<Conditioned>(certificateRequests, ns, name);

  it("the VendorIssuer turns Ready once its connection is verified", async () => {
    const issuer = await eventually("VendorIssuer cf Ready", async () => {
      const o = await client.get<Conditioned>(resourceTypes.vendorIssuers, ns, "cf");
      return condition(o, "Ready")?.status === "True" ? o : undefined;
    });
    expect(condition(issuer, "Ready")).toMatchObject({ reason: "Verified" });
    expect((issuer.status as { vendor?: string }).vendor).toBe("cloudflare");
  });

  it("an issuer's Sectigo type and its vendor block cannot change (orders in flight are found again by them)", async () => {
    await createIssuer(client, ns, "ssl", "sectigo-ssl");
    const change = (spec: Record<string, unknown>) => client.mergePatch(resourceTypes.vendorIssuers, ns, "ssl", { spec });
    await expect(change({ sectigo: { type: "Device" } })).rejects.toThrow(/sectigo.type cannot change/);
    await expect(change({ sectigo: null, cloudflare: {} })).rejects.toThrow(/the vendor block cannot change; create a new issuer/);
  });

  it("orders nothing before approval; once approved, one order, and the certificate is for the requester's key", async () => {
    const { uid, publicKeyPem } = await request("approved-1", "approved-1.example.com");
    // Not approved: two seconds of nothing (the controller has seen it: it is in its namespace and names our group).
    await new Promise((r) => setTimeout(r, 2_000));
    expect(condition(await get("approved-1"), "Ready")).toBeUndefined();
    expect(await ordersFor(sims, "cloudflare", uid, publicKeyPem)).toBe(0);

    await decide("approved-1", "Approved");
    // Ready is written with the certificate (status subresource); the order record and the cleanup
    // finalizer are released by the next metadata write, a moment later.
    const done = await eventually("approved-1 Ready and its order record released", async () => {
      const o = await get("approved-1");
      return condition(o, "Ready")?.status === "True" && o.metadata.annotations?.["certbridge.dev/order"] === undefined ? o : undefined;
    });
    expect(condition(done, "Ready")).toMatchObject({ reason: "Issued" });
    expect(condition(done, "Approved")).toMatchObject({ status: "True", reason: "cmctl" });
    const leaf = expectChainToSimRoot(unb64(done.status?.certificate), trustOf(sims, "cloudflare"));
    expect(leaf.publicKey.export({ type: "spki", format: "pem" }).toString().trim()).toBe(publicKeyPem.trim());
    expect(done.metadata.annotations?.["certbridge.dev/order"]).toBeUndefined();
    expect(done.metadata.finalizers ?? []).not.toContain("certbridge.dev/cleanup");
    expect(await ordersFor(sims, "cloudflare", uid, publicKeyPem)).toBe(1);
  });

  it("a denied request gets Ready=False/Denied with a failure time, and orders nothing", async () => {
    const { uid, publicKeyPem } = await request("denied-1", "denied-1.example.com");
    await decide("denied-1", "Denied");
    const denied = await eventually("denied-1 Denied", async () => {
      const o = await get("denied-1");
      return condition(o, "Ready")?.reason === "Denied" ? o : undefined;
    });
    expect(condition(denied, "Ready")?.status).toBe("False");
    expect(denied.status?.failureTime).toMatch(/^\d{4}-/);
    expect(condition(denied, "Denied")).toMatchObject({ status: "True" });
    expect(await ordersFor(sims, "cloudflare", uid, publicKeyPem)).toBe(0);
  });

  it("a usage the vendor cannot issue fails the request at once, naming what it can", async () => {
    const { uid, publicKeyPem } = await request("server-auth-1", "server-auth-1.example.com", { usages: ["digital signature", "server auth"] });
    await decide("server-auth-1", "Approved");
    const failed = await eventually("server-auth-1 Failed", async () => {
      const o = await get("server-auth-1");
      return condition(o, "Ready")?.reason === "Failed" ? o : undefined;
    });
    expect(condition(failed, "Ready")?.message).toMatch(/"server auth" cannot be issued: Cloudflare API Shield client certificates carry only/);
    expect(failed.status?.failureTime).toBeDefined();
    expect(await ordersFor(sims, "cloudflare", uid, publicKeyPem)).toBe(0);
  });

  it("a ClusterVendorIssuer orders through a ClusterVendorConnection that admits the request's namespace", async () => {
    const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
    const name = `${ns}-cf`;
    await client.mergePatch(core.namespaces, undefined, ns, { metadata: { labels: { "certbridge.dev/cf": "allowed" } } });
    await client.create(resourceTypes.clusterVendorConnections, {
      metadata: { name },
      spec: {
        credentialsRef: { name: "cf-creds", namespace: ns },
        cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId },
        namespaceSelector: { matchLabels: { "certbridge.dev/cf": "allowed" } },
      },
    } as KubeObject);
    await client.create(resourceTypes.clusterVendorIssuers, { metadata: { name }, spec: { connectionRef: { name }, cloudflare: {} } } as KubeObject);
    const { uid, publicKeyPem } = await request("cluster-1", "cluster-1.example.com", { duration: "48h" }, { kind: "ClusterVendorIssuer", name });
    await decide("cluster-1", "Approved");
    const done = await eventually(
      "cluster-1 Ready",
      async () => {
        const o = await get("cluster-1");
        return condition(o, "Ready")?.status === "True" ? o : undefined;
      },
      30_000,
    );
    const leaf = new X509Certificate(unb64(done.status?.certificate));
    // duration 48h → validity_days 2.
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeGreaterThan(47 * 3_600_000);
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThan(50 * 3_600_000);
    expect(await ordersFor(sims, "cloudflare", uid, publicKeyPem)).toBe(1);
    await client.delete(resourceTypes.clusterVendorIssuers, undefined, name);
    await client.delete(resourceTypes.clusterVendorConnections, undefined, name);
  });
});
