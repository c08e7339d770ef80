import pino from "pino";
import { describe, expect, test } from "vitest";
import { resourceTypes } from "../../api/v1alpha1/index.ts";
import { FakeClock } from "../../runtime/clock.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import { type ConnectionLookup, ConnectionResolver, type ResolveOptions, type RetainedCredentials, connectionEdited, trimNamespace } from "./connections.ts";

const TOKEN = "live-token";
const RETAINED_TOKEN = "retained-token";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";

interface World {
  deleting?: boolean;
  secret?: boolean;
  namespace?: { labels?: Record<string, string>; phase?: string; deletionTimestamp?: string } | "gone" | "unwatched";
  retained?: RetainedCredentials;
  selector?: Record<string, unknown>;
}

/** The API server (a FakeKubeApi) holding the world's objects, and the resolver over its caches. */
function resolver(w: World, clock = new FakeClock()): { resolver: ConnectionResolver; gets: string[]; api: FakeKubeApi } {
  const api = new FakeKubeApi({ clock });
  const spec = { cloudflare: { zoneId: ZONE, baseUrl: "https://cf.example.test/client/v4" } };
  const finalizers = w.deleting ? { finalizers: ["certbridge.dev/in-use"] } : {};
  api.seed(resourceTypes.vendorConnections, {
    metadata: { name: "cf", namespace: "team", ...finalizers },
    spec: { ...spec, credentialsRef: { name: "cf-creds" } },
  } as KubeObject);
  api.seed(resourceTypes.clusterVendorConnections, {
    metadata: { name: "shared", ...finalizers },
    spec: { ...spec, credentialsRef: { name: "cf-creds", namespace: "team" }, namespaceSelector: w.selector ?? { matchLabels: { tier: "gold" } } },
  } as KubeObject);
  if (w.deleting) {
    api.store.delete(resourceTypes.vendorConnections, "team", "cf", undefined);
    api.store.delete(resourceTypes.clusterVendorConnections, undefined, "shared", undefined);
  }
  if (w.secret !== false)
    api.seed(core.secrets, { metadata: { name: "cf-creds", namespace: "team" }, data: { apiToken: Buffer.from(TOKEN).toString("base64") } } as KubeObject);
  const ns = w.namespace === undefined ? { labels: { tier: "gold" } } : w.namespace;
  if (ns !== "gone")
    api.seed(core.namespaces, {
      metadata: { name: "team", labels: ns === "unwatched" ? { tier: "gold" } : (ns.labels ?? {}), annotations: { big: "x".repeat(100) } },
    });
  if (typeof ns === "object" && ns.deletionTimestamp) {
    api.store.delete(core.namespaces, undefined, "team", undefined);
    api.store.mergePatch(core.namespaces, undefined, "team", { status: { phase: "Active" } }, "status"); // phase not yet updated
  }
  if (typeof ns === "object" && ns.phase) api.store.mergePatch(core.namespaces, undefined, "team", { status: { phase: ns.phase } }, "status");
  const r = new ConnectionResolver({
    client: api,
    vendorConnections: api.cache(resourceTypes.vendorConnections),
    clusterVendorConnections: api.cache(resourceTypes.clusterVendorConnections),
    // "unwatched": the informer has not seen the namespace (yet).
    namespaces: ns === "unwatched" ? new FakeKubeApi().cache(core.namespaces) : api.cache(core.namespaces),
    ...(w.retained ? { retained: { read: async (uid: string) => (uid === uidOf(api, "cf") || uid === uidOf(api, "shared") ? w.retained : undefined) } } : {}),
    log: pino({ level: "silent" }),
    clock,
  });
  return {
    resolver: r,
    api,
    get gets() {
      return api.calls.filter((c) => c.method === "get").map((c) => `${c.plural}/${c.namespace ?? ""}/${c.name}`);
    },
  };
}

function uidOf(api: FakeKubeApi, name: string): string | undefined {
  return (api.peek(resourceTypes.vendorConnections, "team", name) ?? api.peek(resourceTypes.clusterVendorConnections, undefined, name))?.metadata.uid;
}

const signal = new AbortController().signal;
const copy: RetainedCredentials = { credentials: { apiToken: RETAINED_TOKEN }, version: "c-uid/3" };

async function resolveVc(w: World, opts?: ResolveOptions): Promise<ConnectionLookup> {
  return resolver(w).resolver.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal, opts);
}

const outcome = (l: ConnectionLookup) =>
  l.ok
    ? { ok: true, token: l.connection.credentials.apiToken, deleting: l.connection.deleting ?? false, retained: l.connection.retainedCredentials ?? false }
    : { ok: false, reason: l.reason };

