// The ManagedCertificate controller on the real control plane against the real simulators (HTTPS,
// sim CA): issuance per vendor and family, renewal, revocation, Secret conflicts, invalid specs,
// the no-op resync, and crash safety at every await point of the issuance path.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { adminClient, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { annotations, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupManagedCertificates, type IssuanceStep, type ManagedCertificateController } from "../../src/controllers/managedcertificate/index.ts";
import { keySecretName } from "../../src/controllers/managedcertificate/keys.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { CertificateAuthority } from "../../src/ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../src/ports/connection.ts";
import type { VendorPorts } from "../../src/ports/vendors.ts";
import { importPrivateKeyPem } from "../../src/pki/keys.ts";
import { keyMatchesCertificate, verifyChain } from "../../src/pki/inspect.ts";
import { splitCertificates } from "../../src/pki/pem.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { CloudflareCertificateAuthority } from "../../src/vendors/cloudflare/certificate-authority.ts";
import { CloudflareClient } from "../../src/vendors/cloudflare/client.ts";
import { SectigoCertificateAuthority } from "../../src/vendors/sectigo/certificate-authority.ts";
import { createSectigoClient } from "../../src/vendors/sectigo/client.ts";
import { createDispatcher } from "../../src/vendors/shared/dispatcher.ts";

interface Secret extends KubeObject { type?: string; data?: Record<string, string> }
interface Condition { type: string; status: string; reason: string; message: string }
interface Mc extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: Condition[]; revision?: number; vendorRef?: string; serialNumber?: string; notAfter?: string; renewalTime?: string; pendingIssuance?: unknown; pendingRevocations?: unknown[] };
}

let client: KubeClient;
let sims: RunningSimulators;
let sectigo: SectigoSimulator;
const running: Array<() => Promise<void>> = [];

/** Vendor calls per operation and per owner UID (submits), across every manager in a test. */
const calls = { submit: 0, collect: 0, find: 0, revoke: 0, submitsByUid: new Map<string, number>() };
const resetCalls = () => Object.assign(calls, { submit: 0, collect: 0, find: 0, revoke: 0, submitsByUid: new Map<string, number>() });

function counting(inner: CertificateAuthority): CertificateAuthority {
  return {
    submit: async (order, signal) => {
      calls.submit++;
      calls.submitsByUid.set(order.owner.uid, (calls.submitsByUid.get(order.owner.uid) ?? 0) + 1);
      return inner.submit(order, signal);
    },
    collect: async (ref, order, signal) => { calls.collect++; return inner.collect(ref, order, signal); },
    find: async (order, signal) => { calls.find++; return inner.find(order, signal); },
    revoke: async (ref, reason, signal) => { calls.revoke++; return inner.revoke(ref, reason, signal); },
  };
}

/** VendorPorts from the adapters (until the registry lands): one CA per connection fingerprint. */
function testPorts(): Pick<VendorPorts, "certificateAuthority"> {
  const cache = new Map<string, CertificateAuthority>();
  return {
    certificateAuthority(c: ResolvedConnection): CertificateAuthority {
      const hit = cache.get(c.fingerprint);
      if (hit) return hit;
      const dispatcher = createDispatcher(c.caBundlePem ? { caBundlePem: c.caBundlePem } : {});
      const s = c.settings as Record<string, string | number | undefined>;
      const ca = c.vendor === "cloudflare"
        ? new CloudflareCertificateAuthority(new CloudflareClient({ zoneId: String(s.zoneId), auth: { kind: "apiToken", token: c.credentials.apiToken! }, baseUrl: String(s.baseUrl), dispatcher, maxAttempts: 3 }))
        : new SectigoCertificateAuthority({ client: createSectigoClient({ baseUrl: String(s.baseUrl), login: c.credentials.login!, password: c.credentials.password!, customerUri: String(s.customerUri), dispatcher, backoffBaseMs: 20 }), ...(s.orgId ? { orgId: Number(s.orgId) } : {}) });
      const wrapped = counting(ca);
      cache.set(c.fingerprint, wrapped);
      return wrapped;
    },
  };
}

