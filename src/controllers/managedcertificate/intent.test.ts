// The liveness rule of a first intent kept in the annotation (intent.ts, ADR 0020): one row per
// situation a resource can be in, with the status write that brought it there.
import { describe, expect, it } from "vitest";
import type { CertificateObject, Status } from "./context.ts";
import { ORDER_INTENT_ANNOTATION, annotationLiveness, firstIntentPatch, intentOf, takenOver, withoutDeadIntent } from "./intent.ts";

const UID = "0000-web";
const record = (over: Record<string, unknown> = {}) => ({
  revision: 1,
  state: "Submitting" as const,
  startedTime: "2026-03-01T10:00:00Z",
  marker: `uid=${UID} rev=1 spec=0123456789abcdef`,
  submits: 1,
  settleDeadline: "2026-03-01T10:03:00Z",
  pollCount: 0,
  reason: "NotIssued" as const,
  ...over,
});
const annotation = (id: string, over: Record<string, unknown> = {}) => JSON.stringify({ id, order: record(over) });
const obj = (opts: { annotation?: string; status?: Status; uid?: string }): CertificateObject => ({
  metadata: {
    name: "web",
    namespace: "ns",
    uid: opts.uid ?? UID,
    resourceVersion: "7",
    finalizers: ["certbridge.dev/cleanup"],
    ...(opts.annotation === undefined ? {} : { annotations: { [ORDER_INTENT_ANNOTATION]: opts.annotation } }),
  },
  ...(opts.status === undefined ? {} : { status: opts.status }),
});
const ready = (reason: string) => [{ type: "Ready", status: "False" as const, reason, message: "m", lastTransitionTime: "2026-03-01T10:00:00Z" }];

describe("the annotation's intent is live iff readable, this object's, status holds none and has not taken it over", () => {
  it.each([
    { why: "no annotation: a renewal or retry keeps its intent in status", o: obj({}), live: false, not: "absent" },
    { why: "just written with the finalizer (status empty): the intent in flight", o: obj({ annotation: annotation("a1") }), live: true },
    {
      why: "an unrelated status write (backoff, connection, preflight) leaves it live",
      o: obj({ annotation: annotation("a1"), status: { conditions: ready("ConnectionNotReady"), observedGeneration: 1 } }),
      live: true,
    },
    {
      why: "the budget spent on a re-send: nothing recorded, still live",
      o: obj({ annotation: annotation("a1"), status: { conditions: ready("BudgetExhausted") } }),
      live: true,
    },
    {
      why: "the engine's next write (vendorRef, OutcomeUnknown, pending) moved it into status",
      o: obj({ annotation: annotation("a1"), status: { pendingIssuance: record({ vendorRef: "ref-1", state: "Pending" }), orderIntentTaken: "a1" } }),
      live: false,
      not: "statusHolds",
    },
    {
      why: "issued: status has the certificate and took it over",
      o: obj({ annotation: annotation("a1"), status: { revision: 1, vendorRef: "ref-1", orderIntentTaken: "a1" } }),
      live: false,
      not: "taken",
    },
    {
      why: "failed: failedIssuanceAttempts counted, taken over",
      o: obj({ annotation: annotation("a1"), status: { failedIssuanceAttempts: 1, orderIntentTaken: "a1" } }),
      live: false,
      not: "taken",
    },
    {
      why: "abandoned (spec edited before the order was placed): its sweep recorded, taken over",
      o: obj({
        annotation: annotation("a1"),
        status: {
          orderIntentTaken: "a1",
          orderSweeps: [{ revision: 1, marker: "m", publicKeySha256: "a".repeat(64), since: "2026-03-01T10:00:00Z", until: "2026-03-01T10:09:00Z", keep: [] }],
        },
      }),
      live: false,
      not: "taken",
    },
    {
      why: "the finalizer removed by hand after a failed attempt: the next first intent has a new id",
      o: obj({ annotation: annotation("b2", { revision: 2 }), status: { failedIssuanceAttempts: 1, orderIntentTaken: "a1" } }),
      live: true,
    },
    { why: "edited by hand into something else: not ours any more", o: obj({ annotation: "{not json" }), live: false, not: "unreadable" },
    { why: "the right JSON without an order record", o: obj({ annotation: JSON.stringify({ id: "a1" }) }), live: false, not: "unreadable" },
    {
      why: "copied with the manifest onto a new object (restore, re-create from get -o yaml): another UID's intent",
      o: obj({ annotation: annotation("a1"), uid: "1111-new" }),
      live: false,
      not: "otherObject",
    },
    {
      why: "names a vendor order: the operator writes it before any paid call, so a hand-written one (it could name another tenant's order)",
      o: obj({ annotation: annotation("a1", { vendorRef: "ssl:1043", state: "Pending" }) }),
      live: false,
      not: "namesAnOrder",
    },
  ])("$why", ({ o, live, not }) => {
    const got = annotationLiveness(o);
    expect(got.live).toBe(live);
    if (!got.live) expect(got.why).toBe(not);
    else expect(intentOf(o)).toMatchObject({ from: "annotation", id: got.id, record: { revision: got.record.revision } });
  });

  it("status.pendingIssuance is the intent whenever it is there", () => {
    const o = obj({ annotation: annotation("a1"), status: { pendingIssuance: record({ revision: 3 }) } });
    expect(intentOf(o)).toMatchObject({ from: "status", record: { revision: 3 } });
  });
});

