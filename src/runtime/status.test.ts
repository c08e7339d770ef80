import { describe, expect, test } from "vitest";
import { KubeApiError } from "./kube/errors.ts";
import { FakeKubeApi } from "./kube/fake.ts";
import { StatusApplier, sameStatus } from "./status.ts";
import { type Widget, widget, widgets } from "./testing.ts";

function setup() {
  const api = new FakeKubeApi();
  const [w] = api.seed(widgets, widget("a"));
  const cache = api.cache<Widget>(widgets);
  const applier = new StatusApplier<Widget>({ api, type: widgets });
  return { api, cache, applier, w: w! };
}

describe("StatusApplier", () => {
  test("writes once through the status subresource, guarded by the resourceVersion read", async () => {
    const { api, applier, w } = setup();
    const out = await applier.apply(w, { phase: "Ready" });
    expect(out.written).toBe(true);
    expect(out.object.status).toEqual({ phase: "Ready" });
    expect(api.writes).toEqual([{ method: "apply", plural: "widgets", namespace: "team", name: "a", subresource: "status" }]);
    expect(api.peek<Widget>(widgets, "team", "a")?.status).toEqual({ phase: "Ready" });
    expect(Number(out.object.metadata.resourceVersion)).toBeGreaterThan(Number(w.metadata.resourceVersion));
  });

  test("an unchanged status sends nothing (undefined fields do not count as a change)", async () => {
    const { api, applier, w } = setup();
    const first = await applier.apply(w, { phase: "Ready" });
    const again = await applier.apply(first.object, { phase: "Ready", note: undefined });
    expect(again).toEqual({ written: false, object: first.object });
    expect(api.writes).toHaveLength(1);
    expect(applier.writes).toBe(1);
  });

  test("a status computed from a stale object is refused (409), never erasing the newer write", async () => {
    const { api, applier, w } = setup();
    await applier.apply(w, { phase: "Ordering", note: "intent recorded" });
    await expect(applier.apply(w, { phase: "Idle" })).rejects.toSatisfy((e: unknown) => e instanceof KubeApiError && e.status === 409);
    expect(api.peek<Widget>(widgets, "team", "a")?.status).toEqual({ phase: "Ordering", note: "intent recorded" });
  });

  test("read-your-writes: while the cache lags our write, freshest is what we wrote; then the cache again", async () => {
    const { cache, applier, w } = setup();
    cache.hold();
    const out = await applier.apply(w, { phase: "Ready" });
    expect(cache.get("team/a")?.status).toBeUndefined();
    expect(applier.freshest("team/a", cache.get("team/a"))).toEqual(out.object);
    cache.release();
    expect(applier.freshest("team/a", cache.get("team/a"))).toBe(cache.get("team/a"));
  });

  test("someone else's newer write wins over what we remember", async () => {
    const { api, cache, applier, w } = setup();
    await applier.apply(w, { phase: "Ready" });
    await api.as("kubectl").mergePatch(widgets, "team", "a", { spec: { size: 2 } });
    expect(applier.freshest("team/a", cache.get("team/a"))?.spec?.size).toBe(2);
  });

  test("a deleted or re-created object is taken from the cache", async () => {
    const { api, cache, applier, w } = setup();
    cache.hold();
    await applier.apply(w, { phase: "Ready" });
    expect(applier.freshest("team/a", undefined)).toBeUndefined();
    await api.delete(widgets, "team", "a");
    api.seed(widgets, widget("a"));
    cache.release();
    const fresh = applier.freshest("team/a", cache.get("team/a"));
    expect(fresh?.metadata.uid).not.toBe(w.metadata.uid);
    expect(fresh?.status).toBeUndefined();
  });

  test("forget drops what was remembered", async () => {
    const { cache, applier, w } = setup();
    cache.hold();
    await applier.apply(w, { phase: "Ready" });
    applier.forget("team/a");
    expect(applier.freshest("team/a", cache.get("team/a"))?.status).toBeUndefined();
  });
});

test.each([
  { a: undefined, b: {}, same: true, why: "no status and an empty one read alike" },
  { a: { x: 1, y: undefined }, b: { x: 1 }, same: true, why: "undefined is dropped on the wire" },
  { a: { list: [{ a: 1 }] }, b: { list: [{ a: 1, b: undefined }] }, same: true, why: "inside arrays too" },
  { a: { x: 1 }, b: { x: 2 }, same: false, why: "a value changed" },
])("sameStatus: $why", ({ a, b, same }) => {
  expect(sameStatus(a, b)).toBe(same);
});
