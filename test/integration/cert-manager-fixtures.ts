// Shared by the cert-manager front-end tests (cert-manager-*.test.ts): certbridge in-process on the real
// control plane watching one namespace, connections to the simulators, issuers, cert-manager objects,
// and the checks on what a request got (a chain to the simulator's root, exactly one vendor order).
import { X509Certificate } from "node:crypto";
import { expect } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certManagerFrontEnd } from "../../src/controllers/certificaterequest/index.ts";
import type { RequestStep } from "../../src/controllers/certificaterequest/context.ts";
import { provideVendorPorts } from "../../src/controllers/shared/vendor-ports.ts";
import { setupVendorConnectionControllers } from "../../src/controllers/vendorconnection/index.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import { verifyChain } from "../../src/pki/inspect.ts";
import { splitCertificates } from "../../src/pki/pem.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import type { RunningSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { createVendorPorts } from "../../src/vendors/registry.ts";
import { certManagerTypes } from "../harness/cert-manager.ts";
import { adminClient, testLogger } from "../harness/kube.ts";

export type Conditioned = KubeObject & {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; certificate?: string; ca?: string; failureTime?: string };
};
export type Secret = KubeObject & { type?: string; data?: Record<string, string> };

export const b64 = (s: string): string => Buffer.from(s).toString("base64");
export const unb64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");
export const condition = (o: Conditioned | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);

/** certbridge in this process, watching only `namespace` (and `also`): the connection controllers and the cert-manager front end. */
export async function startCertbridge(
  namespace: string,
  opts: { step?: (step: RequestStep, key: string) => void; also?: readonly string[] } = {},
): Promise<{ manager: Manager; stop: () => Promise<void> }> {
  const namespaces = [namespace, ...(opts.also ?? [])];
  const manager = new Manager({ client: adminClient(), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }), namespaces });
  const ports = createVendorPorts();
  provideVendorPorts(manager, ports);
  setupVendorConnectionControllers(manager, { concurrency: 2, namespaces });
  certManagerFrontEnd(manager, {
    concurrency: 2,
    // Unanswered orders settle in seconds here; pending Sectigo orders are polled every few hundred ms.
    settleWindowMs: { cloudflare: 3_000, sectigo: 3_000 },
    lookupFirstMs: 500,
    pollBackoff: {
      Pending: { firstMs: 200, maxMs: 1_000 },
      AwaitingApproval: { firstMs: 200, maxMs: 1_000 },
      AwaitingValidation: { firstMs: 200, maxMs: 1_000 },
    },
    ...(opts.step ? { step: opts.step } : {}),
  });
  await manager.start();
  return {
    manager,
    stop: async () => {
      await manager.stop();
      await ports.close();
    },
  };
}

/** A credentials Secret and a VendorConnection per certificate vendor (`cf`, `scm`), trusting the simulators' CA. */
export async function createConnections(client: KubeClient, sims: RunningSimulators, ns: string): Promise<void> {
  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  await client.create<Secret>(core.secrets, { metadata: { name: "cf-creds", namespace: ns }, data: { apiToken: b64(cf.apiToken) } });
  await client.create<Secret>(core.secrets, { metadata: { name: "scm-creds", namespace: ns }, data: { login: b64(sc.login), password: b64(sc.password) } });
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "cf", namespace: ns },
    spec: {
      credentialsRef: { name: "cf-creds" },
      ...(sims.caPem ? { caBundle: sims.caPem } : {}),
      cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId },
    },
  } as KubeObject);
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "scm", namespace: ns },
    spec: {
      credentialsRef: { name: "scm-creds" },
      ...(sims.caPem ? { caBundle: sims.caPem } : {}),
      sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId },
    },
  } as KubeObject);
}

export type IssuerFlavour = "sectigo-ssl" | "sectigo-client" | "cloudflare";

/** The VendorIssuer spec per flavour, on the connections createConnections made. */
export function issuerSpec(flavour: IssuerFlavour): Record<string, unknown> {
  switch (flavour) {
    case "sectigo-ssl":
      return { connectionRef: { name: "scm" }, sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields } };
    case "sectigo-client":
      return {
        connectionRef: { name: "scm" },
        sectigo: { type: "Client", profile: { id: SEED.smimeProfile }, person: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" } },
      };
    case "cloudflare":
      return { connectionRef: { name: "cf" }, cloudflare: { validityDays: 30 } };
  }
}

