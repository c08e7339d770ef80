import { describe, expect, test } from "vitest";
import { FakeClock } from "../clock.ts";
import { type Widget, widget, widgets } from "../testing.ts";
import type { KubeApi } from "./api.ts";
import { KubeApiError, isAlreadyExists, isConflict, isForbidden, isInvalid, isNotFound } from "./errors.ts";
import { FakeKubeApi } from "./fake.ts";
import { core } from "./resource.ts";

const fails = (check: (e: unknown) => boolean) => (e: unknown) => check(e);

describe("FakeKubeApi", () => {
  test("is a KubeApi (typed: no cast needed)", () => {
    const api: KubeApi = new FakeKubeApi();
    expect(api).toBeInstanceOf(FakeKubeApi);
  });

  test("create assigns uid, resourceVersion, generation and creationTimestamp from the clock; a taken name is AlreadyExists", async () => {
    const api = new FakeKubeApi({ clock: new FakeClock(Date.UTC(2026, 0, 2)) });
    const w = await api.create(widgets, widget("a"));
    expect(w.metadata).toMatchObject({
      uid: expect.any(String),
      resourceVersion: expect.stringMatching(/^\d+$/),
      generation: 1,
      creationTimestamp: "2026-01-02T00:00:00Z",
    });
    expect(w).toMatchObject({ apiVersion: "example.test/v1", kind: "Widget" });
    await expect(api.create(widgets, widget("a"))).rejects.toSatisfy(fails(isAlreadyExists));
  });

  test("seeded objects keep their identity, status and deletion state (a test may start mid-life)", () => {
    const api = new FakeKubeApi();
    const [w] = api.seed(widgets, {
      ...widget("a", { status: { phase: "Ready" } }),
      metadata: { name: "a", namespace: "team", uid: "u-1", generation: 4, deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["x"] },
    });
    expect(w!.metadata).toMatchObject({ uid: "u-1", generation: 4, deletionTimestamp: "2026-01-01T00:00:00Z" });
    expect(w!.status).toEqual({ phase: "Ready" });
    expect(api.calls).toHaveLength(0);
  });

  test("get of a missing object is NotFound; answers are copies", async () => {
    const api = new FakeKubeApi();
    await expect(api.get(widgets, "team", "nope")).rejects.toSatisfy(fails(isNotFound));
    api.seed(widgets, widget("a"));
    const got = await api.get<Widget>(widgets, "team", "a");
    got.spec!.size = 99;
    expect(api.peek<Widget>(widgets, "team", "a")?.spec?.size).toBe(1);
  });

  test("merge patch: a stale resourceVersion is a Conflict; a spec change bumps generation; status is not touched", async () => {
    const api = new FakeKubeApi();
    const [w] = api.seed(widgets, widget("a", { status: { phase: "Ready" } }));
    await api.apply(widgets, { ...w!, status: { phase: "Ready" } }, { subresource: "status" });
    const patched = await api.mergePatch<Widget>(widgets, "team", "a", { spec: { size: 3 }, status: { phase: "Hacked" } });
    expect(patched.metadata.generation).toBe(2);
    expect(patched.status).toEqual({ phase: "Ready" });
    await expect(api.mergePatch(widgets, "team", "a", { metadata: { resourceVersion: w!.metadata.resourceVersion, labels: { a: "b" } } })).rejects.toSatisfy(
      fails(isConflict),
    );
  });

  test("a no-op write keeps the resourceVersion", async () => {
    const api = new FakeKubeApi();
    const [w] = api.seed(widgets, widget("a"));
    const same = await api.mergePatch<Widget>(widgets, "team", "a", { spec: { size: 1 } });
    expect(same.metadata.resourceVersion).toBe(w!.metadata.resourceVersion);
  });

  test("server-side apply: each manager owns its labels; omitted keys of the applier go, others' stay", async () => {
    const api = new FakeKubeApi();
    await api.apply(widgets, { metadata: { name: "a", namespace: "team", labels: { mine: "1", shared: "x" } } });
    await api.as("user").apply(widgets, { metadata: { name: "a", namespace: "team", labels: { theirs: "2" } } });
    await api.apply(widgets, { metadata: { name: "a", namespace: "team", labels: { shared: "y" } } });
    expect(api.peek<Widget>(widgets, "team", "a")?.metadata.labels).toEqual({ shared: "y", theirs: "2" });
  });

  test("deletion with finalizers: a deletionTimestamp, no new finalizers, gone when the last one is removed", async () => {
    const api = new FakeKubeApi();
    api.seed(widgets, widget("a", { metadata: { name: "a", namespace: "team", finalizers: ["x"] } }));
    await api.delete(widgets, "team", "a");
    expect(api.peek<Widget>(widgets, "team", "a")?.metadata.deletionTimestamp).toBeDefined();
    await expect(api.mergePatch(widgets, "team", "a", { metadata: { finalizers: ["x", "y"] } })).rejects.toSatisfy(fails(isInvalid));
    await api.mergePatch(widgets, "team", "a", { metadata: { finalizers: [] } });
    expect(api.peek(widgets, "team", "a")).toBeUndefined();
  });

  test("delete with a uid precondition does not remove a namesake", async () => {
    const api = new FakeKubeApi();
    api.seed(widgets, widget("a"));
    await expect(api.delete(widgets, "team", "a", { preconditionUid: "someone-else" })).rejects.toSatisfy(fails(isConflict));
    expect(api.peek(widgets, "team", "a")).toBeDefined();
  });

  test("nothing new is created in a terminating namespace", async () => {
    const api = new FakeKubeApi();
    api.seed(core.namespaces, { metadata: { name: "team" } });
    await api.delete(core.namespaces, undefined, "team");
    await expect(api.create(widgets, widget("a"))).rejects.toSatisfy(fails(isForbidden));
  });

  test("faults: a matching call throws the given error, the given number of times, and is still logged", async () => {
    const api = new FakeKubeApi();
    api.seed(widgets, widget("a"));
    const boom = new KubeApiError({ status: 503, reason: "ServiceUnavailable", message: "down", method: "GET", path: "x" });
    api.failOn({ method: "get", name: "a" }, boom, 2);
    await expect(api.get(widgets, "team", "a")).rejects.toBe(boom);
    await expect(api.get(widgets, "team", "a")).rejects.toBe(boom);
    await expect(api.get(widgets, "team", "a")).resolves.toMatchObject({ metadata: { name: "a" } });
    expect(api.calls).toHaveLength(3);
    expect(api.writes).toHaveLength(0);
  });

  test("an aborted signal stops the call before it is sent", async () => {
    const api = new FakeKubeApi();
    const abort = new AbortController();
    abort.abort(new Error("shutting down"));
    await expect(api.get(widgets, "team", "a", abort.signal)).rejects.toThrow("shutting down");
    expect(api.calls).toHaveLength(0);
  });

  test("list filters by namespace and label selector", async () => {
    const api = new FakeKubeApi();
    api.seed(
      widgets,
      widget("a", { metadata: { name: "a", namespace: "team", labels: { app: "x" } } }),
      widget("b"),
      widget("c", { metadata: { name: "c", namespace: "other", labels: { app: "x" } } }),
    );
    const page = await api.list<Widget>(widgets, { namespace: "team", labelSelector: "app=x" });
    expect(page.items.map((w) => w.metadata.name)).toEqual(["a"]);
  });
});

