// The ManagedCertificate controller on the real control plane against the real simulators (HTTPS,
// sim CA): issuance per vendor and family, renewal, revocation, Secret conflicts, invalid specs,
// the no-op resync, and crash safety at every await point of the issuance path.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { createLogger } from "../../src/observability/logger.ts";
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
import { CloudflareClient } from "../../src/vendors/cloudflare/client.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";
import { createDispatcher } from "../../src/vendors/shared/dispatcher.ts";
import type { PollBackoff } from "../../src/controllers/ordering/timing.ts";

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
  status?: {
    conditions?: Condition[];
    revision?: number;
    vendorRef?: string;
    serialNumber?: string;
    notAfter?: string;
    renewalTime?: string;
    pendingIssuance?: unknown;
    pendingRevocations?: unknown[];
  };
}

let client: KubeClient;
let sims: RunningSimulators;
let sectigo: SectigoSimulator;
const running: Array<() => Promise<void>> = [];

/** Vendor calls per operation and per owner UID (submits), across every manager in a test. */
const calls = {
  submit: 0,
  collect: 0,
  find: 0,
  revoke: 0,
  /** Orders the vendor confirmed revoked (a revoke repeated after a lost answer is idempotent and counts once here). */
  revokedRefs: new Set<string>(),
  submitsByUid: new Map<string, number>(),
  collectTimes: [] as number[],
  /** When each collect's answer came back (a poll is planned from the answer, not from the call). */
  collectAnswerTimes: [] as number[],
  submitErrors: [] as string[],
};
const resetCalls = () =>
  Object.assign(calls, {
    submit: 0,
    collect: 0,
    find: 0,
    revoke: 0,
    revokedRefs: new Set<string>(),
    submitsByUid: new Map<string, number>(),
    collectTimes: [],
    collectAnswerTimes: [],
    submitErrors: [],
  });

function counting(inner: CertificateAuthority): CertificateAuthority {
  return {
    // Counted when the vendor accepted the order (a refused or lost submit is recovered by find).
    submit: async (order, signal) => {
      const out = await inner.submit(order, signal).catch((e: unknown) => {
        calls.submitErrors.push(e instanceof Error ? e.message : String(e));
        throw e;
      });
      calls.submit++;
      calls.submitsByUid.set(order.owner.uid, (calls.submitsByUid.get(order.owner.uid) ?? 0) + 1);
      return out;
    },
    collect: async (ref, order, signal) => {
      calls.collect++;
      calls.collectTimes.push(Date.now());
      try {
        return await inner.collect(ref, order, signal);
      } finally {
        calls.collectAnswerTimes.push(Date.now());
      }
    },
    findOrders: async (intent, signal) => {
      calls.find++;
      return inner.findOrders(intent, signal);
    },
    ...(inner.fingerprint ? { fingerprint: (order: Parameters<NonNullable<CertificateAuthority["fingerprint"]>>[0]) => inner.fingerprint!(order) } : {}),
    revoke: async (ref, reason, signal) => {
      calls.revoke++;
      await inner.revoke(ref, reason, signal);
      calls.revokedRefs.add(ref);
    },
    cancel: async (ref, signal) => inner.cancel(ref, signal),
  };
}

/** The operator's own VendorPorts (vendors/registry.ts), each CertificateAuthority wrapped to count calls. */
let registry: RegistryVendorPorts;
const wrappers = new WeakMap<CertificateAuthority, CertificateAuthority>();
function testPorts(): Pick<VendorPorts, "certificateAuthority" | "browserCertificates"> {
  return {
    browserCertificates: (c) => registry.browserCertificates(c),
    certificateAuthority(c: ResolvedConnection): CertificateAuthority {
      const inner = registry.certificateAuthority(c);
      let wrapped = wrappers.get(inner);
      if (wrapped === undefined) wrappers.set(inner, (wrapped = counting(inner)));
      return wrapped;
    },
  };
}

/** A controller watching only the test's namespace (resources left by earlier tests stay theirs). */
/** Every log line of every controller in this file, at debug level: scanned for key material. */
const logLines: string[] = [];
const capturingLogger = () =>
  createLogger({
    level: "debug",
    destination: {
      write: (line: string) => {
        logLines.push(line);
      },
    },
  });

