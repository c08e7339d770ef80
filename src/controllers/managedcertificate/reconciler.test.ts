// The reconciler with in-memory fakes (function fields, no API server): the whole issuance path,
// then the no-op pass, InvalidSpec, and business backoff after a refused order.
import { describe, expect, it } from "vitest";
import pino from "pino";
import { createSecureContext } from "node:tls";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import type { KubeClient } from "../../runtime/kube/client.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import type { Secret } from "../shared/owned-secret.ts";
import { IssuanceBudget } from "../ordering/budget.ts";
import { SETTLE_WINDOW_MS } from "../ordering/timing.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import type { CertificateObject } from "./context.ts";

const log = pino({ level: "silent" });
const signal = new AbortController().signal;
const ctx = { log, signal };

/** An in-memory API server for one namespace: objects, status subresource, Secrets; counts writes. */
function fakeCluster() {
  const certs = new Map<string, CertificateObject>();
  const secrets = new Map<string, Secret>();
  let rv = 100;
  const writes: string[] = [];
  const notFound = (path: string) => new KubeApiError({ status: 404, reason: "NotFound", message: "not found", method: "GET", path });
  const client = {
    get: async (type: { plural: string }, ns: string, name: string) => {
      const hit = type.plural === "secrets" ? secrets.get(`${ns}/${name}`) : certs.get(`${ns}/${name}`);
      if (!hit) throw notFound(name);
      return structuredClone(hit);
    },
    create: async (_type: unknown, obj: Secret) => {
      writes.push(`create secret ${obj.metadata.name}`);
      const key = keyOf(obj.metadata);
      if (secrets.has(key)) throw new KubeApiError({ status: 409, reason: "AlreadyExists", message: "exists", method: "POST", path: key });
      const stored = { ...structuredClone(obj), metadata: { ...obj.metadata, uid: `uid-${rv}`, resourceVersion: String(++rv) } };
      secrets.set(key, stored);
      return stored;
    },
    apply: async (type: { plural: string }, obj: KubeObject & { status?: unknown }, opts: { subresource?: string } = {}) => {
      const key = keyOf(obj.metadata);
      if (type.plural === "secrets") {
        writes.push(`apply secret ${obj.metadata.name}`);
        const stored = { ...structuredClone(obj), metadata: { ...secrets.get(key)?.metadata, ...obj.metadata, resourceVersion: String(++rv) } } as Secret;
        secrets.set(key, stored);
        return stored;
      }
      writes.push(`apply ${opts.subresource ?? "object"} ${obj.metadata.name}`);
      const current = certs.get(key)!;
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw new KubeApiError({ status: 409, reason: "Conflict", message: "stale", method: "PATCH", path: key });
      }
      const next = {
        ...current,
        status: structuredClone(obj.status) as CertificateObject["status"],
        metadata: { ...current.metadata, resourceVersion: String(++rv) },
      };
      certs.set(key, next);
      return structuredClone(next);
    },
    mergePatch: async (_type: unknown, ns: string, name: string, patch: { metadata: { finalizers: string[] } }) => {
      writes.push(`patch finalizers ${name}`);
      const current = certs.get(`${ns}/${name}`)!;
      const next = { ...current, metadata: { ...current.metadata, finalizers: patch.metadata.finalizers, resourceVersion: String(++rv) } };
      certs.set(`${ns}/${name}`, next);
      return structuredClone(next);
    },
    delete: async () => {
      writes.push("delete");
    },
  } as unknown as KubeClient;
  return { certs, secrets, writes, client };
}

/** A CertificateAuthority of function fields that issues from a test CA at once. */
function fakeCa(ca: TestCa, over: Partial<CertificateAuthority> = {}) {
  const calls: string[] = [];
  const impl: CertificateAuthority = {
    submit: async (order) => {
      calls.push("submit");
      const leaf = await ca.signCsr(order.csrPem, { usage: "client" });
      return { state: "issued", vendorRef: `ref-${order.owner.revision}`, chainPem: leaf.leafPem };
    },
    collect: async () => {
      calls.push("collect");
      throw new Error("not expected");
    },
    findOrders: async () => {
      calls.push("find");
      return [];
    },
    revoke: async () => {
      calls.push("revoke");
    },
    cancel: async () => {
      calls.push("cancel");
      return { done: true, how: "revoked" };
    },
    ...over,
  };
  return { impl, calls };
}

