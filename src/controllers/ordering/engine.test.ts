// The ordering engine against an in-memory IntentStore and a CertificateAuthority made of function
// fields that signs real CSRs with a test CA: the order of writes and calls on each path (what makes
// it crash-safe), and the outcome the front end gets.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import pino from "pino";
import type { CertificateAuthority, CertificateOrder, FoundOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createCsr } from "../../pki/csr.ts";
import { generateKey, publicKeyOf } from "../../pki/keys.ts";
import { createTestCa } from "../../pki/test-ca.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import { type Abandon, type OrderJob, type OrderingStep, advanceOrder, leafCarriesKey, startOrder } from "./engine.ts";
import type { IntentStore, OrderNote, PendingOrder } from "./record.ts";

const log = pino({ level: "silent" });
const T0 = Date.parse("2026-03-01T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const ca = await createTestCa({ name: "engine" });

async function anOrder(): Promise<CertificateOrder> {
  const { privateKey } = await generateKey({ algorithm: "ECDSA", size: 256 });
  const spki = publicKeyOf(privateKey).export({ type: "spki", format: "der" });
  return {
    owner: { uid: "uid-1", namespace: "ns", name: "web", revision: 1, specHash: "0123456789abcdef" },
    csrPem: await createCsr({ privateKey, subject: { commonName: "web.example.com" }, sans: { dnsNames: ["web.example.com"] } }),
    publicKeySha256: createHash("sha256").update(spki).digest("hex"),
    commonName: "web.example.com",
    dnsNames: ["web.example.com"],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
    lifetimeDays: 30,
    vendorOptions: { vendor: "cloudflare", options: { validityDays: 30 } },
  };
}

/** Everything the engine did, in order: writes (with the state and the note's reason), steps and vendor calls. */
function harness(order: CertificateOrder, vendor: Partial<CertificateAuthority>, over: Partial<OrderJob> = {}) {
  const trail: string[] = [];
  let record: PendingOrder | undefined;
  const store: IntentStore & { conflictOnce?: boolean } = {
    read: () => record,
    write: async (next: PendingOrder, note?: OrderNote) => {
      if (store.conflictOnce) {
        store.conflictOnce = false;
        throw new KubeApiError({ status: 409, reason: "Conflict", message: "stale", method: "PATCH", path: "x" });
      }
      record = next;
      trail.push(`write ${next.state}${next.vendorRef ? ` ${next.vendorRef}` : ""}${note ? ` (${note.reason})` : ""}`);
    },
  };
  const fake: CertificateAuthority = {
    submit: async () => {
      throw new Error("submit not expected");
    },
    collect: async () => {
      throw new Error("collect not expected");
    },
    findOrders: async () => [],
    revoke: async () => {},
    cancel: async () => ({ done: true, how: "revoked" }),
    ...vendor,
  };
  const counted: CertificateAuthority = {
    ...fake,
    submit: (o, s) => {
      trail.push("call submit");
      return fake.submit(o, s);
    },
    collect: (r, o, s) => {
      trail.push("call collect");
      return fake.collect(r, o, s);
    },
    findOrders: (i, s) => {
      trail.push("call find");
      return fake.findOrders(i, s);
    },
  };
  const job: OrderJob = {
    vendor: "cloudflare",
    owner: { uid: "uid-1", namespace: "ns", name: "web" },
    ca: counted,
    store,
    timing: { windowMs: 180_000, lookupFirstMs: 5_000 },
    vendorOptions: order.vendorOptions,
    knownVendorRefs: [],
    order: async () => order,
    spend: () => ({ ok: true }),
    now: at(0),
    signal: new AbortController().signal,
    log,
    step: (s: OrderingStep) => {
      trail.push(`step ${s}`);
    },
    ...over,
  };
  return {
    job,
    store,
    trail,
    record: () => record,
    setRecord: (r: PendingOrder) => {
      record = r;
    },
  };
}

const issue = async (o: CertificateOrder, vendorRef = "cf-1"): Promise<IssueOutcome> => ({
  state: "issued",
  vendorRef,
  chainPem: (await ca.signCsr(o.csrPem, { usage: "client" })).leafPem,
});

describe("ordering engine", () => {
  it("the normal path: intent and deadline recorded before the paid call, then the certificate — one write, no look-up", async () => {
    const order = await anOrder();
    const h = harness(order, { submit: async (o) => issue(o) });
    const out = await startOrder(h.job, order, { reason: "Pending", message: "Ordering revision 1", startedBecause: "NotIssued" });
    // Issued at once: the vendorRef travels with the outcome to the front end's final write (issue 13);
    // a crash before that write is the "submitted" crash below: the order is found, never placed twice.
    expect(h.trail).toEqual(["write Submitting (Pending)", "step intent-recorded", "call submit", "step submitted"]);
    expect(out).toMatchObject({ kind: "issued", issued: { vendorRef: "cf-1" }, record: { vendorRef: "cf-1", submits: 1 } });
    expect(out.kind === "issued" && out.sweep).toBeFalsy();
  });

  it("killed after an answer that issued at once: the recorded intent finds the order and collects it, no second submit", async () => {
    const order = await anOrder();
    const h = harness(order, {
      submit: async (o) => issue(o, "cf-1"),
      findOrders: async () => [{ vendorRef: "cf-1", state: "issued" }],
      collect: async (_ref, o) => issue(o, "cf-1"),
    });
    await startOrder(h.job, order, { reason: "Pending", message: "m" });
    // What a restart reads: the intent as written before the paid call (the process died before delivering).
    const out = await advanceOrder({ ...h.job, now: at(10) }, h.record()!);
    expect(out).toMatchObject({ kind: "issued", issued: { vendorRef: "cf-1" } });
    expect(h.trail.filter((t) => t === "call submit")).toHaveLength(1);
    expect(h.trail).toContain("call find");
  });

  it("a pending answer's vendorRef is recorded right after the call (it is polled for minutes or days)", async () => {
    const order = await anOrder();
    const h = harness(order, {
      submit: async () => ({ state: "pending", vendorRef: "ssl:7", reason: "Pending", message: "accepted" }),
      collect: async () => ({ state: "pending", vendorRef: "ssl:7", reason: "Pending", message: "waiting" }),
    });
    await startOrder(h.job, order, { reason: "Pending", message: "m" });
    expect(h.trail.slice(0, 6)).toEqual([
      "write Submitting (Pending)",
      "step intent-recorded",
      "call submit",
      "step submitted",
      "write Pending ssl:7",
      "step vendor-ref-recorded",
    ]);
  });

  it("a stale record (conflict on the intent write) orders nothing", async () => {
    const order = await anOrder();
    const h = harness(order, { submit: async (o) => issue(o) });
    h.store.conflictOnce = true;
    await expect(startOrder(h.job, order, { reason: "Pending", message: "m" })).rejects.toThrow(/stale/);
    expect(h.trail).toEqual([]);
  });

  it("a spent budget writes nothing and calls nothing", async () => {
    const order = await anOrder();
    const h = harness(order, {}, { spend: () => ({ ok: false, retryAfterMs: 60_000, limit: 1 }) });
    expect(await startOrder(h.job, order, { reason: "Pending", message: "m" })).toEqual({ kind: "budgetSpent", retryAfterMs: 60_000, limit: 1 });
    expect(h.trail).toEqual([]);
  });

  it("a pending answer is collected at once, then polled on the backoff", async () => {
    const order = await anOrder();
    const h = harness(order, {
      submit: async () => ({ state: "pending", vendorRef: "ssl:1", reason: "Pending", message: "accepted" }),
      collect: async () => ({ state: "pending", vendorRef: "ssl:1", reason: "AwaitingApproval", message: "awaiting approval" }),
    });
    const out = await startOrder(h.job, order, { reason: "Pending", message: "m" });
    expect(h.trail.slice(-3)).toEqual(["call collect", "step collected", "write AwaitingApproval ssl:1 (AwaitingApproval)"]);
    expect(out).toEqual({ kind: "waiting", requeueAfterMs: 60_000 });
    expect(h.record()).toMatchObject({ pollCount: 1, nextPollTime: "2026-03-01T10:01:00Z" });
  });

  it("the next poll is planned from the vendor's answer, not from the reconcile's start (a slow submit must not leave it already due)", async () => {
    const order = await anOrder();
    let clock = at(0);
    const h = harness(
      order,
      {
        submit: async () => {
          clock = at(7); // the submit took 7 s, longer than the first 5 s poll delay
          return { state: "pending", vendorRef: "ssl:1", reason: "Pending", message: "accepted" };
        },
        collect: async () => ({ state: "pending", vendorRef: "ssl:1", reason: "Pending", message: "waiting" }),
      },
      { clock: () => clock },
    );
    const out = await startOrder(h.job, order, { reason: "Pending", message: "m" });
    expect(h.record()).toMatchObject({ pollCount: 1, nextPollTime: "2026-03-01T10:00:12Z" }); // 7 s + 5 s, not 0 s + 5 s
    expect(out).toEqual({ kind: "waiting", requeueAfterMs: 5_000 });
  });

  it("an unanswered call is looked up (never sent again before its deadline); found, it is recorded and collected", async () => {
    const order = await anOrder();
    let placed: FoundOrder[] = [];
    const h = harness(order, {
      submit: async () => {
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "create", message: "timeout" });
      },
      findOrders: async () => placed,
      collect: async (_ref, o) => issue(o, "cf-late"),
    });
    expect(await startOrder(h.job, order, { reason: "Pending", message: "m" })).toEqual({ kind: "waiting", requeueAfterMs: 5_000 });
    expect(h.record()).toMatchObject({ state: "OutcomeUnknown", unknownOutcomes: 1, settleDeadline: "2026-03-01T10:03:00Z" });
    const early = await advanceOrder({ ...h.job, now: at(5) }, h.record()!);
    expect(early).toMatchObject({ kind: "waiting" });
    expect(h.trail.filter((t) => t === "call submit")).toHaveLength(1);
    placed = [{ vendorRef: "cf-late", state: "issued" }];
    const out = await advanceOrder({ ...h.job, now: at(20) }, h.record()!);
    expect(out).toMatchObject({ kind: "issued", issued: { vendorRef: "cf-late" } });
    expect(out.kind === "issued" && out.sweep).toMatchObject({ keep: ["cf-late"] }); // an unanswered call: its revision is swept
    expect(h.trail.filter((t) => t === "call submit")).toHaveLength(1);
  });

  it("nothing found by the deadline: sent again, as a new attempt recorded first", async () => {
    const order = await anOrder();
    let calls = 0;
    const h = harness(order, {
      submit: async (o) =>
        ++calls === 1 ? Promise.reject(new VendorError({ kind: "transient", vendor: "cloudflare", operation: "create", message: "reset" })) : issue(o, "cf-2"),
    });
    await startOrder(h.job, order, { reason: "Pending", message: "m" });
    const out = await advanceOrder({ ...h.job, now: at(181) }, { ...h.record()!, nextPollTime: undefined });
    expect(h.trail.slice(-6)).toEqual(["call find", "step found", "write Submitting (Pending)", "step intent-recorded", "call submit", "step submitted"]);
    expect(out).toMatchObject({ kind: "issued", record: { submits: 2 } });
  });

  it("a certificate that does not carry the order's key keeps the order (paid for) and says so", async () => {
    const order = await anOrder();
    const other = await anOrder();
    const h = harness(order, { submit: async () => issue(other, "cf-x") });
    const out = await startOrder(h.job, order, { reason: "Pending", message: "m" });
    expect(out.kind).toBe("waiting");
    expect(h.trail.at(-1)).toBe("write Pending cf-x (VendorError)");
    expect(h.record()).toMatchObject({ vendorRef: "cf-x", pollCount: 1 });
  });

  it("the vendor ending the order is a failed attempt (Rejected) with a sweep of what it placed", async () => {
    const order = await anOrder();
    const h = harness(order, { submit: async () => ({ state: "failed", vendorRef: "ssl:9", message: "declined" }) });
    const out = await startOrder(h.job, order, { reason: "Pending", message: "m" });
    expect(out).toMatchObject({ kind: "failed", reason: "Rejected", cause: "cloudflare collect failed (permanent): declined", sweep: { revision: 1 } });
  });

  it("an order that can no longer be made is abandoned, with its sweep", async () => {
    const order = await anOrder();
    const abandon: Abandon = { abandon: "the private key for the pending order was lost", failed: true };
    const h = harness(order, {}, { order: async () => abandon });
    const out = await advanceOrder(h.job, {
      revision: 1,
      state: "Pending",
      startedTime: "2026-03-01T09:00:00Z",
      vendorRef: "ssl:1",
      submits: 1,
      marker: "uid=uid-1 rev=1 spec=0123456789abcdef",
      publicKeySha256: order.publicKeySha256,
      pollCount: 2,
    });
    expect(out).toMatchObject({ kind: "abandoned", why: abandon.abandon, failed: true, sweep: { keep: [] } });
    expect(h.trail).toEqual([]);
  });

  it("an intent an earlier pass may have sent (its record lost): looked up first; found, it is collected and never sent again", async () => {
    const order = await anOrder();
    const since = at(-30);
    let asked: { since: Date; specHash: string; lookupName?: string | undefined } | undefined;
    const h = harness(order, {
      findOrders: async (intent) => {
        asked = { since: intent.recordedAt, specHash: intent.specHash, lookupName: intent.lookupName };
        return [{ vendorRef: "cf-7", state: "issued", placedAt: at(-29) }];
      },
      collect: async (ref, o) => issue(o, ref),
    });
    // Found by what the earlier pass sent: its spec (the names changed since) and the name it is listed under.
    const earlier = { since, marker: "uid=uid-1 rev=1 spec=fedcba9876543210", lookupName: "old.example.com" };
    const out = await startOrder(h.job, order, { reason: "Pending", message: "m" }, earlier);
    expect(out).toMatchObject({ kind: "issued", issued: { vendorRef: "cf-7" } });
    expect(asked).toEqual({ since, specHash: "fedcba9876543210", lookupName: "old.example.com" });
    expect(h.trail).toEqual(["call find", "step found", "write Pending cf-7", "step vendor-ref-recorded", "call collect", "step collected"]);
    // Swept afterwards: a second order of the lost pass, if any, is looked for and cancelled.
    expect(h.record()).toMatchObject({ unknownOutcomes: 1, startedTime: "2026-03-01T09:59:30Z" });
  });

  it("an intent an earlier pass may have sent, not found: looked up again until one settle window from now, only then sent", async () => {
    const order = await anOrder();
    const h = harness(order, { findOrders: async () => [], submit: async (o) => issue(o) });
    const first = await startOrder(h.job, order, { reason: "Pending", message: "m" }, { since: at(-30) });
    expect(first).toMatchObject({ kind: "waiting" });
    expect(h.trail).toEqual(["call find", "step found", "write OutcomeUnknown (OutcomeUnknown)"]);
    expect(h.record()?.settleDeadline).toBe("2026-03-01T10:03:00Z");
    const late = await advanceOrder({ ...h.job, now: at(181) }, h.record()!);
    expect(late).toMatchObject({ kind: "issued" });
    expect(h.trail.slice(3)).toEqual(["call find", "step found", "write Submitting (Pending)", "step intent-recorded", "call submit", "step submitted"]);
  });

  it("an order made with another key than the intent recorded is never sent nor collected: the intent is abandoned (a lost key)", async () => {
    const recorded = await anOrder();
    const other = await anOrder(); // the key Secret was deleted and a new key stored for the same revision
    const base = {
      revision: 1,
      startedTime: "2026-03-01T09:00:00Z",
      marker: "uid=uid-1 rev=1 spec=0123456789abcdef",
      publicKeySha256: recorded.publicKeySha256,
      pollCount: 0,
    };
    // Collecting: the certificate could never match; sending again: a lost answer could not be found by the intent.
    for (const record of [
      { ...base, state: "Pending" as const, vendorRef: "cf-1", submits: 1 },
      { ...base, state: "Submitting" as const, submits: 0 },
    ]) {
      const h = harness(other, { submit: async () => issue(other), collect: async () => issue(recorded) });
      const out = await advanceOrder(h.job, record);
      expect(out, record.state).toMatchObject({ kind: "abandoned", why: "the private key for the pending order was lost", failed: true });
      expect(h.trail, record.state).toEqual([]);
    }
  });

  it("shutting down during the call: nothing written after it, the recorded deadline makes the next run look it up", async () => {
    const order = await anOrder();
    const stop = new AbortController();
    const h = harness(
      order,
      {
        submit: async () => {
          stop.abort();
          throw new Error("aborted");
        },
      },
      { signal: stop.signal },
    );
    await expect(startOrder(h.job, order, { reason: "Pending", message: "m" })).rejects.toThrow("aborted");
    expect(h.trail).toEqual(["write Submitting (Pending)", "step intent-recorded", "call submit"]);
  });

  it.each([
    { why: "the order's own certificate", mine: true, carries: true },
    { why: "another key's certificate", mine: false, carries: false },
  ])("leafCarriesKey: $why", async ({ mine, carries }) => {
    const order = await anOrder();
    const signed = await issue(mine ? order : await anOrder());
    expect(leafCarriesKey(signed.state === "issued" ? signed.chainPem : "", order.publicKeySha256)).toBe(carries);
    expect(leafCarriesKey("not a certificate", order.publicKeySha256)).toBe(false);
  });
});
