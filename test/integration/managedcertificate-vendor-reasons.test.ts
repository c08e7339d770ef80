// Issue 10, "Done when": a Sectigo order refused as retryable or as waiting for a person shows a
// condition with the vendor's reason on the ManagedCertificate — on the real control plane, against
// the Sectigo simulator's own refusals (SCM's codes and texts), never ordering twice meanwhile.
//   waiting for a person  enroll refused with -107 (domain control validation incomplete)
//   retryable             enroll answered 503 (-2, SCM's internal error): the outcome is unknown
//   retryable             the look-up of that unanswered enroll answered 503: shown, and returned
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { setupManagedCertificates } from "../../src/controllers/managedcertificate/index.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { SECTIGO_ENROLL_PATTERN, enrollResponseLost } from "../../src/sim/sectigo/order-faults.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { SEED } from "../../src/sim/sectigo/testing.ts";
import { createVendorPorts, type RegistryVendorPorts } from "../../src/vendors/registry.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Mc extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: Condition[]; revision?: number; pendingIssuance?: { state?: string; vendorRef?: string } };
}

let client: KubeClient;
let sims: RunningSimulators;
let sectigo: SectigoSimulator;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  client = adminClient();
  sims = await startSimulators({ https: false });
  sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  sectigo.faults.clear();
});
afterAll(async () => {
  await sims?.close();
  await client?.close();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");

async function sectigoConnection(ns: string): Promise<void> {
  const sc = sims.credentials.sectigo as { login: string; password: string; customerUri: string };
  await client.create<KubeObject & { data: Record<string, string> }>(core.secrets, {
    metadata: { name: "scm-creds", namespace: ns },
    data: { login: b64(sc.login), password: b64(sc.password) },
  });
  await client.create(resourceTypes.vendorConnections, {
    metadata: { name: "scm", namespace: ns },
    spec: { credentialsRef: { name: "scm-creds" }, sectigo: { baseUrl: sims.urls.sectigo, customerUri: sc.customerUri, orgId: SEED.orgId } },
  } as KubeObject);
}

/** The controller in-process for `ns`, with the operator's own vendor ports; seconds where the vendors take minutes. */
async function startController(ns: string): Promise<void> {
  const registry: RegistryVendorPorts = createVendorPorts();
  const manager = new Manager({ client: adminClient(), log: createLogger({ level: "silent" }), metrics: new OperatorMetrics({ defaultMetrics: false }) });
  setupManagedCertificates(manager, {
    namespace: ns,
    concurrency: 2,
    settleWindowMs: { cloudflare: 5_000, sectigo: 5_000 },
    // The first look-up after an unanswered enroll comes 4 s after the reconcile began: until then its condition shows.
    lookupFirstMs: 4_000,
    pollBackoff: {
      Pending: { firstMs: 300, maxMs: 1_000 },
      AwaitingApproval: { firstMs: 500, maxMs: 1_000 },
      AwaitingValidation: { firstMs: 500, maxMs: 1_000 },
    },
    ports: { certificateAuthority: (c) => registry.certificateAuthority(c) },
  });
  await manager.start();
  stops.push(async () => {
    await manager.stop();
    await registry.close();
  });
}

function sslSpec(dnsName: string): Record<string, unknown> {
  return {
    connectionRef: { kind: "VendorConnection", name: "scm" },
    secretName: "web-tls",
    dnsNames: [dnsName],
    privateKey: { algorithm: "ECDSA", size: 256 },
    sectigo: { type: "SSL", profile: { name: "OV SSL" }, customFields: SEED.sslCustomFields },
  };
}

const createMc = (ns: string, spec: Record<string, unknown>) =>
  client.create<Mc>(resourceTypes.managedCertificates, { metadata: { name: "web", namespace: ns }, spec } as Mc);
const getMc = (ns: string) => client.get<Mc>(resourceTypes.managedCertificates, ns, "web");
const cond = (mc: Mc | undefined, type: string) => mc?.status?.conditions?.find((c) => c.type === type);
const ordersOf = (uid: string) => sectigo.orders().filter((o) => o.comments.includes(`uid=${uid} `));

/** The first Issuing condition that matches, polled every 50 ms (some last only a retry's backoff). */
async function issuingWhen(ns: string, what: string, match: (c: Condition) => boolean, timeoutMs = 20_000): Promise<{ mc: Mc; issuing: Condition }> {
  return eventually(
    what,
    async () => {
      const mc = await getMc(ns);
      const issuing = cond(mc, "Issuing");
      return issuing !== undefined && match(issuing) ? { mc, issuing } : undefined;
    },
    timeoutMs,
    50,
  );
}

async function readyMc(ns: string): Promise<Mc> {
  return eventually(
    "Ready",
    async () => {
      const mc = await getMc(ns);
      return cond(mc, "Ready")?.status === "True" && mc.status?.pendingIssuance === undefined ? mc : undefined;
    },
    30_000,
    100,
  );
}

describe("a Sectigo refusal shows the vendor's reason on the ManagedCertificate", () => {
  it("waiting for a person: an enroll refused for domain control validation says so in SCM's words; nothing is ordered until someone validates, then exactly one order", async () => {
    const ns = await freshNamespace(client, "mcreason");
    await sectigoConnection(ns);
    await startController(ns);
    const created = await createMc(ns, sslSpec("shop.unvalidated.test"));
    const { mc, issuing } = await issuingWhen(ns, "AwaitingValidation", (c) => c.reason === "AwaitingValidation");
    expect(issuing.status).toBe("True");
    expect(issuing.message).toMatch(
      /^sectigo ssl\.enroll failed \(blocked -107, HTTP 400\): code -107: Domain Control Validation is either incomplete or expired for shop\.unvalidated\.test/,
    );
    expect(issuing.message).toMatch(/Nothing was ordered; a person must act at the vendor/);
    expect(cond(mc, "Ready")).toMatchObject({ status: "False", reason: "AwaitingValidation" });
    expect(ordersOf(created.metadata.uid!)).toHaveLength(0);

    sectigo.validateDomain("unvalidated.test");
    await readyMc(ns);
    expect(ordersOf(created.metadata.uid!)).toHaveLength(1);
  });

  it("retryable: an enroll answered 503 shows SCM's reason while it is looked up (it may have been placed); exactly one order in the end", async () => {
    const ns = await freshNamespace(client, "mcreason");
    await sectigoConnection(ns);
    sectigo.faults.add({ pathPattern: SECTIGO_ENROLL_PATTERN, fail5xxRate: 1, count: 1 });
    await startController(ns);
    const created = await createMc(ns, sslSpec(`${ns}.example.com`));
    const { mc, issuing } = await issuingWhen(ns, "OutcomeUnknown with the enroll's 503", (c) => c.reason === "OutcomeUnknown" && /HTTP 503/.test(c.message));
    expect(issuing.message).toMatch(
      /got no answer: sectigo ssl\.enroll failed \(transient -2, HTTP 503\): code -2: Internal error\. Please contact Support for details\..*looked up until/,
    );
    expect(cond(mc, "Ready")).toMatchObject({ status: "False", reason: "OutcomeUnknown" });
    await readyMc(ns);
    expect(ordersOf(created.metadata.uid!)).toHaveLength(1);
  });

  it("retryable: a look-up of an unanswered enroll answered 503 is shown with SCM's reason (not the stale 'got no answer'), and the order is found, not placed again", async () => {
    const ns = await freshNamespace(client, "mcreason");
    await sectigoConnection(ns);
    sectigo.faults.add(enrollResponseLost(1));
    // Every look-up gets SCM's 503 until the test has seen it shown; then they pass.
    sectigo.faults.add({ pathPattern: "^GET /api/ssl/v1$", fail5xxRate: 1, retryAfter: "1" });
    await startController(ns);
    const created = await createMc(ns, sslSpec(`${ns}.example.com`));
    const { mc, issuing } = await issuingWhen(ns, "the look-up's failure", (c) => /ssl\.list failed/.test(c.message), 30_000);
    expect(issuing).toMatchObject({ status: "True", reason: "VendorError" });
    expect(issuing.message).toBe(
      "sectigo ssl.list failed (transient -2, HTTP 503): code -2: Internal error. Please contact Support for details.; retrying with backoff.",
    );
    expect(cond(mc, "Ready")).toMatchObject({ status: "False", reason: "VendorError" });
    expect(mc.status?.pendingIssuance?.state).toBe("OutcomeUnknown");
    expect(ordersOf(created.metadata.uid!)).toHaveLength(1); // placed once, the answer lost
    sectigo.faults.clear();
    await readyMc(ns);
    expect(ordersOf(created.metadata.uid!)).toHaveLength(1);
  });
});
