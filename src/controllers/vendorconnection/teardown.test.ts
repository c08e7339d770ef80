import { describe, expect, test } from "vitest";
import { teardownPlan } from "./teardown.ts";

describe("teardownPlan", () => {
  test.each([
    {
      why: "first user: hold the connection and keep a copy",
      i: { deleting: false, holdsFinalizer: false, consumers: 1 },
      want: { addFinalizer: true, retain: true, dropCopies: false, releaseFinalizer: false, finished: false },
    },
    {
      why: "used and held: keep the copy current",
      i: { deleting: false, holdsFinalizer: true, consumers: 3 },
      want: { addFinalizer: false, retain: true, dropCopies: false, releaseFinalizer: false, finished: false },
    },
    {
      why: "last user gone: drop the copy, then release",
      i: { deleting: false, holdsFinalizer: true, consumers: 0 },
      want: { addFinalizer: false, retain: false, dropCopies: true, releaseFinalizer: true, finished: false },
    },
    {
      why: "never used: nothing held (a stray copy is still swept)",
      i: { deleting: false, holdsFinalizer: false, consumers: 0 },
      want: { addFinalizer: false, retain: false, dropCopies: true, releaseFinalizer: false, finished: false },
    },
    {
      why: "deleting while used: stay held for the users' cleanup",
      i: { deleting: true, holdsFinalizer: true, consumers: 2 },
      want: { addFinalizer: false, retain: true, dropCopies: false, releaseFinalizer: false, finished: false },
    },
    {
      why: "deleting, used, not held: the API server refuses a new finalizer now",
      i: { deleting: true, holdsFinalizer: false, consumers: 2 },
      want: { addFinalizer: false, retain: true, dropCopies: false, releaseFinalizer: false, finished: false },
    },
    {
      why: "deleting, the last user gone: drop the copy, release, done",
      i: { deleting: true, holdsFinalizer: true, consumers: 0 },
      want: { addFinalizer: false, retain: false, dropCopies: true, releaseFinalizer: true, finished: true },
    },
    {
      why: "deleting, unused, not held: done",
      i: { deleting: true, holdsFinalizer: false, consumers: 0 },
      want: { addFinalizer: false, retain: false, dropCopies: true, releaseFinalizer: false, finished: true },
    },
  ])("$why", ({ i, want }) => {
    expect(teardownPlan(i)).toEqual(want);
  });
});
