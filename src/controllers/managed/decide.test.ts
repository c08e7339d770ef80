import { describe, expect, test } from "vitest";
import {
  cleanupGraceOver,
  cleanupRetryMs,
  decideIntentCleanup,
  decideSync,
  deletesExternal,
  needsAdoptionConsent,
  needsCleanup,
  wantsFinalizer,
  type CleanupInput,
  type IntentLookup,
  type SyncInput,
} from "./decide.ts";

// The driver's decision table: what observing found + the resource's policies + its create intent
// → what the sync does and what it reports. One row per case, each with the reason it is right.
const manage: SyncInput = { management: "Manage", found: undefined, recorded: false, adopt: false, replaceRequested: false, drifted: false };
const observe: SyncInput = { ...manage, management: "ObserveOnly" };

describe("decideSync", () => {
  const cases: Array<{ reason: string; input: SyncInput; step: string; result?: string; refusal?: string }> = [
    // Manage, nothing found
    { reason: "nothing recorded, nothing found: create", input: manage, step: "create", result: "Created" },
    { reason: "a create announced moments ago may still land: look again, never a second create", input: { ...manage, settlingMs: 90_000 }, step: "wait" },
    { reason: "the settle window is over: create again", input: { ...manage, settlingMs: undefined }, step: "create", result: "Created" },
    { reason: "the recorded object was deleted at the vendor: re-create it", input: { ...manage, recorded: true }, step: "create", result: "Recreated" },
    {
      reason: "gone with a replacement pending: a rotation that died after its delete; this create completes it",
      input: { ...manage, recorded: true, replaceRequested: true },
      step: "create",
      result: "Replaced",
    },
    { reason: "a recorded object gone while its re-create may still land: wait too", input: { ...manage, recorded: true, settlingMs: 5_000 }, step: "wait" },
    // Manage, the recorded object
    { reason: "the recorded object matches the spec: nothing to do", input: { ...manage, recorded: true, found: "recorded" }, step: "none", result: "InSync" },
    {
      reason: "the recorded object drifted: update it",
      input: { ...manage, recorded: true, found: "recorded", drifted: true },
      step: "update",
      result: "Updated",
    },
    {
      reason: "the recorded object is still there and a rotation is asked for: replace it",
      input: { ...manage, recorded: true, found: "recorded", replaceRequested: true },
      step: "replace",
      result: "Replaced",
    },
    {
      reason: "a rotation replaces even a drifted object (the new one is made to the spec)",
      input: { ...manage, recorded: true, found: "recorded", replaceRequested: true, drifted: true },
      step: "replace",
      result: "Replaced",
    },
    // Manage, our own unrecorded create
    {
      reason: "our create whose answer was lost (or a crash before recording): it is ours, not repeated",
      input: { ...manage, found: "createdByUs" },
      step: "none",
      result: "Created",
    },
    { reason: "…and brought to the spec if it differs", input: { ...manage, found: "createdByUs", drifted: true }, step: "update", result: "Created" },
    {
      reason: "a different object is there after a rotation: a crashed rotation already replaced it; not replaced twice",
      input: { ...manage, recorded: true, found: "createdByUs", replaceRequested: true },
      step: "none",
      result: "Replaced",
    },
    {
      reason: "our re-create of a vanished object, found after a crash",
      input: { ...manage, recorded: true, found: "createdByUs" },
      step: "none",
      result: "Recreated",
    },
    // Manage, a pre-existing object
    {
      reason: "made outside this resource and adoption not asked: refused, never taken over silently",
      input: { ...manage, found: "preExisting" },
      step: "refuse",
      refusal: "adoptionNotAsked",
    },
    {
      reason: "adoption asked, the connection does not consent: refused",
      input: { ...manage, found: "preExisting", adopt: true, adoptionAllowed: false },
      step: "refuse",
      refusal: "adoptionNotAllowed",
    },
    {
      reason: "adoption asked, consent not known: refused (fail closed)",
      input: { ...manage, found: "preExisting", adopt: true },
      step: "refuse",
      refusal: "adoptionNotAllowed",
    },
    {
      reason: "adoption asked and allowed: taken over as it is",
      input: { ...manage, found: "preExisting", adopt: true, adoptionAllowed: true },
      step: "none",
      result: "Adopted",
    },
    {
      reason: "adoption asked and allowed: taken over and brought to the spec",
      input: { ...manage, found: "preExisting", adopt: true, adoptionAllowed: true, drifted: true },
      step: "update",
      result: "Adopted",
    },
    {
      reason: "a rotation never replaces an object this resource did not record",
      input: { ...manage, recorded: true, found: "preExisting", adopt: true, adoptionAllowed: true, replaceRequested: true },
      step: "none",
      result: "Adopted",
    },
    // ObserveOnly
    { reason: "ObserveOnly never creates: nothing found is missing", input: observe, step: "missing" },
    { reason: "ObserveOnly ignores a create intent: it never announced one", input: { ...observe, settlingMs: 60_000 }, step: "missing" },
    { reason: "ObserveOnly, the recorded object: in sync", input: { ...observe, recorded: true, found: "recorded" }, step: "none", result: "InSync" },
    {
      reason: "ObserveOnly, found for the first time: adopted for reading (consent was asked before any call)",
      input: { ...observe, found: "preExisting" },
      step: "none",
      result: "Adopted",
    },
    {
      reason: "ObserveOnly never writes: drift and rotation change nothing",
      input: { ...observe, recorded: true, found: "recorded", drifted: true, replaceRequested: true },
      step: "none",
      result: "InSync",
    },
  ];
  test.each(cases)("$reason", ({ input, step, result, refusal }) => {
    const plan = decideSync(input);
    expect(plan.step).toBe(step);
    if (result !== undefined) expect("result" in plan ? plan.result : undefined).toBe(result);
    if (refusal !== undefined) expect("refusal" in plan ? plan.refusal : undefined).toBe(refusal);
    expect(plan.why.length).toBeGreaterThan(0);
  });

  test("waiting on a settling create looks again every 15 s, sooner at the window's end", () => {
    expect(decideSync({ ...manage, settlingMs: 100_000 })).toMatchObject({ step: "wait", retryAfterMs: 15_000 });
    expect(decideSync({ ...manage, settlingMs: 3_000 })).toMatchObject({ step: "wait", retryAfterMs: 3_000 });
  });
});

