// Tenants stay apart through a shared ClusterVendorIssuer (ADR 0022): the order annotation is
// user-editable, so tenant B can write anything into its own request's record. Whatever B writes, the
// operator never cancels, revokes or delivers tenant A's order; B's own legitimate orders are still
// handled as before, on the normal path and after a crash at any step.
import { describe, expect, it } from "vitest";
import type { OrderSweep, PendingOrder } from "../ordering/record.ts";
import { type CertificateRequest, certificateRequests } from "./cert-manager.ts";
import type { RequestStep } from "./context.ts";
import { requestIdentity } from "./order.ts";
import { CLEANUP_FINALIZER, ORDER_ANNOTATION } from "./order-annotation.ts";
import { SharedVendor } from "./test-support.ts";
import { type Harness, T0, certificateRequest, clusterVendorIssuer, csrFor, harness } from "./testing.ts";

type Vendor = "sectigo" | "cloudflare";
const BLOCK: Record<Vendor, Record<string, unknown>> = {
  sectigo: { sectigo: { type: "SSL", profile: { name: "OV SSL" } } },
  cloudflare: { cloudflare: { validityDays: 30 } },
};
const A = { namespace: "team-a", name: "web" };
const B = { namespace: "team-b", name: "api" };

interface Tenants {
  readonly h: Harness;
  readonly vendor: SharedVendor;
  run(who: typeof A): Promise<unknown>;
  cr(who: typeof A): CertificateRequest | undefined;
  record(who: typeof A): { order?: PendingOrder; sweep?: OrderSweep } | undefined;
  /** Tenant B writes its own request's annotation (and the finalizer), as its namespace's edit role allows. */
  forge(record: { order?: PendingOrder; sweep?: OrderSweep }): Promise<void>;
  deleteB(): Promise<void>;
}

async function tenants(vendorName: Vendor, opts: { step?: (step: RequestStep) => void } = {}): Promise<Tenants> {
  let h: Harness | undefined;
  const vendor = new SharedVendor(vendorName, () => h!.clock.now());
  h = harness({ issuer: clusterVendorIssuer(BLOCK[vendorName]), ca: vendor.ca(), ...(opts.step ? { step: opts.step } : {}) });
  const issuer = { kind: "ClusterVendorIssuer", name: "shared" };
  for (const who of [A, B]) {
    const host = `${who.name}.${who.namespace}.example.com`;
    h.api.fake.seed(certificateRequests, certificateRequest({ ...who, issuer, csrPem: await csrFor({ commonName: host, dnsNames: [host] }) }));
  }
  const hh = h;
  const tenantB = hh.api.fake.as("tenant-b");
  return {
    h: hh,
    vendor,
    run: (who) => hh.reconcile(who.namespace, who.name),
    cr: (who) => hh.cr(who.namespace, who.name),
    record: (who) => {
      const text = hh.cr(who.namespace, who.name)?.metadata.annotations?.[ORDER_ANNOTATION];
      return text === undefined ? undefined : JSON.parse(text);
    },
    forge: async (record) => {
      await tenantB.mergePatch(certificateRequests, B.namespace, B.name, {
        metadata: { annotations: { [ORDER_ANNOTATION]: JSON.stringify(record) }, finalizers: [CLEANUP_FINALIZER] },
      });
    },
    deleteB: async () => {
      await tenantB.delete(certificateRequests, B.namespace, B.name);
    },
  };
}

const ready = (cr: CertificateRequest | undefined) => cr?.status?.conditions?.find((c) => c.type === "Ready");
const HOUR = 3_600_000;

/** B's own identity, as B can read it off its own request: B's marker and key. */
async function ownIdentityOfB(t: Tenants): Promise<{ marker: string; publicKeySha256: string }> {
  const id = await requestIdentity(t.cr(B)!);
  if (!id.ok) throw new Error(id.message);
  return { marker: id.marker, publicKeySha256: id.publicKeySha256 };
}

