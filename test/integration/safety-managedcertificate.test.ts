// Issue 9, ManagedCertificate: one regression test per finding, on the real control plane against the
// real simulators (their order-creation faults: a create that commits after the client gave up, a
// lost answer, 503s, oversized collects). Each asserts what is paid for, not just "Ready".
//   1  unknown outcome → a second order          (client timeout; a real SIGKILL while the create is in flight)
//   2  an error after the order exists → a new order (oversized / malformed collect)
//   3  recovery finds the wrong certificate      (rotationPolicy Never + spec change + one 503)
//   5  teardown: pending orders, deleting connections and namespaces
//   6  secretName = key Secret, key Secret repair, re-adoption of a retained Secret
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import { labels, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupManagedCertificates } from "../../src/controllers/managedcertificate/index.ts";
import type { CertificateObject } from "../../src/controllers/managedcertificate/context.ts";
import { intentOf } from "../../src/controllers/managedcertificate/intent.ts";
import { keySecretName } from "../../src/controllers/managedcertificate/keys.ts";
import type { CertificateAuthority } from "../../src/ports/certificate-authority.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { CLOUDFLARE_CREATE_PATTERN, createProcessingDelay } from "../../src/sim/cloudflare/order-faults.ts";
import { enrollProcessingDelay } from "../../src/sim/sectigo/order-faults.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Mc extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: Condition[]; revision?: number; vendorRef?: string; serialNumber?: string; pendingIssuance?: { state?: string; vendorRef?: string } };
}

let client: KubeClient;
let sims: RunningSimulators;
let sectigo: SectigoSimulator;
const stops: Array<() => Promise<void>> = [];
const registries: RegistryVendorPorts[] = [];
/** Paid calls the vendor accepted, per ManagedCertificate UID (what the operator believes it bought). */
const submits = new Map<string, number>();

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
  sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const r of registries.splice(0)) await r.close();
  sims.sims.cloudflare.faults.clear();
  sectigo.faults.clear();
  sectigo.setIssuance({ approvalRequired: false, collectsBeforeIssued: 0, delayMs: 0 });
  submits.clear();
});
afterAll(async () => {
  await sims?.close();
  await client?.close();
});

// ---------------------------------------------------------------------------------------------------
// Builders

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");
const cf = () => sims.credentials.cloudflare as { apiToken: string; zoneId: string };
const sc = () => sims.credentials.sectigo as { login: string; password: string; customerUri: string };

async function connections(ns: string, extra: { finalizers?: string[] } = {}): Promise<void> {
  await client.create<Secret>(core.secrets, { metadata: { name: "cf-creds", namespace: ns }, data: { apiToken: b64(cf().apiToken) } });
  await client.create<Secret>(core.secrets, { metadata: { name: "scm-creds", namespace: ns }, data: { login: b64(sc().login), password: b64(sc().password) } });
  const meta = (name: string) => ({ name, namespace: ns, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) });
  await client.create(resourceTypes.vendorConnections, {
    metadata: meta("cf"),
    spec: { credentialsRef: { name: "cf-creds" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf().zoneId } },
  } as KubeObject);
  await client.create(resourceTypes.vendorConnections, {
    metadata: meta("scm"),
    spec: { credentialsRef: { name: "scm-creds" }, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc().customerUri, orgId: SEED.orgId } },
  } as KubeObject);
}

function cfSpec(ns: string, secretName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connectionRef: { kind: "VendorConnection", name: "cf" },
    secretName,
    commonName: `${ns}.example.com`,
    privateKey: { algorithm: "ECDSA", size: 256 },
    cloudflare: { validityDays: 30 },
    ...extra,
  };
}

function sslSpec(ns: string, secretName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connectionRef: { kind: "VendorConnection", name: "scm" },
    secretName,
    dnsNames: [`${ns}.example.com`],
    privateKey: { algorithm: "ECDSA", size: 256 },
    sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
    ...extra,
  };
}