describe("needsAdoptionConsent", () => {
  const cases: Array<{ reason: string; input: Pick<SyncInput, "management" | "found" | "adopt">; want: boolean }> = [
    {
      reason: "a pre-existing object the spec asks to adopt: ask the connection",
      input: { management: "Manage", found: "preExisting", adopt: true },
      want: true,
    },
    { reason: "not asked for: refused without asking anyone", input: { management: "Manage", found: "preExisting", adopt: false }, want: false },
    { reason: "our own create needs nobody's consent", input: { management: "Manage", found: "createdByUs", adopt: true }, want: false },
    { reason: "ObserveOnly asks before any vendor call, not here", input: { management: "ObserveOnly", found: "preExisting", adopt: false }, want: false },
  ];
  test.each(cases)("$reason", ({ input, want }) => expect(needsAdoptionConsent(input)).toBe(want));
});

describe("policies", () => {
  const cases = [
    {
      reason: "Manage + Delete: the finalizer holds the resource until the object is deleted",
      management: "Manage",
      deletion: "Delete",
      finalizer: true,
      deletes: true,
    },
    {
      reason: "Manage + Orphan: a finalizer (policy may change back), but the object is left",
      management: "Manage",
      deletion: "Orphan",
      finalizer: true,
      deletes: false,
    },
    { reason: "ObserveOnly never deletes, so nothing to finish", management: "ObserveOnly", deletion: "Delete", finalizer: false, deletes: false },
    { reason: "ObserveOnly + Orphan: the same", management: "ObserveOnly", deletion: "Orphan", finalizer: false, deletes: false },
  ] as const;
  test.each(cases)("$reason", ({ management, deletion, finalizer, deletes }) => {
    expect(wantsFinalizer(management)).toBe(finalizer);
    expect(deletesExternal(management, deletion)).toBe(deletes);
  });
});

