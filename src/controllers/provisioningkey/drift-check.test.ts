import { describe, expect, test } from "vitest";
import { nextDriftCheckAt, syncReason } from "./drift-check.ts";

describe("syncReason", () => {
  const base = {
    recordedId: "9",
    generation: 2,
    observedGeneration: 2,
    rotationRequested: false,
    secretIntact: true,
    lastSyncSucceeded: true,
    observationRequested: false,
    now: 1000,
    nextDriftCheckAt: 2000,
  };
  const cases: Array<{ reason: string; over: Partial<typeof base>; want: string | undefined }> = [
    { reason: "a Ready key between checks costs no vendor call", over: {}, want: undefined },
    { reason: "nothing recorded: look up (or create)", over: { recordedId: undefined as unknown as string }, want: "NoKeyRecorded" },
    { reason: "spec changed", over: { generation: 3 }, want: "SpecChanged" },
    { reason: "rotation asked for", over: { rotationRequested: true }, want: "RotationRequested" },
    { reason: "Secret deleted or altered", over: { secretIntact: false }, want: "SecretNeedsRepair" },
    { reason: "the last sync failed", over: { lastSyncSucceeded: false }, want: "LastSyncFailed" },
    { reason: "an observation asked for with the annotation: now, not at the next check", over: { observationRequested: true }, want: "ObservationRequested" },
    {
      reason: "a failed sync says so first (the observation is made by that retry)",
      over: { observationRequested: true, lastSyncSucceeded: false },
      want: "LastSyncFailed",
    },
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