async function startController(opts: { hooks?: { step(step: IssuanceStep, key: string): void }; resyncMs?: number } = {}): Promise<ManagedCertificateController & { manager: Manager }> {
  const manager = new Manager({ client: adminClient(), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }) });
  const mc = setupManagedCertificates(manager, { ports: testPorts(), concurrency: 4, ...(opts.hooks ? { hooks: opts.hooks } : {}), ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}) });
  await manager.start();
  let stopped = false;
  const stop = async () => { if (!stopped) { stopped = true; await manager.stop(); } };
  running.push(stop);
  return { ...mc, manager };
}

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators();
  sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
});
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
  sectigo.setIssuance({ approvalRequired: false, collectsBeforeIssued: 0, delayMs: 0 });
  resetCalls();
});
afterAll(async () => {
  await sims.close();
  await client.close();
});

// ---------------------------------------------------------------------------------------------------
// Builders

async function connections(ns: string): Promise<void> {
  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  await client.create<Secret>(core.secrets, { metadata: { name: "cf-creds", namespace: ns }, data: { apiToken: b64(cf.apiToken) } });
  await client.create<Secret>(core.secrets, { metadata: { name: "scm-creds", namespace: ns }, data: { login: b64(sc.login), password: b64(sc.password) } });
  await client.create(resourceTypes.vendorConnections, { metadata: { name: "cf", namespace: ns }, spec: { credentialsRef: { name: "cf-creds" }, caBundle: sims.caPem, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } } } as KubeObject);
  await client.create(resourceTypes.vendorConnections, { metadata: { name: "scm", namespace: ns }, spec: { credentialsRef: { name: "scm-creds" }, caBundle: sims.caPem, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } } } as KubeObject);
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

type Kind = "cloudflare" | "ssl" | "client" | "device";

