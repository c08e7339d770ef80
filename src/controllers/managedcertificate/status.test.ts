// What an issuance records and tells: status.lastIssuance (revision, serial, why, when) from the
// intent's reason, and one Reissued Event per re-issue, written by the status write that records it.
import { describe, expect, it } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import type { Status } from "./context.ts";
import { issuedStatus, notIssuing, withConditions } from "./readiness.ts";
import { reissueNote } from "./status.ts";
import { certificateFixture, at } from "./testing.ts";

const leafPem = async () => (await (await createTestCa({ name: "unit" })).issue({ commonName: "web.example.com" }, {}, { usage: "client" })).leafPem;
const record = (revision: number) => ({ revision, state: "Pending" as const, startedTime: "2026-03-01T10:00:00Z", vendorRef: `ref-${revision}`, pollCount: 0 });

describe("status.lastIssuance", () => {
  it.each([
    { why: "the first certificate", before: {}, reason: "NotIssued", expected: "NotIssued" },
    { why: "a renewal, as the intent recorded it", before: { revision: 1, serialNumber: "0a" }, reason: "Renewing", expected: "Renewing" },
    { why: "a key rotation", before: { revision: 1, serialNumber: "0a" }, reason: "KeyChanged", expected: "KeyChanged" },
    { why: "an intent from before reasons were kept", before: { revision: 1, serialNumber: "0a" }, reason: undefined, expected: "Unknown" },
  ])("records revision, serial, why and when: $why", async ({ before, reason, expected }) => {
    const f = certificateFixture();
    const leaf = await leafPem();
    const status: Status = { ...before, pendingIssuance: { ...record(2), ...(reason === undefined ? {} : { reason }) } };
    const next = issuedStatus(status, {
      spec: f.ctx.mc.spec,
      specHash: f.ctx.specHash,
      record: record(2),
      vendorRef: "ref-2",
      leafPem: leaf,
      renewRequest: undefined,
      issuedAt: at(5),
    });
    expect(next.lastIssuance).toEqual({ revision: 2, serialNumber: next.serialNumber, reason: expected, time: "2026-03-01T10:00:05Z" });
    expect(next.pendingIssuance).toBeUndefined();
    expect(JSON.stringify(next.lastIssuance)).not.toMatch(/BEGIN|PRIVATE/);
  });

  it("keeps the Secret written before on record until its cleanup moves it (secret-cleanup.ts)", async () => {
    const f = certificateFixture({ spec: { secretName: "new-tls" } });
    const issue = async (status: Status) =>
      issuedStatus(status, {
        spec: f.ctx.mc.spec,
        specHash: f.ctx.specHash,
        record: record(2),
        vendorRef: "ref-2",
        leafPem: await leafPem(),
        renewRequest: undefined,
        issuedAt: at(0),
      });
    expect((await issue({ revision: 1, serialNumber: "0a", secretName: "old-tls" })).secretName).toBe("old-tls");
    expect((await issue({})).secretName).toBe("new-tls");
  });
});

describe("the Reissued Event", () => {
  const issued = (revision: number, reason: string): Status => ({
    revision,
    serialNumber: `0${revision}`,
    lastIssuance: { revision, serialNumber: `0${revision}`, reason, time: "2026-03-01T10:00:00Z" },
  });
  it.each([
    {
      why: "renewal due",
      before: issued(1, "NotIssued"),
      next: issued(2, "Renewing"),
      note: "Re-issued as revision 2 (serial 02, replacing 01): renewal due.",
    },
    {
      why: "spec change",
      before: issued(1, "NotIssued"),
      next: issued(2, "SpecChanged"),
      note: "Re-issued as revision 2 (serial 02, replacing 01): the spec changed.",
    },
    {
      why: "key rotation",
      before: issued(2, "Renewing"),
      next: issued(3, "KeyChanged"),
      note: "Re-issued as revision 3 (serial 03, replacing 02): key rotation (spec.privateKey changed).",
    },
    {
      why: "manual renew",
      before: issued(1, "NotIssued"),
      next: issued(2, "RenewRequested"),
      note: "Re-issued as revision 2 (serial 02, replacing 01): manual renewal (certbridge.dev/renew-request).",
    },
    {
      why: "Secret lost",
      before: issued(1, "NotIssued"),
      next: issued(2, "SecretMissing"),
      note: "Re-issued as revision 2 (serial 02, replacing 01): the Secret was lost, with its key.",
    },
    {
      why: "a status from before lastIssuance existed",
      before: { revision: 1, serialNumber: "01" },
      next: issued(2, "Renewing"),
      note: "Re-issued as revision 2 (serial 02, replacing 01): renewal due.",
    },
  ])("one per re-issue, with revision, serial and why: $why", ({ before, next, note }) => {
    expect(reissueNote(before, next)).toBe(note);
  });

  it.each([
    { why: "the first certificate (Ready's own Event says it)", before: {}, next: issued(1, "NotIssued") },
    {
      why: "a later write of the same issuance (conditions, publish, revocations)",
      before: issued(2, "Renewing"),
      next: { ...issued(2, "Renewing"), renewalTime: "x" },
    },
    { why: "a write without an issuance", before: issued(1, "NotIssued"), next: { ...issued(1, "NotIssued"), lastIssuance: undefined } },
  ])("none for $why", ({ before, next }) => {
    expect(reissueNote(before, next as Status)).toBeUndefined();
  });

  it("is recorded by the status write that records the issuance, once", async () => {
    const f = certificateFixture({ status: issued(1, "NotIssued") });
    await f.port.save(issued(2, "Renewing"));
    await f.port.save({ ...issued(2, "Renewing"), renewalTime: "2026-04-01T00:00:00Z" });
    expect(f.events.filter((e) => e.reason === "Reissued")).toEqual([
      { type: "Normal", reason: "Reissued", action: "Issue", note: "Re-issued as revision 2 (serial 02, replacing 01): renewal due." },
    ]);
  });
});

describe("Ready Events", () => {
  const ready = (base: Status, seconds: number, status: "True" | "False", reason: string): Status =>
    withConditions(base, 1, at(seconds), { status, reason, message: `${reason} message` }, notIssuing());

  it("none for a new resource's first status, Pending (where every resource starts); one when Ready turns True, one per later flip", async () => {
    const f = certificateFixture();
    const pending = withConditions(
      {},
      1,
      at(0),
      { status: "False", reason: "Pending", message: "Ordering revision 1." },
      { status: "True", reason: "NotIssued", message: "m" },
    );
    await f.port.save(pending);
    expect(f.events).toEqual([]);
    const issued = ready(pending, 1, "True", "Issued");
    await f.port.save(issued);
    await f.port.save(ready(issued, 2, "False", "SecretNotFound"));
    expect(f.events.map((e) => `${e.type} ${e.reason}`)).toEqual(["Normal Issued", "Warning SecretNotFound"]);
  });

  it("a first status that refuses (not Pending) is told at once", async () => {
    const f = certificateFixture();
    await f.port.save(ready({}, 0, "False", "ConnectionNotFound"));
    expect(f.events.map((e) => `${e.type} ${e.reason}`)).toEqual(["Warning ConnectionNotFound"]);
  });
});
