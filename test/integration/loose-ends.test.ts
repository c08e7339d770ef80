// Issue 11 items 5 and 7 on the real control plane against the real simulators: what users hit and
// what they see. A renamed Secret moves without an order and the old one (ours) goes; a missing PKCS12
// password and a lifetime the vendor cannot honour stop before anything is paid; every re-issue says
// why (an Event and status.lastIssuance); a ProvisioningKey is looked at on request and between drift
// checks (the flag) only then, and ObserveOnly needs no group or maxUsage. Pure decisions have their
// unit tables beside the code (lifetime, preflight, secret-cleanup, status, trigger, observation).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { Agent, request } from "undici";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { annotations, resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { loadOperatorConfig } from "../../src/config/operator.ts";
import { setupManagedCertificates } from "../../src/controllers/managedcertificate/index.ts";
import { provisioningKeySetup } from "../../src/controllers/provisioningkey/index.ts";
import { provideVendorPorts } from "../../src/controllers/shared/vendor-ports.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { isNotFound, KubeApiError } from "../../src/runtime/kube/errors.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { SEED_IDS, type ZpaSimulator } from "../../src/sim/zpa/index.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Resource extends KubeObject {
  spec: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Condition[] };
}
interface Event extends KubeObject {
  reason: string;
  note: string;
  type: string;
  regarding?: { name?: string };
}

let client: KubeClient;
let sims: RunningSimulators;
let sectigo: SectigoSimulator;
let zpa: ZpaSimulator;
let ports: RegistryVendorPorts;
const running: Array<() => Promise<void>> = [];
const logLines: string[] = [];

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators();
  sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
  zpa = sims.sims.zpa as unknown as ZpaSimulator;
  ports = createVendorPorts();
});
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});
afterAll(async () => {
  // No key material, password or credential in any log line of this file.
  const leaks = logLines.filter((l) => /BEGIN |PRIVATE KEY|p12-S3cret|sim-zpa-secret|certbridge-sim-cloudflare-api-token/.test(l));
  expect(leaks).toEqual([]);
  await ports.close();
  await sims.close();
  await client.close();
});

/** One operator "process" for the test's namespace, with the controllers it names. */
async function startOperator(ns: string, run: (manager: Manager) => void): Promise<void> {
  const log = createLogger({ level: "debug", destination: { write: (line: string) => void logLines.push(line) } });
  const manager = new Manager({ client: adminClient("certbridge"), log, metrics: new OperatorMetrics({ defaultMetrics: false }), namespaces: [ns] });
  provideVendorPorts(manager, ports);
  run(manager);
  await manager.start();
  running.push(() => manager.stop());
}

const certificates = (ns: string) => (manager: Manager) =>
  setupManagedCertificates(manager, { namespace: ns, concurrency: 2, settleWindowMs: { cloudflare: 3_000, sectigo: 3_000 }, lookupFirstMs: 500 });

const b64 = (s: string) => Buffer.from(s).toString("base64");

async function connections(ns: string): Promise<void> {
  const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  const zc = sims.credentials.zpa as { clientId: string; clientSecret: string; customerId: string };
  await client.create<Secret>(core.secrets, { metadata: { name: "cf-creds", namespace: ns }, data: { apiToken: b64(cf.apiToken) } });
  await client.create<Secret>(core.secrets, { metadata: { name: "scm-creds", namespace: ns }, data: { login: b64(sc.login), password: b64(sc.password) } });
  await client.create<Secret>(core.secrets, {
    metadata: { name: "zpa-creds", namespace: ns },
    data: { clientId: b64(zc.clientId), clientSecret: b64(zc.clientSecret) },
  });
  const connection = (name: string, credentials: string, block: Record<string, unknown>) =>
    client.create(resourceTypes.vendorConnections, {
      metadata: { name, namespace: ns },
      spec: { credentialsRef: { name: credentials }, caBundle: sims.caPem, ...block },
    } as KubeObject);
  await connection("cf", "cf-creds", { cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } });
  await connection("scm", "scm-creds", { sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } });
  await connection("zpa", "zpa-creds", { zpa: { baseUrl: sims.urls.zpa, customerId: zc.customerId } });
}