describe("needsCleanup", () => {
  const base: CleanupInput = { management: "Manage", deletion: "Delete", holdsRecorded: true, holdsIntent: false };
  const cases: Array<{ reason: string; input: CleanupInput; want: boolean }> = [
    { reason: "a recorded object it holds: delete it", input: base, want: true },
    { reason: "an announced create it holds: look for it", input: { ...base, holdsRecorded: false, holdsIntent: true }, want: true },
    { reason: "holds nothing (another resource outranks it): no vendor call, release", input: { ...base, holdsRecorded: false }, want: false },
    { reason: "Orphan: the object stays", input: { ...base, deletion: "Orphan" }, want: false },
    { reason: "ObserveOnly: never deletes", input: { ...base, management: "ObserveOnly" }, want: false },
  ];
  test.each(cases)("$reason", ({ input, want }) => expect(needsCleanup(input)).toBe(want));
});

describe("decideIntentCleanup", () => {
  const cases: Array<{ reason: string; input: IntentLookup; step: string }> = [
    { reason: "our create, found by its intent: delete it", input: { found: "createdByUs", claimedElsewhere: false, settlingMs: undefined }, step: "delete" },
    {
      reason: "the recorded object found under the intent's name: delete it (once)",
      input: { found: "recorded", claimedElsewhere: false, settlingMs: undefined },
      step: "delete",
    },
    {
      reason: "an object of that name made by someone else: not ours to delete",
      input: { found: "preExisting", claimedElsewhere: false, settlingMs: undefined },
      step: "skip",
    },
    {
      reason: "another resource recorded the object found: theirs",
      input: { found: "createdByUs", claimedElsewhere: true, settlingMs: undefined },
      step: "skip",
    },
    {
      reason: "nothing yet, but the create may still land: wait, or it would be left behind untracked",
      input: { found: undefined, claimedElsewhere: false, settlingMs: 30_000 },
      step: "wait",
    },
    {
      reason: "nothing, and the window is over: the create never landed",
      input: { found: undefined, claimedElsewhere: false, settlingMs: undefined },
      step: "skip",
    },
  ];
  test.each(cases)("$reason", ({ input, step }) => expect(decideIntentCleanup(input).step).toBe(step));
});

describe("cleanupGraceOver", () => {
  const cases = [
    { reason: "within the grace", deletion: "2030-01-01T00:00:00Z", now: Date.parse("2030-01-01T00:14:59Z"), want: false },
    { reason: "at its end", deletion: "2030-01-01T00:00:00Z", now: Date.parse("2030-01-01T00:15:00Z"), want: true },
    { reason: "no readable deletion time: nothing to wait for", deletion: undefined, now: 0, want: true },
  ];
  test.each(cases)("$reason", ({ deletion, now, want }) => expect(cleanupGraceOver(deletion, now, 15 * 60_000)).toBe(want));
});

describe("cleanupRetryMs", () => {
  const deletion = "2030-01-01T00:00:00Z";
  const t = Date.parse(deletion);
  const cases = [
    { reason: "early in the grace: once a minute", now: t, want: 60_000 },
    { reason: "its last minute: once more when it ends", now: t + 14.5 * 60_000, want: 30_000 },
    { reason: "never a busy loop", now: t + 15 * 60_000 - 10, want: 1_000 },
  ];
  test.each(cases)("$reason", ({ now, want }) => expect(cleanupRetryMs(deletion, now, 15 * 60_000)).toBe(want));
});