function mcSpec(kind: Kind, secretName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  switch (kind) {
    case "cloudflare":
      return { connectionRef: { kind: "VendorConnection", name: "cf" }, secretName, commonName: "device-1.example.com", privateKey: { algorithm: "ECDSA", size: 256 }, cloudflare: { validityDays: 30 }, ...extra };
    case "ssl":
      return { connectionRef: { kind: "VendorConnection", name: "scm" }, secretName, dnsNames: ["app.example.com", "www.example.com"], privateKey: { algorithm: "ECDSA", size: 256 }, sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields }, ...extra };
    case "client":
      return { connectionRef: { kind: "VendorConnection", name: "scm" }, secretName, emailAddresses: ["ada@example.com"], privateKey: { algorithm: "ECDSA", size: 256 }, sectigo: { type: "Client", profile: { id: SEED.smimeProfile }, person: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" } }, ...extra };
    case "device":
      return { connectionRef: { kind: "VendorConnection", name: "scm" }, secretName, commonName: "sensor-7.example.com", privateKey: { algorithm: "ECDSA", size: 256 }, sectigo: { type: "Device", profile: { id: SEED.deviceProfile }, customFields: SEED.deviceCustomFields }, ...extra };
  }
}

async function createMc(ns: string, name: string, spec: Record<string, unknown>): Promise<Mc> {
  return client.create<Mc>(resourceTypes.managedCertificates, { metadata: { name, namespace: ns }, spec } as Mc);
}

const getMc = (ns: string, name: string) => client.get<Mc>(resourceTypes.managedCertificates, ns, name);
const cond = (mc: Mc | undefined, type: string) => mc?.status?.conditions?.find((c) => c.type === type);

async function getSecret(ns: string, name: string): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(core.secrets, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function readyMc(ns: string, name: string, timeoutMs = 30_000, minRevision = 1): Promise<Mc> {
  return eventually(`${ns}/${name} Ready (revision ≥ ${minRevision})`, async () => {
    const mc = await getMc(ns, name);
    return cond(mc, "Ready")?.status === "True" && (mc.status?.revision ?? 0) >= minRevision && mc.status?.pendingIssuance === undefined ? mc : undefined;
  }, timeoutMs, 100);
}

/** The Secret holds a chain that verifies against `roots` and a key that matches the leaf. */
function checkTlsSecret(secret: Secret, roots: string, extraIntermediates = ""): { leaf: string; serial: string } {
  expect(secret.type).toBe("kubernetes.io/tls");
  const chain = splitCertificates(unb64(secret.data?.["tls.crt"]));
  const [leaf, ...intermediates] = chain;
  expect(leaf).toBeDefined();
  expect(verifyChain(leaf!, intermediates.join("") + extraIntermediates, roots)).toMatchObject({ ok: true });
  expect(keyMatchesCertificate(importPrivateKeyPem(unb64(secret.data?.["tls.key"])), leaf!)).toBe(true);
  expect(secret.metadata.annotations?.[annotations.contentHash]).toMatch(/^[0-9a-f]{64}$/);
  return { leaf: leaf!, serial: new X509Certificate(leaf!).serialNumber.toLowerCase() };
}

const cfOrders = () => (sims.sims.cloudflare.state() as { objects: { client_certificate: number } }).objects.client_certificate;
const scmOrdersFor = (uid: string) => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `)).length;

// ---------------------------------------------------------------------------------------------------

describe("ManagedCertificate", () => {
  it("Sectigo SSL, client, device and Cloudflare each reach Ready with a verifying chain and a matching key; then resyncs call no vendor and write nothing", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const cfBefore = cfOrders();
    const { controller } = await startController();
    const kinds: Kind[] = ["cloudflare", "ssl", "client", "device"];
    const created = await Promise.all(kinds.map((k) => createMc(ns, k, mcSpec(k, `${k}-tls`))));
    const ready = await Promise.all(kinds.map((k) => readyMc(ns, k)));

    for (const [i, k] of kinds.entries()) {
      const secret = (await getSecret(ns, `${k}-tls`))!;
      if (k === "cloudflare") {
        // Cloudflare returns the leaf only: the chain is checked against its CA's intermediate and root.
        checkTlsSecret(secret, sims.sims.cloudflare.ca.root.certPem, sims.sims.cloudflare.ca.intermediate.certPem);
        expect(secret.data?.["ca.crt"]).toBeUndefined();
      } else {
        const { serial } = checkTlsSecret(secret, sectigo.ca.root.certPem);
        expect(unb64(secret.data?.["ca.crt"]).trim()).toBe(sectigo.ca.root.certPem.trim());
        expect(serial).toBe(ready[i]!.status?.serialNumber);
        expect(scmOrdersFor(created[i]!.metadata.uid!)).toBe(1);
      }
      expect(secret.metadata.annotations?.[annotations.revision]).toBe("1");
      expect(cond(ready[i], "Issuing")?.status).toBe("False");
      expect(cond(ready[i], "Ready")?.reason).toBe("Issued");
    }
    expect(cfOrders() - cfBefore).toBe(1);
    expect(calls.submit).toBe(4);

    // A resync pass over Ready resources: every key reconciled again, nothing called, nothing written.
    const rvs = async () => Promise.all(kinds.flatMap((k) => [getMc(ns, k).then((m) => m.metadata.resourceVersion), getSecret(ns, `${k}-tls`).then((s) => s?.metadata.resourceVersion)]));
    const before = { calls: { ...calls }, rvs: await rvs(), reconciles: controller.reconcileCount };
    for (const k of kinds) controller.enqueue(`${ns}/${k}`);
    await eventually("a second pass", () => controller.reconcileCount >= before.reconciles + kinds.length);
    await new Promise((r) => setTimeout(r, 500));
    expect({ submit: calls.submit, collect: calls.collect, find: calls.find, revoke: calls.revoke }).toEqual({ submit: before.calls.submit, collect: before.calls.collect, find: before.calls.find, revoke: before.calls.revoke });
    expect(await rvs()).toEqual(before.rvs);
  });
});