const cloudflareSpec = (secretName: string, extra: Record<string, unknown> = {}) => ({
  connectionRef: { name: "cf" },
  secretName,
  commonName: "device-1.example.com",
  privateKey: { algorithm: "ECDSA", size: 256 },
  cloudflare: { validityDays: 30 },
  ...extra,
});
const sslSpec = (secretName: string, extra: Record<string, unknown> = {}) => ({
  connectionRef: { name: "scm" },
  secretName,
  dnsNames: ["app.example.com"],
  privateKey: { algorithm: "ECDSA", size: 256 },
  sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
  ...extra,
});

const create = (type: typeof resourceTypes.managedCertificates, ns: string, name: string, spec: Record<string, unknown>) =>
  client.create<Resource>(type, { metadata: { name, namespace: ns }, spec } as Resource);
const getMc = (ns: string, name: string) => client.get<Resource>(resourceTypes.managedCertificates, ns, name);
const cond = (o: Resource | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);
const patchSpec = (ns: string, name: string, spec: Record<string, unknown>) => client.mergePatch(resourceTypes.managedCertificates, ns, name, { spec });
const annotate = (type: typeof resourceTypes.managedCertificates, ns: string, name: string, key: string, value: string) =>
  client.mergePatch(type, ns, name, { metadata: { annotations: { [key]: value } } });

