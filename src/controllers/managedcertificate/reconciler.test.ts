// The reconciler with in-memory fakes (test-support.ts): the whole issuance path and what it costs in
// API requests, then the no-op pass, InvalidSpec, business backoff, and ordering under unknown outcomes.
import { describe, expect, it } from "vitest";
import { createSecureContext } from "node:tls";
import { VendorError } from "../../ports/vendor-error.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { SETTLE_WINDOW_MS } from "../ordering/timing.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import { intentOf } from "./intent.ts";
import { connection, ctx, fakeCa, issuing, lateVendor, manualClock, setup } from "./test-support.ts";

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

  it("API requests: a first issuance costs 6 (the finalizer rides with the first intent); a renewal 5 (no finalizer write, no key read)", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }));
    const clock = manualClock();
    const events: string[] = [];
    const { cluster, reconciler } = setup(ca.impl, {}, { clock, events: { record: (_o, e) => events.push(e.reason) } });
    const requestsOf = (from: number) => [...cluster.requests.slice(from), ...events.map((reason) => `POST events ${reason}`)];

    await reconciler.reconcile(ctx, "ns/web");
    expect(requestsOf(0)).toEqual([
      "GET secrets web-tls", // a foreign Secret of that name means nothing is ordered (404 here)
      "POST secrets web-certbridge-key", // the key, persisted before its CSR leaves
      "PATCH managedcertificates web", // the cleanup finalizer AND the first intent, one guarded write
      "POST secrets web-tls", // the certificate, written once
      "APPLY managedcertificates/status web", // revision, serial, times; the annotation's intent taken over
      "POST events Issued", // Ready turned True
    ]);
    const issued = cluster.certs.get("ns/web")!;
    expect(issued.metadata.finalizers).toEqual(["certbridge.dev/cleanup"]);
    expect(intentOf(issued)).toBeUndefined();
    expect(issued.status).toMatchObject({ revision: 1, lastIssuance: { reason: "NotIssued" }, orderIntentTaken: expect.any(String) });

    const before = cluster.requests.length;
    events.length = 0;
    clock.advance(Date.parse(issued.status!.renewalTime!) - clock.now().getTime() + 1_000);
    await reconciler.reconcile(ctx, "ns/web");
    expect(requestsOf(before)).toEqual([
      "APPLY secrets web-certbridge-key", // the new key (rotationPolicy Always), guarded by the cached copy of revision 1's: no read first
      "APPLY managedcertificates/status web", // the intent, in status.pendingIssuance (the finalizer is there)
      "APPLY secrets web-tls",
      "APPLY managedcertificates/status web",
      "POST events Reissued",
    ]);
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 2, lastIssuance: { reason: "Renewing" } });
    expect(ca.calls).toEqual(["submit", "submit"]);
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
    // A first intent rides with the finalizer in the object's annotation (ADR 0020).
    const crashedObj = cluster.certs.get("ns/web")!;
    expect(crashedObj.metadata.finalizers).toEqual(["certbridge.dev/cleanup"]);
    expect(intentOf(crashedObj)).toMatchObject({
      from: "annotation",
      record: { revision: 1, state: "Submitting", submits: 1, settleDeadline: expect.any(String), reason: "NotIssued" },
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
