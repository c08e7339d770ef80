import pino from "pino";
import { describe, expect, test } from "vitest";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { type ConnectionLookup, ConnectionResolver, type ResolveOptions, type RetainedCredentials, connectionEdited, trimNamespace } from "./connections.ts";

const TOKEN = "live-token";
const RETAINED_TOKEN = "retained-token";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";

/** An informer as the resolver uses it: a keyed cache. */
function cache(objects: KubeObject[]): Informer<KubeObject> {
  const byKey = new Map(objects.map((o) => [o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? ""), o]));
  return { get: (key: string) => byKey.get(key), list: () => [...byKey.values()], onChange: () => undefined } as unknown as Informer<KubeObject>;
}

interface World {
  deleting?: boolean;
  secret?: boolean;
  namespace?: { labels?: Record<string, string>; phase?: string; deletionTimestamp?: string } | "gone" | "unwatched";
  retained?: RetainedCredentials;
  selector?: Record<string, unknown>;
}

function resolver(w: World): { resolver: ConnectionResolver; gets: string[] } {
  const gets: string[] = [];
  const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, generation: 1, ...(w.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) });
  const spec = { cloudflare: { zoneId: ZONE, baseUrl: "https://cf.example.test/client/v4" } };
  const vc = { apiVersion: "certbridge.dev/v1alpha1", kind: "VendorConnection", metadata: meta("cf", "team"), spec: { ...spec, credentialsRef: { name: "cf-creds" } } };
  const cvc = { apiVersion: "certbridge.dev/v1alpha1", kind: "ClusterVendorConnection", metadata: meta("shared"), spec: { ...spec, credentialsRef: { name: "cf-creds", namespace: "team" }, namespaceSelector: w.selector ?? { matchLabels: { tier: "gold" } } } };
  const ns = w.namespace === undefined ? { labels: { tier: "gold" } } : w.namespace;
  const nsObject = typeof ns === "object" ? trimNamespace({ metadata: { name: "team", uid: "ns-uid", labels: ns.labels ?? {}, annotations: { big: "x".repeat(100) }, ...(ns.deletionTimestamp ? { deletionTimestamp: ns.deletionTimestamp } : {}) }, ...(ns.phase ? { status: { phase: ns.phase } } : {}) } as KubeObject) : undefined;
  const client = {
    get: async (type: ResourceType, namespace: string | undefined, name: string) => {
      gets.push(`${type.plural}/${namespace ?? ""}/${name}`);
      if (type.plural === "secrets" && w.secret !== false) return { metadata: { name, namespace, uid: "s-uid", resourceVersion: "9" }, data: { apiToken: Buffer.from(TOKEN).toString("base64") } };
      if (type.plural === "namespaces" && ns === "unwatched") return { metadata: { name, labels: { tier: "gold" } } };
      throw new KubeApiError({ status: 404, reason: "NotFound", message: "not found", method: "GET", path: name });
    },
  } as unknown as KubeApi;
  const r = new ConnectionResolver({
    client,
    vendorConnections: cache([vc as KubeObject]),
    clusterVendorConnections: cache([cvc as KubeObject]),
    namespaces: cache(nsObject ? [nsObject] : []),
    ...(w.retained ? { retained: { read: async (uid: string) => (uid === "uid-cf" || uid === "uid-shared" ? w.retained : undefined) } } : {}),
    log: pino({ level: "silent" }),
  });
  return { resolver: r, gets };
}

const signal = new AbortController().signal;
const copy: RetainedCredentials = { credentials: { apiToken: RETAINED_TOKEN }, version: "c-uid/3" };

async function resolveVc(w: World, opts?: ResolveOptions): Promise<ConnectionLookup> {
  return resolver(w).resolver.resolve({ kind: "VendorConnection", name: "cf" }, "team", "cloudflare", signal, opts);
}

const outcome = (l: ConnectionLookup) => (l.ok ? { ok: true, token: l.connection.credentials.apiToken, deleting: l.connection.deleting ?? false, retained: l.connection.retainedCredentials ?? false } : { ok: false, reason: l.reason });

