import { describe, expect, test } from "vitest";
import { WrittenObjects, olderThanWritten } from "./read-your-writes.ts";
import { type Widget, widget } from "./testing.ts";

const at = (rv: string, uid = "u1"): Widget => widget("a", { metadata: { name: "a", namespace: "team", uid, resourceVersion: rv } });

describe("olderThanWritten", () => {
  test.each([
    { cached: "9", written: "10", basedOn: [], older: true, why: "etcd revisions compare as integers" },
    { cached: "11", written: "10", basedOn: [], older: false, why: "the cache saw something newer than our write" },
    { cached: "10", written: "10", basedOn: [], older: false, why: "the cache has our write" },
    { cached: "99", written: "100", basedOn: [], older: true, why: 'integers, not strings ("99" > "100" as text)' },
    { cached: "abc", written: "abd", basedOn: ["abc"], older: true, why: "opaque: a version we wrote from is older" },
    { cached: "zzz", written: "abd", basedOn: ["abc"], older: false, why: "opaque and unknown: trust the cache" },
    { cached: undefined, written: "10", basedOn: [], older: false, why: "no version to judge" },
  ])("$why", ({ cached, written, basedOn, older }) => {
    expect(olderThanWritten(cached, written, basedOn)).toBe(older);
  });
});

describe("WrittenObjects", () => {
  test("a chain of our writes: a cache anywhere along it is behind", () => {
    const m = new WrittenObjects<Widget>();
    m.remember(at("v2"), "v1");
    m.remember(at("v3"), "v2");
    expect(m.freshest("team/a", at("v1"))?.metadata.resourceVersion).toBe("v3");
    expect(m.freshest("team/a", at("v2"))?.metadata.resourceVersion).toBe("v3");
    expect(m.freshest("team/a", at("v3"))?.metadata.resourceVersion).toBe("v3");
    expect(m.size).toBe(0); // caught up: nothing left to remember
  });

  test("another uid under the same name is a different object", () => {
    const m = new WrittenObjects<Widget>();
    m.remember(at("20", "old"), "19");
    expect(m.freshest("team/a", at("5", "new"))?.metadata.uid).toBe("new");
  });
});