describe("ConnectionResolver purposes (C1)", () => {
  test.each<{ why: string; w: World; opts: ResolveOptions | undefined; want: Record<string, unknown> }>([
    {
      why: "default purpose is provision: a deleting connection orders nothing",
      w: { deleting: true },
      opts: undefined,
      want: { ok: false, reason: "ConnectionDeleting" },
    },
    {
      why: "provision: the consumer's namespace is Terminating",
      w: { namespace: { phase: "Terminating" } },
      opts: { purpose: "provision" as const },
      want: { ok: false, reason: "NamespaceTerminating" },
    },
    {
      why: "provision: the namespace has a deletionTimestamp (phase not yet updated)",
      w: { namespace: { deletionTimestamp: "2026-01-01T00:00:00Z" } },
      opts: undefined,
      want: { ok: false, reason: "NamespaceTerminating" },
    },
    {
      why: "provision: a namespace already gone is as good as terminating",
      w: { namespace: "gone" as const },
      opts: undefined,
      want: { ok: false, reason: "NamespaceTerminating" },
    },
    {
      why: "provision: a healthy namespace and connection resolve from the live Secret",
      w: {},
      opts: undefined,
      want: { ok: true, token: TOKEN, deleting: false, retained: false },
    },
    {
      why: "provision never uses the retained copy, even when the Secret is gone",
      w: { secret: false, retained: copy },
      opts: undefined,
      want: { ok: false, reason: "SecretNotFound" },
    },
    {
      why: "cleanup: a deleting connection still serves, marked deleting",
      w: { deleting: true },
      opts: { purpose: "cleanup" as const },
      want: { ok: true, token: TOKEN, deleting: true, retained: false },
    },
    {
      why: "cleanup: a terminating namespace still cleans up",
      w: { namespace: { phase: "Terminating" } },
      opts: { purpose: "cleanup" as const },
      want: { ok: true, token: TOKEN, deleting: false, retained: false },
    },
    {
      why: "cleanup: the Secret was deleted first (namespace teardown): the retained copy",
      w: { deleting: true, secret: false, retained: copy },
      opts: { purpose: "cleanup" as const },
      want: { ok: true, token: RETAINED_TOKEN, deleting: true, retained: true },
    },
    { why: "cleanup: no Secret and no copy", w: { secret: false }, opts: { purpose: "cleanup" as const }, want: { ok: false, reason: "SecretNotFound" } },
    {
      why: "inspect (the connection's own controller): deleting is not a refusal",
      w: { deleting: true },
      opts: { purpose: "inspect" as const },
      want: { ok: true, token: TOKEN, deleting: true, retained: false },
    },
    {
      why: "inspect never uses the retained copy: it must see the user's Secret as it is",
      w: { secret: false, retained: copy },
      opts: { purpose: "inspect" as const },
      want: { ok: false, reason: "SecretNotFound" },
    },
  ])("$why", async ({ w, opts, want }) => {
    expect(outcome(await resolveVc(w, opts))).toEqual(want);
  });

  test("the retained copy changes the fingerprint (clients built on the live Secret are not reused)", async () => {
    const live = await resolveVc({ deleting: true }, { purpose: "cleanup" });
    const kept = await resolveVc({ deleting: true, secret: false, retained: copy }, { purpose: "cleanup" });
    expect(live.ok && kept.ok && live.connection.fingerprint !== kept.connection.fingerprint).toBe(true);
  });
});

describe("ClusterVendorConnection admission from the namespace informer", () => {
  const resolveCvc = (w: World, opts?: ResolveOptions) =>
    resolver(w).resolver.resolve({ kind: "ClusterVendorConnection", name: "shared" }, "team", "cloudflare", signal, opts);
  test.each<{ why: string; w: World; opts: ResolveOptions | undefined; want: boolean }>([
    { why: "labels match the selector", w: { namespace: { labels: { tier: "gold" } } }, opts: undefined, want: true },
    { why: "labels do not match", w: { namespace: { labels: { tier: "bronze" } } }, opts: undefined, want: false },
    {
      why: "kubernetes.io/metadata.name is always there for selectors",
      w: { namespace: { labels: {} }, selector: { matchLabels: { "kubernetes.io/metadata.name": "team" } } },
      opts: undefined,
      want: true,
    },
    {
      why: "cleanup is admitted exactly as provisioning (the selector is the owner's boundary)",
      w: { namespace: { labels: { tier: "bronze" } } },
      opts: { purpose: "cleanup" as const },
      want: false,
    },
    { why: "inspect has no consumer namespace to admit", w: { namespace: { labels: { tier: "bronze" } } }, opts: { purpose: "inspect" as const }, want: true },
  ])("$why", async ({ w, opts, want }) => {
    const l = await resolveCvc(w, opts);
    expect(l.ok ? "ok" : l.reason).toBe(want ? "ok" : "ConnectionNotPermitted");
  });

  test("a namespace the informer has seen costs no API call; one it has not is read with GET", async () => {
    const watched = resolver({});
    await watched.resolver.resolve({ kind: "ClusterVendorConnection", name: "shared" }, "team", "cloudflare", signal);
    expect(watched.gets.filter((g) => g.startsWith("namespaces"))).toEqual([]);
    const unseen = resolver({ namespace: "unwatched" });
    const l = await unseen.resolver.resolve({ kind: "ClusterVendorConnection", name: "shared" }, "team", "cloudflare", signal);
    expect(l.ok).toBe(true);
    expect(unseen.gets.filter((g) => g.startsWith("namespaces"))).toEqual(["namespaces//team"]);
  });
});

