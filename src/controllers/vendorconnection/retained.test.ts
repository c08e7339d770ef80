import { describe, expect, test } from "vitest";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import type { KubeObject, ResourceType } from "../../runtime/kube/resource.ts";
import { RetainedCredentialsStore, desiredRetainedSecret, isRetainedCopy, retainedFor, retainedSecretName } from "./retained.ts";

const NS = "certbridge-system";
const VC = { kind: "VendorConnection" as const, namespace: "team", name: "cf" };
const signal = new AbortController().signal;

/** An API server holding Secrets in one namespace, recording every write. */
function apiServer(initial: KubeObject[] = []) {
  const secrets = new Map(initial.map((s) => [s.metadata.name ?? "", structuredClone(s)]));
  const writes: string[] = [];
  let rv = 1;
  const notFound = (name: string) => new KubeApiError({ status: 404, reason: "NotFound", message: "not found", method: "GET", path: name });
  const client = {
    get: async (_t: ResourceType, _ns: string, name: string) => {
      const s = secrets.get(name);
      if (!s) throw notFound(name);
      return structuredClone(s);
    },
    create: async (_t: ResourceType, o: KubeObject) => {
      writes.push(`create ${o.metadata.name}`);
      if (secrets.has(o.metadata.name ?? "")) throw new KubeApiError({ status: 409, reason: "AlreadyExists", message: "exists", method: "POST", path: "" });
      secrets.set(o.metadata.name ?? "", { ...structuredClone(o), metadata: { ...o.metadata, uid: `s-${rv}`, resourceVersion: String(rv++) } });
      return o;
    },
    apply: async (_t: ResourceType, o: KubeObject) => {
      writes.push(`apply ${o.metadata.name}`);
      secrets.set(o.metadata.name ?? "", { ...structuredClone(o), metadata: { ...o.metadata, resourceVersion: String(rv++) } });
      return o;
    },
    delete: async (_t: ResourceType, _ns: string, name: string) => {
      writes.push(`delete ${name}`);
      if (!secrets.delete(name)) throw notFound(name);
    },
  } as unknown as KubeApi;
  return { client, secrets, writes };
}

describe("the retained credentials copy", () => {
  test("is labelled for its selector, names its connection, and holds the credentials under canonical names", () => {
    const s = desiredRetainedSecret(NS, VC, "uid-1", { credentials: { apiToken: "t0k" }, caBundlePem: "-----BEGIN CERTIFICATE-----" });
    expect(s.metadata.name).toBe("certbridge-retained-uid-1");
    expect(s.metadata.namespace).toBe(NS);
    expect(s.metadata.labels).toMatchObject({ "certbridge.dev/retained-credentials": "true", "certbridge.dev/connection-uid": "uid-1" });
    // Never the owned-Secret label: the owned-Secret informer must not cache credentials.
    expect(s.metadata.labels?.["certbridge.dev/managed"]).toBeUndefined();
    expect(retainedFor(s)).toEqual(VC);
    expect(Object.keys(s.data ?? {}).sort()).toEqual(["apiToken", "ca.crt"]);
    expect(isRetainedCopy(s, "uid-1")).toBe(true);
    expect(isRetainedCopy(s, "uid-2")).toBe(false);
  });

  test("written once, not again while the credentials are the same, updated when they change, read back", async () => {
    const api = apiServer();
    const store = new RetainedCredentialsStore({ client: api.client, namespace: NS });
    expect(await store.ensure(VC, "uid-1", { credentials: { apiToken: "one" } }, signal)).toBe(true);
    expect(await store.ensure(VC, "uid-1", { credentials: { apiToken: "one" } }, signal)).toBe(false);
    // Unverified credentials only fill a missing copy; they never replace one.
    expect(await store.ensure(VC, "uid-1", { credentials: { apiToken: "two" } }, signal, { replace: false })).toBe(false);
    expect(await store.ensure(VC, "uid-1", { credentials: { apiToken: "two" } }, signal)).toBe(true);
    expect(api.writes).toEqual(["create certbridge-retained-uid-1", "apply certbridge-retained-uid-1"]);
    expect((await store.read("uid-1", signal))?.credentials).toEqual({ apiToken: "two" });
    expect(await store.read("uid-2", signal)).toBeUndefined();
  });

  test("a Secret of that name that is not a retained copy is never overwritten nor read as one", async () => {
    const foreign = {
      metadata: { name: retainedSecretName("uid-1"), namespace: NS, labels: { app: "x" } },
      data: { apiToken: Buffer.from("x").toString("base64") },
    };
    const api = apiServer([foreign]);
    const store = new RetainedCredentialsStore({ client: api.client, namespace: NS });
    await expect(store.ensure(VC, "uid-1", { credentials: { apiToken: "one" } }, signal)).rejects.toThrow(/not a certbridge retained copy/);
    expect(await store.read("uid-1", signal)).toBeUndefined();
    expect(api.writes).toEqual([]);
  });

  test("remove deletes this connection's copies (all, or all but the current UID's), nobody else's", async () => {
    const copy = (uid: string, id: typeof VC | { kind: "ClusterVendorConnection"; name: string }) => ({
      ...desiredRetainedSecret(NS, id, uid, { credentials: { apiToken: uid } }),
      metadata: { ...desiredRetainedSecret(NS, id, uid, { credentials: { apiToken: uid } }).metadata, uid: `s-${uid}` },
    });
    const objects = [copy("old", VC), copy("new", VC), copy("other", { kind: "ClusterVendorConnection", name: "cf" })];
    const api = apiServer(objects);
    const store = new RetainedCredentialsStore({
      client: api.client,
      namespace: NS,
      cache: { get: (k: string) => objects.find((o) => `${NS}/${o.metadata.name}` === k), list: () => objects },
    });
    expect(await store.remove(VC, "new", signal)).toBe(1);
    expect(api.writes).toEqual(["delete certbridge-retained-old"]);
    expect(await store.remove(VC, undefined, signal)).toBe(2); // the cache still lists the old one: a 404 is fine
    expect([...api.secrets.keys()]).toEqual(["certbridge-retained-other"]);
  });
});