describe("a forged vendorRef never cancels another tenant's order", () => {
  it("Sectigo: B names A's pending order in its record and deletes its request; A's order is left alone", async () => {
    const t = await tenants("sectigo");
    await t.run(A);
    await t.run(B);
    expect(t.vendor.orders.map((o) => `${o.vendorRef} ${o.marker.uid}`)).toEqual(["ssl:1 uid-team-a-web", "ssl:2 uid-team-b-api"]);
    await t.forge({ order: { ...t.record(B)!.order!, vendorRef: "ssl:1" } });
    await t.deleteB();
    await t.run(B);
    expect(t.vendor.order("ssl:1")?.state).toBe("pending");
    expect(t.vendor.calls.filter((c) => c.startsWith("cancel") || c.startsWith("revoke"))).toEqual([]);
    expect(t.h.events).toContain("Warning OrderNotConfirmed");
    expect(t.cr(B)).toBeUndefined(); // the finalizer is not held by a ref that is not ours
  });

  it.each([
    { why: "the vendorRef alone (B's own marker and key)", victimKey: false, victimFingerprint: false, event: "Warning OrderNotConfirmed" },
    {
      why: "the vendorRef with A's key hash (read off A's public certificate)",
      victimKey: true,
      victimFingerprint: false,
      event: "Warning OrderRecordRejected",
    },
    { why: "the vendorRef with A's fingerprint", victimKey: false, victimFingerprint: true, event: "Warning OrderNotConfirmed" },
  ])(
    "Cloudflare: B forges an order in flight naming A's delivered certificate — $why — and deletes its request; A's certificate stays",
    async ({ victimKey, victimFingerprint, event }) => {
      const t = await tenants("cloudflare");
      await t.run(A);
      expect(ready(t.cr(A))).toMatchObject({ status: "True", reason: "Issued" });
      const victim = t.vendor.order("cf-1")!;
      const own = await ownIdentityOfB(t);
      await t.forge({
        order: {
          revision: 1,
          state: "Pending",
          startedTime: "2026-12-01T09:30:00Z",
          vendorRef: "cf-1",
          marker: own.marker,
          publicKeySha256: victimKey ? victim.publicKeySha256 : own.publicKeySha256,
          ...(victimFingerprint ? { fingerprint: victim.fingerprint } : {}),
          submits: 1,
          pollCount: 0,
        },
      });
      await t.deleteB();
      await t.run(B);
      expect(victim.state).toBe("issued");
      expect(t.vendor.calls.filter((c) => c.startsWith("cancel") || c.startsWith("revoke"))).toEqual([]);
      expect(t.h.events).toContain(event);
      expect(t.cr(B)).toBeUndefined();
    },
  );
});

