// In-memory fakes for the reconciler's tests (function fields, no API server): a one-namespace API
// server that records every request, vendors that issue at once or lose answers and commit late, a
// clock moved by hand, and a reconciler wired to them.
import pino from "pino";
import type { CertificateAuthority } from "../../ports/certificate-authority.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { createTestCa, type TestCa } from "../../pki/test-ca.ts";
import type { KubeClient } from "../../runtime/kube/client.ts";
import { KubeApiError } from "../../runtime/kube/errors.ts";
import { applyMergePatch } from "../../runtime/kube/merge-patch.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import type { Secret } from "../shared/owned-secret.ts";
import { IssuanceBudget } from "../ordering/budget.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import type { CertificateObject } from "./context.ts";
import { WEB_SPEC } from "./testing.ts";

export const log = pino({ level: "silent" });
export const signal = new AbortController().signal;
export const ctx = { log, signal };

/** An in-memory API server for one namespace: objects, status subresource, Secrets; records writes and every request. */
export function fakeCluster() {
  const certs = new Map<string, CertificateObject>();
  const secrets = new Map<string, Secret>();
  let rv = 100;
  const writes: string[] = [];
  /** Every request, in order (GETs too): what the API server would count. */
  const requests: string[] = [];
  const notFound = (path: string) => new KubeApiError({ status: 404, reason: "NotFound", message: "not found", method: "GET", path });
  const stale = (key: string) => new KubeApiError({ status: 409, reason: "Conflict", message: "stale", method: "PATCH", path: key });
  const client = {
    get: async (type: { plural: string }, ns: string, name: string) => {
      requests.push(`GET ${type.plural} ${name}`);
      const hit = type.plural === "secrets" ? secrets.get(`${ns}/${name}`) : certs.get(`${ns}/${name}`);
      if (!hit) throw notFound(name);
      return structuredClone(hit);
    },
    create: async (_type: unknown, obj: Secret) => {
      writes.push(`create secret ${obj.metadata.name}`);
      requests.push(`POST secrets ${obj.metadata.name}`);
      const key = keyOf(obj.metadata);
      if (secrets.has(key)) throw new KubeApiError({ status: 409, reason: "AlreadyExists", message: "exists", method: "POST", path: key });
      const stored = { ...structuredClone(obj), metadata: { ...obj.metadata, uid: `uid-${rv}`, resourceVersion: String(++rv) } };
      secrets.set(key, stored);
      return stored;
    },
    apply: async (type: { plural: string }, obj: KubeObject & { status?: unknown }, opts: { subresource?: string } = {}) => {
      const key = keyOf(obj.metadata);
      requests.push(`APPLY ${type.plural}${opts.subresource ? `/${opts.subresource}` : ""} ${obj.metadata.name}`);
      if (type.plural === "secrets") {
        writes.push(`apply secret ${obj.metadata.name}`);
        const stored = { ...structuredClone(obj), metadata: { ...secrets.get(key)?.metadata, ...obj.metadata, resourceVersion: String(++rv) } } as Secret;
        secrets.set(key, stored);
        return stored;
      }
      writes.push(`apply ${opts.subresource ?? "object"} ${obj.metadata.name}`);
      const current = certs.get(key)!;
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== current.metadata.resourceVersion) throw stale(key);
      const next = {
        ...current,
        status: structuredClone(obj.status) as CertificateObject["status"],
        metadata: { ...current.metadata, resourceVersion: String(++rv) },
      };
      certs.set(key, next);
      return structuredClone(next);
    },
    // The object's metadata by JSON merge patch: a resourceVersion in it is a precondition; status is not patched here.
    mergePatch: async (_type: unknown, ns: string, name: string, patch: { metadata: { resourceVersion?: string } & Record<string, unknown> }) => {
      const { resourceVersion: guard, ...metadata } = patch.metadata;
      writes.push(`patch ${Object.keys(metadata).sort().join("+")} ${name}`);
      requests.push(`PATCH managedcertificates ${name}`);
      const current = certs.get(`${ns}/${name}`);
      if (current === undefined) throw notFound(name);
      if (guard !== undefined && guard !== current.metadata.resourceVersion) throw stale(name);
      const merged = applyMergePatch(current.metadata, metadata) as CertificateObject["metadata"];
      const next = { ...current, metadata: { ...merged, resourceVersion: String(++rv) } };
      certs.set(`${ns}/${name}`, next);
      return structuredClone(next);
    },
    delete: async (type: { plural: string }, _ns: string, name: string) => {
      writes.push("delete");
      requests.push(`DELETE ${type.plural} ${name}`);
    },
  } as unknown as KubeClient;
  return { certs, secrets, writes, requests, client };
}

/** A CertificateAuthority of function fields that issues from a test CA at once. */
export function fakeCa(ca: TestCa, over: Partial<CertificateAuthority> = {}) {
  const calls: string[] = [];
  const impl: CertificateAuthority = {
    submit: async (order) => {
      calls.push("submit");
      const leaf = await ca.signCsr(order.csrPem, { usage: "client" });
      return { state: "issued", vendorRef: `ref-${order.owner.revision}`, chainPem: leaf.leafPem };
    },
    collect: async () => {
      calls.push("collect");
      throw new Error("not expected");
    },
    findOrders: async () => {
      calls.push("find");
      return [];
    },
    revoke: async () => {
      calls.push("revoke");
    },
    cancel: async () => {
      calls.push("cancel");
      return { done: true, how: "revoked" };
    },
    ...over,
  };
  return { impl, calls };
}