describe("takenOver: the writes that record or end the intent mark the annotation as history", () => {
  it.each([
    { why: "a live annotation intent: its id", o: obj({ annotation: annotation("a1") }), taken: "a1" },
    { why: "already taken: unchanged", o: obj({ annotation: annotation("a1"), status: { orderIntentTaken: "a1" } }), taken: "a1" },
    {
      why: "the intent is in status: nothing to take over",
      o: obj({ annotation: annotation("b2"), status: { pendingIssuance: record(), orderIntentTaken: "a1" } }),
      taken: "a1",
    },
    { why: "no annotation at all", o: obj({}), taken: undefined },
  ])("$why", ({ o, taken }) => {
    const next = takenOver({ ...(o.status ?? {}), failedIssuanceAttempts: 1 }, o);
    expect(next.orderIntentTaken).toBe(taken);
    expect(next.failedIssuanceAttempts).toBe(1);
  });
});

describe("the first intent's patch", () => {
  it("adds the finalizer and the annotation, guarded by the resourceVersion read, keeping others' finalizers", () => {
    const o = obj({});
    o.metadata.finalizers = ["example.com/other"];
    const patch = firstIntentPatch(o, record(), "c3") as { metadata: { resourceVersion: string; finalizers: string[]; annotations: Record<string, string> } };
    expect(patch.metadata.resourceVersion).toBe("7");
    expect(patch.metadata.finalizers).toEqual(["example.com/other", "certbridge.dev/cleanup"]);
    const written = { ...o, metadata: { ...o.metadata, annotations: patch.metadata.annotations } };
    expect(annotationLiveness(written)).toMatchObject({ live: true, id: "c3", record: { revision: 1, reason: "NotIssued" } });
  });

  it("a new id each time (a later first intent is never one status already took over)", () => {
    const ids = new Set(
      Array.from(
        { length: 50 },
        () =>
          JSON.parse(
            (firstIntentPatch(obj({}), record()) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[ORDER_INTENT_ANNOTATION]!,
          ).id,
      ),
    );
    expect(ids.size).toBe(50);
  });
});

it("a live annotation's fingerprint is not read: a Cloudflare look-up by it could be pointed at another tenant's certificate", () => {
  const got = annotationLiveness(obj({ annotation: annotation("a1", { fingerprint: "f".repeat(64), publicKeySha256: "a".repeat(64) }) }));
  expect(got.live).toBe(true);
  if (got.live) {
    expect(got.record.fingerprint).toBeUndefined();
    expect(got.record.publicKeySha256).toBe("a".repeat(64));
  }
});

describe("the informer keeps an annotation intent only while it may be live (issue 13: ~0.5 KB a resource)", () => {
  it.each([
    { why: "live: the intent in flight", o: obj({ annotation: annotation("a1") }), kept: true },
    {
      why: "status holds the record for now: kept until status ends it",
      o: obj({ annotation: annotation("a1"), status: { pendingIssuance: record(), orderIntentTaken: "a1" } }),
      kept: true,
    },
    {
      why: "taken over (every issued resource): dropped",
      o: obj({ annotation: annotation("a1"), status: { revision: 1, orderIntentTaken: "a1" } }),
      kept: false,
    },
    { why: "another object's (copied manifest): dropped", o: obj({ annotation: annotation("a1"), uid: "other" }), kept: false },
    { why: "unreadable: dropped", o: obj({ annotation: "{" }), kept: false },
  ])("$why", ({ o, kept }) => {
    const trimmed = withoutDeadIntent(o);
    expect(trimmed.metadata.annotations?.[ORDER_INTENT_ANNOTATION] !== undefined).toBe(kept);
    expect(intentOf(trimmed)).toEqual(intentOf(o));
  });
});