const connection: ResolvedConnection = {
  kind: "VendorConnection",
  namespace: "ns",
  name: "cf",
  vendor: "cloudflare",
  settings: { baseUrl: "https://api.cloudflare.com/client/v4", zoneId: "0".repeat(32), authMode: "APIToken" },
  credentials: {},
  fingerprint: "f",
};

/** A clock the test moves by hand (C4: the reconciler reads no other). */
function manualClock(start = Date.now()) {
  let at = start;
  return {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
    },
  };
}

function setup(ca: CertificateAuthority, spec: Record<string, unknown> = {}, deps: Partial<ManagedCertificateReconciler["deps"]> = {}) {
  const cluster = fakeCluster();
  cluster.certs.set("ns/web", {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "ManagedCertificate",
    metadata: { name: "web", namespace: "ns", uid: "0000-web", generation: 1, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      connectionRef: { kind: "VendorConnection", name: "cf" },
      secretName: "web-tls",
      commonName: "web.example.com",
      privateKey: { algorithm: "ECDSA", size: 256 },
      cloudflare: { validityDays: 30 },
      ...spec,
    },
  });
  const reconciler = new ManagedCertificateReconciler({
    client: cluster.client,
    certificates: { get: (k) => cluster.certs.get(k), list: () => [...cluster.certs.values()] },
    secrets: { get: (k) => cluster.secrets.get(k) },
    connections: { resolve: async () => ({ ok: true, connection }) },
    ports: { certificateAuthority: () => ca },
    budget: new IssuanceBudget(),
    ...deps,
  });
  return { cluster, reconciler };
}

