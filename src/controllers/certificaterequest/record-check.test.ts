import { describe, expect, it } from "vitest";
import { sweepFor } from "../ordering/decide.ts";
import { type OrderSweep, type PendingOrder, markerOf, newIntent } from "../ordering/record.ts";
import type { RequestIdentity } from "./order.ts";
import type { ReadAnnotation } from "./order-annotation.ts";
import { checkOrderAnnotation, rejectionNote, withTrustedFingerprints } from "./record-check.ts";

const KEY = "a".repeat(64);
const VICTIM_KEY = "b".repeat(64);
const SPEC = "0123456789abcdef";
const CREATED = new Date("2026-12-01T09:00:00Z");
const NOW = new Date("2026-12-01T10:00:00Z");
const WINDOW = 10 * 60_000;
const identity: RequestIdentity = { ok: true, revision: 1, marker: markerOf("uid-b", 1, SPEC), publicKeySha256: KEY, createdAt: CREATED };

// What the engine itself writes for this request: the intent of its order, then the sweep an unanswered call leaves.
const ownOrder: PendingOrder = {
  ...newIntent(
    {
      owner: { uid: "uid-b", namespace: "team-b", name: "api", revision: 1, specHash: SPEC },
      csrPem: "",
      publicKeySha256: KEY,
      commonName: "api.example.com",
      dnsNames: ["api.example.com"],
      ipAddresses: [],
      emailAddresses: [],
      uris: [],
      lifetimeDays: 30,
      vendorOptions: { vendor: "cloudflare", options: {} },
    },
    NOW,
    "f".repeat(64),
  ),
  submits: 2,
  submittedTime: "2026-12-01T10:00:00Z",
  settleDeadline: "2026-12-01T10:10:00Z",
};
const ownSweep: OrderSweep = sweepFor(ownOrder, ["cf-2"], NOW, WINDOW)!;
const read = (value: { order?: PendingOrder; sweep?: OrderSweep }): ReadAnnotation => ({ ok: true, value });
const check = (r: ReadAnnotation, id: { identity: RequestIdentity | undefined } = { identity }) =>
  checkOrderAnnotation(r, { identity: id.identity, anchor: NOW, windowMs: WINDOW });

