import { describe, expect, test } from "vitest";
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyDesired, ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";
import { defaultKeyName, driftedFields, mustRotate, nextDriftCheckAt, rotationRequest, syncReason, usageExhausted, MAX_KEY_NAME } from "./decisions.ts";

const desired: ProvisioningKeyDesired = { name: "k", associationType: "CONNECTOR_GRP", enabled: true, maxUsage: 5, enrollmentCertId: "1", groupId: "2" };
const record = (over: Partial<ProvisioningKeyRecord> = {}): ProvisioningKeyRecord => ({ id: "9", value: "3|h|x", usageCount: 0, ...desired, ...over });

function pk(over: { rotation?: number; annotation?: string; status?: ProvisioningKey["status"] } = {}): Pick<ProvisioningKey, "metadata" | "spec" | "status"> {
  return {
    metadata: { name: "a", namespace: "ns", ...(over.annotation === undefined ? {} : { annotations: { [annotations.rotateRequest]: over.annotation } }) },
    spec: { rotation: over.rotation ?? 0 } as ProvisioningKey["spec"],
    status: over.status,
  } as Pick<ProvisioningKey, "metadata" | "spec" | "status">;
}

describe("defaultKeyName", () => {
  const cases = [
    { reason: "short names read as certbridge.<namespace>.<name>", ns: "team", name: "edge", want: "certbridge.team.edge" },
    { reason: "dashes cannot make two resources collide (namespaces hold no dots)", ns: "a-b", name: "c", want: "certbridge.a-b.c" },
    { reason: "…the other side of that pair", ns: "a", name: "b-c", want: "certbridge.a.b-c" },
    { reason: "the same inputs always give the same name (crash recovery finds it)", ns: "team", name: "edge", want: defaultKeyName("team", "edge") },
  ];
  test.each(cases)("$reason", ({ ns, name, want }) => expect(defaultKeyName(ns, name)).toBe(want));

  test("over-long names are cut to ZPA's limit and stay distinct through a hash", () => {
    const a = defaultKeyName("n".repeat(63), "x".repeat(253));
    const b = defaultKeyName("n".repeat(63), `${"x".repeat(252)}y`);
    expect(a.length).toBe(MAX_KEY_NAME);
    expect(a).not.toBe(b);
    expect(a.startsWith("certbridge.nnn")).toBe(true);
  });
});

describe("driftedFields", () => {
  const cases: Array<{ reason: string; observed: ProvisioningKeyRecord; want: string[] }> = [
    { reason: "identical managed fields need no update", observed: record(), want: [] },
    { reason: "usageCount is ZPA's, never drift", observed: record({ usageCount: 4 }), want: [] },
    { reason: "maxUsage changed in ZPA", observed: record({ maxUsage: 50 }), want: ["maxUsage"] },
    { reason: "disabled in ZPA and renamed", observed: record({ enabled: false, name: "other" }), want: ["name", "enabled"] },
    { reason: "moved to another group and cert", observed: record({ groupId: "7", enrollmentCertId: "8" }), want: ["enrollmentCertId", "groupId"] },
  ];
  test.each(cases)("$reason", ({ observed, want }) => expect(driftedFields(desired, observed)).toEqual(want));
});

describe("rotation", () => {
  const cases: Array<{ reason: string; input: ReturnType<typeof pk>; want: boolean }> = [
    { reason: "no key yet: the first key is new anyway", input: pk({ rotation: 2 }), want: false },
    { reason: "counter above the observed rotation", input: pk({ rotation: 2, status: { id: "9", observedRotation: 1 } }), want: true },
    { reason: "counter already carried out", input: pk({ rotation: 2, status: { id: "9", observedRotation: 2 } }), want: false },
    { reason: "a new annotation value", input: pk({ annotation: "2024-01-01", status: { id: "9" } }), want: true },
    { reason: "the annotation value already carried out", input: pk({ annotation: "x", status: { id: "9", observedRotateRequest: "x" } }), want: false },
    { reason: "an empty annotation asks for nothing", input: pk({ annotation: "", status: { id: "9" } }), want: false },
  ];
  test.each(cases)("$reason", ({ input, want }) => expect(rotationRequest(input).requested).toBe(want));

  const must = [
    { reason: "the recorded key is still there: replace it", observed: "9", recorded: "9", want: true },
    { reason: "a different key is there: a crashed rotation already replaced it", observed: "10", recorded: "9", want: false },
  ];
  test.each(must)("$reason", ({ observed, recorded, want }) =>
    expect(mustRotate({ requested: true, rotation: 1, rotateRequest: undefined }, observed, recorded)).toBe(want));
});

describe("usageExhausted", () => {
  const cases = [
    { reason: "below max", usageCount: 4, maxUsage: 5, want: false },
    { reason: "at max", usageCount: 5, maxUsage: 5, want: true },
    { reason: "max lowered below usage", usageCount: 7, maxUsage: 5, want: true },
  ];
  test.each(cases)("$reason", ({ usageCount, maxUsage, want }) => expect(usageExhausted({ usageCount, maxUsage })).toBe(want));
});

describe("syncReason", () => {
  const base = { recordedId: "9", generation: 2, observedGeneration: 2, rotationRequested: false, secretIntact: true, lastSyncSucceeded: true, now: 1000, nextDriftCheckAt: 2000 };
  const cases: Array<{ reason: string; over: Partial<typeof base>; want: string | undefined }> = [
    { reason: "a Ready key between checks costs no vendor call", over: {}, want: undefined },
    { reason: "nothing recorded: look up (or create)", over: { recordedId: undefined as unknown as string }, want: "NoKeyRecorded" },
    { reason: "spec changed", over: { generation: 3 }, want: "SpecChanged" },
    { reason: "rotation asked for", over: { rotationRequested: true }, want: "RotationRequested" },
    { reason: "Secret deleted or altered", over: { secretIntact: false }, want: "SecretNeedsRepair" },
    { reason: "the last sync failed", over: { lastSyncSucceeded: false }, want: "LastSyncFailed" },
    { reason: "the drift check is due", over: { now: 2000 }, want: "DriftCheckDue" },
  ];
  test.each(cases)("$reason", ({ over, want }) => expect(syncReason({ ...base, ...over })).toBe(want));
});

describe("nextDriftCheckAt", () => {
  const cases = [
    { reason: "never synced: now", last: undefined, random: 0.5, want: 100_000 },
    { reason: "one interval after the last sync, no jitter at random 0", last: 90_000, random: 0, want: 150_000 },
    { reason: "jitter pulls it earlier by up to 20 %", last: 90_000, random: 1, want: 138_000 },
    { reason: "overdue (after a restart): spread over the next interval, not now", last: 0, random: 0.25, want: 115_000 },
  ];
  test.each(cases)("$reason", ({ last, random, want }) => expect(nextDriftCheckAt(last, 60_000, 100_000, () => random)).toBe(want));
});
