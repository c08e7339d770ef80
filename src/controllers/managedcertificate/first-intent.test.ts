// A first issuance records its first intent together with the cleanup finalizer (intent.ts, ADR 0020):
// the whole reconciler, in memory, through the faults that matter to that one write: a stale snapshot,
// a crash after it and a spec edit, deletion while it is the intent in flight, a finalizer removed by
// hand, and a resource that fails before ordering.
import { describe, expect, it } from "vitest";
import { VendorError } from "../../ports/vendor-error.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { SETTLE_WINDOW_MS } from "../ordering/timing.ts";
import type { CertificateObject } from "./context.ts";
import { annotationLiveness, intentOf } from "./intent.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import { connection, ctx, fakeCa, lateVendor, manualClock, setup } from "./test-support.ts";

const crashAt = (step: string) => {
  let crashed = false;
  return {
    step: (s: string) => {
      if (s === step && !crashed) {
        crashed = true;
        throw new Error(`crash at ${s}`);
      }
    },
  };
};

describe("the first intent rides with the finalizer", () => {
  it("a decision made on a snapshot from before the issuance fails at its first write: no second order", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }));
    const clock = manualClock();
    const { cluster, reconciler } = setup(ca.impl, {}, { clock });
    let snapshot: CertificateObject | undefined;
    const watching = new ManagedCertificateReconciler({
      ...reconciler.deps,
      hooks: { step: (s) => void (s === "intent-recorded" ? (snapshot = structuredClone(cluster.certs.get("ns/web"))) : undefined) },
    });
    await watching.reconcile(ctx, "ns/web");
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 1 });
    expect(intentOf(snapshot!)).toMatchObject({ from: "annotation" });
    // A restarted process whose cache still shows the object as the annotation write left it, after the settle deadline.
    clock.advance(SETTLE_WINDOW_MS.cloudflare + 1_000);
    const lagging = new ManagedCertificateReconciler({ ...reconciler.deps, certificates: { get: () => snapshot, list: () => [snapshot!] } });
    await expect(lagging.reconcile(ctx, "ns/web")).rejects.toMatchObject({ status: 409 });
    expect(ca.calls.filter((c) => c === "submit")).toHaveLength(1);
  });

  it("crash after the combined write, then the spec edited: the intent is abandoned with its sweep recorded, one new intent, one certificate", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    await expect(new ManagedCertificateReconciler({ ...reconciler.deps, hooks: crashAt("intent-recorded") }).reconcile(ctx, "ns/web")).rejects.toThrow("crash");
    const first = annotationLiveness(cluster.certs.get("ns/web")!);
    expect(first).toMatchObject({ live: true, record: { revision: 1, submits: 1 } });
    const obj = cluster.certs.get("ns/web")!;
    cluster.certs.set("ns/web", {
      ...obj,
      metadata: { ...obj.metadata, generation: 2 },
      spec: { ...(obj.spec as object), commonName: "www.example.com" },
    });
    clock.advance(SETTLE_WINDOW_MS.cloudflare + 1_000);
    await reconciler.reconcile(ctx, "ns/web");
    const abandoned = cluster.certs.get("ns/web")!.status!;
    expect(abandoned.orderIntentTaken).toBe(first.live ? first.id : "");
    expect(abandoned.orderSweeps).toEqual([expect.objectContaining({ revision: 1, keep: [] })]);
    expect(abandoned.failedIssuanceAttempts).toBeUndefined();
    for (let i = 0; i < 5 && cluster.certs.get("ns/web")!.status!.revision === undefined; i++) await reconciler.reconcile(ctx, "ns/web");
    expect(cluster.certs.get("ns/web")!.status).toMatchObject({ revision: 1, vendorRef: "ref-1" });
    expect(vendor.calls.filter((c) => c === "submit")).toHaveLength(1);
  });

  it("deleted while the annotation holds the intent in flight: its order is looked up and cancelled, then the finalizer goes", async () => {
    const clock = manualClock();
    const vendor = await lateVendor(clock);
    vendor.plan.push("pending");
    const { cluster, reconciler } = setup(vendor.impl, {}, { clock });
    // Killed right after the paid call returned: the vendor has the order, the annotation has only the intent.
    await expect(new ManagedCertificateReconciler({ ...reconciler.deps, hooks: crashAt("submitted") }).reconcile(ctx, "ns/web")).rejects.toThrow("crash");
    expect(intentOf(cluster.certs.get("ns/web")!)).toMatchObject({ from: "annotation", record: { state: "Submitting" } });
    const obj = cluster.certs.get("ns/web")!;
    cluster.certs.set("ns/web", { ...obj, metadata: { ...obj.metadata, deletionTimestamp: clock.now().toISOString() } });
    await reconciler.reconcile(ctx, "ns/web");
    expect(vendor.calls).toEqual(["submit", "find", "cancel ref-1"]);
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toEqual([]);
  });

  it("the finalizer removed by hand after a failed first attempt: the next attempt's intent has a new id, and status takes it over", async () => {
    const testCa = await createTestCa({ name: "unit" });
    let refuse = true;
    const ca = fakeCa(testCa, {
      submit: async (order) => {
        if (refuse) throw new VendorError({ kind: "invalid", vendor: "cloudflare", operation: "createClientCertificate", message: "CSR refused" });
        return { state: "issued", vendorRef: `ref-${order.owner.revision}`, chainPem: (await testCa.signCsr(order.csrPem, { usage: "client" })).leafPem };
      },
    });
    const clock = manualClock();
    const { cluster, reconciler } = setup(ca.impl, {}, { clock });
    await reconciler.reconcile(ctx, "ns/web");
    const failed = cluster.certs.get("ns/web")!;
    const firstId = failed.status!.orderIntentTaken;
    expect(failed.status).toMatchObject({ failedIssuanceAttempts: 1, orderIntentTaken: expect.any(String) });
    expect(intentOf(failed)).toBeUndefined();
    cluster.certs.set("ns/web", { ...failed, metadata: { ...failed.metadata, finalizers: [] } });
    refuse = false;
    clock.advance(3 * 60_000);
    await reconciler.reconcile(ctx, "ns/web");
    const issued = cluster.certs.get("ns/web")!;
    expect(issued.metadata.finalizers).toEqual(["certbridge.dev/cleanup"]);
    expect(issued.status).toMatchObject({ revision: 2, vendorRef: "ref-2" });
    expect(issued.status!.orderIntentTaken).not.toBe(firstId);
    expect(annotationLiveness(issued)).toMatchObject({ live: false, why: "taken" });
  });

  it("a resource that fails before ordering gets no finalizer (nothing to clean up: deleting it deletes it)", async () => {
    const ca = fakeCa(await createTestCa({ name: "unit" }));
    const { cluster, reconciler } = setup(
      ca.impl,
      {},
      { connections: { resolve: async () => ({ ok: false, reason: "ConnectionDeleting", message: "VendorConnection ns/cf is being deleted" }) } },
    );
    await reconciler.reconcile(ctx, "ns/web");
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toBeUndefined();
    expect(cluster.requests).toEqual(["APPLY managedcertificates/status web"]);
    expect(ca.calls).toEqual([]);
    // The same resource once the connection works: the finalizer comes with the first intent.
    const working = new ManagedCertificateReconciler({ ...reconciler.deps, connections: { resolve: async () => ({ ok: true, connection }) } });
    await working.reconcile(ctx, "ns/web");
    expect(cluster.certs.get("ns/web")!.metadata.finalizers).toEqual(["certbridge.dev/cleanup"]);
  });
});