describe("ManagedCertificateReconciler (in memory)", () => {
  it("issues once, writes the Secret once, and a second pass calls nothing and writes nothing", async () => {
    const testCa = await createTestCa({ name: "unit" });
    const ca = fakeCa(testCa);
    const { cluster, reconciler } = setup(ca.impl);
    const result = await reconciler.reconcile(ctx, "ns/web");
    expect(ca.calls).toEqual(["submit"]);
    expect(cluster.writes.filter((w) => w === "create secret web-tls" || w === "apply secret web-tls")).toHaveLength(1);
    expect(cluster.writes.filter((w) => w.includes("web-certbridge-key"))).toHaveLength(1);
    const status = cluster.certs.get("ns/web")!.status!;
    expect(status).toMatchObject({ revision: 1, vendorRef: "ref-1", secretName: "web-tls" });
    expect(status.pendingIssuance).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Issued" });
    // Renewal is planned at 2/3 of 30 days (≈ 20 days), clamped to the resync interval (≤ 10 h).
    expect(result.requeueAfterMs).toBeGreaterThan(7 * 3_600_000);

    const writesBefore = cluster.writes.length;
    await reconciler.reconcile(ctx, "ns/web");
    await reconciler.reconcile(ctx, "ns/web");
    expect(ca.calls).toEqual(["submit"]);
    expect(cluster.writes.slice(writesBefore)).toEqual([]);
  });

  it("PKCS12 output: keystore.p12 opens with the password from the user's Secret, written once with the rest", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }));
    const { cluster, reconciler } = setup(ca.impl, { additionalOutputFormats: [{ type: "PKCS12", passwordSecretRef: { name: "p12", key: "password" } }] });
    cluster.secrets.set("ns/p12", { metadata: { name: "p12", namespace: "ns" }, data: { password: Buffer.from("hunter2").toString("base64") } });
    await reconciler.reconcile(ctx, "ns/web");
    expect(cluster.writes.filter((w) => w.includes("secret web-tls"))).toHaveLength(1);
    const pfx = Buffer.from(cluster.secrets.get("ns/web-tls")!.data!["keystore.p12"]!, "base64");
    expect(() => createSecureContext({ pfx, passphrase: "hunter2" })).not.toThrow();
    const ready = cluster.certs.get("ns/web")!.status!.conditions!.find((c) => c.type === "Ready")!;
    expect(ready).toMatchObject({ status: "True", reason: "Issued" });
    expect(ready.message).not.toMatch(/PKCS12|hunter2/);
    // Random salts would change the bytes: the steady pass must not rebuild or rewrite it.
    const writesBefore = cluster.writes.length;
    await reconciler.reconcile(ctx, "ns/web");
    expect(cluster.writes.slice(writesBefore)).toEqual([]);
  });

  it.each([
    { password: undefined, why: "the password Secret does not exist", message: /Secret ns\/p12 does not exist/ },
    { password: { other: "eA==" }, why: "the password Secret lacks the key", message: /lacks key "password"/ },
  ])("PKCS12 without its password: SecretNotFound and no TLS Secret, written once the password appears ($why)", async ({ password, message }) => {
    const testCa = await createTestCa({ name: "unit" });
    let issued: { chainPem: string } | undefined;
    const ca = fakeCa(testCa, {
      submit: async (order) => {
        const leaf = await testCa.signCsr(order.csrPem, { usage: "client" });
        issued = { chainPem: leaf.leafPem };
        return { state: "issued", vendorRef: `ref-${order.owner.revision}`, chainPem: leaf.leafPem };
      },
      collect: async (vendorRef) => ({ state: "issued", vendorRef, chainPem: issued!.chainPem }),
    });
    const { cluster, reconciler } = setup(ca.impl, { additionalOutputFormats: [{ type: "PKCS12", passwordSecretRef: { name: "p12", key: "password" } }] });
    if (password !== undefined) cluster.secrets.set("ns/p12", { metadata: { name: "p12", namespace: "ns" }, data: password });
    const first = await reconciler.reconcile(ctx, "ns/web");
    expect(first.requeueAfterMs).toBe(60_000);
    expect(cluster.secrets.has("ns/web-tls")).toBe(false);
    const ready = cluster.certs.get("ns/web")!.status!.conditions!.find((c) => c.type === "Ready")!;
    expect(ready).toMatchObject({ status: "False", reason: "SecretNotFound" });
    expect(ready.message).toMatch(message);

    cluster.secrets.set("ns/p12", { metadata: { name: "p12", namespace: "ns" }, data: { password: Buffer.from("pw").toString("base64") } });
    await reconciler.reconcile(ctx, "ns/web");
    const pfx = Buffer.from(cluster.secrets.get("ns/web-tls")!.data!["keystore.p12"]!, "base64");
    expect(() => createSecureContext({ pfx, passphrase: "pw" })).not.toThrow();
    expect(cluster.certs.get("ns/web")!.status!.conditions!.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Issued" });
    expect(cluster.writes.filter((w) => w.includes("secret web-tls"))).toHaveLength(1);
  });

  it("a spec the API server would have refused gets InvalidSpec and no vendor call", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }));
    const { cluster, reconciler } = setup(ca.impl, { cloudflare: undefined });
    await reconciler.reconcile(ctx, "ns/web");
    expect(ca.calls).toEqual([]);
    const ready = cluster.certs.get("ns/web")!.status!.conditions!.find((c) => c.type === "Ready")!;
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready.message).toMatch(/exactly one vendor block/);
  });

  it("a refused order counts as a failed attempt; the retry waits for the business backoff, kept in status", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }), {
      submit: async () => {
        throw new VendorError({ kind: "invalid", vendor: "cloudflare", operation: "createClientCertificate", message: "CSR refused", vendorCode: "1001" });
      },
    });
    const { cluster, reconciler } = setup(ca.impl);
    const first = await reconciler.reconcile(ctx, "ns/web");
    expect(first.requeueAfterMs).toBe(120_000);
    const status = cluster.certs.get("ns/web")!.status!;
    expect(status).toMatchObject({ failedIssuanceAttempts: 1 });
    expect(status.pendingIssuance).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "VendorError" });
    // A restart (a fresh reconciler on the same status) does not retry at once.
    const again = await new ManagedCertificateReconciler(reconciler.deps).reconcile(ctx, "ns/web");
    expect(again.requeueAfterMs).toBeGreaterThan(100_000);
    expect(cluster.certs.get("ns/web")!.status!.conditions?.find((c) => c.type === "Issuing")).toMatchObject({ reason: "Backoff" });
    expect(ca.calls).toEqual([]);
  });

  it("an intent left without a vendorRef is looked up, and ordered again only after its settle deadline", async () => {
    const testCa = await createTestCa({ name: "unit" });
    let crashed = false;
    const ca = fakeCa(testCa);
    const clock = manualClock();
    const { cluster, reconciler } = setup(ca.impl, {}, { clock });
    const crashing = new ManagedCertificateReconciler({
      ...reconciler.deps,
      hooks: {
        step: (s) => {
          if (s === "intent-recorded" && !crashed) {
            crashed = true;
            throw new Error("crash");
          }
        },
      },
    });
    await expect(crashing.reconcile(ctx, "ns/web")).rejects.toThrow("crash");
    expect(cluster.certs.get("ns/web")!.status!.pendingIssuance).toMatchObject({
      revision: 1,
      state: "Submitting",
      submits: 1,
      settleDeadline: expect.any(String),
    });
    // The crash may have come after the order left: not found yet means "look again", never "order again".
    const restarted = new ManagedCertificateReconciler(reconciler.deps);
    const first = await restarted.reconcile(ctx, "ns/web");
    expect(ca.calls).toEqual(["find"]);
    expect(first.requeueAfterMs).toBeGreaterThan(0);
    expect(cluster.certs.get("ns/web")!.status!.conditions?.find((c) => c.type === "Issuing")).toMatchObject({ status: "True", reason: "OutcomeUnknown" });
    clock.advance(SETTLE_WINDOW_MS.cloudflare + 1_000);
    await restarted.reconcile(ctx, "ns/web");
    expect(ca.calls).toEqual(["find", "find", "submit"]);
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 1, vendorRef: "ref-1" });
  });
});

