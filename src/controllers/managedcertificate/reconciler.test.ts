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
import { IssuanceBudget } from "./budget.ts";
import { SETTLE_WINDOW_MS } from "./ordering.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import type { CertificateObject } from "./status.ts";

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
      const next = { ...current, status: structuredClone(obj.status) as CertificateObject["status"], metadata: { ...current.metadata, resourceVersion: String(++rv) } };
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
    delete: async () => { writes.push("delete"); },
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
    collect: async () => { calls.push("collect"); throw new Error("not expected"); },
    findOrders: async () => { calls.push("find"); return []; },
    revoke: async () => { calls.push("revoke"); },
    cancel: async () => { calls.push("cancel"); return { done: true, how: "revoked" }; },
    ...over,
  };
  return { impl, calls };
}

const connection: ResolvedConnection = { kind: "VendorConnection", namespace: "ns", name: "cf", vendor: "cloudflare", settings: {}, credentials: {}, fingerprint: "f" };

/** A clock the test moves by hand (C4: the reconciler reads no other). */
function manualClock(start = Date.now()) {
  let at = start;
  return { now: () => new Date(at), advance: (ms: number) => { at += ms; } };
}

function setup(ca: CertificateAuthority, spec: Record<string, unknown> = {}, deps: Partial<ManagedCertificateReconciler["deps"]> = {}) {
  const cluster = fakeCluster();
  cluster.certs.set("ns/web", {
    apiVersion: "certbridge.dev/v1alpha1", kind: "ManagedCertificate",
    metadata: { name: "web", namespace: "ns", uid: "0000-web", generation: 1, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { connectionRef: { kind: "VendorConnection", name: "cf" }, secretName: "web-tls", commonName: "web.example.com", privateKey: { algorithm: "ECDSA", size: 256 }, cloudflare: { validityDays: 30 }, ...spec },
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
      submit: async () => { throw new VendorError({ kind: "invalid", vendor: "cloudflare", operation: "createClientCertificate", message: "CSR refused", vendorCode: "1001" }); },
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
    const { cluster, reconciler } = setup(ca.impl, {}, { now: clock.now });
    const crashing = new ManagedCertificateReconciler({ ...reconciler.deps, hooks: { step: (s) => { if (s === "intent-recorded" && !crashed) { crashed = true; throw new Error("crash"); } } } });
    await expect(crashing.reconcile(ctx, "ns/web")).rejects.toThrow("crash");
    expect(cluster.certs.get("ns/web")!.status!.pendingIssuance).toMatchObject({ revision: 1, state: "Submitting", submits: 1, settleDeadline: expect.any(String) });
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
