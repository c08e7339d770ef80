import { describe, expect, it } from "vitest";
import type { FoundOrder, OrderIntent } from "../../ports/certificate-authority.ts";
import { confirmOwnRefs, identityVerdict, splitByLookup, trustedFingerprint } from "./ownership.ts";
import { markerOf } from "./record.ts";

const KEY = "a".repeat(64);
const OTHER_KEY = "b".repeat(64);
const MARKER = markerOf("uid-1", 1, "0123456789abcdef");
const expected = { revision: 1, marker: MARKER, publicKeySha256: KEY };

describe("identityVerdict: a record is ours only when it carries what the owner proves", () => {
  it.each([
    { why: "what the engine writes for this owner", recorded: { revision: 1, marker: MARKER, publicKeySha256: KEY }, verdict: { ours: true } },
    {
      why: "another revision (its marker and look-up would name other orders)",
      recorded: { revision: 2, marker: MARKER, publicKeySha256: KEY },
      verdict: { ours: false, reason: "revision" },
    },
    {
      why: "another object's UID in the marker",
      recorded: { revision: 1, marker: markerOf("uid-2", 1, "0123456789abcdef"), publicKeySha256: KEY },
      verdict: { ours: false, reason: "marker" },
    },
    {
      why: "another spec hash in the marker",
      recorded: { revision: 1, marker: markerOf("uid-1", 1, "fedcba9876543210"), publicKeySha256: KEY },
      verdict: { ours: false, reason: "marker" },
    },
    { why: "no marker proves nothing", recorded: { revision: 1, publicKeySha256: KEY }, verdict: { ours: false, reason: "marker" } },
    {
      why: "another public key (a key hash read off someone's public certificate)",
      recorded: { revision: 1, marker: MARKER, publicKeySha256: OTHER_KEY },
      verdict: { ours: false, reason: "key" },
    },
    {
      why: "no key proves nothing (a look-up without one could match by other fields)",
      recorded: { revision: 1, marker: MARKER },
      verdict: { ours: false, reason: "key" },
    },
  ])("$why", ({ recorded, verdict }) => {
    expect(identityVerdict(recorded, expected)).toMatchObject(verdict);
  });
});

describe("trustedFingerprint: used only when it is the one computed now", () => {
  it.each([
    { why: "the same: kept", recorded: "f1", expected: "f1", trusted: "f1" },
    {
      why: "another (someone else's order, or the issuer's validity changed): dropped, the look-up matches by key",
      recorded: "f2",
      expected: "f1",
      trusted: undefined,
    },
    { why: "the vendor computes none: dropped", recorded: "f1", expected: undefined, trusted: undefined },
    { why: "none recorded: none", recorded: undefined, expected: "f1", trusted: undefined },
  ])("$why", ({ recorded, expected: want, trusted }) => {
    expect(trustedFingerprint(recorded, want)).toBe(trusted);
  });
});

describe("splitByLookup: only refs the intent's own look-up returned are ours", () => {
  const found: FoundOrder[] = [
    { vendorRef: "ssl:2", state: "pending" },
    { vendorRef: "ssl:3", state: "failed" },
  ];
  it.each([
    { why: "returned: ours, with its state", refs: ["ssl:2"], ours: ["ssl:2"], notOurs: [] },
    { why: "returned as failed: still ours (cancelling it is harmless)", refs: ["ssl:3"], ours: ["ssl:3"], notOurs: [] },
    { why: "not returned (another tenant's order): not ours", refs: ["ssl:1"], ours: [], notOurs: ["ssl:1"] },
    { why: "a ref named twice is judged once", refs: ["ssl:1", "ssl:1", "ssl:2"], ours: ["ssl:2"], notOurs: ["ssl:1"] },
    { why: "nothing asked: nothing", refs: [], ours: [], notOurs: [] },
  ])("$why", ({ refs, ours, notOurs }) => {
    const split = splitByLookup(refs, found);
    expect(split.ours.map((f) => f.vendorRef)).toEqual(ours);
    expect(split.notOurs).toEqual(notOurs);
  });
});

describe("confirmOwnRefs", () => {
  const intent: OrderIntent = {
    owner: { uid: "uid-1", namespace: "ns", name: "web", revision: 1 },
    specHash: "0123456789abcdef",
    publicKeySha256: KEY,
    vendorOptions: { vendor: "cloudflare", options: {} },
    recordedAt: new Date(0),
    knownVendorRefs: ["ssl:2"],
  };

  it("asks with no known refs (the refs asked about must not be hidden from the look-up), and counts the call", async () => {
    const asked: OrderIntent[] = [];
    const calls: string[] = [];
    const split = await confirmOwnRefs(
      {
        ca: {
          findOrders: async (i) => {
            asked.push(i);
            return [{ vendorRef: "ssl:2", state: "pending" }];
          },
        },
        signal: new AbortController().signal,
        onCall: (op) => calls.push(op),
      },
      intent,
      ["ssl:2", "ssl:1"],
    );
    expect(asked.map((i) => i.knownVendorRefs)).toEqual([[]]);
    expect(asked[0]).toMatchObject({ owner: intent.owner, publicKeySha256: KEY });
    expect(calls).toEqual(["find"]);
    expect(split).toEqual({ ours: [{ vendorRef: "ssl:2", state: "pending" }], notOurs: ["ssl:1"] });
  });

  it("asks nothing when there is nothing to confirm", async () => {
    const split = await confirmOwnRefs(
      {
        ca: {
          findOrders: async () => {
            throw new Error("unexpected findOrders");
          },
        },
        signal: new AbortController().signal,
      },
      intent,
      [],
    );
    expect(split).toEqual({ ours: [], notOurs: [] });
  });
});