// ---------------------------------------------------------------------------------------------------
// Ordering under unknown outcomes (ADR 0005), against a vendor model with late commits.

interface FakeOrder {
  ref: string;
  uid: string;
  revision: number;
  spec: string;
  visibleAt: number;
  state: "pending" | "issued" | "failed";
  chainPem: string;
}

/** A vendor that can lose answers and commit late: orders become visible (to lookups) at `visibleAt`. */
async function lateVendor(clock: ReturnType<typeof manualClock>) {
  const testCa = await createTestCa({ name: "late" });
  const orders: FakeOrder[] = [];
  const calls: string[] = [];
  /** Per submit, in order: "ok", "lost" (placed, answer lost, listed 20 s later), "lostLate" (listed 200 s later: after a 3 min settle deadline), "unplaced" (timed out before the vendor saw it), "pending" (asynchronous). */
  const plan: string[] = [];
  const collectErrors: unknown[] = [];
  let seq = 0;
  const impl: CertificateAuthority = {
    submit: async (order) => {
      calls.push("submit");
      const mode = plan.shift() ?? "ok";
      if (mode === "unplaced")
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "createClientCertificate", message: "timed out after 30000 ms" });
      const leaf = await testCa.signCsr(order.csrPem, { usage: "client" });
      const o: FakeOrder = {
        ref: `ref-${++seq}`,
        uid: order.owner.uid,
        revision: order.owner.revision,
        spec: order.owner.specHash ?? "",
        visibleAt: clock.now().getTime() + (mode === "lostLate" ? 200_000 : mode === "lost" ? 20_000 : 0),
        state: mode === "pending" ? "pending" : "issued",
        chainPem: leaf.leafPem,
      };
      orders.push(o);
      if (mode === "lost" || mode === "lostLate")
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "createClientCertificate", message: "network error (ECONNRESET)" });
      return o.state === "pending"
        ? { state: "pending", vendorRef: o.ref, reason: "Pending", message: "placed" }
        : { state: "issued", vendorRef: o.ref, chainPem: o.chainPem };
    },
    collect: async (ref) => {
      calls.push(`collect ${ref}`);
      const e = collectErrors.shift();
      if (e !== undefined) throw e;
      const o = orders.find((x) => x.ref === ref)!;
      if (o.state === "failed") return { state: "failed", vendorRef: ref, message: "declined by an approver" };
      if (o.state === "pending") {
        o.state = "issued";
        return { state: "pending", vendorRef: ref, reason: "Pending", message: "not yet" };
      }
      return { state: "issued", vendorRef: ref, chainPem: o.chainPem };
    },
    findOrders: async (intent) => {
      calls.push("find");
      return orders
        .filter(
          (o) =>
            o.uid === intent.owner.uid &&
            o.revision === intent.owner.revision &&
            o.spec.startsWith(intent.specHash) &&
            o.visibleAt <= clock.now().getTime() &&
            !intent.knownVendorRefs.includes(o.ref),
        )
        .map((o) => ({ vendorRef: o.ref, state: o.state }));
    },
    revoke: async (ref) => {
      calls.push(`revoke ${ref}`);
    },
    cancel: async (ref) => {
      calls.push(`cancel ${ref}`);
      const o = orders.find((x) => x.ref === ref);
      if (o === undefined) return { done: true, how: "gone" };
      const was = o.state;
      o.state = "failed";
      return { done: true, how: was === "failed" ? "alreadyFinal" : was === "issued" ? "revoked" : "declined" };
    },
  };
  return { impl, orders, calls, plan, collectErrors };
}

