import { describe, expect, test } from "vitest";
import pino from "pino";
import type { ConnectionStatus } from "../../api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { resourceTypes } from "../../api/v1alpha1/index.ts";
import { FakeClock } from "../../runtime/clock.ts";
import { ensureFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import { FakeKubeApi } from "../../runtime/kube/fake.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { StatusApplier } from "../../runtime/status.ts";
import { TerminalError } from "../../runtime/reconcile.ts";
import type { ConnectionLookup } from "../shared/connections.ts";
import { type ConnectionObject, ConnectionReconciler } from "./reconciler.ts";

const SECRET_VALUE = "s3cr3t-value";

function connectionObject(
  over: { generation?: number; status?: ConnectionStatus; spec?: Record<string, unknown>; finalizers?: string[]; deleting?: boolean } = {},
): KubeObject & { status?: ConnectionStatus } {
  return {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "VendorConnection",
    metadata: {
      name: "cf",
      namespace: "team",
      uid: "u-1",
      generation: over.generation ?? 1,
      resourceVersion: "7",
      ...(over.finalizers ? { finalizers: over.finalizers } : {}),
      ...(over.deleting ? { deletionTimestamp: "2026-01-01T11:00:00Z" } : {}),
    },
    spec: over.spec ?? {
      cloudflare: { zoneId: "023e105f4ecef8ad9ca31a8372d0c353", baseUrl: "https://cf.example.test/client/v4" },
      credentialsRef: { name: "cf-creds" },
    },
    ...(over.status ? { status: over.status } : {}),
  } as KubeObject & { status?: ConnectionStatus };
}

const resolved = (fingerprint = "fp-1"): Extract<ConnectionLookup, { ok: true }> => ({
  ok: true,
  credentialsResourceVersion: "100",
  connection: {
    kind: "VendorConnection",
    namespace: "team",
    name: "cf",
    vendor: "cloudflare",
    settings: { baseUrl: "https://cf.example.test/client/v4", zoneId: "0".repeat(32), authMode: "APIToken" },
    credentials: { apiToken: SECRET_VALUE },
    fingerprint,
  } satisfies ResolvedConnection,
});

/**
 * A world: the connection in a FakeKubeApi (its cache follows it), the real StatusApplier and
 * finalizer helpers as the setup wires them, and fakes for what the resolver and the vendor answer.
 */
function world(init: { object: KubeObject & { status?: ConnectionStatus }; lookup?: ConnectionLookup; verify?: () => Promise<void>; consumers?: string[] }) {
  const clock = new FakeClock(Date.parse("2026-01-01T12:00:00Z"));
  const api = new FakeKubeApi({ clock });
  const type = resourceTypes.vendorConnections;
  api.seed(type, init.object);
  const cache = api.cache<ConnectionObject>(type);
  const state = { lookup: init.lookup ?? resolved(), verify: init.verify ?? (async () => {}), consumers: init.consumers ?? [] };
  /** Every status the API server took, in order. */
  const writes: Array<Record<string, unknown>> = [];
  api.store.subscribe((e) => {
    const status = (e.object as { status?: Record<string, unknown> }).status;
    if (e.type === "MODIFIED" && status !== undefined && JSON.stringify(status) !== JSON.stringify((e.previous as { status?: unknown } | undefined)?.status))
      writes.push(status);
  });
  /** Finalizer and retained-copy operations, in order. */
  const ops: string[] = [];
  const events: Array<{ type: string; reason: string; note: string }> = [];
  let verifies = 0;
  const status = new StatusApplier<ConnectionObject>({ api, type });
  const reconciler = new ConnectionReconciler({
    kind: "VendorConnection",
    get: (key) => cache.get(key),
    resolve: async () => state.lookup,
    verifier: {
      verify: async () => {
        verifies++;
        await state.verify();
      },
    },
    status,
    events: { record: (_r, e) => events.push({ type: e.type, reason: e.reason, note: e.note }) },
    consumers: () => ({ count: state.consumers.length, names: [...state.consumers].sort() }),
    finalizer: {
      set: async (object, present, signal) => {
        ops.push(present ? "add finalizer" : "release finalizer");
        const after = present
          ? await ensureFinalizer(api, type, object, "certbridge.dev/in-use", signal)
          : await removeFinalizer(api, type, object, "certbridge.dev/in-use", signal);
        if (after !== undefined) status.remember(after, object.metadata.resourceVersion);
        return after;
      },
    },
    retained: {
      ensure: async (_id, uid, data, _signal, opts) => {
        ops.push(`${opts?.replace === false ? "retain if missing" : "retain"} ${uid} ${Object.keys(data.credentials).join(",")}`);
        return true;
      },
      remove: async (_id, keepUid) => {
        ops.push(keepUid === undefined ? "drop copies" : `drop copies except ${keepUid}`);
        return 0;
      },
    },
    clock,
  });
  const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal };
  return {
    state,
    writes,
    events,
    ops,
    api,
    cache,
    get verifies() {
      return verifies;
    },
    advance(ms: number) {
      clock.advance(ms);
    },
    /** The connection is gone from the API server (and so from the cache). */
    remove() {
      api.store.mergePatch(type, "team", "cf", { metadata: { finalizers: null } }, undefined);
      if (api.peek(type, "team", "cf")) api.store.delete(type, "team", "cf", undefined);
    },
    run: () => reconciler.reconcile(ctx, "team/cf"),
  };
}

