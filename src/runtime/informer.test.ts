import pino from "pino";
import { afterEach, describe, expect, test } from "vitest";
import { Informer, type ListWatchClient } from "./informer.ts";
import type { WatchEvent, WatchOptions } from "./kube/client.ts";
import { KubeApiError } from "./kube/errors.ts";
import type { KubeObject } from "./kube/resource.ts";
import { type Widget, widgets } from "./testing.ts";

const log = pino({ level: "silent" });

/** One open watch: the test pushes events into it, ends it, or breaks it. */
class WatchChannel {
  readonly opts: WatchOptions;
  readonly #queue: Array<WatchEvent<KubeObject> | Error | "end"> = [];
  #wake: (() => void) | undefined;

  constructor(opts: WatchOptions) {
    this.opts = opts;
  }

  push(item: WatchEvent<KubeObject> | Error | "end"): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  async *events(): AsyncGenerator<WatchEvent<KubeObject>> {
    const signal = this.opts.signal;
    for (;;) {
      while (this.#queue.length === 0) {
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
      }
      const item = this.#queue.shift()!;
      if (item === "end") return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

/** A scripted API server: what LIST answers now, and every watch opened. */
function apiServer() {
  const state = { items: [] as Widget[], rv: "10", lists: [] as Array<string | undefined>, listedFrom: [] as Array<string | undefined> };
  const watches: WatchChannel[] = [];
  const client: ListWatchClient = {
    listAll: (async (_type: unknown, opts: { namespace?: string; resourceVersion?: string } = {}) => {
      state.lists.push(opts.namespace);
      state.listedFrom.push(opts.resourceVersion);
      return {
        items: state.items.filter((i) => opts.namespace === undefined || i.metadata.namespace === opts.namespace).map((i) => structuredClone(i)),
        resourceVersion: state.rv,
      };
    }) as ListWatchClient["listAll"],
    watch: ((_type: unknown, opts: WatchOptions) => {
      const channel = new WatchChannel(opts);
      watches.push(channel);
      return channel.events();
    }) as unknown as ListWatchClient["watch"],
  };
  return { state, watches, client };
}

const w = (name: string, rv: string, over: Partial<Widget["spec"]> = {}, namespace = "team"): Widget => ({
  metadata: { name, namespace, resourceVersion: rv, uid: `u-${name}` },
  spec: { size: 1, ...over },
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const informers: Array<Informer<Widget>> = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

function start(client: ListWatchClient, over: Partial<ConstructorParameters<typeof Informer<Widget>>[0]> = {}) {
  const informer = new Informer<Widget>({ client, type: widgets, log, reconnectBackoff: { baseMs: 1, maxMs: 4 }, ...over });
  const heard: string[] = [];
  informer.onChange((key, cur, prev) => heard.push(`${key} ${prev?.metadata.resourceVersion ?? "-"}→${cur?.metadata.resourceVersion ?? "-"}`));
  informers.push(informer);
  return { informer, heard };
}

describe("Informer", () => {
  test("lists, syncs, then follows the watch from the list's resourceVersion; managedFields and kubectl's last-applied copy are never kept", async () => {
    const s = apiServer();
    const lastApplied = { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(w("a", "1")), team: "payments" };
    s.state.items = [{ ...w("a", "5"), metadata: { ...w("a", "5").metadata, managedFields: [{ manager: "x" }], annotations: lastApplied } }];
    const { informer, heard } = start(s.client);
    informer.start();
    await informer.waitForSync();
    expect(informer.get("team/a")?.metadata.managedFields).toBeUndefined();
    // Other annotations stay: a touch through one is how a user asks for a look now.
    expect(informer.get("team/a")?.metadata.annotations).toEqual({ team: "payments" });
    await until(() => s.watches.length === 1, "a watch opens");
    expect(s.watches[0]!.opts.resourceVersion).toBe("10");
    s.watches[0]!.push({ type: "MODIFIED", object: w("a", "11", { size: 2 }) });
    s.watches[0]!.push({ type: "ADDED", object: w("b", "12") });
    s.watches[0]!.push({ type: "DELETED", object: w("a", "13") });
    await until(() => heard.length === 4, "four changes");
    expect(heard).toEqual(["team/a -→5", "team/a 5→11", "team/b -→12", "team/a 11→-"]);
    expect(informer.keys()).toEqual(["team/b"]);
  });

  test("410 Gone: exactly one relist, reporting only what changed during the gap (a vanished key as deleted)", async () => {
    const s = apiServer();
    s.state.items = [w("a", "5"), w("b", "6"), w("c", "7")];
    const { informer, heard } = start(s.client);
    informer.start();
    await until(() => s.watches.length === 1, "a watch opens");
    heard.length = 0;
    s.state.items = [w("a", "5"), w("b", "20", { size: 9 }), w("d", "21")];
    s.state.rv = "22";
    s.watches[0]!.push({ type: "ERROR", object: { code: 410, reason: "Expired", message: "too old" } as unknown as KubeObject });
    await until(() => s.watches.length === 2, "the watch resumes");
    expect(s.state.lists).toHaveLength(2);
    // The first LIST from the watch cache (as client-go's reflector); the relist after 410 reads the current state.
    expect(s.state.listedFrom).toEqual(["0", undefined]);
    expect(informer.stats().relistsAfterGone).toBe(1);
    expect(heard.sort()).toEqual(["team/b 6→20", "team/c 7→-", "team/d -→21"]);
    expect(s.watches[1]!.opts.resourceVersion).toBe("22");
  });

  test("a broken watch resumes from the last resourceVersion seen, without a relist", async () => {
    const s = apiServer();
    const { informer } = start(s.client);
    informer.start();
    await until(() => s.watches.length === 1, "a watch opens");
    s.watches[0]!.push({ type: "ADDED", object: w("a", "15") });
    s.watches[0]!.push({ type: "BOOKMARK", object: { metadata: { resourceVersion: "18" } } });
    s.watches[0]!.push(new Error("connection reset"));
    await until(() => s.watches.length === 2, "the watch resumes");
    expect(s.watches[1]!.opts.resourceVersion).toBe("18");
    expect(s.state.lists).toHaveLength(1);
    expect(informer.stats()).toMatchObject({ watchErrors: 1, bookmarks: 1, events: 1 });
  });

  test("a silent watch is a stalled one: aborted and resumed after the inactivity timeout", async () => {
    const s = apiServer();
    const causes: string[] = [];
    const { informer } = start(s.client, { inactivityTimeoutMs: 30, onRestart: (c) => causes.push(c) });
    informer.start();
    await until(() => s.watches.length >= 2, "the stalled watch is replaced");
    expect(causes[0]).toBe("stalled");
    expect(informer.stats().stalls).toBeGreaterThanOrEqual(1);
  });

  test("a listener that throws does not keep the others from hearing", async () => {
    const s = apiServer();
    s.state.items = [w("a", "5")];
    const informer = new Informer<Widget>({ client: s.client, type: widgets, log });
    informers.push(informer);
    const heard: string[] = [];
    informer.onChange(() => {
      throw new Error("listener bug");
    });
    informer.onChange((key) => heard.push(key));
    informer.start();
    await informer.waitForSync();
    expect(heard).toEqual(["team/a"]);
  });

  test("one stream per namespace; a relist replaces only its own namespace", async () => {
    const s = apiServer();
    s.state.items = [w("a", "5", {}, "one"), w("b", "6", {}, "two")];
    const { informer, heard } = start(s.client, { namespaces: ["one", "two"] });
    informer.start();
    await informer.waitForSync();
    await until(() => s.watches.length === 2, "two watches");
    heard.length = 0;
    s.state.items = [w("b", "6", {}, "two")]; // "a" went away in namespace one
    const one = s.watches.find((x) => x.opts.namespace === "one")!;
    one.push({ type: "ERROR", object: { code: 410 } as unknown as KubeObject });
    await until(() => heard.length === 1, "the relist of namespace one");
    expect(heard).toEqual(["one/a 5→-"]);
    expect(informer.keys()).toEqual(["two/b"]);
  });

  test("field indexes follow the cache, current before listeners run", async () => {
    const s = apiServer();
    s.state.items = [w("a", "5", { ref: "x" })];
    const informer = new Informer<Widget>({ client: s.client, type: widgets, log });
    informers.push(informer);
    informer.addIndex("ref", (o) => (o.spec?.ref ? [o.spec.ref] : []));
    const seen: string[][] = [];
    informer.onChange(() => seen.push(informer.indexKeys("ref", "x")));
    informer.start();
    await informer.waitForSync();
    await until(() => s.watches.length === 1, "a watch opens");
    s.watches[0]!.push({ type: "MODIFIED", object: w("a", "11", { ref: "y" }) });
    await until(() => seen.length === 2, "two changes");
    expect(seen).toEqual([["team/a"], []]);
    expect(informer.byIndex("ref", "y").map((o) => o.metadata.name)).toEqual(["a"]);
  });

  test("a WATCH refused with another status is an error that restarts the watch", async () => {
    const s = apiServer();
    const { informer } = start(s.client);
    informer.start();
    await until(() => s.watches.length === 1, "a watch opens");
    s.watches[0]!.push({ type: "ERROR", object: { code: 500, reason: "InternalError", message: "etcd" } as unknown as KubeObject });
    await until(() => s.watches.length === 2, "the watch resumes");
    expect(informer.stats().watchErrors).toBe(1);
    expect(new KubeApiError({ status: 500, reason: "x", message: "y", method: "WATCH", path: "widgets" }).code).toBe("ERR_KUBE_API");
  });
});
