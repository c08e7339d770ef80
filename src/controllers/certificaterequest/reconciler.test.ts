// The CertificateRequest reconciler over a FakeKubeApi and a CertificateAuthority of function fields:
// cert-manager's contract (approval, Denied, reasons, failureTime), the order of writes and calls
// around the paid submit, crash recovery from the annotation, refusals, deletion and the budget.
import { describe, expect, it } from "vitest";
import type { CertificateAuthority, CertificateOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import type { FakeClock } from "../../runtime/clock.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { IssuanceBudget } from "../ordering/budget.ts";
import { vendorOf } from "../managedcertificate/testing.ts";
import { type CertificateRequest, certificateRequests } from "./cert-manager.ts";
import type { RequestStep } from "./context.ts";
import { CLEANUP_FINALIZER, ORDER_ANNOTATION } from "./order-annotation.ts";
import type { CertificateRequestReconciler } from "./reconciler.ts";
import { type CertManagerFakeApi, T0, certificateRequest, csrFor, harness, vendorIssuer } from "./testing.ts";

interface Setup {
  readonly api: CertManagerFakeApi;
  readonly reconciler: CertificateRequestReconciler;
  readonly clock: FakeClock;
  readonly calls: string[];
  readonly steps: RequestStep[];
  readonly events: string[];
  readonly run: () => Promise<{ requeueAfterMs?: number }>;
  readonly cr: () => CertificateRequest;
}

async function setup(opts: {
  request?: Partial<Parameters<typeof certificateRequest>[0]>;
  issuer?: KubeObject;
  ca: (calls: string[]) => Partial<CertificateAuthority>;
  budget?: IssuanceBudget;
  step?: (step: RequestStep) => void;
}): Promise<Setup> {
  const csrPem = opts.request?.csrPem ?? (await csrFor({ commonName: "web.example.com", dnsNames: ["web.example.com"] }));
  const calls: string[] = [];
  const h = harness({
    issuer: opts.issuer ?? vendorIssuer({ cloudflare: { validityDays: 30 } }),
    ca: vendorOf(opts.ca(calls)),
    ...(opts.budget ? { budget: opts.budget } : {}),
    ...(opts.step ? { step: opts.step } : {}),
  });
  h.api.fake.seed(certificateRequests, certificateRequest({ csrPem, ...opts.request }));
  const name = opts.request?.name ?? "web-1";
  return {
    api: h.api,
    reconciler: h.reconciler,
    clock: h.clock,
    calls,
    steps: h.steps,
    events: h.events,
    run: () => h.reconcile("ns", name),
    cr: () => h.cr("ns", name)!,
  };
}

const ready = (cr: CertificateRequest) => cr.status?.conditions?.find((c) => c.type === "Ready");
const issuedBy = async () => {
  const ca = await createTestCa({ name: "unit" });
  return async (order: CertificateOrder): Promise<IssueOutcome> => {
    const signed = await ca.signCsr(order.csrPem, { usage: "client", validityDays: 30 });
    return { state: "issued", vendorRef: "cf-1", chainPem: signed.leafPem + signed.chainPem, caPem: signed.rootPem };
  };
};

describe("CertificateRequestReconciler: cert-manager's contract", () => {
  it("orders nothing before approval, and writes nothing either", async () => {
    const s = await setup({ request: { conditions: [] }, ca: () => ({}) });
    expect(await s.run()).toEqual({});
    expect(s.calls).toEqual([]);
    expect(s.api.fake.calls.filter((c) => c.method !== "get")).toEqual([]);
  });

  it("answers Denied with Ready=False/Denied and a failure time, and orders nothing", async () => {
    const s = await setup({ request: { conditions: [{ type: "Denied", status: "True", reason: "policy" }] }, ca: () => ({}) });
    await s.run();
    const cr = s.cr();
    expect(ready(cr)).toMatchObject({ status: "False", reason: "Denied" });
    expect(cr.status?.failureTime).toBe("2026-12-01T10:00:00Z");
    expect(cr.status?.conditions?.find((c) => c.type === "Denied")).toMatchObject({ status: "True" });
    expect(s.calls).toEqual([]);
    expect(s.events).toEqual(["Warning Denied"]);
  });

  it("issues once: intent and finalizer recorded before the paid call, then certificate, ca and Ready=Issued, then released", async () => {
    const sign = await issuedBy();
    const s = await setup({
      ca: (calls) => ({
        fingerprint: async () => "f".repeat(64),
        submit: async (order) => {
          calls.push("submit");
          // The record is on the request before the paid call leaves.
          const now = s.cr();
          expect(now.metadata.finalizers).toContain(CLEANUP_FINALIZER);
          expect(JSON.parse(now.metadata.annotations![ORDER_ANNOTATION]!).order).toMatchObject({ revision: 1, submits: 1, state: "Submitting" });
          return sign(order);
        },
      }),
    });
    expect(await s.run()).toEqual({});
    const cr = s.cr();
    expect(s.calls).toEqual(["submit"]);
    expect(ready(cr)).toMatchObject({ status: "True", reason: "Issued", message: "Certificate fetched from issuer successfully" });
    expect(Buffer.from(cr.status!.certificate!, "base64").toString()).toMatch(/^-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    expect(Buffer.from(cr.status!.ca!, "base64").toString()).toContain("BEGIN CERTIFICATE");
    expect(cr.status?.conditions?.find((c) => c.type === "Approved")).toMatchObject({ status: "True" });
    expect(cr.metadata.annotations?.[ORDER_ANNOTATION]).toBeUndefined();
    expect(cr.metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
    // (An order issued at once may skip recording its vendorRef: delivery follows straight away.)
    expect(s.steps.filter((x) => x !== "vendor-ref-recorded")).toEqual(["start", "intent-recorded", "submitted", "status-written", "released"]);
    expect(s.events).toEqual(["Normal Issued"]);
    // A second pass over the finished request calls and writes nothing.
    const writes = s.api.fake.calls.length;
    await s.run();
    expect(s.calls).toEqual(["submit"]);
    expect(s.api.fake.calls.slice(writes).filter((c) => c.method !== "get")).toEqual([]);
  });

  it("a crash right after the intent was recorded: the next pass looks the order up instead of ordering again", async () => {
    const sign = await issuedBy();
    let crash = true;
    const placed: CertificateOrder[] = [];
    const s = await setup({
      step: (step) => {
        if (step === "intent-recorded" && crash) {
          crash = false;
          throw new Error("SIGKILL");
        }
      },
      ca: (calls) => ({
        fingerprint: async () => "f".repeat(64),
        submit: async (order) => {
          calls.push("submit");
          placed.push(order);
          return sign(order);
        },
        findOrders: async () => {
          calls.push("findOrders");
          return [];
        },
      }),
    });
    await expect(s.run()).rejects.toThrow("SIGKILL");
    // Restarted before the settle deadline: only looked up, never sent again.
    s.clock.advance(1_000);
    const waiting = await s.run();
    expect(s.calls).toEqual(["findOrders"]);
    expect(waiting.requeueAfterMs).toBeGreaterThan(0);
    expect(ready(s.cr())).toMatchObject({ status: "False", reason: "Pending" });
    // After the deadline with nothing found, it was never placed: ordered once.
    s.clock.advance(61_000);
    await s.run();
    expect(s.calls.filter((c) => c === "submit")).toHaveLength(1);
    expect(ready(s.cr())).toMatchObject({ status: "True", reason: "Issued" });
  });

  it("a crash after the certificate was delivered and before the record was released: released next, nothing swept or cancelled", async () => {
    const sign = await issuedBy();
    let crash = true;
    const s = await setup({
      step: (step) => {
        if (step === "status-written" && crash) {
          crash = false;
          throw new Error("SIGKILL");
        }
      },
      ca: (calls) => ({
        fingerprint: async () => "f".repeat(64),
        submit: async (order) => {
          calls.push("submit");
          return sign(order);
        },
      }),
    });
    await expect(s.run()).rejects.toThrow("SIGKILL");
    expect(ready(s.cr())).toMatchObject({ status: "True", reason: "Issued" });
    expect(s.cr().metadata.annotations?.[ORDER_ANNOTATION]).toBeDefined();
    s.clock.advance(10 * 60_000);
    expect(await s.run()).toEqual({});
    expect(s.cr().metadata.annotations?.[ORDER_ANNOTATION]).toBeUndefined();
    expect(s.cr().metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
    expect(s.calls).toEqual(["submit"]);
  });

  it("a second call after a lost answer: its vendorRef is on record before delivery, so the sweep keeps the delivered certificate", async () => {
    const sign = await issuedBy();
    let submits = 0;
    let crash = true;
    const s = await setup({
      step: (step) => {
        if (step === "status-written" && crash) {
          crash = false;
          throw new Error("SIGKILL");
        }
      },
      ca: (calls) => ({
        fingerprint: async () => "f".repeat(64),
        submit: async (order) => {
          calls.push("submit");
          if (++submits === 1) throw new Error("socket hang up"); // no answer: the outcome is unknown
          return sign(order);
        },
        // Nothing turned up for the first call; later the delivered order is there (and nothing else).
        findOrders: async () => {
          calls.push("findOrders");
          return submits < 2 ? [] : [{ vendorRef: "cf-1", state: "issued" }];
        },
        cancel: async (ref) => {
          calls.push(`cancel ${ref}`);
          return { done: true, how: "revoked" };
        },
      }),
    });
    await s.run(); // outcome unknown: looked up until the settle deadline
    s.clock.advance(61_000);
    await expect(s.run()).rejects.toThrow("SIGKILL"); // not placed after all: ordered again, issued, delivered; killed before release
    expect(submits).toBe(2);
    expect(JSON.parse(s.cr().metadata.annotations![ORDER_ANNOTATION]!).order).toMatchObject({ vendorRef: "cf-1" });
    await s.run(); // released, with a sweep of the revision that keeps cf-1
    s.clock.advance(10 * 60_000);
    await s.run(); // the sweep's last pass finds only the delivered order
    expect(s.calls.filter((c) => c.startsWith("cancel"))).toEqual([]);
    expect(s.calls.filter((c) => c === "findOrders").length).toBeGreaterThan(1);
    expect(s.cr().metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
  });

  it("a pending Sectigo order is collected on the poll backoff until issued", async () => {
    const testCa = await createTestCa({ name: "unit" });
    let polls = 0;
    const s = await setup({
      issuer: vendorIssuer({ sectigo: { type: "SSL", profile: { name: "OV SSL" } } }),
      ca: (calls) => ({
        submit: async () => {
          calls.push("submit");
          return { state: "pending", vendorRef: "ssl:7", reason: "Pending", message: "being issued" };
        },
        collect: async (_ref, order) => {
          calls.push("collect");
          if (++polls < 2) return { state: "pending", vendorRef: "ssl:7", reason: "Pending", message: "being issued" };
          const signed = await testCa.signCsr(order.csrPem, { usage: "server", validityDays: 90 });
          return { state: "issued", vendorRef: "ssl:7", chainPem: signed.leafPem + signed.chainPem };
        },
      }),
    });
    const first = await s.run();
    expect(s.calls).toEqual(["submit", "collect"]);
    expect(first.requeueAfterMs).toBe(5_000);
    expect(ready(s.cr())).toMatchObject({ status: "False", reason: "Pending" });
    // Woken early: the planned poll is kept, nothing is asked.
    await s.run();
    expect(s.calls).toEqual(["submit", "collect"]);
    s.clock.advance(5_000);
    await s.run();
    expect(s.calls).toEqual(["submit", "collect", "collect"]);
    const cr = s.cr();
    expect(ready(cr)).toMatchObject({ status: "True", reason: "Issued" });
    expect(cr.status?.ca).toBeUndefined();
  });

  it("a vendor's rejection fails the request for good, with a failure time; cert-manager's backoff takes it from there", async () => {
    const s = await setup({
      issuer: vendorIssuer({ sectigo: { type: "SSL", profile: { name: "OV SSL" } } }),
      ca: (calls) => ({
        submit: async () => {
          calls.push("submit");
          return { state: "failed", vendorRef: "ssl:8", message: "declined by an administrator" };
        },
        findOrders: async () => {
          calls.push("findOrders");
          return [{ vendorRef: "ssl:8", state: "failed" }];
        },
      }),
    });
    const first = await s.run();
    let cr = s.cr();
    expect(ready(cr)).toMatchObject({ status: "False", reason: "Failed" });
    expect(ready(cr)?.message).toContain("declined by an administrator");
    expect(cr.status?.failureTime).toBe("2026-12-01T10:00:00Z");
    expect(s.events).toEqual(["Warning Failed"]);
    // The ended order's revision is swept once its window passes (nothing stray here), then the finalizer goes.
    expect(JSON.parse(cr.metadata.annotations![ORDER_ANNOTATION]!)).toEqual({ sweep: expect.objectContaining({ revision: 1 }) });
    expect(first.requeueAfterMs).toBeGreaterThan(0);
    s.clock.advance(10 * 60_000);
    expect(await s.run()).toEqual({});
    cr = s.cr();
    expect(s.calls).toEqual(["submit", "findOrders"]);
    expect(cr.metadata.annotations?.[ORDER_ANNOTATION]).toBeUndefined();
    expect(cr.metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
  });
});

describe("CertificateRequestReconciler: what is refused or waits", () => {
  it.each([
    {
      why: "server auth from Cloudflare's client certificates",
      request: { usages: ["digital signature", "server auth"] },
      message: /"server auth" cannot be issued/,
    },
    { why: "a CA certificate", request: { isCA: true }, message: /isCA is not possible/ },
  ])("refuses $why at once (Failed, failure time), with no vendor call", async ({ request, message }) => {
    const s = await setup({ request, ca: () => ({}) });
    await s.run();
    const cr = s.cr();
    expect(ready(cr)).toMatchObject({ status: "False", reason: "Failed" });
    expect(ready(cr)?.message).toMatch(message);
    expect(cr.status?.failureTime).toBeDefined();
    expect(s.calls).toEqual([]);
  });

  it("waits for an issuer that is not Ready (Pending, no vendor call, no requeue: the issuer's change wakes it)", async () => {
    const s = await setup({ issuer: vendorIssuer({ cloudflare: {} }, "False"), ca: () => ({}) });
    expect(await s.run()).toEqual({});
    expect(ready(s.cr())).toMatchObject({ status: "False", reason: "Pending" });
    expect(ready(s.cr())?.message).toMatch(/Waiting for VendorIssuer ns\/issuer to become ready/);
    expect(s.calls).toEqual([]);
  });

  it("counts toward the connection's issuance budget: a spent budget orders nothing and says when", async () => {
    const budget = new IssuanceBudget({ defaultPerHour: 1 });
    budget.take("VendorConnection/ns/conn", undefined, T0);
    const s = await setup({ budget, ca: () => ({ fingerprint: async () => "f".repeat(64) }) });
    const result = await s.run();
    expect(s.calls).toEqual([]);
    expect(result.requeueAfterMs).toBe(3_600_000);
    expect(ready(s.cr())?.message).toMatch(/issuance budget of VendorConnection conn \(1 per hour\) is spent/);
  });

  it("a hand-edited order record fails the request instead of risking a second order", async () => {
    const s = await setup({ ca: () => ({}) });
    await s.api.fake.mergePatch(certificateRequests, "ns", "web-1", { metadata: { annotations: { [ORDER_ANNOTATION]: "{not json" } } });
    await s.run();
    expect(ready(s.cr())).toMatchObject({ status: "False", reason: "Failed" });
    expect(s.calls).toEqual([]);
    // Said once, and dropped: the request is not held by what is not its own (ADR 0022).
    expect(s.events).toEqual(["Warning Failed", "Warning OrderRecordRejected"]);
    expect(s.cr().metadata.annotations?.[ORDER_ANNOTATION]).toBeUndefined();
  });
});

describe("CertificateRequestReconciler: deletion", () => {
  it("a request deleted with its order pending has that order cancelled, then lets go", async () => {
    const s = await setup({
      issuer: vendorIssuer({ sectigo: { type: "SSL", profile: { name: "OV SSL" } } }),
      ca: (calls) => ({
        submit: async () => {
          calls.push("submit");
          return { state: "pending", vendorRef: "ssl:9", reason: "AwaitingApproval", message: "awaiting approval" };
        },
        collect: async () => {
          calls.push("collect");
          return { state: "pending", vendorRef: "ssl:9", reason: "AwaitingApproval", message: "awaiting approval" };
        },
        // The recorded vendorRef is cancelled only once the request's own look-up returns it.
        findOrders: async (intent) => {
          calls.push(`findOrders uid=${intent.owner.uid} known=${intent.knownVendorRefs.length}`);
          return [{ vendorRef: "ssl:9", state: "pending" }];
        },
        cancel: async (ref) => {
          calls.push(`cancel ${ref}`);
          return { done: true, how: "declined" };
        },
      }),
    });
    await s.run();
    expect(s.cr().metadata.finalizers).toContain(CLEANUP_FINALIZER);
    await s.api.fake.delete(certificateRequests, "ns", "web-1");
    await s.run();
    expect(s.calls).toEqual(["submit", "collect", "findOrders uid=uid-ns-web-1 known=0", "cancel ssl:9"]);
    expect(s.api.fake.peek(certificateRequests, "ns", "web-1")).toBeUndefined();
    expect(s.events).toContain("Normal OrderCancelled");
  });
});