const ready = (s: Record<string, unknown> | undefined) =>
  (s?.conditions as Array<{ type: string; status: string; reason: string; message: string }> | undefined)?.find((c) => c.type === "Ready");

describe("ConnectionReconciler", () => {
  test("verifies once, reports Ready/Verified naming vendor and host, then stays quiet on resyncs", async () => {
    const w = world({ object: connectionObject() });
    const result = await w.run();
    expect(ready(w.writes[0])).toMatchObject({ status: "True", reason: "Verified" });
    expect(ready(w.writes[0])?.message).toContain("Cloudflare");
    expect(ready(w.writes[0])?.message).toContain("cf.example.test");
    expect(w.writes[0]).toMatchObject({
      vendor: "cloudflare",
      observedGeneration: 1,
      credentialsResourceVersion: "100",
      lastVerifiedTime: "2026-01-01T12:00:00Z",
    });
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    expect(w.events).toEqual([expect.objectContaining({ type: "Normal", reason: "Verified" })]);

    w.advance(60_000);
    await w.run();
    await w.run();
    expect(w.verifies).toBe(1);
    expect(w.writes).toHaveLength(1);
    expect(w.events).toHaveLength(1);
  });

  test("re-verifies when the credentials Secret changes, and after the interval", async () => {
    const w = world({ object: connectionObject() });
    await w.run();
    w.state.lookup = { ...resolved("fp-2"), credentialsResourceVersion: "101" };
    await w.run();
    expect(w.verifies).toBe(2);
    expect(w.writes.at(-1)).toMatchObject({ credentialsResourceVersion: "101" });
    // Nothing changed: no vendor call and no status write for the rest of the hour (issue 13: quiet connections).
    const writes = w.writes.length;
    w.advance(50 * 60_000);
    await w.run();
    expect(w.verifies).toBe(2);
    expect(w.writes).toHaveLength(writes);
    w.advance(11 * 60_000);
    await w.run();
    expect(w.verifies).toBe(3);
  });

  test("rejected credentials: CredentialsInvalid, a Warning once, no secret in status or events, no hammering", async () => {
    const w = world({
      object: connectionObject(),
      verify: async () => {
        throw new VendorError({
          kind: "credentials",
          vendor: "cloudflare",
          operation: "listClientCertificates",
          message: "Invalid API Token",
          httpStatus: 403,
        });
      },
    });
    const result = await w.run();
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "CredentialsInvalid" });
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    await w.run();
    expect(w.verifies).toBe(1);
    expect(w.events).toEqual([expect.objectContaining({ type: "Warning", reason: "CredentialsInvalid" })]);
    expect(JSON.stringify([w.writes, w.events])).not.toContain(SECRET_VALUE);

    // Fixed credentials arrive: verified at once, one transition event.
    w.state.verify = async () => {};
    w.state.lookup = { ...resolved("fp-2"), credentialsResourceVersion: "101" };
    await w.run();
    expect(ready(w.writes.at(-1))).toMatchObject({ status: "True", reason: "Verified" });
    expect(w.events.map((e) => e.reason)).toEqual(["CredentialsInvalid", "Verified"]);
  });

  test("transient vendor trouble: VendorError in status, and the error goes to the queue's backoff", async () => {
    const boom = new VendorError({ kind: "transient", vendor: "cloudflare", operation: "listClientCertificates", message: "HTTP 503", retryAfterMs: 2_000 });
    const w = world({
      object: connectionObject(),
      verify: async () => {
        throw boom;
      },
    });
    await expect(w.run()).rejects.toBe(boom);
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "VendorError" });
    await expect(w.run()).rejects.toBe(boom); // back from backoff: tries again
    expect(w.verifies).toBe(2);
    expect(w.writes).toHaveLength(1); // same status: not written twice
  });

  test("rate-limited: the condition names the vendor's reason (RateLimited, request id) AND the error goes to the queue", async () => {
    const slow = new VendorError({
      kind: "rateLimited",
      vendor: "cloudflare",
      operation: "listClientCertificates",
      message: "too many requests",
      httpStatus: 429,
      vendorCode: "971",
      retryAfterMs: 30_000,
    });
    const w = world({
      object: connectionObject(),
      verify: async () => {
        throw slow;
      },
    });
    await expect(w.run()).rejects.toBe(slow);
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "RateLimited" });
    expect(ready(w.writes[0])?.message).toContain("(rateLimited 971, HTTP 429): too many requests");
  });

  test("read-your-writes: a cache behind our own status write is not mistaken for the truth", async () => {
    const w = world({ object: connectionObject() });
    w.cache.hold(); // the watch lags from here on
    await w.run();
    w.advance(60_000);
    w.state.lookup = { ...resolved("fp-2"), credentialsResourceVersion: "101" };
    await w.run(); // the cache still shows the object before our first write
    expect(w.verifies).toBe(2);
    // Built on what we wrote, not on the stale cache: no 409, Ready's transition time kept, no second Event.
    expect(w.writes).toHaveLength(2);
    expect(w.writes[1]).toMatchObject({ credentialsResourceVersion: "101" });
    expect(ready(w.writes[1])).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T12:00:00Z" });
    expect(w.events).toHaveLength(1);
  });

  test("missing Secret: SecretNotFound with the resolver's message, a planned re-check, no vendor call", async () => {
    const w = world({
      object: connectionObject(),
      lookup: { ok: false, reason: "SecretNotFound", message: "credentials Secret team/cf-creds does not exist" },
    });
    const result = await w.run();
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "SecretNotFound", message: "credentials Secret team/cf-creds does not exist" });
    expect(result.requeueAfterMs).toBe(5 * 60_000);
    expect(w.verifies).toBe(0);
  });

  test("invalid spec: InvalidSpec and a terminal error, no resolve and no vendor call", async () => {
    const w = world({ object: connectionObject({ spec: { credentialsRef: { name: "x" } } }) });
    await expect(w.run()).rejects.toBeInstanceOf(TerminalError);
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready(w.writes[0])?.message).toMatch(/exactly one vendor block/);
    expect(w.verifies).toBe(0);
  });

  test("a deleted connection is forgotten quietly", async () => {
    const w = world({ object: connectionObject() });
    w.remove();
    await expect(w.run()).resolves.toEqual({});
    expect(w.writes).toHaveLength(0);
  });
});