describe("credential and namespace caches are timed by the injected clock (C4)", () => {
  test("a credentials Secret is read once per TTL (10 min) for resources, then again", async () => {
    const clock = new FakeClock();
    const { resolver: r, api } = resolver({}, clock);
    const secretGets = () => api.calls.filter((c) => c.method === "get" && c.plural === "secrets").length;
    await r.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal);
    clock.advance(599_000);
    await r.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal);
    expect(secretGets()).toBe(1);
    clock.advance(2_000);
    await r.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal);
    expect(secretGets()).toBe(2);
  });

  test("the connection's own controller (inspect) reads afresh (unless read in the last 30 s), and what it read serves the resources (issue 13: a resync reads nothing)", async () => {
    const clock = new FakeClock();
    const { resolver: r, api } = resolver({}, clock);
    const secretGets = () => api.calls.filter((c) => c.method === "get" && c.plural === "secrets").length;
    const inspect = () => r.resolve({ kind: "VendorConnection", name: "cf" }, "team", undefined, signal, { purpose: "inspect" });
    const consumer = async () => {
      const l = await r.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal);
      return l.ok ? l.connection.credentials.apiToken : l.reason;
    };
    // What the connection controller does every 5 minutes, for an hour; resources resolve in between.
    for (let minute = 0; minute < 60; minute += 5) {
      await inspect();
      for (let i = 0; i < 100; i++) expect(await consumer()).toBe(TOKEN);
      clock.advance(5 * 60_000);
    }
    expect(secretGets()).toBe(12); // the controller's reads only: the resources' 1,200 resolutions read none
    await api.as("user").mergePatch(core.secrets, "team", "cf-creds", { data: { apiToken: Buffer.from("rotated").toString("base64") } });
    await inspect();
    expect(await consumer()).toBe("rotated"); // the controller's next read is what resources use
    // A burst of recounts (new resources arriving) within 30 s reads once.
    for (let i = 0; i < 20; i++) await inspect();
    expect(secretGets()).toBe(13);
  });

  test("a rotated Secret is seen after the TTL, or at once after invalidate (a connection edit)", async () => {
    const clock = new FakeClock();
    const { resolver: r, api } = resolver({}, clock);
    const token = async () => {
      const l = await r.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal);
      return l.ok ? l.connection.credentials.apiToken : l.reason;
    };
    expect(await token()).toBe(TOKEN);
    await api.as("user").mergePatch(core.secrets, "team", "cf-creds", { data: { apiToken: Buffer.from("rotated").toString("base64") } });
    expect(await token()).toBe(TOKEN);
    r.invalidate();
    expect(await token()).toBe("rotated");
  });
});

describe("trimNamespace", () => {
  test("keeps name, uid, resourceVersion, labels, deletionTimestamp and phase; drops annotations and the rest", () => {
    const ns = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "a",
        uid: "u",
        resourceVersion: "5",
        labels: { x: "1" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
        finalizers: ["kubernetes"],
        deletionTimestamp: "t",
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Terminating", conditions: [{}] },
    };
    expect(trimNamespace(ns as KubeObject)).toEqual({
      metadata: { name: "a", uid: "u", resourceVersion: "5", labels: { x: "1" }, deletionTimestamp: "t" },
      status: { phase: "Terminating" },
    });
  });
});

describe("connectionEdited (drops the resolver's cached Secrets)", () => {
  const obj = (generation: number, annotations?: Record<string, string>) => ({ metadata: { uid: "u", generation, ...(annotations ? { annotations } : {}) } });
  test.each([
    { cur: obj(1), prev: obj(1), want: false, why: "a status write alone" },
    { cur: obj(2), prev: obj(1), want: true, why: "a spec edit" },
    { cur: obj(1, { touched: "now" }), prev: obj(1), want: true, why: "a touch through an annotation" },
    { cur: obj(1), prev: undefined, want: true, why: "first sight" },
  ])("$why → $want", ({ cur, prev, want }) => {
    expect(connectionEdited(cur, prev)).toBe(want);
  });
});
