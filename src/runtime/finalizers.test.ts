import { describe, expect, test } from "vitest";
import { ensureFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.ts";
import { KubeApiError, isNotFound } from "./kube/errors.ts";
import { FakeKubeApi } from "./kube/fake.ts";
import { type Widget, widget, widgets } from "./testing.ts";

const OURS = "example.test/cleanup";
const THEIRS = "other.test/protect";

function setup(finalizers: string[] = []) {
  const api = new FakeKubeApi();
  const [w] = api.seed(widgets, widget("a", { metadata: { name: "a", namespace: "team", finalizers } }));
  return { api, w: w! };
}

const conflict = () => new KubeApiError({ status: 409, reason: "Conflict", message: "modified", method: "PATCH", path: "widgets/a" });

describe("ensureFinalizer", () => {
  test("adds ours next to theirs, guarded by resourceVersion; returns the object as written", async () => {
    const { api, w } = setup([THEIRS]);
    const out = await ensureFinalizer(api, widgets, w, OURS);
    expect(out.metadata.finalizers).toEqual([THEIRS, OURS]);
    expect(out.metadata.resourceVersion).toBe(api.peek<Widget>(widgets, "team", "a")?.metadata.resourceVersion);
    expect(api.peek<Widget>(widgets, "team", "a")?.metadata.finalizers).toEqual([THEIRS, OURS]);
  });

  test("idempotent: already there, nothing is sent", async () => {
    const { api, w } = setup([OURS]);
    expect(await ensureFinalizer(api, widgets, w, OURS)).toBe(w);
    expect(api.writes).toHaveLength(0);
  });

  test("a stale object: re-read and retried, keeping the finalizer someone added meanwhile", async () => {
    const { api, w } = setup();
    await api.as("other").mergePatch(widgets, "team", "a", { metadata: { finalizers: [THEIRS] } });
    const out = await ensureFinalizer(api, widgets, w, OURS);
    expect(out.metadata.finalizers).toEqual([THEIRS, OURS]);
    expect(api.calls.map((c) => c.method)).toEqual(["mergePatch", "get", "mergePatch"]); // the other writer is another client
  });

  test("a second conflict goes back to the queue (the API error is thrown)", async () => {
    const { api, w } = setup();
    api.failOn({ method: "mergePatch" }, conflict(), 2);
    await expect(ensureFinalizer(api, widgets, w, OURS)).rejects.toSatisfy((e: unknown) => e instanceof KubeApiError && e.status === 409);
  });

  test("an object being deleted gets no new finalizer (the API server would refuse it)", async () => {
    const { api, w } = setup([THEIRS]);
    await api.delete(widgets, "team", "a");
    const deleting = api.peek<Widget>(widgets, "team", "a")!;
    const out = await ensureFinalizer(api, widgets, deleting, OURS);
    expect(hasFinalizer(out, OURS)).toBe(false);
    expect(out.metadata.deletionTimestamp).toBeDefined();
  });

  test("a gone object is NotFound", async () => {
    const { api, w } = setup();
    await api.delete(widgets, "team", "a");
    await expect(ensureFinalizer(api, widgets, w, OURS)).rejects.toSatisfy(isNotFound);
  });
});

describe("removeFinalizer", () => {
  test("drops only ours", async () => {
    const { api, w } = setup([THEIRS, OURS]);
    const out = await removeFinalizer(api, widgets, w, OURS);
    expect(out?.metadata.finalizers).toEqual([THEIRS]);
  });

  test("the last finalizer of a deleting object: the object goes, undefined is returned on the next call", async () => {
    const { api } = setup([OURS]);
    await api.delete(widgets, "team", "a");
    const deleting = api.peek<Widget>(widgets, "team", "a")!;
    await removeFinalizer(api, widgets, deleting, OURS);
    expect(api.peek(widgets, "team", "a")).toBeUndefined();
    expect(await removeFinalizer(api, widgets, deleting, OURS)).toBeUndefined();
  });

  test("not there: nothing sent; gone: done", async () => {
    const { api, w } = setup([THEIRS]);
    expect(await removeFinalizer(api, widgets, w, OURS)).toBe(w);
    expect(api.writes).toHaveLength(0);
  });

  test("a stale object: re-read, and theirs added meanwhile survives", async () => {
    const { api, w } = setup([OURS]);
    await api.as("other").mergePatch(widgets, "team", "a", { metadata: { finalizers: [OURS, THEIRS] } });
    const out = await removeFinalizer(api, widgets, w, OURS);
    expect(out?.metadata.finalizers).toEqual([THEIRS]);
  });

  test("a namesake re-created since is not touched", async () => {
    const { api, w } = setup([OURS]);
    api.failOn({ method: "mergePatch" }, conflict());
    await api.delete(widgets, "team", "a");
    await removeFinalizer(api, widgets, api.peek<Widget>(widgets, "team", "a")!, OURS); // finishes the deletion
    const [namesake] = api.seed(widgets, widget("a", { metadata: { name: "a", namespace: "team", finalizers: [OURS] } }));
    api.failOn({ method: "mergePatch" }, conflict());
    expect(await removeFinalizer(api, widgets, w, OURS)).toBeUndefined();
    expect(api.peek<Widget>(widgets, "team", "a")?.metadata).toMatchObject({ uid: namesake!.metadata.uid, finalizers: [OURS] });
  });
});
