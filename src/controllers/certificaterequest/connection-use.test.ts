import { describe, expect, it, test } from "vitest";
import { InformerStore } from "../../runtime/informer-store.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { ConnectionConsumers } from "../shared/connection-consumers.ts";
import type { ConnectionId } from "../shared/connection-ids.ts";
import type { IssuerKind } from "../vendorissuer/issuer.ts";
import { requestConnections } from "./connection-use.ts";

const CLEANUP = "certbridge.dev/cleanup";

const request = (o: { name?: string; kind?: string; group?: string; issuer?: string; finalizer?: boolean; deleting?: boolean } = {}): KubeObject =>
  ({
    metadata: {
      namespace: "a",
      name: o.name ?? "r1",
      ...(o.finalizer === false ? {} : { finalizers: [CLEANUP] }),
      ...(o.deleting ? { deletionTimestamp: "2026-12-01T00:00:00Z" } : {}),
    },
    spec: { request: "Q1NS", issuerRef: { group: o.group ?? "certbridge.dev", kind: o.kind ?? "VendorIssuer", name: o.issuer ?? "sectigo" } },
  }) as KubeObject;

const issuer = (namespace: string | undefined, name: string, ref: { kind?: string; name: string }): KubeObject =>
  ({ metadata: { ...(namespace ? { namespace } : {}), name }, spec: { connectionRef: ref } }) as KubeObject;

/** Issuer caches by kind and key, as the informers keep them. */
function issuerCache(objects: Partial<Record<IssuerKind, Record<string, KubeObject>>>) {
  return (kind: IssuerKind, key: string) => objects[kind]?.[key];
}

const named = (ids: ConnectionId[]) => ids.map((id) => (id.kind === "VendorConnection" ? `${id.kind} ${id.namespace}/${id.name}` : `${id.kind} ${id.name}`));

describe("requestConnections: the connection a CertificateRequest holds", () => {
  const issuers = issuerCache({
    VendorIssuer: {
      "a/sectigo": issuer("a", "sectigo", { kind: "VendorConnection", name: "scm" }),
      "a/via-cluster": issuer("a", "via-cluster", { kind: "ClusterVendorConnection", name: "shared" }),
    },
    ClusterVendorIssuer: {
      global: issuer(undefined, "global", { kind: "ClusterVendorConnection", name: "shared" }),
      bare: issuer(undefined, "bare", { name: "shared" }),
    },
  });
  test.each([
    { why: "order in flight through a VendorIssuer: its VendorConnection, in the request's namespace", r: request(), want: ["VendorConnection a/scm"] },
    { why: "a VendorIssuer naming a ClusterVendorConnection", r: request({ issuer: "via-cluster" }), want: ["ClusterVendorConnection shared"] },
    { why: "through a ClusterVendorIssuer", r: request({ kind: "ClusterVendorIssuer", issuer: "global" }), want: ["ClusterVendorConnection shared"] },
    {
      why: "a ClusterVendorIssuer's ref without kind is still a ClusterVendorConnection (the only kind it may name)",
      r: request({ kind: "ClusterVendorIssuer", issuer: "bare" }),
      want: ["ClusterVendorConnection shared"],
    },
    {
      why: "deleted with its order in flight: held until the cancel is done and the finalizer goes",
      r: request({ deleting: true }),
      want: ["VendorConnection a/scm"],
    },
    { why: "finished (no cleanup finalizer): holds nothing, so old revisions never keep a connection", r: request({ finalizer: false }), want: [] },
    { why: "deleted and released: holds nothing", r: request({ finalizer: false, deleting: true }), want: [] },
    { why: "another issuer's request", r: request({ group: "cert-manager.io", kind: "Issuer" }), want: [] },
    { why: "its issuer is gone: no connection can be named", r: request({ issuer: "missing" }), want: [] },
  ])("$why", ({ r, want }) => {
    expect(named(requestConnections(issuers)(r))).toEqual(want);
  });
});

/** The informers' own store, told changes directly (a listener that throws fails the test). */
const informerStore = () =>
  new InformerStore<KubeObject>({
    onListenerError: (error) => {
      throw error;
    },
  });

describe("CertificateRequests among a connection's consumers (ADR 0007)", () => {
  function world() {
    const vcs = informerStore();
    const cvcs = informerStore();
    const requests = informerStore();
    const issuers: Record<string, KubeObject> = { "a/sectigo": issuer("a", "sectigo", { name: "scm" }) };
    const consumers = new ConnectionConsumers({ vendorConnections: vcs, clusterVendorConnections: cvcs });
    const woken: string[] = [];
    const recounted: string[] = [];
    consumers.onConsumersChanged((id) => recounted.push(id.name));
    const attachment = consumers.attach(
      "CertificateRequest",
      requests,
      (key) => woken.push(key),
      requestConnections((kind, key) => (kind === "VendorIssuer" ? issuers[key] : undefined)),
    );
    vcs.apply("MODIFIED", { metadata: { namespace: "a", name: "scm", generation: 1 }, spec: {} } as KubeObject);
    vcs.apply("MODIFIED", { metadata: { namespace: "a", name: "other", generation: 1 }, spec: {} } as KubeObject);
    const held = (name: string) => consumers.summary({ kind: "VendorConnection", namespace: "a", name });
    return { vcs, requests, issuers, consumers, attachment, woken, recounted, held };
  }

  it("a request with its order in flight holds the connection; finished, it lets go", () => {
    const w = world();
    w.requests.apply("MODIFIED", request());
    expect(w.held("scm")).toEqual({ count: 1, names: ["CertificateRequest a/r1"] });
    expect(w.recounted).toEqual(["scm"]);
    w.requests.apply("MODIFIED", request({ finalizer: false }));
    expect(w.held("scm").count).toBe(0);
    expect(w.recounted).toEqual(["scm", "scm"]);
  });

  it("its issuer pointed at another connection: refreshed, the request holds the new one", () => {
    const w = world();
    w.requests.apply("MODIFIED", request());
    w.issuers["a/sectigo"] = issuer("a", "sectigo", { name: "other" });
    w.attachment.refresh("a/r1");
    expect(w.held("scm").count).toBe(0);
    expect(w.held("other").count).toBe(1);
  });

  it("the connection starting to delete wakes the request (its teardown must not wait on a poll)", () => {
    const w = world();
    w.requests.apply("MODIFIED", request());
    w.woken.length = 0;
    w.vcs.apply("MODIFIED", { metadata: { namespace: "a", name: "scm", generation: 1, deletionTimestamp: "2026-12-01T00:00:00Z" }, spec: {} } as KubeObject);
    expect(w.woken).toEqual(["a/r1"]);
  });

  it("detached (cert-manager's CRD gone, its controller stopped): the requests hold nothing and are woken no more", () => {
    const w = world();
    w.requests.apply("MODIFIED", request());
    w.attachment.detach();
    expect(w.held("scm").count).toBe(0);
    expect(w.recounted).toEqual(["scm", "scm"]);
    w.requests.apply("MODIFIED", request({ name: "r2" }));
    w.woken.length = 0;
    w.vcs.apply("MODIFIED", { metadata: { namespace: "a", name: "scm", generation: 2 }, spec: {} } as KubeObject);
    expect(w.held("scm").count).toBe(0);
    expect(w.woken).toEqual([]);
  });
});