export const connection: ResolvedConnection = {
  kind: "VendorConnection",
  namespace: "ns",
  name: "cf",
  vendor: "cloudflare",
  settings: { baseUrl: "https://api.cloudflare.com/client/v4", zoneId: "0".repeat(32), authMode: "APIToken" },
  credentials: {},
  fingerprint: "f",
};

/** A clock the test moves by hand (C4: the reconciler reads no other). */
export function manualClock(start = Date.now()) {
  let at = start;
  return {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
    },
  };
}

export function setup(ca: CertificateAuthority, spec: Record<string, unknown> = {}, deps: Partial<ManagedCertificateReconciler["deps"]> = {}) {
  const cluster = fakeCluster();
  cluster.certs.set("ns/web", {
    apiVersion: "certbridge.dev/v1alpha1",
    kind: "ManagedCertificate",
    metadata: { name: "web", namespace: "ns", uid: "0000-web", generation: 1, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { ...WEB_SPEC, ...spec },
  });
  const reconciler = new ManagedCertificateReconciler({
    client: cluster.client,
    certificates: { get: (k) => cluster.certs.get(k), list: () => [...cluster.certs.values()] },
    secrets: { get: (k) => cluster.secrets.get(k) },
    connections: { resolve: async () => ({ ok: true, connection }) },
    ports: { certificateAuthority: () => ca },
    budget: new IssuanceBudget(),
    ...deps,
  });
  return { cluster, reconciler };
}

export interface FakeOrder {
  ref: string;
  uid: string;
  revision: number;
  spec: string;
  visibleAt: number;
  state: "pending" | "issued" | "failed";
  chainPem: string;
}

/** A vendor that can lose answers and commit late: orders become visible (to lookups) at `visibleAt`. */
export async function lateVendor(clock: ReturnType<typeof manualClock>) {
  const testCa = await createTestCa({ name: "late" });
  const orders: FakeOrder[] = [];
  const calls: string[] = [];
  /** Per submit, in order: "ok", "lost" (placed, answer lost, listed 20 s later), "lostLate" (listed 200 s later: after a 3 min settle deadline), "unplaced" (timed out before the vendor saw it), "pending" (asynchronous). */
  const plan: string[] = [];
  const collectErrors: unknown[] = [];
  let seq = 0;
  const impl: CertificateAuthority = {
    submit: async (order) => {
      calls.push("submit");
      const mode = plan.shift() ?? "ok";
      if (mode === "unplaced")
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "createClientCertificate", message: "timed out after 30000 ms" });
      const leaf = await testCa.signCsr(order.csrPem, { usage: "client" });
      const o: FakeOrder = {
        ref: `ref-${++seq}`,
        uid: order.owner.uid,
        revision: order.owner.revision,
        spec: order.owner.specHash ?? "",
        visibleAt: clock.now().getTime() + (mode === "lostLate" ? 200_000 : mode === "lost" ? 20_000 : 0),
        state: mode === "pending" ? "pending" : "issued",
        chainPem: leaf.leafPem,
      };
      orders.push(o);
      if (mode === "lost" || mode === "lostLate")
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "createClientCertificate", message: "network error (ECONNRESET)" });
      return o.state === "pending"
        ? { state: "pending", vendorRef: o.ref, reason: "Pending", message: "placed" }
        : { state: "issued", vendorRef: o.ref, chainPem: o.chainPem };
    },
    collect: async (ref) => {
      calls.push(`collect ${ref}`);
      const e = collectErrors.shift();
      if (e !== undefined) throw e;
      const o = orders.find((x) => x.ref === ref)!;
      if (o.state === "failed") return { state: "failed", vendorRef: ref, message: "declined by an approver" };
      if (o.state === "pending") {
        o.state = "issued";
        return { state: "pending", vendorRef: ref, reason: "Pending", message: "not yet" };
      }
      return { state: "issued", vendorRef: ref, chainPem: o.chainPem };
    },
    findOrders: async (intent) => {
      calls.push("find");
      return orders
        .filter(
          (o) =>
            o.uid === intent.owner.uid &&
            o.revision === intent.owner.revision &&
            o.spec.startsWith(intent.specHash) &&
            o.visibleAt <= clock.now().getTime() &&
            !intent.knownVendorRefs.includes(o.ref),
        )
        .map((o) => ({ vendorRef: o.ref, state: o.state }));
    },
    revoke: async (ref) => {
      calls.push(`revoke ${ref}`);
    },
    cancel: async (ref) => {
      calls.push(`cancel ${ref}`);
      const o = orders.find((x) => x.ref === ref);
      if (o === undefined) return { done: true, how: "gone" };
      const was = o.state;
      o.state = "failed";
      return { done: true, how: was === "failed" ? "alreadyFinal" : was === "issued" ? "revoked" : "declined" };
    },
  };
  return { impl, orders, calls, plan, collectErrors };
}

export const issuing = (c: ReturnType<typeof fakeCluster>) => c.certs.get("ns/web")!.status!.conditions?.find((x) => x.type === "Issuing");
