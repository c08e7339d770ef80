// Revocation: superseded certificates waiting in status, and what deletion revokes.
import { describe, expect, it } from "vitest";
import { VendorError } from "../../ports/vendor-error.ts";
import type { Status } from "./context.ts";
import { processRevocations, revocationsOnDelete, withRevocations } from "./revocation.ts";
import { certificateFixture, vendorOf } from "./testing.ts";

type Item = NonNullable<Status["pendingRevocations"]>[number];
const item = (vendorRef: string, reason: Item["reason"] = "Superseded"): Item => ({ vendorRef, serialNumber: "0a", reason });
const fail = (kind: "transient" | "credentials" | "invalid" | "notFound") =>
  new VendorError({ kind, vendor: "cloudflare", operation: "revoke", message: kind });

describe("processRevocations", () => {
  it.each([
    { why: "revoked: done, with an Event", error: undefined, remains: false, event: "Revoked" },
    { why: "a retryable failure: kept for the next pass", error: fail("transient"), remains: true, event: undefined },
    { why: "refused credentials: kept (they may be fixed)", error: fail("credentials"), remains: true, event: undefined },
    { why: "the vendor says it can never be revoked: dropped", error: fail("invalid"), remains: false, event: undefined },
    { why: "gone at the vendor: dropped", error: fail("notFound"), remains: false, event: undefined },
    { why: "an unexpected error: kept", error: new TypeError("bug"), remains: true, event: undefined },
  ])("$why", async ({ error, remains, event }) => {
    const f = certificateFixture();
    const reasons: string[] = [];
    const ca = vendorOf({
      revoke: async (_ref, reason) => {
        reasons.push(reason);
        if (error) throw error;
      },
    });
    const left = await processRevocations(f.ctx, ca, [item("cf-1")], (e) => f.events.push(e));
    expect(left.length > 0).toBe(remains);
    expect(reasons).toEqual(["superseded"]);
    expect(f.events.map((e) => e.reason)).toEqual(event === undefined ? [] : [event]);
    expect(f.counted).toEqual(error === undefined ? ["cloudflare revoke"] : []);
  });

  it("withRevocations drops the field when none remain", () => {
    expect(withRevocations({ revision: 1, pendingRevocations: [item("a")] }, [])).toEqual({ revision: 1 });
    expect(withRevocations({ revision: 1 }, [item("a")])).toEqual({ revision: 1, pendingRevocations: [item("a")] });
  });
});

describe("revocationsOnDelete", () => {
  it.each([
    {
      why: "Retain: only what was already waiting",
      onDelete: "Retain" as const,
      status: { vendorRef: "cur", pendingRevocations: [item("old")] },
      refs: ["old superseded"],
    },
    {
      why: "Revoke: the current certificate too, as ceased",
      onDelete: "Revoke" as const,
      status: { vendorRef: "cur", pendingRevocations: [item("old")] },
      refs: ["old superseded", "cur cessationOfOperation"],
    },
    { why: "Revoke with nothing issued: nothing", onDelete: "Revoke" as const, status: {}, refs: [] },
    {
      why: "a waiting revocation for a deleted resource is ceased",
      onDelete: "Retain" as const,
      status: { pendingRevocations: [item("x", "Deleted")] },
      refs: ["x cessationOfOperation"],
    },
  ])("$why", ({ onDelete, status, refs }) => {
    expect(revocationsOnDelete(status, onDelete).map((r) => `${r.vendorRef} ${r.reason}`)).toEqual(refs);
  });
});