const issuing = (c: ReturnType<typeof fakeCluster>) => c.certs.get("ns/web")!.status!.conditions?.find((x) => x.type === "Issuing");

describe("ordering under unknown outcomes", () => {
  it("an unanswered create is looked up, never re-ordered, and used once it shows up: one paid call", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("lost");
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    expect(cluster.certs.get("ns/web")!.status!.pendingIssuance).toMatchObject({ state: "OutcomeUnknown", submits: 1, unknownOutcomes: 1 });
    expect(issuing(cluster)).toMatchObject({ status: "True", reason: "OutcomeUnknown" });
    expect(issuing(cluster)!.message).toMatch(/ECONNRESET.*looked up until/);
    for (let i = 0; i < 20 && cluster.certs.get("ns/web")!.status!.pendingIssuance !== undefined; i++) {
      clock.advance(6_000);
      await reconciler.reconcile(ctx, "ns/web");
    }
    expect(vendor.calls.filter((c) => c === "submit")).toHaveLength(1);
    expect(vendor.calls.filter((c) => c === "find").length).toBeGreaterThanOrEqual(2);
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 1, vendorRef: "ref-1" });
    expect(cluster.certs.get("ns/web")!.status!.pendingIssuance).toBeUndefined();
  });

  it("nothing found by the deadline: ordered again; an order that commits even later is swept and cancelled, the one in use is kept", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("lostLate");
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    clock.advance(SETTLE_WINDOW_MS.cloudflare + 1_000);
    await reconciler.reconcile(ctx, "ns/web");
    const status = cluster.certs.get("ns/web")!.status!;
    expect(status).toMatchObject({ revision: 1, vendorRef: "ref-2" });
    expect(status.orderSweeps).toEqual([expect.objectContaining({ revision: 1, keep: ["ref-2"] })]);
    // The first call commits after the deadline; the sweep finds it and cancels it, and then ends.
    clock.advance(SETTLE_WINDOW_MS.cloudflare * 2);
    await reconciler.reconcile(ctx, "ns/web");
    expect(vendor.calls).toContain("cancel ref-1");
    expect(vendor.calls).not.toContain("cancel ref-2");
    expect(cluster.certs.get("ns/web")!.status!.orderSweeps).toBeUndefined();
    expect(vendor.calls.filter((c) => c === "submit")).toHaveLength(2);
  });

  it("an answered first call costs no lookup and no sweep (the normal path)", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    clock.advance(3_600_000);
    await reconciler.reconcile(ctx, "ns/web");
    expect(vendor.calls).toEqual(["submit"]);
    expect(cluster.certs.get("ns/web")!.status!.orderSweeps).toBeUndefined();
  });

  it.each([
    {
      why: "an oversized answer",
      error: new VendorError({
        kind: "permanent",
        vendor: "sectigo",
        operation: "ssl.collect",
        message: "response body exceeds the 4194304-byte limit",
        httpStatus: 200,
      }),
      reason: "VendorError",
    },
    {
      why: "a schema mismatch",
      error: new VendorError({
        kind: "permanent",
        vendor: "sectigo",
        operation: "ssl.get",
        message: "response did not match the expected schema (status: invalid_type)",
        httpStatus: 200,
      }),
      reason: "VendorError",
    },
    {
      why: "credentials revoked meanwhile",
      error: new VendorError({ kind: "credentials", vendor: "sectigo", operation: "ssl.collect", message: "code -16: Unknown user", httpStatus: 401 }),
      reason: "CredentialsInvalid",
    },
    {
      why: "throttling",
      error: new VendorError({
        kind: "rateLimited",
        vendor: "sectigo",
        operation: "ssl.collect",
        message: "rate limited (HTTP 429)",
        httpStatus: 429,
        retryAfterMs: 30_000,
      }),
      reason: "RateLimited",
    },
    { why: "an unexpected bug", error: new TypeError("cannot read properties of undefined"), reason: "VendorError" },
  ])("an error after the order exists keeps it, says so, and collects again ($why)", async ({ error, reason }) => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("pending");
    vendor.collectErrors.push(error);
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    const status = cluster.certs.get("ns/web")!.status!;
    expect(status.pendingIssuance).toMatchObject({ vendorRef: "ref-1" });
    expect(status.failedIssuanceAttempts).toBeUndefined();
    expect(issuing(cluster)).toMatchObject({ status: "True", reason });
    expect(issuing(cluster)!.message).toMatch(/Order ref-1 is kept/);
    for (let i = 0; i < 4 && cluster.certs.get("ns/web")!.status!.pendingIssuance !== undefined; i++) {
      clock.advance(60_000);
      await reconciler.reconcile(ctx, "ns/web");
    }
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 1, vendorRef: "ref-1" });
    expect(vendor.calls.filter((c) => c === "submit")).toHaveLength(1);
  });

  it("only the vendor's verdict on the order (declined) makes a failed attempt, and the next one is a new revision", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("pending");
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    vendor.orders.length = 0;
    const submitted = vendor.impl.submit;
    vendor.impl.submit = async (order, signal) => {
      const out = await submitted(order, signal);
      vendor.orders[vendor.orders.length - 1]!.state = "failed";
      return out;
    };
    await reconciler.reconcile(ctx, "ns/web");
    const status = cluster.certs.get("ns/web")!.status!;
    expect(status).toMatchObject({ failedIssuanceAttempts: 1 });
    expect(status.pendingIssuance).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "Rejected" });
  });

  it("purpose provision refuses a deleting connection: no order, the reason shown", async () => {
    const vendor = await lateVendor(manualClock());
    const purposes: Array<string | undefined> = [];
    const { cluster, reconciler } = setup(
      vendor.impl,
      {},
      {
        connections: {
          resolve: async (_r, _n, _v, _s, opts) => {
            purposes.push(opts?.purpose);
            return { ok: false, reason: "ConnectionDeleting", message: "VendorConnection ns/cf is being deleted" };
          },
        },
      },
    );
    await reconciler.reconcile(ctx, "ns/web");
    expect(purposes).toEqual(["provision"]);
    expect(vendor.calls).toEqual([]);
    expect(cluster.certs.get("ns/web")!.status!.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "ConnectionDeleting" });
  });

  it("delete: the pending order is cancelled (purpose cleanup), then the finalizer goes", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("pending");
    const purposes: Array<string | undefined> = [];
    const { cluster, reconciler } = setup(
      vendor.impl,
      {},
      {
        clock,
        connections: {
          resolve: async (_r, _n, _v, _s, opts) => {
            purposes.push(opts?.purpose);
            return { ok: true, connection };
          },
        },
      },
    );
    await reconciler.reconcile(ctx, "ns/web");
    const obj = cluster.certs.get("ns/web")!;
    cluster.certs.set("ns/web", { ...obj, metadata: { ...obj.metadata, deletionTimestamp: clock.now().toISOString() } });
    await reconciler.reconcile(ctx, "ns/web");
    expect(purposes.at(-1)).toBe("cleanup");
    expect(vendor.calls).toContain("cancel ref-1");
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toEqual([]);
  });

  it("delete while the create got no answer: waits (Deleting) until the late commit shows up, cancels it, then lets go", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("lost");
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    const obj = cluster.certs.get("ns/web")!;
    cluster.certs.set("ns/web", { ...obj, metadata: { ...obj.metadata, deletionTimestamp: clock.now().toISOString() } });
    const waiting = await reconciler.reconcile(ctx, "ns/web");
    expect(waiting.requeueAfterMs).toBeGreaterThan(0);
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toEqual(["certbridge.dev/cleanup"]);
    expect(cluster.certs.get("ns/web")!.status!.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "Deleting" });
    clock.advance(25_000);
    await reconciler.reconcile(ctx, "ns/web");
    expect(vendor.calls).toContain("cancel ref-1");
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toEqual([]);
  });

  it("a deleted key Secret is written back from the TLS Secret (same key, current revision)", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    const key = cluster.secrets.get("ns/web-certbridge-key")!.data!["tls.key"];
    cluster.secrets.delete("ns/web-certbridge-key");
    await reconciler.reconcile(ctx, "ns/web");
    const back = cluster.secrets.get("ns/web-certbridge-key")!;
    expect(back.data!["tls.key"]).toBe(key);
    expect(back.metadata.annotations?.["certbridge.dev/revision"]).toBe("1");
    expect(vendor.calls).toEqual(["submit"]);
  });
});