describe("checkOrderAnnotation: only what this request proves is acted on", () => {
  it.each([
    { why: "nothing recorded: nothing to check", r: read({}), order: undefined, sweep: undefined, rejected: [] },
    { why: "the engine's own intent passes unchanged", r: read({ order: ownOrder }), order: ownOrder, sweep: undefined, rejected: [] },
    { why: "the engine's own sweep passes unchanged", r: read({ sweep: ownSweep }), order: undefined, sweep: ownSweep, rejected: [] },
    {
      why: "an edited vendorRef keeps the identity: passes here, and is confirmed by look-up before any cancel",
      r: read({ order: { ...ownOrder, vendorRef: "cf-1" } }),
      order: { ...ownOrder, vendorRef: "cf-1" },
      sweep: undefined,
      rejected: [],
    },
    {
      why: "an order naming another key (read off a victim's public certificate): rejected",
      r: read({ order: { ...ownOrder, publicKeySha256: VICTIM_KEY } }),
      order: undefined,
      sweep: undefined,
      rejected: [{ part: "order", message: expect.stringMatching(/another public key/) }],
    },
    {
      why: "an order with another object's marker: rejected",
      r: read({ order: { ...ownOrder, marker: markerOf("uid-a", 1, SPEC) } }),
      order: undefined,
      sweep: undefined,
      rejected: [{ part: "order", message: expect.stringMatching(/marker/) }],
    },
    {
      why: "an order of another revision (a request has only revision 1): rejected",
      r: read({ order: { ...ownOrder, revision: 2 } }),
      order: undefined,
      sweep: undefined,
      rejected: [{ part: "order", message: expect.stringMatching(/revision 2/) }],
    },
    {
      why: "an order without marker or key proves nothing: rejected",
      r: read({ order: { revision: 1, state: "Pending", startedTime: "2026-12-01T10:00:00Z", vendorRef: "cf-1", pollCount: 0 } }),
      order: undefined,
      sweep: undefined,
      rejected: [{ part: "order", message: expect.stringMatching(/no order marker/) }],
    },
    {
      why: "a sweep naming another key: rejected, the proven order kept",
      r: read({ order: ownOrder, sweep: { ...ownSweep, publicKeySha256: VICTIM_KEY } }),
      order: ownOrder,
      sweep: undefined,
      rejected: [{ part: "sweep", message: expect.stringMatching(/sweep is not this request's/) }],
    },
    {
      why: "an unreadable annotation: rejected whole",
      r: { ok: false, problem: "annotation certbridge.dev/order is not JSON" } as ReadAnnotation,
      order: undefined,
      sweep: undefined,
      rejected: [{ part: "annotation", message: "annotation certbridge.dev/order is not JSON" }],
    },
  ])("$why", ({ r, order, sweep, rejected }) => {
    const checked = check(r);
    expect(checked.record.order).toEqual(order);
    expect(checked.record.sweep).toEqual(sweep);
    expect(checked.rejected).toEqual(rejected);
  });

  it.each([
    {
      why: "a CSR that cannot be read (no order was ever made for it)",
      id: { ok: false, message: "spec.request is not a PEM certificate signing request" } as RequestIdentity,
    },
    { why: "an identity not computed", id: undefined },
  ])("rejects every part when the request proves nothing: $why", ({ id }) => {
    const checked = check(read({ order: ownOrder, sweep: ownSweep }), { identity: id });
    expect(checked.record).toEqual({});
    expect(checked.rejected.map((r) => r.part)).toEqual(["order", "sweep"]);
  });
});

describe("checkOrderAnnotation: what passes is bounded by what the engine could have written", () => {
  it.each([
    {
      why: "an intent started before the request existed starts with it (a Cloudflare look-up would reach older certificates of the same key)",
      r: read({ order: { ...ownOrder, startedTime: "2020-01-01T00:00:00Z" } }),
      expect: { order: { startedTime: "2026-12-01T09:00:00Z" } },
    },
    {
      why: "a settle deadline beyond two windows from now ends there (a look-up would go on for ever)",
      r: read({ order: { ...ownOrder, settleDeadline: "2099-01-01T00:00:00Z" } }),
      expect: { order: { settleDeadline: "2026-12-01T10:20:00Z" } },
    },
    {
      why: "a sweep since before the request starts with it",
      r: read({ sweep: { ...ownSweep, since: "2020-01-01T00:00:00Z" } }),
      expect: { sweep: { since: "2026-12-01T09:00:00Z" } },
    },
    {
      why: "a sweep ending beyond three windows ends there, its next pass too (a deletion would wait for ever)",
      r: read({ sweep: { ...ownSweep, until: "2099-01-01T00:00:00Z", nextTime: "2098-01-01T00:00:00Z" } }),
      expect: { sweep: { until: "2026-12-01T10:30:00Z", nextTime: "2026-12-01T10:30:00Z" } },
    },
  ])("$why", ({ r, expect: want }) => {
    const checked = check(r);
    expect(checked.rejected).toEqual([]);
    expect(checked.record).toMatchObject(want);
    expect(checked.adjusted).toHaveLength(1);
  });

  it("leaves the engine's own times alone", () => {
    expect(check(read({ order: ownOrder, sweep: ownSweep })).adjusted).toEqual([]);
  });
});

describe("withTrustedFingerprints", () => {
  const fp = "f".repeat(64);
  it.each([
    { why: "the fingerprint computed now: kept", expected: fp, kept: true },
    { why: "another (a victim's CSR, or the issuer's validity changed): dropped, the look-up matches by the CSR's key", expected: "e".repeat(64), kept: false },
    { why: "the vendor computes none: dropped", expected: undefined, kept: false },
  ])("$why", ({ expected, kept }) => {
    const out = withTrustedFingerprints({ order: ownOrder, sweep: { ...ownSweep, fingerprint: fp } }, expected);
    expect(out.dropped).toBe(!kept);
    expect(out.record.order?.fingerprint).toBe(kept ? fp : undefined);
    expect(out.record.sweep?.fingerprint).toBe(kept ? fp : undefined);
    expect(out.record.order?.vendorRef).toBe(ownOrder.vendorRef);
  });

  it("a record without fingerprints is returned as it is", () => {
    const { fingerprint: _f, ...order } = ownOrder;
    const record = { order };
    expect(withTrustedFingerprints(record, undefined)).toEqual({ record, dropped: false });
  });
});

it("rejectionNote says what was ignored, that nothing was done on it, and what to do", () => {
  const note = rejectionNote([{ part: "sweep", message: "its sweep is not this request's: it names another public key than the CSR's" }], "Do X.");
  expect(note).toBe(
    "The annotation certbridge.dev/order was edited outside certbridge (its sweep is not this request's: it names another public key than the CSR's). It is ignored: nothing is ordered, collected or cancelled on its strength. Do X.",
  );
});