async function startController(
  namespace: string,
  opts: { hooks?: { step(step: IssuanceStep, key: string): void }; pollBackoff?: PollBackoff } = {},
): Promise<ManagedCertificateController & { manager: Manager }> {
  const manager = new Manager({ client: adminClient(), log: capturingLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }) });
  // Unanswered orders settle in seconds here (the simulators commit at once unless told otherwise).
  const mc = setupManagedCertificates(manager, {
    namespace,
    ports: testPorts(),
    concurrency: 4,
    settleWindowMs: { cloudflare: 3_000, sectigo: 3_000 },
    lookupFirstMs: 500,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
    ...(opts.pollBackoff ? { pollBackoff: opts.pollBackoff } : {}),
  });
  await manager.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await manager.stop();
    }
  };
  running.push(stop);
  return { ...mc, manager };
}

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators();
  sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
  registry = createVendorPorts();
});
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
  sectigo.setIssuance({ approvalRequired: false, collectsBeforeIssued: 0, delayMs: 0 });
  resetCalls();
});
afterAll(async () => {
  // TARGETS S2: no private keys, PEM blocks or credentials in any log line of the whole run.
  expect(logLines.length).toBeGreaterThan(100);
  const leaks = logLines.filter((l) => /BEGIN |PRIVATE KEY|sim-zpa-secret|certbridge-sim-cloudflare-api-token|sim-Password/.test(l));
  expect(leaks).toEqual([]);
  await registry.close();
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
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "cf", namespace: ns },
    spec: { credentialsRef: { name: "cf-creds" }, caBundle: sims.caPem, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } },
  } as KubeObject);
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "scm", namespace: ns },
    spec: {
      credentialsRef: { name: "scm-creds" },
      caBundle: sims.caPem,
      sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId },
    },
  } as KubeObject);
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

type Kind = "cloudflare" | "ssl" | "client" | "device";