async function getSecret(ns: string, name: string): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(core.secrets, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function readyMc(ns: string, name: string, minRevision = 1, timeoutMs = 30_000): Promise<Resource> {
  return eventually(
    `${ns}/${name} Ready at revision ≥ ${minRevision}`,
    async () => {
      const mc = await getMc(ns, name);
      const revision = (mc.status?.["revision"] as number | undefined) ?? 0;
      return cond(mc, "Ready")?.status === "True" && revision >= minRevision && mc.status?.["pendingIssuance"] === undefined ? mc : undefined;
    },
    timeoutMs,
    100,
  );
}

async function reasonOn(ns: string, name: string, type: string, reason: string): Promise<Resource> {
  return eventually(`${ns}/${name} ${type}=${reason}`, async () => {
    const mc = await getMc(ns, name);
    return cond(mc, type)?.reason === reason ? mc : undefined;
  });
}

async function eventsAbout(ns: string, name: string, reason: string): Promise<Event[]> {
  const list = await client.list<Event>(core.events, { namespace: ns });
  return list.items.filter((e) => e.regarding?.name === name && e.reason === reason);
}

const cfOrders = () => (sims.sims.cloudflare.state() as { objects: { client_certificate: number } }).objects.client_certificate;
const scmOrdersFor = (uid: string) => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `)).length;
const serialIn = (s: Secret | undefined) => new X509Certificate(Buffer.from(s?.data?.["tls.crt"] ?? "", "base64").toString("utf8")).serialNumber.toLowerCase();

// ---------------------------------------------------------------------------------------------------

describe("ManagedCertificate loose ends", () => {
  it("spec.secretName changed: the certificate moves to the new Secret without an order, then the old Secret (ours) goes; others' Secrets stay", async () => {
    const ns = await freshNamespace(client, "le");
    await connections(ns);
    await startOperator(ns, certificates(ns));
    await create(resourceTypes.managedCertificates, ns, "moves", cloudflareSpec("moves-tls"));
    await create(resourceTypes.managedCertificates, ns, "other", cloudflareSpec("other-tls"));
    const user = await client.create<Secret>(core.secrets, {
      metadata: { name: "user-tls", namespace: ns },
      type: "kubernetes.io/tls",
      data: { "tls.crt": "", "tls.key": "" },
    });
    const before = await readyMc(ns, "moves");
    await readyMc(ns, "other");
    const other = (await getSecret(ns, "other-tls"))!;
    const orders = cfOrders();

    await patchSpec(ns, "moves", { secretName: "moves-tls-2" });
    // The certificate is never lost on the way: at every look, the old or the new Secret holds it.
    let looks = 0;
    const moved = await eventually(
      "status names moves-tls-2 and moves-tls is gone",
      async () => {
        const [oldSecret, newSecret] = await Promise.all([getSecret(ns, "moves-tls"), getSecret(ns, "moves-tls-2")]);
        looks++;
        expect(oldSecret !== undefined || newSecret !== undefined, "a Secret holds the certificate").toBe(true);
        const mc = await getMc(ns, "moves");
        return mc.status?.["secretName"] === "moves-tls-2" && oldSecret === undefined ? { mc, newSecret } : undefined;
      },
      30_000,
      25,
    );
    expect(looks).toBeGreaterThan(1);
    expect(serialIn(moved.newSecret)).toBe(before.status?.["serialNumber"]);
    expect(moved.mc.status?.["revision"]).toBe(1);
    expect(cfOrders() - orders).toBe(0);
    expect(cond(moved.mc, "Ready")).toMatchObject({ status: "True", reason: "Issued", message: expect.stringContaining("moves-tls-2") });
    // Another resource's Secret (our labels, another owner) and a user's Secret are untouched.
    expect((await getSecret(ns, "other-tls"))?.metadata.resourceVersion).toBe(other.metadata.resourceVersion);
    expect((await getSecret(ns, "user-tls"))?.metadata.resourceVersion).toBe(user.metadata.resourceVersion);
    // Events are sent without holding up the reconcile: the one for the deletion may land after the status write.
    const moves = await eventually("a SecretMoved Event", async () => {
      const list = await eventsAbout(ns, "moves", "SecretMoved");
      return list.length > 0 ? list : undefined;
    });
    expect(moves.map((e) => e.note)).toEqual(["Deleted Secret moves-tls: the certificate is now in Secret moves-tls-2 (spec.secretName changed)."]);
  });

  it("a missing PKCS#12 password Secret: SecretNotFound with the next step and no vendor order at all; once it exists, one order", async () => {
    const ns = await freshNamespace(client, "le");
    await connections(ns);
    const orders = cfOrders();
    await startOperator(ns, certificates(ns));
    const formats = [{ type: "PKCS12", passwordSecretRef: { name: "p12-pass", key: "password" } }];
    await create(resourceTypes.managedCertificates, ns, "keystore", cloudflareSpec("keystore-tls", { additionalOutputFormats: formats }));
    const waiting = await reasonOn(ns, "keystore", "Ready", "SecretNotFound");
    expect(cond(waiting, "Ready")).toMatchObject({
      status: "False",
      message: `PKCS12 password Secret ${ns}/p12-pass does not exist. Create it with the keystore password under key "password"; nothing is ordered until then (looked at again every minute).`,
    });
    // Give it time to go wrong: nothing ordered, no key made, no intent, no TLS Secret.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(cfOrders() - orders).toBe(0);
    const still = await getMc(ns, "keystore");
    expect(still.status?.["pendingIssuance"]).toBeUndefined();
    expect(await getSecret(ns, "keystore-certbridge-key")).toBeUndefined();
    expect(await getSecret(ns, "keystore-tls")).toBeUndefined();

    await client.create<Secret>(core.secrets, { metadata: { name: "p12-pass", namespace: ns }, data: { password: b64("p12-S3cret") } });
    // User Secrets are not watched (looked at every minute); a touch of the resource looks now.
    await annotate(resourceTypes.managedCertificates, ns, "keystore", "example.com/touched", "1");
    await readyMc(ns, "keystore");
    expect(cfOrders() - orders).toBe(1);
    expect((await getSecret(ns, "keystore-tls"))?.data?.["keystore.p12"]).toBeTruthy();
  });

  it("a duration Sectigo cannot honour: DurationUnavailable before anything is paid; one within 10 % of a term is ordered as that term, and said", async () => {
    const ns = await freshNamespace(client, "le");
    await connections(ns);
    await startOperator(ns, certificates(ns));
    const mc = await create(resourceTypes.managedCertificates, ns, "term", sslSpec("term-tls", { duration: "2160h" }));
    const refused = await reasonOn(ns, "term", "Ready", "DurationUnavailable");
    expect(cond(refused, "Issuing")?.message).toBe(
      'Sectigo cannot issue spec.duration 2160h (90 days): it offers terms of 365, 730 days (profile "OV SSL"), and the nearest, 365 days, differs by more than 10 %. Set spec.duration to an offered lifetime (e.g. 8760h) or use the vendor\'s own days; nothing was ordered.',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(scmOrdersFor(mc.metadata.uid!)).toBe(0);
    expect(await getSecret(ns, "term-certbridge-key")).toBeUndefined();

    // 8000h is 333.3 days: the 365-day term is 9.5 % longer, within the tolerance.
    await patchSpec(ns, "term", { duration: "8000h" });
    const issued = await readyMc(ns, "term");
    expect(scmOrdersFor(mc.metadata.uid!)).toBe(1);
    const lifetimeDays = (Date.parse(String(issued.status?.["notAfter"])) - Date.parse(String(issued.status?.["notBefore"]))) / 86_400_000;
    expect(Math.round(lifetimeDays)).toBe(365);
    const rounded = await eventually("a DurationRounded Event", async () => {
      const list = await eventsAbout(ns, "term", "DurationRounded");
      return list.length > 0 ? list : undefined;
    });
    expect(rounded.map((e) => e.note)).toEqual([
      'Sectigo issues 365 days for spec.duration 8000h (333.3 days), 31.7 days longer: it offers terms of 365, 730 days (profile "OV SSL").',
    ]);
  });

  it("every re-issue: one Reissued Event and status.lastIssuance with revision, serial and why (manual renew, key rotation)", async () => {
    const ns = await freshNamespace(client, "le");
    await connections(ns);
    await startOperator(ns, certificates(ns));
    await create(resourceTypes.managedCertificates, ns, "web", cloudflareSpec("web-tls"));
    const first = await readyMc(ns, "web");
    expect(first.status?.["lastIssuance"]).toEqual({
      revision: 1,
      serialNumber: first.status?.["serialNumber"],
      reason: "NotIssued",
      time: expect.any(String),
    });

    await annotate(resourceTypes.managedCertificates, ns, "web", annotations.renewRequest, "2026-12-01");
    const second = await readyMc(ns, "web", 2);
    expect(second.status?.["lastIssuance"]).toMatchObject({ revision: 2, serialNumber: second.status?.["serialNumber"], reason: "RenewRequested" });

    await patchSpec(ns, "web", { privateKey: { algorithm: "RSA", size: 2048 } });
    const third = await readyMc(ns, "web", 3);
    expect(third.status?.["lastIssuance"]).toMatchObject({ revision: 3, serialNumber: third.status?.["serialNumber"], reason: "KeyChanged" });
    expect(serialIn(await getSecret(ns, "web-tls"))).toBe(third.status?.["serialNumber"]);

    const notes = await eventually("two Reissued Events", async () => {
      const events = await eventsAbout(ns, "web", "Reissued");
      return events.length >= 2 ? events.map((e) => e.note).sort() : undefined;
    });
    expect(notes).toEqual([
      `Re-issued as revision 2 (serial ${second.status?.["serialNumber"]}, replacing ${first.status?.["serialNumber"]}): manual renewal (certbridge.dev/renew-request).`,
      `Re-issued as revision 3 (serial ${third.status?.["serialNumber"]}, replacing ${second.status?.["serialNumber"]}): key rotation (spec.privateKey changed).`,
    ]);
    expect(JSON.stringify(third.status)).not.toMatch(/BEGIN|PRIVATE/);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("ProvisioningKey loose ends", () => {
  const pkSpec = (extra: Record<string, unknown>) => ({ connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", ...extra });
  const getPk = (ns: string, name: string) => client.get<Resource>(resourceTypes.provisioningKeys, ns, name);

  it("ObserveOnly needs no group or maxUsage; Manage still does (the API server's CEL rules)", async () => {
    const ns = await freshNamespace(client, "le");
    const refused = await client
      .create(resourceTypes.provisioningKeys, { metadata: { name: "manage", namespace: ns }, spec: pkSpec({ secretName: "k" }) } as KubeObject)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).status).toBe(422);
    expect(String((refused as KubeApiError).message)).toMatch(/group is required with managementPolicy Manage/);
    expect(String((refused as KubeApiError).message)).toMatch(/maxUsage is required with managementPolicy Manage/);
    await client.create(resourceTypes.provisioningKeys, {
      metadata: { name: "observe", namespace: ns },
      spec: pkSpec({ managementPolicy: "ObserveOnly", name: "edge", secretName: "k" }),
    } as KubeObject);
  });

  it("between drift checks (--provisioningkey-drift-interval 1h) usage is stale; certbridge.dev/observe-request looks now, once, and is acknowledged", async () => {
    const ns = await freshNamespace(client, "le");
    await connections(ns);
    const existing = zpa.zpa.putKey({
      id: `8${Date.now()}`,
      associationType: "CONNECTOR_GRP",
      name: `observed-${ns}`,
      maxUsage: 10,
      usageCount: 4,
      enabled: true,
      enrollmentCertId: SEED_IDS.enrollmentCerts.connector,
      zcomponentId: SEED_IDS.connectorGroups.b,
      microtenantId: "0",
    });
    // The operator's own wiring from its flags: the interval reaches the controller through the config.
    const config = loadOperatorConfig(["--provisioningkey-drift-interval", "1h", "--concurrency", "2", "--identity", "le"], { POD_NAMESPACE: ns });
    await startOperator(ns, (manager) => provisioningKeySetup(manager, config));
    await client.create(resourceTypes.provisioningKeys, {
      metadata: { name: "obs", namespace: ns },
      spec: pkSpec({ managementPolicy: "ObserveOnly", name: `observed-${ns}`, secretName: "obs-key" }),
    } as KubeObject);
    const adopted = await eventually("obs Ready (observed)", async () => {
      const pk = await getPk(ns, "obs");
      return cond(pk, "Ready")?.status === "True" ? pk : undefined;
    });
    expect(adopted.status).toMatchObject({ id: existing.id, usageCount: 4, maxUsage: 10, group: { id: SEED_IDS.connectorGroups.b } });

    // Connectors enroll in ZPA: the resource does not know until the next drift check, an hour away.
    const res = await request(`${sims.origins.zpa}/__sim/zpa/provisioning-keys/${existing.id}/usage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ usageCount: 7 }),
      dispatcher: new Agent({ connect: { ca: sims.caPem } }),
    });
    await res.body.dump();
    expect(res.statusCode).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await getPk(ns, "obs")).status?.["usageCount"]).toBe(4);

    await client.mergePatch(resourceTypes.provisioningKeys, ns, "obs", { metadata: { annotations: { [annotations.observeRequest]: "now-1" } } });
    const observed = await eventually("usage observed on request", async () => {
      const pk = await getPk(ns, "obs");
      return pk.status?.["observedObserveRequest"] === "now-1" ? pk : undefined;
    });
    expect(observed.status?.["usageCount"]).toBe(7);
    const events = await eventually("an Observed Event", async () => {
      const list = await eventsAbout(ns, "obs", "Observed");
      return list.length > 0 ? list : undefined;
    });
    expect(events.map((e) => e.note)).toEqual([
      `looked at provisioning key observed-${ns} (id ${existing.id}) in ZPA on request: usageCount 7 of maxUsage 10, enabled`,
    ]);
  });
});
