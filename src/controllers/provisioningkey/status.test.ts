import { describe, expect, test } from "vitest";
import type { ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyReport } from "../../ports/managed-provisioning-keys.ts";
import { nextStatus, onlySyncTimeChanged, type Outcome, type SyncedOutcome } from "./status.ts";

/** What the ZPA client reports about the key (status fields only: the value never reaches status). */
const report: ProvisioningKeyReport = {
  id: "9",
  name: "k",
  enabled: true,
  maxUsage: 5,
  usageCount: 1,
  group: { id: "2", name: "G" },
  enrollmentCertificate: { id: "1", name: "Connector" },
};
const keyValue = "3|sim.test|c2VjcmV0";
const now = new Date("2030-01-01T00:00:00Z");
const synced = (over: Partial<SyncedOutcome> = {}): Outcome => ({
  kind: "synced",
  action: "Created",
  report,
  availability: { usable: true },
  secret: "delivered",
  secretName: "s",
  rotation: { requested: false, rotation: 0, rotateRequest: undefined },
  now,
  observeOnly: false,
  ...over,
});
const cond = (s: ProvisioningKeyStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe("nextStatus", () => {
  const cases: Array<{ reason: string; outcome: Outcome; ready: [string, string]; synced: [string, string] }> = [
    { reason: "created and delivered", outcome: synced(), ready: ["True", "Created"], synced: ["True", "Created"] },
    { reason: "adopted by ObserveOnly", outcome: synced({ action: "Adopted", observeOnly: true }), ready: ["True", "Adopted"], synced: ["True", "Adopted"] },
    {
      reason: "a key re-created after deletion in ZPA reads as Created",
      outcome: synced({ action: "Recreated" }),
      ready: ["True", "Created"],
      synced: ["True", "Created"],
    },
    {
      reason: "the client says the key cannot serve (usage reached maxUsage): not Ready",
      outcome: synced({
        report: { ...report, usageCount: 5 },
        availability: { usable: false, reason: "UsageExhausted", message: "usageCount 5 has reached maxUsage 5" },
      }),
      ready: ["False", "UsageExhausted"],
      synced: ["True", "Created"],
    },
    {
      reason: "foreign Secret: ZPA is fine, delivery is not",
      outcome: synced({ secret: "conflict" }),
      ready: ["False", "SecretConflict"],
      synced: ["True", "Created"],
    },
    {
      reason: "failure before anything was delivered",
      outcome: { kind: "failed", reason: "NotFound", message: "no group", keepReady: true, now },
      ready: ["False", "NotFound"],
      synced: ["False", "NotFound"],
    },
  ];
  test.each(cases)("$reason", ({ outcome, ready, synced: s }) => {
    const st = nextStatus(undefined, 3, outcome);
    expect([cond(st, "Ready")?.status, cond(st, "Ready")?.reason]).toEqual(ready);
    expect([cond(st, "Synced")?.status, cond(st, "Synced")?.reason]).toEqual(s);
    expect(JSON.stringify(st)).not.toContain(keyValue);
  });

  test("recording the key clears the create intent; a failure keeps it (the create's outcome may be unknown)", () => {
    const pending: ProvisioningKeyStatus = { createIntent: { name: "k", since: "2030-01-01T00:00:00Z" } };
    expect(nextStatus(pending, 1, synced()).createIntent).toBeUndefined();
    expect(
      nextStatus(pending, 1, { kind: "failed", reason: "VendorError", message: "zpa createProvisioningKey: timeout", keepReady: false, now }).createIntent,
    ).toEqual(pending.createIntent);
  });

  test("Adopted says taken over for Manage and observing for ObserveOnly", () => {
    const managed = nextStatus(undefined, 1, synced({ action: "Adopted" }));
    expect(cond(managed, "Synced")?.message).toMatch(/^adopted provisioning key k \(id 9\), which existed in ZPA before this resource/);
    expect(cond(nextStatus(undefined, 1, synced({ action: "Adopted", observeOnly: true })), "Synced")?.message).toMatch(/^observing/);
  });

  test("a failed drift check keeps Ready of a delivered key", () => {
    const ok = nextStatus(undefined, 1, synced());
    const after = nextStatus(ok, 1, { kind: "failed", reason: "VendorError", message: "zpa getProvisioningKey: 503", keepReady: true, now });
    expect(cond(after, "Ready")?.status).toBe("True");
    expect(cond(after, "Synced")?.reason).toBe("VendorError");
    expect(after.id).toBe("9");
  });

  test.each([
    { why: "Manage", observeOnly: false },
    { why: "ObserveOnly (which acknowledges no rotation)", observeOnly: true },
  ])("a sync acknowledges the observe-request annotation it acted on ($why)", ({ observeOnly }) => {
    const st = nextStatus({ observedObserveRequest: "a" }, 1, synced({ observeOnly, observation: { requested: true, value: "b" } }));
    expect(st.observedObserveRequest).toBe("b");
    expect(nextStatus(st, 1, synced({ observeOnly, observation: { requested: false, value: undefined } })).observedObserveRequest).toBe("b");
  });

  test("a failed sync does not acknowledge an observation: it is made again with the retry", () => {
    const after = nextStatus({ observedObserveRequest: "a" }, 1, {
      kind: "failed",
      reason: "VendorError",
      message: "zpa getProvisioningKey: 503",
      keepReady: true,
      now,
    });
    expect(after.observedObserveRequest).toBe("a");
  });

  test("a disabled key is delivered and Ready, and the message says it is disabled", () => {
    const st = nextStatus(undefined, 1, synced({ availability: { usable: true, note: "the key is disabled in ZPA" } }));
    expect(cond(st, "Ready")).toMatchObject({ status: "True", message: "key delivered to Secret s (the key is disabled in ZPA)" });
  });

  test("an in-sync check keeps the last change's reason and changes nothing but lastSyncTime", () => {
    const first = nextStatus(undefined, 1, synced({ action: "Replaced", rotation: { requested: true, rotation: 2, rotateRequest: undefined } }));
    const later = nextStatus(
      first,
      1,
      synced({ action: "InSync", now: new Date("2030-01-01T01:00:00Z"), rotation: { requested: false, rotation: 2, rotateRequest: undefined } }),
    );
    expect(cond(later, "Synced")?.reason).toBe("Rotated");
    expect(later.observedRotation).toBe(2);
    expect(onlySyncTimeChanged(first, later)).toBe(true);
    expect(onlySyncTimeChanged(first, nextStatus(first, 1, synced({ action: "InSync", report: { ...report, usageCount: 2 } })))).toBe(false);
  });
});