describe("a forged sweep never finds another tenant's certificate", () => {
  async function issuedPair(): Promise<Tenants> {
    const t = await tenants("cloudflare");
    await t.run(A);
    await t.run(B);
    expect(t.vendor.orders.map((o) => `${o.vendorRef} ${o.state}`)).toEqual(["cf-1 issued", "cf-2 issued"]);
    expect(t.record(B)).toBeUndefined();
    return t;
  }
  const forgedSweep = (t: Tenants, own: { marker: string; publicKeySha256: string }, over: Partial<OrderSweep>): OrderSweep => ({
    revision: 1,
    marker: own.marker,
    publicKeySha256: own.publicKeySha256,
    since: "2026-12-01T09:00:00Z",
    until: new Date(T0 + 5 * 60_000).toISOString(),
    keep: ["cf-2"],
    ...over,
  });

  it.each([
    { why: "A's key hash", over: (victim: { publicKeySha256: string }) => ({ publicKeySha256: victim.publicKeySha256 }), event: "Warning OrderRecordRejected" },
    // The fingerprint is dropped (not the one computed for B's CSR): the look-up then matches B's key, whose certificate is kept.
    { why: "A's fingerprint", over: (victim: { fingerprint: string }) => ({ fingerprint: victim.fingerprint }), event: undefined },
  ])("on a finished request: a sweep with $why revokes nothing of A's", async ({ over, event }) => {
    const t = await issuedPair();
    const victim = t.vendor.order("cf-1")!;
    await t.forge({ sweep: forgedSweep(t, await ownIdentityOfB(t), over(victim)) });
    await t.run(B);
    t.h.clock.advance(10 * 60_000);
    await t.run(B);
    await t.run(B);
    expect(victim.state).toBe("issued");
    expect(t.vendor.order("cf-2")?.state).toBe("issued");
    expect(t.vendor.calls.filter((c) => c.startsWith("cancel") || c.startsWith("revoke"))).toEqual([]);
    if (event !== undefined) expect(t.h.events).toContain(event);
    expect(t.cr(B)?.metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
  });

  it("on delete: a sweep with A's key hash revokes nothing of A's, and lets go at once", async () => {
    const t = await issuedPair();
    const victim = t.vendor.order("cf-1")!;
    await t.forge({ sweep: forgedSweep(t, await ownIdentityOfB(t), { publicKeySha256: victim.publicKeySha256, until: "2099-01-01T00:00:00Z" }) });
    await t.deleteB();
    await t.run(B);
    expect(victim.state).toBe("issued");
    expect(t.vendor.calls.filter((c) => c === "find" || c.startsWith("cancel") || c.startsWith("revoke"))).toEqual([]);
    expect(t.h.events).toContain("Warning OrderRecordRejected");
    expect(t.cr(B)).toBeUndefined();
  });

  it("Sectigo: a sweep with A's marker (A's UID) is rejected before any look-up", async () => {
    const t = await tenants("sectigo");
    await t.run(A);
    await t.run(B);
    const own = await ownIdentityOfB(t);
    await t.forge({ order: t.record(B)!.order!, sweep: forgedSweep(t, own, { marker: own.marker.replace("uid-team-b-api", "uid-team-a-web"), keep: [] }) });
    await t.deleteB();
    await t.run(B);
    expect(t.vendor.order("ssl:1")?.state).toBe("pending");
    expect(t.vendor.order("ssl:2")?.state).toBe("cancelled"); // B's own order in flight, confirmed by its look-up
    expect(t.h.events).toContain("Warning OrderRecordRejected");
  });
});

describe("a forged vendorRef is never delivered", () => {
  it("B names A's issued Sectigo order in its in-flight record: collected, not delivered (the leaf is not for B's key), nothing cancelled", async () => {
    const t = await tenants("sectigo");
    await t.run(A);
    await t.run(B);
    t.vendor.approve("ssl:1");
    await t.forge({ order: { ...t.record(B)!.order!, vendorRef: "ssl:1" } });
    t.h.clock.advance(2 * HOUR);
    await t.run(B);
    expect(t.vendor.calls).toContain("collect ssl:1");
    const b = t.cr(B)!;
    expect(b.status?.certificate).toBeUndefined();
    expect(ready(b)).toMatchObject({ status: "False", reason: "Pending" });
    expect(ready(b)?.message).toMatch(/does not belong to this resource's key/);
    expect(t.vendor.order("ssl:1")?.state).toBe("issued");
    expect(t.vendor.calls.filter((c) => c.startsWith("cancel") || c.startsWith("revoke"))).toEqual([]);
  });
});

describe("the engine's own records pass the checks: legitimate orders are handled as before", () => {
  it("Sectigo: B's order in flight is cancelled when B is deleted; A's is not", async () => {
    const t = await tenants("sectigo");
    await t.run(A);
    await t.run(B);
    await t.deleteB();
    await t.run(B);
    expect(t.vendor.order("ssl:2")?.state).toBe("cancelled");
    expect(t.vendor.order("ssl:1")?.state).toBe("pending");
    expect(t.h.events).toContain("Normal OrderCancelled");
    expect(t.h.events.filter((e) => /OrderRecordRejected|OrderNotConfirmed/.test(e))).toEqual([]);
    expect(t.cr(B)).toBeUndefined();
  });

  it("Cloudflare: B killed right after its paid call, then deleted: its certificate is found by its own look-up and revoked; A's stays", async () => {
    let crash = false;
    const t = await tenants("cloudflare", {
      step: (step) => {
        if (crash && step === "submitted") throw new Error("SIGKILL");
      },
    });
    await t.run(A);
    crash = true;
    await expect(t.run(B)).rejects.toThrow("SIGKILL");
    crash = false;
    await t.deleteB();
    await t.run(B);
    expect(t.vendor.orders.map((o) => `${o.vendorRef} ${o.state}`)).toEqual(["cf-1 issued", "cf-2 cancelled"]);
    expect(t.h.events.filter((e) => /OrderRecordRejected|OrderNotConfirmed/.test(e))).toEqual([]);
  });

  it.each(
    (["sectigo", "cloudflare"] as const).flatMap((vendor) =>
      (["intent-recorded", "found", "submitted", "vendor-ref-recorded", "collected", "status-written", "released", "lost-answer"] as const)
        .filter((at) => !(vendor === "cloudflare" && (at === "vendor-ref-recorded" || at === "collected"))) // issued at once: no vendorRef write, no collect
        .map((at) => ({ vendor, at })),
    ),
  )("$vendor, killed at $at: B is issued once, its record never rejected, A untouched", async ({ vendor, at }) => {
    let crashes = 0;
    const t = await tenants(vendor, {
      step: (step) => {
        if (step === at && crashes > 0) {
          crashes -= 1;
          throw new Error("SIGKILL");
        }
      },
    });
    await t.run(A);
    crashes = at === "lost-answer" ? 0 : 1;
    if (at === "lost-answer" || at === "found") t.vendor.loseAnswers = 1;
    for (let pass = 0; pass < 30 && (ready(t.cr(B))?.reason !== "Issued" || t.record(B) !== undefined); pass++) {
      await t.run(B).catch((error: Error) => {
        if (error.message !== "SIGKILL") throw error;
      });
      t.h.clock.advance(61_000);
      for (const o of t.vendor.orders) if (o.marker.uid === "uid-team-b-api") t.vendor.approve(o.vendorRef);
    }
    const b = t.cr(B)!;
    expect(crashes).toBe(0); // it was killed there
    expect(ready(b)).toMatchObject({ status: "True", reason: "Issued" });
    expect(t.record(B)).toBeUndefined();
    expect(t.vendor.orders.filter((o) => o.marker.uid === "uid-team-b-api" && o.state !== "cancelled")).toHaveLength(1);
    expect(t.h.events.filter((e) => /OrderRecordRejected|OrderNotConfirmed|Failed/.test(e))).toEqual([]);
    expect(t.vendor.orders.find((o) => o.marker.uid === "uid-team-a-web")?.state).not.toBe("cancelled");
  });
});

describe("an annotation that is not ours never holds the request", () => {
  it("unreadable, on a deleted request: the finalizer goes with a Warning (it was held for ever before)", async () => {
    const t = await tenants("sectigo");
    await t.run(B);
    await t.h.api.fake.as("tenant-b").mergePatch(certificateRequests, B.namespace, B.name, { metadata: { annotations: { [ORDER_ANNOTATION]: "{not json" } } });
    await t.deleteB();
    await t.run(B);
    expect(t.cr(B)).toBeUndefined();
    expect(t.h.events).toContain("Warning OrderRecordRejected");
  });

  it("a rejected order record on an approved request fails it, says why, is dropped with the finalizer, and leaves no sweep that could find A's", async () => {
    const t = await tenants("cloudflare");
    await t.run(A);
    const own = await ownIdentityOfB(t);
    const victim = t.vendor.order("cf-1")!;
    await t.forge({
      order: {
        revision: 1,
        state: "Pending",
        startedTime: "2026-12-01T09:30:00Z",
        marker: own.marker,
        publicKeySha256: victim.publicKeySha256,
        submits: 1,
        pollCount: 0,
      },
    });
    await t.run(B);
    t.h.clock.advance(10 * 60_000);
    await t.run(B);
    expect(victim.state).toBe("issued");
    const b = t.cr(B)!;
    expect(ready(b)).toMatchObject({ status: "False", reason: "Failed" });
    expect(ready(b)?.message).toMatch(
      /annotation certbridge\.dev\/order was edited outside certbridge \(its order record is not this request's: it names another public key/,
    );
    expect(b.status?.failureTime).toBeDefined();
    expect(b.metadata.annotations?.[ORDER_ANNOTATION]).toBeUndefined();
    expect(b.metadata.finalizers ?? []).not.toContain(CLEANUP_FINALIZER);
    expect(t.h.notes.find((n) => n.startsWith("OrderRecordRejected"))).toMatch(/nothing is ordered, collected or cancelled on its strength/);
    expect(t.vendor.calls.filter((c) => c !== "submit")).toEqual([]); // A's submit only: no look-up, collect or cancel for B
  });
});