function mcSpec(kind: Kind, secretName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  switch (kind) {
    case "cloudflare":
      return {
        connectionRef: { kind: "VendorConnection", name: "cf" },
        secretName,
        commonName: "device-1.example.com",
        privateKey: { algorithm: "ECDSA", size: 256 },
        cloudflare: { validityDays: 30 },
        ...extra,
      };
    case "ssl":
      return {
        connectionRef: { kind: "VendorConnection", name: "scm" },
        secretName,
        dnsNames: ["app.example.com", "www.example.com"],
        privateKey: { algorithm: "ECDSA", size: 256 },
        sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
        ...extra,
      };
    case "client":
      return {
        connectionRef: { kind: "VendorConnection", name: "scm" },
        secretName,
        emailAddresses: ["ada@example.com"],
        privateKey: { algorithm: "ECDSA", size: 256 },
        sectigo: { type: "Client", profile: { id: SEED.smimeProfile }, person: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" } },
        ...extra,
      };
    case "device":
      return {
        connectionRef: { kind: "VendorConnection", name: "scm" },
        secretName,
        commonName: "sensor-7.example.com",
        privateKey: { algorithm: "ECDSA", size: 256 },
        sectigo: { type: "Device", profile: { id: SEED.deviceProfile }, customFields: SEED.deviceCustomFields },
        ...extra,
      };
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

/**
 * Waits until `count` more reconciles than `since` have started and the queue has none ready or running:
 * the pass the test asked for has finished (a planned requeue, minutes away, may still be waiting).
 */
async function passDone(controller: ManagedCertificateController["controller"], since: number, count: number): Promise<void> {
  await eventually(
    `${count} reconcile(s) finished`,
    () => {
      const { depth, processing } = controller.queue.stats();
      return controller.reconcileCount >= since + count && depth === 0 && processing === 0;
    },
    20_000,
    20,
  );
}

const cfOrders = () => (sims.sims.cloudflare.state() as { objects: { client_certificate: number } }).objects.client_certificate;
const scmOrdersFor = (uid: string) => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `)).length;

// ---------------------------------------------------------------------------------------------------

describe("ManagedCertificate", () => {
  it("Sectigo SSL, client, device and Cloudflare each reach Ready with a verifying chain and a matching key; then resyncs call no vendor and write nothing", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const cfBefore = cfOrders();
    const { controller, manager } = await startController(ns);
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
    // Calls per issuance at the minimum (TARGETS P5): Cloudflare one create; Sectigo one enroll and one collect.
    expect({ submit: calls.submit, collect: calls.collect, find: calls.find }).toEqual({ submit: 4, collect: 3, find: 0 });

    // Events on the transition to Ready, metrics for expiry and readiness; no key material anywhere.
    const events = await eventually("Issued events", async () => {
      const list = await client.list<KubeObject & { reason?: string; note?: string }>(core.events, { namespace: ns });
      return list.items.filter((e) => e.reason === "Issued").length === 4 ? list.items : undefined;
    });
    expect(events.every((e) => !/BEGIN|PRIVATE/.test(e.note ?? ""))).toBe(true);
    expect(JSON.stringify(ready.map((m) => m.status))).not.toMatch(/BEGIN|PRIVATE KEY/);
    // Both metrics move after the status write that made each resource Ready (the counter right after it,
    // the expiry gauge in the steady pass that follows): wait for them, not for Ready.
    const series = (k: Kind, i: number) => `namespace="${ns}",name="${k}",secret="${k}-tls"} ${Math.floor(Date.parse(ready[i]!.status!.notAfter!) / 1000)}`;
    const expiry = await eventually("the expiry gauge of all four", async () => {
      const text = await manager.metrics.registry.getSingleMetricAsString("certbridge_certificate_expiration_timestamp_seconds");
      return kinds.every((k, i) => text.includes(series(k, i))) ? text : undefined;
    });
    for (const [i, k] of kinds.entries()) expect(expiry).toContain(series(k, i));
    const issuances = await eventually("three Sectigo issuances counted", async () => {
      const text = await manager.metrics.registry.getSingleMetricAsString("certbridge_certificate_issuances_total");
      return /vendor="sectigo",result="issued"} 3\b/.test(text) ? text : undefined;
    });
    expect(issuances).toMatch(/vendor="sectigo",result="issued"} 3\b/);

    // A resync pass over Ready resources: every key reconciled again, nothing called, nothing written.
    const rvs = async () =>
      Promise.all(
        kinds.flatMap((k) => [getMc(ns, k).then((m) => m.metadata.resourceVersion), getSecret(ns, `${k}-tls`).then((s) => s?.metadata.resourceVersion)]),
      );
    const before = { calls: { ...calls }, rvs: await rvs(), reconciles: controller.reconcileCount };
    for (const k of kinds) controller.enqueue(`${ns}/${k}`);
    // The whole pass, not a fixed pause: on a slow machine a pass still running would make the checks below vacuous.
    await passDone(controller, before.reconciles, kinds.length);
    expect({ submit: calls.submit, collect: calls.collect, find: calls.find, revoke: calls.revoke }).toEqual({
      submit: before.calls.submit,
      collect: before.calls.collect,
      find: before.calls.find,
      revoke: before.calls.revoke,
    });
    expect(await rvs()).toEqual(before.rvs);
  });
  it.each([
    { kind: "cloudflare" as const, extra: { cloudflare: {}, duration: "24h", renewBefore: "23h59m52s" }, why: "renewal 8 s after notBefore" },
    { kind: "ssl" as const, extra: { renewBefore: "8759h59m52s" }, why: "renewal 8 s after notBefore (term 365 d)" },
  ])("$kind: a short-lived certificate renews before expiry with exactly one new order, and the superseded one is revoked ($why)", async ({ kind, extra }) => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await startController(ns);
    const spec = { ...mcSpec(kind, "short-tls"), ...extra, revocationPolicy: { superseded: "Revoke", onDelete: "Retain" } };
    const created = await createMc(ns, "short", spec);
    const first = await readyMc(ns, "short");
    const renewed = await readyMc(ns, "short", 40_000, 2);
    // Stop renewing: renewBefore does not shape the certificate, so this is not a re-issue.
    await client.mergePatch(resourceTypes.managedCertificates, ns, "short", { spec: { renewBefore: null } });
    const settled = await eventually("renewal time recomputed", async () => {
      const mc = await getMc(ns, "short");
      return mc.status?.pendingIssuance === undefined &&
        cond(mc, "Ready")?.status === "True" &&
        Date.parse(mc.status?.renewalTime ?? "") > Date.now() + 3_600_000
        ? mc
        : undefined;
    });
    const revisions = settled.status!.revision!;
    expect(revisions).toBeGreaterThanOrEqual(2);
    expect(calls.submitsByUid.get(created.metadata.uid!)).toBe(revisions);
    if (kind === "ssl") expect(scmOrdersFor(created.metadata.uid!)).toBe(revisions);
    expect(renewed.status?.vendorRef).not.toBe(first.status?.vendorRef);
    // Every superseded certificate is revoked, the current one is not.
    await eventually("superseded revoked", async () => (await getMc(ns, "short")).status?.pendingRevocations === undefined);
    // Each superseded certificate revoked (a revoke repeated after an answer lost under load is the same one), never the current.
    expect(calls.revokedRefs.size).toBe(revisions - 1);
    expect(calls.revokedRefs.has(settled.status!.vendorRef!)).toBe(false);
    const secret = (await getSecret(ns, "short-tls"))!;
    expect(secret.metadata.annotations?.[annotations.revision]).toBe(String(revisions));
    if (kind === "cloudflare") checkTlsSecret(secret, sims.sims.cloudflare.ca.root.certPem, sims.sims.cloudflare.ca.intermediate.certPem);
    else checkTlsSecret(secret, sectigo.ca.root.certPem);
  });

  it.each([
    { onDelete: "Revoke", secretOnDelete: "Delete", revokes: 1, secretKept: false, why: "both policies act" },
    { onDelete: "Retain", secretOnDelete: "Retain", revokes: 0, secretKept: true, why: "the defaults keep live TLS working" },
  ])("delete: revocation $onDelete, Secret $secretOnDelete ($why)", async ({ onDelete, secretOnDelete, revokes, secretKept }) => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await startController(ns);
    await createMc(
      ns,
      "gone",
      mcSpec("cloudflare", "gone-tls", { revocationPolicy: { onDelete, superseded: "Retain" }, secretPolicy: { onDelete: secretOnDelete } }),
    );
    const ready = await readyMc(ns, "gone");
    expect((await getSecret(ns, keySecretName("gone")))?.type).toBe("Opaque");
    await client.delete(resourceTypes.managedCertificates, ns, "gone");
    await eventually("resource gone", async () => {
      try {
        await getMc(ns, "gone");
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    });
    expect(calls.revoke).toBe(revokes);
    expect((await getSecret(ns, "gone-tls")) !== undefined).toBe(secretKept);
    expect(await getSecret(ns, keySecretName("gone"))).toBeUndefined();
    if (revokes > 0) {
      const cf = new CloudflareClient({
        zoneId: (sims.credentials.cloudflare as { zoneId: string }).zoneId,
        auth: { kind: "apiToken", token: (sims.credentials.cloudflare as { apiToken: string }).apiToken },
        baseUrl: sims.urls.cloudflare!,
        dispatcher: createDispatcher({ caBundlePem: sims.caPem! }),
      });
      expect(["pending_revocation", "revoked"]).toContain((await cf.get(ready.status!.vendorRef!)).status);
    }
  });

  it("a foreign Secret stays byte-identical: SecretConflict, no order, no key Secret", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const foreign = await client.create<Secret>(core.secrets, {
      metadata: { name: "theirs", namespace: ns, labels: { app: "x" } },
      type: "kubernetes.io/tls",
      data: { "tls.crt": b64("not ours"), "tls.key": b64("not ours either") },
    });
    await startController(ns);
    await createMc(ns, "intruder", mcSpec("cloudflare", "theirs"));
    const mc = await eventually("conflict", async () => {
      const m = await getMc(ns, "intruder");
      return cond(m, "Ready")?.reason === "SecretConflict" ? m : undefined;
    });
    expect(cond(mc, "Ready")?.status).toBe("False");
    expect(cond(mc, "Ready")?.message).toMatch(/not managed by this ManagedCertificate/);
    await new Promise((r) => setTimeout(r, 1000));
    const after = (await getSecret(ns, "theirs"))!;
    expect(after.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion);
    expect(after.data).toEqual(foreign.data);
    expect(after.metadata.labels).toEqual(foreign.metadata.labels);
    expect(calls.submit).toBe(0);
    expect(await getSecret(ns, keySecretName("intruder"))).toBeUndefined();
  });

  it("two resources naming one Secret: the first is Ready, the second reports SecretConflict, and nothing loops", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const { controller } = await startController(ns);
    await createMc(ns, "a", mcSpec("cloudflare", "shared-tls"));
    await readyMc(ns, "a");
    await createMc(ns, "b", mcSpec("cloudflare", "shared-tls", { commonName: "other.example.com" }));
    const b = await eventually("b conflicts", async () => {
      const m = await getMc(ns, "b");
      return cond(m, "Ready")?.reason === "SecretConflict" ? m : undefined;
    });
    expect(cond(b, "Ready")?.message).toMatch(/also named by ManagedCertificate a/);
    const reconciles = controller.reconcileCount;
    const rvA = (await getMc(ns, "a")).metadata.resourceVersion;
    const rvSecret = (await getSecret(ns, "shared-tls"))?.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 3000));
    expect(controller.reconcileCount - reconciles).toBeLessThanOrEqual(2);
    expect((await getMc(ns, "b")).metadata.resourceVersion).toBe(b.metadata.resourceVersion);
    expect((await getMc(ns, "a")).metadata.resourceVersion).toBe(rvA);
    expect((await getSecret(ns, "shared-tls"))?.metadata.resourceVersion).toBe(rvSecret);
    expect(calls.submit).toBe(1);
  });

  it("a deleted Secret is re-created from the stored key without a new order", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await startController(ns);
    await createMc(ns, "restore", mcSpec("ssl", "restore-tls"));
    const ready = await readyMc(ns, "restore");
    await client.delete(core.secrets, ns, "restore-tls");
    const back = await eventually("Secret re-created", () => getSecret(ns, "restore-tls"));
    const { serial } = checkTlsSecret(back, sectigo.ca.root.certPem);
    expect(serial).toBe(ready.status?.serialNumber);
    expect(calls.submit).toBe(1);
    expect((await getMc(ns, "restore")).status?.revision).toBe(1);
  });

  it("Sectigo client certificate with PKCS12 output: keystore.p12 opens with the password from the user's Secret; without that Secret, SecretNotFound and no TLS Secret", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await startController(ns);
    const password = "p12-Pässword-7f3a";
    await client.create<Secret>(core.secrets, { metadata: { name: "p12-pass", namespace: ns }, data: { pass: b64(password) } });
    await createMc(
      ns,
      "keystore",
      mcSpec("client", "keystore-tls", { additionalOutputFormats: [{ type: "PKCS12", passwordSecretRef: { name: "p12-pass", key: "pass" } }] }),
    );
    await readyMc(ns, "keystore");
    const secret = (await getSecret(ns, "keystore-tls"))!;
    checkTlsSecret(secret, sectigo.ca.root.certPem);
    const pfx = Buffer.from(secret.data?.["keystore.p12"] ?? "", "base64");
    const passphrase = unb64((await getSecret(ns, "p12-pass"))?.data?.["pass"]);
    expect(() => createSecureContext({ pfx, passphrase })).not.toThrow();
    expect(() => createSecureContext({ pfx, passphrase: "wrong" })).toThrow();

    await createMc(
      ns,
      "nopass",
      mcSpec("client", "nopass-tls", { additionalOutputFormats: [{ type: "PKCS12", passwordSecretRef: { name: "absent", key: "pass" } }] }),
    );
    const waiting = await eventually(
      "nopass SecretNotFound",
      async () => {
        const mc = await getMc(ns, "nopass");
        return cond(mc, "Ready")?.reason === "SecretNotFound" ? mc : undefined;
      },
      30_000,
      100,
    );
    expect(cond(waiting, "Ready")?.message).toMatch(/absent does not exist/);
    expect(await getSecret(ns, "nopass-tls")).toBeUndefined();
    expect(logLines.filter((l) => l.includes(password))).toEqual([]);
  });

  it("a deleted Secret whose key is gone too is re-issued: one new order, revision 2", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const first = await startController(ns);
    const created = await createMc(ns, "lost", mcSpec("ssl", "lost-tls"));
    const ready = await readyMc(ns, "lost");
    // Both lost while no operator runs (a running one writes the key Secret back from the TLS Secret).
    await first.manager.stop();
    await client.delete(core.secrets, ns, keySecretName("lost"));
    await eventually("key Secret gone", async () => (await getSecret(ns, keySecretName("lost"))) === undefined);
    await client.delete(core.secrets, ns, "lost-tls");
    await startController(ns);
    const reissued = await readyMc(ns, "lost", 30_000, 2);
    const { serial } = checkTlsSecret((await getSecret(ns, "lost-tls"))!, sectigo.ca.root.certPem);
    expect(serial).toBe(reissued.status?.serialNumber);
    expect(serial).not.toBe(ready.status?.serialNumber);
    expect(scmOrdersFor(created.metadata.uid!)).toBe(2);
    expect(calls.submit).toBe(2);
  });

  it("publish.zpa: uploaded after issuance, rotated on renewal (new uploaded, old deleted), removed with the resource", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const zpa = sims.credentials.zpa as { clientId: string; clientSecret: string; customerId: string };
    await client.create<Secret>(core.secrets, {
      metadata: { name: "zpa-creds", namespace: ns },
      data: { clientId: b64(zpa.clientId), clientSecret: b64(zpa.clientSecret) },
    });
    await client.create(resourceTypes.vendorConnections, {
      metadata: { name: "zpa", namespace: ns },
      spec: { credentialsRef: { name: "zpa-creds" }, caBundle: sims.caPem, zpa: { authMode: "Legacy", baseUrl: sims.urls.zpa, customerId: zpa.customerId } },
    } as KubeObject);
    const store = registry.browserCertificates({
      kind: "VendorConnection",
      namespace: ns,
      name: "zpa",
      vendor: "zpa",
      settings: { authMode: "Legacy", baseUrl: sims.urls.zpa, customerId: zpa.customerId },
      credentials: { clientId: zpa.clientId, clientSecret: zpa.clientSecret },
      caBundlePem: sims.caPem!,
      fingerprint: `test-${ns}`,
    });
    await startController(ns);
    await createMc(
      ns,
      "pub",
      mcSpec("cloudflare", "pub-tls", { publish: { zpa: { connectionRef: { kind: "VendorConnection", name: "zpa" }, name: `web-${ns}` } } }),
    );
    const published = await eventually("published", async () => {
      const m = await getMc(ns, "pub");
      return cond(m, "Published")?.status === "True" ? m : undefined;
    });
    const first = (published.status as { publish?: { zpa?: { certificateId: string; name: string; serialNumber: string } } }).publish!.zpa!;
    expect(first).toMatchObject({ name: `web-${ns}-r1`, serialNumber: published.status?.serialNumber });
    expect((await store.findByName(`web-${ns}-r1`, undefined, new AbortController().signal))?.id).toBe(first.certificateId);

    await client.mergePatch(resourceTypes.managedCertificates, ns, "pub", { metadata: { annotations: { [annotations.renewRequest]: "now" } } });
    await eventually("republished for revision 2", async () => {
      const m = await getMc(ns, "pub");
      return (m.status as { publish?: { zpa?: { name?: string } } }).publish?.zpa?.name === `web-${ns}-r2` ? m : undefined;
    });
    const signal = new AbortController().signal;
    expect(await store.findByName(`web-${ns}-r1`, undefined, signal)).toBeUndefined();
    const second = await store.findByName(`web-${ns}-r2`, undefined, signal);
    expect(second).toBeDefined();

    await client.delete(resourceTypes.managedCertificates, ns, "pub");
    await eventually("resource gone", async () => {
      try {
        await getMc(ns, "pub");
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    });
    expect(await store.findByName(`web-${ns}-r2`, undefined, signal)).toBeUndefined();
  });

  it("an order awaiting approval is AwaitingApproval and is never submitted again", async () => {
    sectigo.setIssuance({ approvalRequired: true });
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const { controller } = await startController(ns);
    const created = await createMc(ns, "approve-me", mcSpec("ssl", "approve-tls"));
    const mc = await eventually("awaiting approval", async () => {
      const m = await getMc(ns, "approve-me");
      return cond(m, "Issuing")?.reason === "AwaitingApproval" ? m : undefined;
    });
    expect(cond(mc, "Issuing")?.status).toBe("True");
    expect(cond(mc, "Ready")).toMatchObject({ status: "False", reason: "AwaitingApproval" });
    const reconciles = controller.reconcileCount;
    for (let i = 0; i < 3; i++) controller.enqueue(`${ns}/approve-me`);
    await passDone(controller, reconciles, 1);
    expect(calls.submit).toBe(1);
    expect(scmOrdersFor(created.metadata.uid!)).toBe(1);
    expect(calls.collect).toBe(1); // the next poll waits for its planned time
  });

  it("the issuance budget per connection stops runaway ordering with BudgetExhausted", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await client.mergePatch(resourceTypes.vendorConnections, ns, "cf", { spec: { issuanceBudget: { maxPerHour: 1 } } });
    await startController(ns);
    await createMc(ns, "one", mcSpec("cloudflare", "one-tls"));
    await readyMc(ns, "one");
    await createMc(ns, "two", mcSpec("cloudflare", "two-tls"));
    const two = await eventually("budget exhausted", async () => {
      const m = await getMc(ns, "two");
      return cond(m, "Issuing")?.reason === "BudgetExhausted" ? m : undefined;
    });
    expect(cond(two, "Ready")?.status).toBe("False");
    expect(calls.submit).toBe(1);
  });

  it("a pending Sectigo order is collected on a doubling backoff, with one enroll", async () => {
    sectigo.setIssuance({ collectsBeforeIssued: 3 });
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const firstMs = 1000;
    await startController(ns, {
      pollBackoff: {
        Pending: { firstMs, maxMs: 60_000 },
        AwaitingApproval: { firstMs: 60_000, maxMs: 60_000 },
        AwaitingValidation: { firstMs: 60_000, maxMs: 60_000 },
      },
    });
    const created = await createMc(ns, "slow", mcSpec("device", "slow-tls"));
    const pending = await eventually("pending", async () => {
      const m = await getMc(ns, "slow");
      return cond(m, "Issuing")?.reason === "Pending" ? m : undefined;
    });
    expect(cond(pending, "Ready")).toMatchObject({ status: "False", reason: "Pending" });
    await readyMc(ns, "slow", 30_000);
    expect(calls.submit).toBe(1);
    expect(scmOrdersFor(created.metadata.uid!)).toBe(1);
    expect(calls.collect).toBe(4); // three "not yet", then the certificate
    // Planned polls: 1, 2, 4 s after each "not yet" answer, rounded up to whole seconds: never early.
    const afterAnswer = calls.collectTimes.slice(1).map((t, i) => t - calls.collectAnswerTimes[i]!);
    for (const [i, waited] of afterAnswer.entries()) expect(waited, `poll ${i + 2} not before its planned time`).toBeGreaterThanOrEqual(2 ** i * firstMs);
    // And the last one on the doubling (4 s + under 1 s of rounding), sooner than a step later (8 s) would
    // be: how late a busy machine fires a timer is no part of the promise, so the bound is the schedule's.
    expect(afterAnswer[2]).toBeLessThan(8 * firstMs);
  });

  it("under a storm of 429s and 5xx, nothing is ordered twice, and everything is Ready once the faults stop", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    const cfBefore = cfOrders();
    sims.sims.cloudflare.faults.set({ rate429Rate: 0.5, fail5xxRate: 0.2, retryAfter: "1", seed: 7 });
    sectigo.faults.set({ rate429Rate: 0.5, fail5xxRate: 0.2, retryAfter: "1", seed: 11 });
    try {
      await startController(ns);
      const names = ["s1", "s2", "s3", "s4", "s5", "s6"];
      const created = await Promise.all(
        names.map((n, i) =>
          createMc(
            ns,
            n,
            mcSpec(i % 2 === 0 ? "cloudflare" : "ssl", `${n}-tls`, i % 2 === 0 ? { commonName: `${n}.example.com` } : { dnsNames: [`${n}.example.com`] }),
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 4_000));
      sims.sims.cloudflare.faults.clear();
      sectigo.faults.clear();
      await Promise.all(names.map((n) => readyMc(ns, n, 90_000)));
      expect(cfOrders() - cfBefore).toBe(3);
      for (const [i, mc] of created.entries()) if (i % 2 === 1) expect(scmOrdersFor(mc.metadata.uid!)).toBe(1);
      expect((sims.sims.cloudflare.state() as { rateLimitViolations: number }).rateLimitViolations).toBe(0);
    } finally {
      sims.sims.cloudflare.faults.clear();
      sectigo.faults.clear();
    }
  });

  it.each([
    {
      why: "no vendor block",
      spec: (s: Record<string, unknown>) => {
        delete s.cloudflare;
        return s;
      },
      message: /exactly one vendor block/,
    },
    {
      why: "two vendor blocks",
      spec: (s: Record<string, unknown>) => ({ ...s, sectigo: { type: "SSL", profile: { id: 1 } } }),
      message: /exactly one vendor block/,
    },
    {
      why: "no names at all",
      spec: (s: Record<string, unknown>) => {
        delete s.commonName;
        return s;
      },
      message: /at least one of commonName/,
    },
    { why: "RSA key of 1024 bits", spec: (s: Record<string, unknown>) => ({ ...s, privateKey: { algorithm: "RSA", size: 1024 } }), message: /RSA key size/ },
    {
      why: "renewBefore longer than the lifetime",
      spec: (s: Record<string, unknown>) => ({ ...s, renewBefore: "2000h" }),
      message: /renewBefore must be less/,
    },
  ])("an invalid spec is rejected at apply time: $why", async ({ spec, message }) => {
    const ns = await freshNamespace(client, "mc");
    const err = await createMc(ns, "bad", spec(mcSpec("cloudflare", "bad-tls"))).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/422|Invalid/);
    expect(err?.message).toMatch(message);
  });

  it("a connection of the wrong vendor is reported, with no vendor call", async () => {
    const ns = await freshNamespace(client, "mc");
    await connections(ns);
    await startController(ns);
    await createMc(ns, "mismatch", mcSpec("cloudflare", "mm-tls", { connectionRef: { kind: "VendorConnection", name: "scm" } }));
    const mc = await eventually("mismatch", async () => {
      const m = await getMc(ns, "mismatch");
      return cond(m, "Ready")?.reason === "ConnectionVendorMismatch" ? m : undefined;
    });
    expect(cond(mc, "Ready")?.status).toBe("False");
    expect(calls.submit + calls.find + calls.collect).toBe(0);
  });
});

describe("crash safety", () => {
  const STEPS: Record<"cloudflare" | "ssl", IssuanceStep[]> = {
    // Cloudflare issues at once: no vendorRef write before delivery (a crash after "submitted" finds the order).
    cloudflare: ["start", "key-persisted", "intent-recorded", "submitted", "secret-written", "status-written"],
    ssl: ["start", "key-persisted", "intent-recorded", "submitted", "vendor-ref-recorded", "collected", "secret-written", "status-written"],
  };
  const cases = (Object.entries(STEPS) as Array<["cloudflare" | "ssl", IssuanceStep[]]>).flatMap(([kind, steps]) => steps.map((step) => ({ kind, step })));

  it.each(cases)('$kind: the operator dies right after "$step"; a fresh instance finishes with exactly one vendor order', async ({ kind, step }) => {
    const ns = await freshNamespace(client, "crash");
    await connections(ns);
    const cfBefore = cfOrders();
    let crashed = false;
    const first = await startController(ns, {
      hooks: {
        step(s) {
          if (crashed || s === step) {
            crashed = true;
            throw new Error(`injected crash after ${s}`);
          }
        },
      },
    });
    const created = await createMc(ns, "victim", mcSpec(kind, "victim-tls"));
    await eventually(`crash after ${step}`, () => crashed);
    await first.manager.stop();
    await startController(ns);
    const ready = await readyMc(ns, "victim");
    expect(ready.status?.revision).toBe(1);
    if (kind === "cloudflare") expect(cfOrders() - cfBefore).toBe(1);
    else expect(scmOrdersFor(created.metadata.uid!)).toBe(1);
    expect(calls.submitsByUid.get(created.metadata.uid!)).toBe(1);
    const secret = (await getSecret(ns, "victim-tls"))!;
    if (kind === "cloudflare") checkTlsSecret(secret, sims.sims.cloudflare.ca.root.certPem, sims.sims.cloudflare.ca.intermediate.certPem);
    else checkTlsSecret(secret, sectigo.ca.root.certPem);
  });
});