const createMc = (ns: string, name: string, spec: Record<string, unknown>) =>
  client.create<Mc>(resourceTypes.managedCertificates, { metadata: { name, namespace: ns }, spec } as Mc);
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

async function gone(ns: string, name: string): Promise<boolean> {
  try {
    await getMc(ns, name);
    return false;
  } catch (e) {
    return isNotFound(e);
  }
}

async function readyMc(ns: string, name: string, timeoutMs = 30_000, minRevision = 1): Promise<Mc> {
  return eventually(
    `${ns}/${name} Ready (revision ≥ ${minRevision})`,
    async () => {
      const mc = await getMc(ns, name);
      return cond(mc, "Ready")?.status === "True" && (mc.status?.revision ?? 0) >= minRevision && mc.status?.pendingIssuance === undefined ? mc : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Every Cloudflare certificate whose subject carries `cn`, from the simulator's own list (all states). */
async function cloudflareCerts(cn: string): Promise<Array<{ id: string; status: string; subject: string }>> {
  const res = await fetch(`${sims.urls.cloudflare}/zones/${cf().zoneId}/client_certificates?per_page=50&status=all`, {
    headers: { authorization: `Bearer ${cf().apiToken}` },
  });
  const body = (await res.json()) as { result: Array<{ id: string; status: string; certificate: string }> };
  return body.result.map((c) => ({ id: c.id, status: c.status, subject: new X509Certificate(c.certificate).subject })).filter((c) => c.subject.includes(cn));
}

/** POSTs that reached the Cloudflare create route (faulted or not). */
const cloudflareCreates = () =>
  (sims.sims.cloudflare.state() as { requests: Record<string, number> }).requests["POST /client/v4/zones/:zone/client_certificates"] ?? 0;
const sectigoOrdersOf = (uid: string) => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `));

function counting(inner: CertificateAuthority): CertificateAuthority {
  return {
    submit: async (order, signal) => {
      const out = await inner.submit(order, signal);
      submits.set(order.owner.uid, (submits.get(order.owner.uid) ?? 0) + 1);
      return out;
    },
    collect: (ref, order, signal) => inner.collect(ref, order, signal),
    findOrders: (intent, signal) => inner.findOrders(intent, signal),
    ...(inner.fingerprint === undefined
      ? {}
      : { fingerprint: (order: Parameters<NonNullable<CertificateAuthority["fingerprint"]>>[0]) => inner.fingerprint!(order) }),
    revoke: (ref, reason, signal) => inner.revoke(ref, reason, signal),
    cancel: (ref, signal) => inner.cancel(ref, signal),
  };
}

/**
 * The controller in-process, watching only `ns`, with the operator's own vendor ports. Settle windows
 * are seconds here (the vendors' are minutes); `timeoutMs` is the vendor clients' request timeout.
 */
async function startController(ns: string, opts: { timeoutMs?: number; settleMs?: number } = {}): Promise<{ manager: Manager; stop: () => Promise<void> }> {
  const registry = createVendorPorts(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  registries.push(registry);
  const wrapped = new WeakMap<CertificateAuthority, CertificateAuthority>();
  const manager = new Manager({ client: adminClient(), log: createLogger({ level: "silent" }), metrics: new OperatorMetrics({ defaultMetrics: false }) });
  setupManagedCertificates(manager, {
    namespace: ns,
    concurrency: 2,
    settleWindowMs: { cloudflare: opts.settleMs ?? 8_000, sectigo: opts.settleMs ?? 8_000 },
    lookupFirstMs: 500,
    pollBackoff: {
      Pending: { firstMs: 500, maxMs: 2_000 },
      AwaitingApproval: { firstMs: 1_000, maxMs: 2_000 },
      AwaitingValidation: { firstMs: 1_000, maxMs: 2_000 },
    },
    ports: {
      browserCertificates: (c) => registry.browserCertificates(c),
      certificateAuthority: (c) => {
        const inner = registry.certificateAuthority(c);
        let w = wrapped.get(inner);
        if (w === undefined) wrapped.set(inner, (w = counting(inner)));
        return w;
      },
    },
  });
  await manager.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await manager.stop();
    }
  };
  stops.push(stop);
  return { manager, stop };
}

// ---------------------------------------------------------------------------------------------------

describe("finding 1: an order whose answer was not seen is never placed twice", () => {
  it.each([
    { vendor: "cloudflare" as const, why: "Cloudflare commits the create 5 s later, the client gave up after 1 s" },
    { vendor: "sectigo" as const, why: "SCM creates the order 5 s later, the client gave up after 1 s" },
  ])("$vendor: a create slower than the client timeout is looked up until the settle deadline, then used: one order ($why)", async ({ vendor }) => {
    const ns = await freshNamespace(client, "safe1");
    await connections(ns);
    const faultAt = Date.now();
    if (vendor === "cloudflare") sims.sims.cloudflare.faults.add(createProcessingDelay(5_000));
    else sectigo.faults.add(enrollProcessingDelay(5_000));
    const createsBefore = cloudflareCreates();
    await startController(ns, { timeoutMs: 1_000, settleMs: 10_000 });
    const mc = await createMc(ns, "slow", vendor === "cloudflare" ? cfSpec(ns, "slow-tls") : sslSpec(ns, "slow-tls"));
    // While nothing is listed yet the outcome is unknown, and it says so.
    await eventually("OutcomeUnknown", async () => cond(await getMc(ns, "slow"), "Issuing")?.reason === "OutcomeUnknown", 20_000);
    const ready = await readyMc(ns, "slow", 40_000);
    expect(ready.status?.revision).toBe(1);
    // Count once the slow create has surely committed (a second order would be visible by then).
    await new Promise((r) => setTimeout(r, Math.max(0, faultAt + 6_000 - Date.now())));
    if (vendor === "cloudflare") {
      expect(await cloudflareCerts(`${ns}.example.com`)).toHaveLength(1);
      expect(cloudflareCreates() - createsBefore).toBe(1);
      expect(ready.status?.vendorRef).toBe((await cloudflareCerts(`${ns}.example.com`))[0]!.id);
    } else {
      expect(sectigoOrdersOf(mc.metadata.uid!)).toHaveLength(1);
      expect(sectigo.state().enrolls.ssl).toBeGreaterThanOrEqual(1);
    }
  });

  it("a real SIGKILL while the create is still being processed: the restarted operator finds the order instead of placing a second one", async () => {
    const ns = await freshNamespace(client, "safe1k");
    await connections(ns);
    sims.sims.cloudflare.faults.add(createProcessingDelay(6_000));
    const createsBefore = cloudflareCreates();
    const args = [
      "--kubeconfig",
      inject("kubeconfigPath"),
      "--leader-elect",
      "false",
      "--log-level",
      "warn",
      "--namespaces",
      ns,
      "--debug-order-settle-ms",
      "20000",
    ];
    const doomed = startOperatorProcess(args);
    try {
      await createMc(ns, "victim", cfSpec(ns, "victim-tls"));
      await eventually("the create reached Cloudflare", () => cloudflareCreates() > createsBefore, 30_000);
      doomed.child.kill("SIGKILL");
      await doomed.exited();
    } finally {
      if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill("SIGKILL");
    }
    // Killed with the order in flight and not yet listed: the intent has a deadline and no vendorRef.
    expect(await cloudflareCerts(`${ns}.example.com`)).toHaveLength(0);
    // A first issuance: the intent rides with the finalizer in the resource's annotation (ADR 0020).
    const killed = (await getMc(ns, "victim")) as CertificateObject;
    expect(intentOf(killed)).toMatchObject({ from: "annotation", record: { state: "Submitting", settleDeadline: expect.any(String) } });
    expect(intentOf(killed)?.record.vendorRef).toBeUndefined();
    const fresh = startOperatorProcess(args);
    try {
      const ready = await readyMc(ns, "victim", 60_000);
      const certs = await cloudflareCerts(`${ns}.example.com`);
      expect(certs).toHaveLength(1);
      expect(ready.status?.vendorRef).toBe(certs[0]!.id);
      expect(cloudflareCreates() - createsBefore).toBe(1);
    } finally {
      fresh.child.kill("SIGTERM");
      await fresh.exited();
    }
  });
});

describe("finding 2: an error after the order exists never leads to a new order", () => {
  it("Sectigo: oversized and malformed collect answers keep the pending order (visible, backing off); one enroll, then Ready", async () => {
    const ns = await freshNamespace(client, "safe2");
    await connections(ns);
    sectigo.setIssuance({ collectsBeforeIssued: 1 });
    sectigo.faults.add({ pathPattern: "^GET /api/ssl/v1/collect/", oversizedRate: 1, count: 2 });
    sectigo.faults.add({ pathPattern: "^GET /api/ssl/v1/collect/", malformedJsonRate: 1, count: 1 });
    await startController(ns);
    const mc = await createMc(ns, "proxied", sslSpec(ns, "proxied-tls"));
    const failing = await eventually(
      "the collect failure is shown",
      async () => {
        const m = await getMc(ns, "proxied");
        return cond(m, "Issuing")?.reason === "VendorError" ? m : undefined;
      },
      20_000,
    );
    expect(cond(failing, "Issuing")?.message).toMatch(/exceeds the .*-byte limit.*is kept/);
    expect(failing.status?.pendingIssuance?.vendorRef).toMatch(/^ssl:\d+$/);
    const ready = await readyMc(ns, "proxied", 40_000);
    expect(ready.status?.vendorRef).toBe(failing.status?.pendingIssuance?.vendorRef);
    expect(sectigoOrdersOf(mc.metadata.uid!)).toHaveLength(1);
    expect(submits.get(mc.metadata.uid!)).toBe(1);
    expect(ready.status).not.toHaveProperty("failedIssuanceAttempts");
  });
});

describe("finding 3: recovery never takes another revision's certificate", () => {
  it("Cloudflare, rotationPolicy Never: a spec change whose create gets one 503 ends with the new subject, not the previous certificate", async () => {
    const ns = await freshNamespace(client, "safe3");
    await connections(ns);
    await startController(ns, { settleMs: 3_000 });
    await createMc(ns, "never", cfSpec(ns, "never-tls", { privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" } }));
    const first = await readyMc(ns, "never");
    sims.sims.cloudflare.faults.add({ pathPattern: CLOUDFLARE_CREATE_PATTERN, fail5xxRate: 1, status5xx: 503, count: 1 });
    await client.mergePatch(resourceTypes.managedCertificates, ns, "never", { spec: { commonName: `renamed.${ns}.example.com` } });
    const second = await readyMc(ns, "never", 40_000, 2);
    expect(second.status?.vendorRef).not.toBe(first.status?.vendorRef);
    const leaf = new X509Certificate(unb64((await getSecret(ns, "never-tls"))?.data?.["tls.crt"]));
    expect(leaf.subject).toContain(`CN=renamed.${ns}.example.com`);
    expect(leaf.serialNumber.toLowerCase()).toBe(second.status?.serialNumber);
    // The same key both times (Never), two certificates: the first and the one for the new name.
    expect(
      new X509Certificate(unb64((await getSecret(ns, "never-tls"))?.data?.["tls.crt"])).publicKey.export({ type: "spki", format: "der" }).toString("hex"),
    ).toBe(new X509Certificate(await cloudflareCertPem(first.status!.vendorRef!)).publicKey.export({ type: "spki", format: "der" }).toString("hex"));
    expect((await cloudflareCerts(`${ns}.example.com`)).map((c) => c.id).sort()).toEqual([first.status!.vendorRef!, second.status!.vendorRef!].sort());
  });
});

async function cloudflareCertPem(id: string): Promise<string> {
  const res = await fetch(`${sims.urls.cloudflare}/zones/${cf().zoneId}/client_certificates/${id}`, { headers: { authorization: `Bearer ${cf().apiToken}` } });
  return ((await res.json()) as { result: { certificate: string } }).result.certificate;
}

describe("finding 5: teardown never leaves or starts a paid order", () => {
  it("Sectigo: deleting a resource whose order awaits approval declines the order, so nobody can approve and pay for it later", async () => {
    sectigo.setIssuance({ approvalRequired: true });
    const ns = await freshNamespace(client, "safe5");
    await connections(ns);
    await startController(ns);
    const mc = await createMc(ns, "pending", sslSpec(ns, "pending-tls"));
    await eventually("awaiting approval", async () => cond(await getMc(ns, "pending"), "Issuing")?.reason === "AwaitingApproval");
    await client.delete(resourceTypes.managedCertificates, ns, "pending");
    await eventually("resource gone", () => gone(ns, "pending"));
    const orders = sectigoOrdersOf(mc.metadata.uid!);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.phase).toBe("declined");
  });

  it("Cloudflare: deleting a resource whose create got no answer waits (visibly) for the late commit and revokes it", async () => {
    const ns = await freshNamespace(client, "safe5u");
    await connections(ns);
    sims.sims.cloudflare.faults.add(createProcessingDelay(3_000));
    await startController(ns, { timeoutMs: 1_000 });
    await createMc(ns, "doomed", cfSpec(ns, "doomed-tls"));
    await eventually("OutcomeUnknown", async () => cond(await getMc(ns, "doomed"), "Issuing")?.reason === "OutcomeUnknown", 20_000);
    await client.delete(resourceTypes.managedCertificates, ns, "doomed");
    await eventually("resource gone", () => gone(ns, "doomed"), 40_000);
    const certs = await cloudflareCerts(`${ns}.example.com`);
    expect(certs).toHaveLength(1);
    expect(["pending_revocation", "revoked"]).toContain(certs[0]!.status);
  });

  it("no order while the connection is being deleted, nor while the namespace is", async () => {
    const nsConn = await freshNamespace(client, "safe5c");
    await connections(nsConn, { finalizers: ["test.certbridge.dev/hold"] });
    await client.delete(resourceTypes.vendorConnections, nsConn, "cf");
    const nsGone = await freshNamespace(client, "safe5n");
    await connections(nsGone);
    await createMc(nsGone, "late", cfSpec(nsGone, "late-tls"));
    await client.delete(core.namespaces, undefined, nsGone);
    await createMc(nsConn, "late", cfSpec(nsConn, "late-tls"));
    const createsBefore = cloudflareCreates();
    await startController(nsConn);
    await startController(nsGone);
    const refused = await eventually("ConnectionDeleting", async () => {
      const m = await getMc(nsConn, "late");
      return cond(m, "Ready")?.reason === "ConnectionDeleting" ? m : undefined;
    });
    expect(cond(refused, "Ready")?.status).toBe("False");
    const terminating = await eventually("NamespaceTerminating", async () => {
      const m = await getMc(nsGone, "late");
      return cond(m, "Ready")?.reason === "NamespaceTerminating" ? m : undefined;
    });
    expect(cond(terminating, "Ready")?.status).toBe("False");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(cloudflareCreates()).toBe(createsBefore);
    expect(await cloudflareCerts(`${nsConn}.example.com`)).toHaveLength(0);
    expect(await cloudflareCerts(`${nsGone}.example.com`)).toHaveLength(0);
    await client.mergePatch(resourceTypes.vendorConnections, nsConn, "cf", { metadata: { finalizers: null } }).catch(() => undefined);
  });
});

describe("finding 6: the smaller holes", () => {
  it("spec.secretName may not be the resource's own key Secret: refused at apply time, nothing ordered", async () => {
    const ns = await freshNamespace(client, "safe6s");
    const err = await createMc(ns, "self", cfSpec(ns, keySecretName("self"))).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/422|Invalid/);
    expect(err?.message).toMatch(/must not be <metadata.name>-certbridge-key/);
  });

  it("a deleted key Secret is written back from the TLS Secret, so a later TLS Secret loss is restored without a new order", async () => {
    const ns = await freshNamespace(client, "safe6k");
    await connections(ns);
    await startController(ns);
    const mc = await createMc(ns, "keyed", cfSpec(ns, "keyed-tls"));
    const ready = await readyMc(ns, "keyed");
    const tlsKey = (await getSecret(ns, "keyed-tls"))!.data!["tls.key"];
    const original = (await getSecret(ns, keySecretName("keyed")))!;
    await client.delete(core.secrets, ns, keySecretName("keyed"));
    const repaired = await eventually("key Secret written back", async () => {
      const s = await getSecret(ns, keySecretName("keyed"));
      return s && s.metadata.uid !== original.metadata.uid ? s : undefined;
    });
    expect(repaired.metadata.labels?.[labels.ownerUid]).toBe(mc.metadata.uid);
    // The same key (PKCS#8 in the key Secret, the spec's encoding in the TLS Secret: PKCS#8 here too).
    expect(repaired.data?.["tls.key"]).toBe(tlsKey);
    await client.delete(core.secrets, ns, "keyed-tls");
    const back = await eventually("TLS Secret restored", () => getSecret(ns, "keyed-tls"));
    expect(new X509Certificate(unb64(back.data?.["tls.crt"])).serialNumber.toLowerCase()).toBe(ready.status?.serialNumber);
    expect((await getMc(ns, "keyed")).status?.revision).toBe(1);
    expect(submits.get(mc.metadata.uid!)).toBe(1);
    expect(await cloudflareCerts(`${ns}.example.com`)).toHaveLength(1);
  });

  it("deleted and applied again with its Secret retained (GitOps prune + re-create): the still-valid certificate is re-adopted, no new order", async () => {
    const ns = await freshNamespace(client, "safe6a");
    await connections(ns);
    await startController(ns);
    const spec = sslSpec(ns, "kept-tls");
    const before = await createMc(ns, "kept", spec);
    const first = await readyMc(ns, "kept");
    await client.delete(resourceTypes.managedCertificates, ns, "kept");
    await eventually("resource gone", () => gone(ns, "kept"));
    const retained = (await getSecret(ns, "kept-tls"))!;
    expect(retained.metadata.labels?.[labels.ownerUid]).toBe(before.metadata.uid);
    const again = await createMc(ns, "kept", spec);
    const ready = await readyMc(ns, "kept");
    expect(ready.status).toMatchObject({ serialNumber: first.status?.serialNumber, vendorRef: first.status?.vendorRef, revision: first.status?.revision });
    const adopted = await eventually("Adopted event", async () =>
      (await client.list<KubeObject & { reason?: string; note?: string }>(core.events, { namespace: ns })).items.find((e) => e.reason === "Adopted"),
    );
    expect(adopted.note).toMatch(/previous ManagedCertificate of this name and still fits the spec/);
    const secret = (await getSecret(ns, "kept-tls"))!;
    expect(secret.metadata.labels?.[labels.ownerUid]).toBe(again.metadata.uid);
    expect(secret.data).toEqual(retained.data);
    expect(sectigoOrdersOf(before.metadata.uid!)).toHaveLength(1);
    expect(sectigoOrdersOf(again.metadata.uid!)).toHaveLength(0);
    expect(submits.get(again.metadata.uid!)).toBeUndefined();
    // Its key Secret comes back too, from the adopted TLS Secret.
    await eventually(
      "key Secret re-created",
      async () => (await getSecret(ns, keySecretName("kept")))?.metadata.labels?.[labels.ownerUid] === again.metadata.uid,
    );
  });
});