describe("FakeCache", () => {
  test("follows the store; held, it lags until released; listeners hear current and previous", async () => {
    const api = new FakeKubeApi();
    const cache = api.cache<Widget>(widgets);
    const heard: Array<[string, number | undefined, number | undefined]> = [];
    cache.onChange((key, cur, prev) => heard.push([key, cur?.spec?.size, prev?.spec?.size]));
    await api.create(widgets, widget("a"));
    cache.hold();
    await api.mergePatch(widgets, "team", "a", { spec: { size: 2 } });
    expect(cache.get("team/a")?.spec?.size).toBe(1);
    cache.release();
    expect(cache.get("team/a")?.spec?.size).toBe(2);
    expect(heard).toEqual([
      ["team/a", 1, undefined],
      ["team/a", 2, 1],
    ]);
  });

  test("a label-selected cache keeps only what matches, and drops an object that stops matching", async () => {
    const api = new FakeKubeApi();
    const cache = api.cache<Widget>(widgets, { labelSelector: "managed=yes" });
    await api.create(widgets, widget("a", { metadata: { name: "a", namespace: "team", labels: { managed: "yes" } } }));
    await api.create(widgets, widget("b"));
    expect(cache.keys()).toEqual(["team/a"]);
    await api.mergePatch(widgets, "team", "a", { metadata: { labels: { managed: null } } });
    expect(cache.keys()).toEqual([]);
  });
});