describe("ConnectionResolver purposes (C1)", () => {
  test.each<{ why: string; w: World; opts: ResolveOptions | undefined; want: Record<string, unknown> }>([
    { why: "default purpose is provision: a deleting connection orders nothing", w: { deleting: true }, opts: undefined, want: { ok: false, reason: "ConnectionDeleting" } },
    { why: "provision: the consumer's namespace is Terminating", w: { namespace: { phase: "Terminating" } }, opts: { purpose: "provision" as const }, want: { ok: false, reason: "NamespaceTerminating" } },
    { why: "provision: the namespace has a deletionTimestamp (phase not yet updated)", w: { namespace: { deletionTimestamp: "2026-01-01T00:00:00Z" } }, opts: undefined, want: { ok: false, reason: "NamespaceTerminating" } },
    { why: "provision: a namespace already gone is as good as terminating", w: { namespace: "gone" as const }, opts: undefined, want: { ok: false, reason: "NamespaceTerminating" } },
    { why: "provision: a healthy namespace and connection resolve from the live Secret", w: {}, opts: undefined, want: { ok: true, token: TOKEN, deleting: false, retained: false } },
    { why: "provision never uses the retained copy, even when the Secret is gone", w: { secret: false, retained: copy }, opts: undefined, want: { ok: false, reason: "SecretNotFound" } },
    { why: "cleanup: a deleting connection still serves, marked deleting", w: { deleting: true }, opts: { purpose: "cleanup" as const }, want: { ok: true, token: TOKEN, deleting: true, retained: false } },
    { why: "cleanup: a terminating namespace still cleans up", w: { namespace: { phase: "Terminating" } }, opts: { purpose: "cleanup" as const }, want: { ok: true, token: TOKEN, deleting: false, retained: false } },
    { why: "cleanup: the Secret was deleted first (namespace teardown): the retained copy", w: { deleting: true, secret: false, retained: copy }, opts: { purpose: "cleanup" as const }, want: { ok: true, token: RETAINED_TOKEN, deleting: true, retained: true } },
    { why: "cleanup: no Secret and no copy", w: { secret: false }, opts: { purpose: "cleanup" as const }, want: { ok: false, reason: "SecretNotFound" } },
    { why: "inspect (the connection's own controller): deleting is not a refusal", w: { deleting: true }, opts: { purpose: "inspect" as const }, want: { ok: true, token: TOKEN, deleting: true, retained: false } },
    { why: "inspect never uses the retained copy: it must see the user's Secret as it is", w: { secret: false, retained: copy }, opts: { purpose: "inspect" as const }, want: { ok: false, reason: "SecretNotFound" } },
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
  const resolveCvc = (w: World, opts?: ResolveOptions) => resolver(w).resolver.resolve({ kind: "ClusterVendorConnection", name: "shared" }, "team", "cloudflare", signal, opts);
  test.each<{ why: string; w: World; opts: ResolveOptions | undefined; want: boolean }>([
    { why: "labels match the selector", w: { namespace: { labels: { tier: "gold" } } }, opts: undefined, want: true },
    { why: "labels do not match", w: { namespace: { labels: { tier: "bronze" } } }, opts: undefined, want: false },
    { why: "kubernetes.io/metadata.name is always there for selectors", w: { namespace: { labels: {} }, selector: { matchLabels: { "kubernetes.io/metadata.name": "team" } } }, opts: undefined, want: true },
    { why: "cleanup is admitted exactly as provisioning (the selector is the owner's boundary)", w: { namespace: { labels: { tier: "bronze" } } }, opts: { purpose: "cleanup" as const }, want: false },
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

describe("trimNamespace", () => {
  test("keeps name, uid, resourceVersion, labels, deletionTimestamp and phase; drops annotations and the rest", () => {
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "a", uid: "u", resourceVersion: "5", labels: { x: "1" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" }, finalizers: ["kubernetes"], deletionTimestamp: "t" }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Terminating", conditions: [{}] } };
    expect(trimNamespace(ns as KubeObject)).toEqual({ metadata: { name: "a", uid: "u", resourceVersion: "5", labels: { x: "1" }, deletionTimestamp: "t" }, status: { phase: "Terminating" } });
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