export async function createIssuer(client: KubeClient, ns: string, name: string, flavour: IssuerFlavour): Promise<void> {
  await client.create(resourceTypes.vendorIssuers, { metadata: { name, namespace: ns }, spec: issuerSpec(flavour) } as KubeObject);
}

/** A cert-manager Certificate naming a VendorIssuer, with names and usages that fit the flavour. */
export function certificateSpec(flavour: IssuerFlavour, issuer: string, secretName: string, host: string): Record<string, unknown> {
  const issuerRef = { group: "certbridge.dev", kind: "VendorIssuer", name: issuer };
  const privateKey = { algorithm: "ECDSA", size: 256 };
  switch (flavour) {
    case "sectigo-ssl":
      return { secretName, issuerRef, privateKey, dnsNames: [host], usages: ["digital signature", "key encipherment", "server auth"] };
    case "sectigo-client":
      return {
        secretName,
        issuerRef,
        privateKey,
        commonName: "Ada Lovelace",
        emailAddresses: ["ada@example.com"],
        usages: ["digital signature", "email protection"],
      };
    case "cloudflare":
      return { secretName, issuerRef, privateKey, commonName: host, usages: ["digital signature", "client auth"] };
  }
}

export async function createCertificate(client: KubeClient, ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await client.create(certManagerTypes.certificates, { metadata: { name, namespace: ns }, spec } as KubeObject);
}

/** The roots (and, for Cloudflare, the intermediate it does not return) a flavour's chain verifies against. */
export function trustOf(sims: RunningSimulators, flavour: IssuerFlavour): { roots: string; intermediates: string } {
  if (flavour === "cloudflare") return { roots: sims.sims.cloudflare.ca.root.certPem, intermediates: sims.sims.cloudflare.ca.intermediate.certPem };
  return { roots: (sims.sims.sectigo as unknown as SectigoSimulator).ca.root.certPem, intermediates: "" };
}

/** The leaf in `chainPem` verifies to the simulator's root and is for `publicKeyPem`'s key (when given). */
export function expectChainToSimRoot(chainPem: string, trust: { roots: string; intermediates: string }): X509Certificate {
  const [leaf, ...intermediates] = splitCertificates(chainPem);
  expect(leaf).toBeDefined();
  expect(verifyChain(leaf!, intermediates.join("") + trust.intermediates, trust.roots)).toMatchObject({ ok: true });
  return new X509Certificate(leaf!);
}

/** The request's orders that still stand (not revoked or declined): the delivered certificate must be one. */
export async function liveOrdersFor(sims: RunningSimulators, flavour: IssuerFlavour, crUid: string, publicKeyPem: string): Promise<number> {
  if (flavour !== "cloudflare")
    return (sims.sims.sectigo as unknown as SectigoSimulator)
      .orders()
      .filter((o) => o.comments.includes(`uid=${crUid} `) && o.revokedAt === undefined && o.declinedAt === undefined).length;
  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const res = await fetch(`${sims.urls.cloudflare}/zones/${cf.zoneId}/client_certificates?per_page=50&status=all`, {
    headers: { authorization: `Bearer ${cf.apiToken}` },
  });
  const body = (await res.json()) as { result: Array<{ certificate: string; status: string }> };
  const wanted = publicKeyPem.trim();
  return body.result.filter(
    (c) => c.status === "active" && new X509Certificate(c.certificate).publicKey.export({ type: "spki", format: "pem" }).toString().trim() === wanted,
  ).length;
}

/** Orders the simulators hold for one CertificateRequest (Sectigo: its marker's uid; Cloudflare: its CSR's public key). */
export async function ordersFor(sims: RunningSimulators, flavour: IssuerFlavour, crUid: string, publicKeyPem: string): Promise<number> {
  if (flavour !== "cloudflare") return (sims.sims.sectigo as unknown as SectigoSimulator).orders().filter((o) => o.comments.includes(`uid=${crUid} `)).length;
  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const res = await fetch(`${sims.urls.cloudflare}/zones/${cf.zoneId}/client_certificates?per_page=50&status=all`, {
    headers: { authorization: `Bearer ${cf.apiToken}` },
  });
  const body = (await res.json()) as { result: Array<{ certificate: string }> };
  const wanted = publicKeyPem.trim();
  return body.result.filter((c) => new X509Certificate(c.certificate).publicKey.export({ type: "spki", format: "pem" }).toString().trim() === wanted).length;
}