describe("ConnectionReconciler: connections outlive their consumers (C2)", () => {
  test("used: the in-use finalizer, a retained copy of the credentials, and the count in status", async () => {
    const w = world({ object: connectionObject(), consumers: ["ManagedCertificate team/web", "ProvisioningKey team/key"] });
    await w.run();
    // A copy at once, replaced only once the vendor accepted the credentials.
    expect(w.ops).toEqual(["add finalizer", "drop copies except u-1", "retain if missing u-1 apiToken", "retain u-1 apiToken"]);
    expect(w.writes[0]).toMatchObject({ consumers: 2 });
    expect(ready(w.writes[0])).toMatchObject({ status: "True", reason: "Verified" });
    // The copy holds credentials only: nothing of them reaches status or events.
    expect(JSON.stringify([w.writes, w.events])).not.toContain(SECRET_VALUE);
  });

  test("rejected credentials never replace the retained copy (a bad rotation keeps the last good ones)", async () => {
    const w = world({
      object: connectionObject({ finalizers: ["certbridge.dev/in-use"] }),
      consumers: ["ManagedCertificate team/web"],
      verify: async () => {
        throw new VendorError({
          kind: "credentials",
          vendor: "cloudflare",
          operation: "listClientCertificates",
          message: "Invalid API Token",
          httpStatus: 403,
        });
      },
    });
    await w.run();
    expect(w.ops).toEqual(["drop copies except u-1", "retain if missing u-1 apiToken"]);
    // Verified at steady state (e.g. after a restart): the copy is brought up to date, no vendor call.
    w.state.verify = async () => {};
    w.state.lookup = { ...resolved("fp-2"), credentialsResourceVersion: "101" };
    await w.run();
    w.ops.length = 0;
    await w.run();
    expect(w.ops).toEqual(["drop copies except u-1", "retain if missing u-1 apiToken", "retain u-1 apiToken"]);
    expect(w.verifies).toBe(2);
  });

  test("the last user gone: copies are deleted before the finalizer is released", async () => {
    const w = world({ object: connectionObject({ finalizers: ["certbridge.dev/in-use"] }), consumers: ["ManagedCertificate team/web"] });
    await w.run();
    w.ops.length = 0;
    w.state.consumers = [];
    await w.run();
    expect(w.ops).toEqual(["drop copies", "release finalizer"]);
    expect(w.writes.at(-1)).toMatchObject({ consumers: 0 });
    expect(w.verifies).toBe(1); // a count change is a status write, not a vendor call
  });

  test("deleting while used: held, no vendor call, Ready=False/Deleting names who holds it, the copy kept current", async () => {
    const users = [
      "ManagedCertificate team/a",
      "ManagedCertificate team/b",
      "ManagedCertificate team/c",
      "ManagedCertificate team/d",
      "ManagedCertificate team/e",
      "ProvisioningKey team/k",
    ];
    const w = world({ object: connectionObject({ finalizers: ["certbridge.dev/in-use"], deleting: true }), consumers: users });
    const result = await w.run();
    expect(w.verifies).toBe(0);
    expect(w.ops).toEqual(["drop copies except u-1", "retain if missing u-1 apiToken"]);
    const cond = ready(w.writes[0]);
    expect(cond).toMatchObject({ status: "False", reason: "Deleting" });
    expect(cond?.message).toContain("6 resources still use this connection");
    expect(cond?.message).toContain("ManagedCertificate team/a");
    expect(cond?.message).toContain("and 1 more");
    expect(w.writes[0]).toMatchObject({ consumers: 6 });
    expect(w.events).toEqual([expect.objectContaining({ type: "Normal", reason: "Deleting" })]);
    expect(result.requeueAfterMs).toBeGreaterThan(0);
  });

  test("deleting, the Secret already gone: still held, and the copy is left as it was", async () => {
    const w = world({
      object: connectionObject({ finalizers: ["certbridge.dev/in-use"], deleting: true }),
      consumers: ["ManagedCertificate team/web"],
      lookup: { ok: false, reason: "SecretNotFound", message: "credentials Secret team/cf-creds does not exist" },
    });
    await w.run();
    expect(w.ops).toEqual(["drop copies except u-1"]);
    expect(ready(w.writes[0])).toMatchObject({ status: "False", reason: "Deleting" });
  });

  test("deleting and unused: copies deleted, finalizer released, nothing else (no status write, no vendor call)", async () => {
    const w = world({ object: connectionObject({ finalizers: ["certbridge.dev/in-use"], deleting: true }) });
    await expect(w.run()).resolves.toEqual({});
    expect(w.ops).toEqual(["drop copies", "release finalizer"]);
    expect(w.writes).toEqual([]);
    expect(w.verifies).toBe(0);
  });

  test("never used: no finalizer added and nothing retained", async () => {
    const w = world({ object: connectionObject() });
    await w.run();
    expect(w.ops).toEqual(["drop copies"]);
    expect(w.writes[0]).toMatchObject({ consumers: 0 });
  });
});
