import { describe, expect, it } from "vitest";
import { commentsWithMarker, formatOrderMarker, markerMatches, MAX_COMMENTS, parseOrderMarker } from "./order-marker.ts";

const UID = "0b7c1f7e-4a59-4b1e-9a36-2f4c8d2b1a10";

describe("order marker", () => {
  it("round-trips through comments", () => {
    const c = commentsWithMarker({ uid: UID, revision: 3 }, "issued for team A");
    expect(c).toBe(`issued for team A [certbridge uid=${UID} rev=3]`);
    expect(parseOrderMarker(c)).toEqual({ uid: UID, revision: 3 });
  });

  it("fits the 1024-character comments limit, trimming the human text first", () => {
    const c = commentsWithMarker({ uid: UID, revision: 1 }, "x".repeat(5000));
    expect(c.length).toBeLessThanOrEqual(MAX_COMMENTS);
    expect(parseOrderMarker(c)).toEqual({ uid: UID, revision: 1 });
  });

  it("replaces a marker already in the human text instead of stacking two", () => {
    const c = commentsWithMarker({ uid: UID, revision: 2 }, `old [certbridge uid=${UID} rev=1]`);
    expect(c.match(/certbridge/g)).toHaveLength(1);
    expect(parseOrderMarker(c)?.revision).toBe(2);
  });

  it.each([
    ["same uid and revision", { uid: UID, revision: 3 }, true],
    ["same uid, any revision", { uid: UID }, true],
    ["same uid, other revision", { uid: UID, revision: 4 }, false],
    ["other uid", { uid: "other", revision: 3 }, false],
  ])("matches: %s", (_why, want, ok) => {
    expect(markerMatches(commentsWithMarker({ uid: UID, revision: 3 }), want)).toBe(ok);
  });

  const SPEC = "0123456789abcdef";
  it.each([
    ["same uid, revision and spec", { uid: UID, revision: 3, spec: SPEC }, `[certbridge uid=${UID} rev=3 spec=${SPEC}]`, true],
    [
      "same revision, another spec (the spec changed while the order was in flight)",
      { uid: UID, revision: 3, spec: "fedcba9876543210" },
      `[certbridge uid=${UID} rev=3 spec=${SPEC}]`,
      false,
    ],
    ["no spec asked for: any spec of that revision", { uid: UID, revision: 3 }, `[certbridge uid=${UID} rev=3 spec=${SPEC}]`, true],
    ["a marker written before spec hashes: uid and revision decide", { uid: UID, revision: 3, spec: SPEC }, `[certbridge uid=${UID} rev=3]`, true],
  ])("spec hash: %s", (_why, want, comments, ok) => {
    expect(markerMatches(comments, want)).toBe(ok);
  });

  it("round-trips the spec hash", () => {
    const c = commentsWithMarker({ uid: UID, revision: 5, spec: SPEC }, "team A");
    expect(c).toBe(`team A [certbridge uid=${UID} rev=5 spec=${SPEC}]`);
    expect(parseOrderMarker(c)).toEqual({ uid: UID, revision: 5, spec: SPEC });
  });

  it.each([
    ["no comments", undefined],
    ["human text only", "renewed by hand"],
    ["a lookalike", "[certbridge uid= rev=1]"],
  ])("no marker: %s", (_why, comments) => {
    expect(parseOrderMarker(comments)).toBeUndefined();
    expect(markerMatches(comments, { uid: UID })).toBe(false);
  });

  it.each([
    ["uid with spaces", { uid: "a b", revision: 1 }],
    ["uid with brackets", { uid: "a]b", revision: 1 }],
    ["negative revision", { uid: "a", revision: -1 }],
    ["fractional revision", { uid: "a", revision: 1.5 }],
    ["a spec that is not 16 hex digits", { uid: "a", revision: 1, spec: "XYZ" }],
  ])("refuses %s", (_why, m) => {
    expect(() => formatOrderMarker(m)).toThrow();
  });
});
