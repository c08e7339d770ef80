import { describe, expect, test } from "vitest";
import { IndexedCache, Indexer } from "./indexer.ts";
import { FakeKubeApi } from "./kube/fake.ts";
import { type Widget, widget, widgets } from "./testing.ts";

const byRef = (w: Widget) => (w.spec?.ref ? [w.spec.ref] : []);

describe("Indexer", () => {
  test("an object moves between values as it changes, and leaves when it goes", () => {
    const ix = new Indexer<Widget>();
    ix.add("ref", byRef);
    ix.update("team/a", widget("a", { spec: { ref: "x" } }));
    ix.update("team/b", widget("b", { spec: { ref: "x" } }));
    expect(ix.keys("ref", "x")).toEqual(["team/a", "team/b"]);
    ix.update("team/a", widget("a", { spec: { ref: "y" } }));
    expect(ix.keys("ref", "x")).toEqual(["team/b"]);
    expect(ix.keys("ref", "y")).toEqual(["team/a"]);
    ix.update("team/b", undefined);
    expect(ix.keys("ref", "x")).toEqual([]);
  });

  test("several values per object, duplicates counted once; an index added late is filled from what exists", () => {
    const ix = new Indexer<Widget>();
    ix.add("names", () => ["p", "q", "p"], [widget("a")]);
    expect(ix.keys("names", "p")).toEqual(["team/a"]);
    expect(ix.keys("names", "q")).toEqual(["team/a"]);
  });

  test("an unknown index is a programming error; a duplicate name too", () => {
    const ix = new Indexer<Widget>();
    expect(() => ix.keys("nope", "x")).toThrow(/no index nope/);
    ix.add("ref", byRef);
    expect(() => ix.add("ref", byRef)).toThrow(/exists/);
  });
});

describe("indexes on caches", () => {
  test("a FakeCache's index is current before its listeners run", async () => {
    const api = new FakeKubeApi();
    const cache = api.cache<Widget>(widgets);
    cache.addIndex("ref", byRef);
    const seen: string[][] = [];
    cache.onChange(() => seen.push(cache.indexKeys("ref", "x")));
    await api.create(widgets, widget("a", { spec: { ref: "x" } }));
    await api.mergePatch(widgets, "team", "a", { spec: { ref: "y" } });
    expect(seen).toEqual([["team/a"], []]);
    expect(cache.byIndex("ref", "y").map((w) => w.metadata.name)).toEqual(["a"]);
  });

  test("IndexedCache wraps any cache with a change feed", async () => {
    const api = new FakeKubeApi();
    api.seed(widgets, widget("a", { spec: { ref: "x" } }));
    const indexed = new IndexedCache(api.cache<Widget>(widgets));
    indexed.addIndex("ref", byRef);
    expect(indexed.indexKeys("ref", "x")).toEqual(["team/a"]);
    await api.create(widgets, widget("b", { spec: { ref: "x" } }));
    expect(indexed.byIndex("ref", "x").map((w) => w.metadata.name)).toEqual(["a", "b"]);
  });
});
