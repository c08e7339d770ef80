import { describe, expect, test } from "vitest";
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyDesired, ProvisioningKeyRecord } from "../../ports/provisioning-keys.ts";
import {
  cleanupGraceOver, CREATE_SETTLE_MS, createIntentFor, createSettlingMs, defaultKeyName, driftedFields, CLOCK_SKEW_MS, mustRotate, nextDriftCheckAt, originOf, reservedNameProblem, rotationRequest,
  syncReason, usageExhausted, MAX_KEY_NAME,
} from "./decisions.ts";

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

describe("reservedNameProblem", () => {
  const cases = [
    { reason: "no spec.name: the default name is the namespace's own", name: undefined, ok: true },
    { reason: "any other name", name: "edge-connectors", ok: true },
    { reason: "the namespace's own default-name form", name: "certbridge.team.other", ok: true },
    { reason: "another namespace's default-name form would squat its keys", name: "certbridge.victim.edge", ok: false },
    { reason: "…also behind blanks", name: " certbridge.victim.edge", ok: false },
    { reason: "certbridge.<x> without a resource part is nobody's default", name: "certbridge.victim", ok: true },
  ];
  test.each(cases)("$reason", ({ name, ok }) => expect(reservedNameProblem(name, "team") === undefined).toBe(ok));
});

describe("originOf", () => {
  const since = "2030-01-01T00:00:00Z";
  const t = Date.parse(since);
  const intent = { name: "edge", since };
  const cases: Array<{ reason: string; found: { id: string; name: string; createdAt?: number }; recorded?: string; intent?: typeof intent; want: string }> = [
    { reason: "the recorded key", found: { id: "9", name: "edge" }, recorded: "9", intent, want: "recorded" },
    { reason: "no intent: someone else made it", found: { id: "9", name: "edge", createdAt: t }, want: "preExisting" },
    { reason: "our intent, made just after it: the create we sent", found: { id: "9", name: "edge", createdAt: t + 2000 }, intent, want: "createdByUs" },
    { reason: "our intent, ZPA gives no creation time: trusted", found: { id: "9", name: "edge" }, intent, want: "createdByUs" },
    { reason: "made long before the intent: it was there already", found: { id: "9", name: "edge", createdAt: t - 3_600_000 }, intent, want: "preExisting" },
    { reason: "made long after the intent: not what we sent", found: { id: "9", name: "edge", createdAt: t + CREATE_SETTLE_MS + CLOCK_SKEW_MS + 1000 }, intent, want: "preExisting" },
    { reason: "the intent named another key", found: { id: "9", name: "other", createdAt: t }, intent, want: "preExisting" },
    { reason: "blank-padded in ZPA is the same name", found: { id: "9", name: " edge ", createdAt: t }, intent, want: "createdByUs" },
  ];
  test.each(cases)("$reason", ({ found, recorded, intent: i, want }) => expect(originOf(found, recorded, i)).toBe(want));
});

describe("createSettlingMs", () => {
  const intent = { name: "edge", since: "2030-01-01T00:00:00Z" };
  const t = Date.parse(intent.since);
  const cases = [
    { reason: "no intent: create now", intent: undefined, now: t, want: undefined },
    { reason: "a create announced a moment ago may still land: keep looking", intent, now: t + 30_000, want: CREATE_SETTLE_MS - 30_000 },
    { reason: "past the settle window it would have landed: create again", intent, now: t + CREATE_SETTLE_MS, want: undefined },
    { reason: "an intent for another name says nothing about this one", intent: { ...intent, name: "other" }, now: t, want: undefined },
  ];
  test.each(cases)("$reason", ({ intent: i, now, want }) => expect(createSettlingMs(i, "edge", now)).toBe(want));
});

describe("createIntentFor", () => {
  const now = new Date("2030-01-01T00:01:00.123Z");
  test("a fresh intent is stamped now (seconds, as status timestamps are)", () => {
    expect(createIntentFor(undefined, "edge", now)).toEqual({ name: "edge", since: "2030-01-01T00:01:00Z" });
  });
  test("a recent intent for the same name keeps its time: its create may still land", () => {
    const earlier = { name: "edge", since: "2030-01-01T00:00:30Z" };
    expect(createIntentFor(earlier, "edge", now)).toBe(earlier);
  });
  test("a stale or other-named intent is replaced", () => {
    expect(createIntentFor({ name: "edge", since: "2029-12-31T00:00:00Z" }, "edge", now).since).toBe("2030-01-01T00:01:00Z");
    expect(createIntentFor({ name: "old", since: "2030-01-01T00:00:50Z" }, "edge", now).name).toBe("edge");
  });
});

describe("cleanupGraceOver", () => {
  const cases = [
    { reason: "within the grace", deletion: "2030-01-01T00:00:00Z", now: Date.parse("2030-01-01T00:14:59Z"), want: false },
    { reason: "at its end", deletion: "2030-01-01T00:00:00Z", now: Date.parse("2030-01-01T00:15:00Z"), want: true },
    { reason: "no readable deletion time: nothing to wait for", deletion: undefined, now: 0, want: true },
  ];
  test.each(cases)("$reason", ({ deletion, now, want }) => expect(cleanupGraceOver(deletion, now, 15 * 60_000)).toBe(want));
});
