import { describe, expect, test } from "vitest";
import type { ChangeListener, ReadCache } from "../../runtime/informer.ts";
import { type KubeObject, keyOf } from "../../runtime/kube/resource.ts";
import { ConnectionConsumers, ConsumerIndex, connectionChangeMatters, connectionsUsedBy } from "./connection-consumers.ts";

/** A cache that tells its listeners, as an informer does. */
class FakeInformer {
  readonly #objects = new Map<string, KubeObject>();
  readonly #listeners: Array<ChangeListener<KubeObject>> = [];
  get = (key: string) => this.#objects.get(key);
  list = () => [...this.#objects.values()];
  onChange = (l: ChangeListener<KubeObject>) => void this.#listeners.push(l);
  put(object: KubeObject): void {
    const key = keyOf(object.metadata);
    const previous = this.#objects.get(key);
    this.#objects.set(key, object);
    for (const l of this.#listeners) l(key, object, previous);
  }
  remove(key: string): void {
    const previous = this.#objects.get(key);
    this.#objects.delete(key);
    for (const l of this.#listeners) l(key, undefined, previous);
  }
  get informer(): ReadCache<KubeObject> {
    return this;
  }
}

const mc = (
  namespace: string,
  name: string,
  ref: { kind?: string; name: string },
  extra: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KubeObject => ({ metadata: { namespace, name, ...meta }, spec: { connectionRef: ref, ...extra } }) as KubeObject;
const cvc = (
  name: string,
  selector: Record<string, unknown>,
  over: { generation?: number; status?: Record<string, unknown>; deletionTimestamp?: string } = {},
): KubeObject =>
  ({
    metadata: { name, uid: `u-${name}`, generation: over.generation ?? 1, ...(over.deletionTimestamp ? { deletionTimestamp: over.deletionTimestamp } : {}) },
    spec: { namespaceSelector: selector },
    ...(over.status ? { status: over.status } : {}),
  }) as KubeObject;
const vc = (namespace: string, name: string, over: { generation?: number; status?: Record<string, unknown> } = {}): KubeObject =>
  ({
    metadata: { namespace, name, uid: `u-${name}`, generation: over.generation ?? 1 },
    spec: {},
    ...(over.status ? { status: over.status } : {}),
  }) as KubeObject;
const ns = (name: string, labels: Record<string, string>, phase?: string): KubeObject =>
  ({ metadata: { name, labels }, ...(phase ? { status: { phase } } : {}) }) as KubeObject;

describe("connectionsUsedBy", () => {
  test.each([
    {
      why: "a connectionRef without kind is a VendorConnection in the resource's namespace",
      obj: mc("a", "x", { name: "cf" }),
      want: ["VendorConnection a/cf"],
    },
    {
      why: "a ClusterVendorConnection has no namespace",
      obj: mc("a", "x", { kind: "ClusterVendorConnection", name: "shared" }),
      want: ["ClusterVendorConnection shared"],
    },
    {
      why: "a certificate also holds the ZPA connection it publishes through",
      obj: mc("a", "x", { name: "cf" }, { publish: { zpa: { connectionRef: { kind: "VendorConnection", name: "zpa" } } } }),
      want: ["VendorConnection a/cf", "VendorConnection a/zpa"],
    },
    {
      why: "the same connection twice counts once",
      obj: mc("a", "x", { name: "zpa" }, { publish: { zpa: { connectionRef: { name: "zpa" } } } }),
      want: ["VendorConnection a/zpa"],
    },
    {
      why: "a deleting resource holds its connection while its cleanup finalizer is there",
      obj: mc("a", "x", { name: "cf" }, {}, { deletionTimestamp: "t", finalizers: ["certbridge.dev/cleanup"] }),
      want: ["VendorConnection a/cf"],
    },
    {
      why: "a deleting resource whose cleanup is done holds nothing",
      obj: mc("a", "x", { name: "cf" }, {}, { deletionTimestamp: "t", finalizers: ["someone.else/x"] }),
      want: [],
    },
  ])("$why", ({ obj, want }) => {
    expect(connectionsUsedBy(obj).map((id) => (id.kind === "VendorConnection" ? `${id.kind} ${id.namespace}/${id.name}` : `${id.kind} ${id.name}`))).toEqual(
      want,
    );
  });
});

describe("ConsumerIndex", () => {
  test("reports only real changes of who uses what, and answers per connection and namespace", () => {
    const index = new ConsumerIndex();
    expect(index.update("ManagedCertificate", "a/x", mc("a", "x", { name: "cf" })).map((i) => i.name)).toEqual(["cf"]);
    // A status write or resync of the consumer: same references, no change.
    expect(index.update("ManagedCertificate", "a/x", mc("a", "x", { name: "cf" }))).toEqual([]);
    index.update("ProvisioningKey", "b/k", mc("b", "k", { kind: "ClusterVendorConnection", name: "shared" }));
    index.update("ManagedCertificate", "c/y", mc("c", "y", { kind: "ClusterVendorConnection", name: "shared" }));
    expect(
      index
        .consumersOf({ kind: "ClusterVendorConnection", name: "shared" })
        .map((c) => c.key)
        .sort(),
    ).toEqual(["b/k", "c/y"]);
    expect(index.consumersOf({ kind: "ClusterVendorConnection", name: "shared" }, "b")).toEqual([{ kind: "ProvisioningKey", key: "b/k" }]);
    // Moving to another connection changes both.
    expect(
      index
        .update("ManagedCertificate", "a/x", mc("a", "x", { name: "other" }))
        .map((i) => i.name)
        .sort(),
    ).toEqual(["cf", "other"]);
    expect(index.consumersOf({ kind: "VendorConnection", namespace: "a", name: "cf" })).toEqual([]);
    // Gone.
    expect(index.update("ManagedCertificate", "c/y", undefined).map((i) => i.name)).toEqual(["shared"]);
    expect(index.connectionsIn("c")).toEqual([]);
    expect(index.connectionsIn("b")).toEqual([
      { id: { kind: "ClusterVendorConnection", name: "shared" }, consumers: [{ kind: "ProvisioningKey", key: "b/k" }] },
    ]);
  });
});

describe("connectionChangeMatters", () => {
  const ready = (status: string, extra: Record<string, unknown> = {}) => ({
    conditions: [{ type: "Ready", status, reason: "x", lastTransitionTime: "t" }],
    ...extra,
  });
  const base = vc("a", "cf", { status: ready("True", { lastVerifiedTime: "t1", credentialsResourceVersion: "5", consumers: 3 }) });
  const edit = (f: (o: KubeObject & { status?: Record<string, unknown> }) => void) => {
    const o = structuredClone(base) as KubeObject & { status?: Record<string, unknown> };
    f(o);
    return o;
  };
  test.each([
    {
      why: "re-verification (lastVerifiedTime) wakes nobody",
      cur: edit((o) => {
        o.status!.lastVerifiedTime = "t2";
      }),
      want: false,
    },
    {
      why: "a consumer count write wakes nobody",
      cur: edit((o) => {
        o.status!.consumers = 4;
      }),
      want: false,
    },
    {
      why: "our in-use finalizer wakes nobody",
      cur: edit((o) => {
        o.metadata.finalizers = ["certbridge.dev/in-use"];
      }),
      want: false,
    },
    {
      why: "a spec edit",
      cur: edit((o) => {
        o.metadata.generation = 2;
      }),
      want: true,
    },
    {
      why: "a touch (annotation): look again now",
      cur: edit((o) => {
        o.metadata.annotations = { touched: "now" };
      }),
      want: true,
    },
    {
      why: "deletion starting",
      cur: edit((o) => {
        o.metadata.deletionTimestamp = "t";
      }),
      want: true,
    },
    {
      why: "new credentials verified",
      cur: edit((o) => {
        o.status!.credentialsResourceVersion = "6";
      }),
      want: true,
    },
    {
      why: "Ready flipping",
      cur: edit((o) => {
        o.status = ready("False", { credentialsResourceVersion: "5" });
      }),
      want: true,
    },
    {
      why: "re-created under the same name",
      cur: edit((o) => {
        o.metadata.uid = "other";
      }),
      want: true,
    },
    { why: "deleted", cur: undefined, want: true },
  ])("$why → $want", ({ cur, want }) => {
    expect(connectionChangeMatters(cur, base)).toBe(want);
  });
});

function world() {
  const vcs = new FakeInformer();
  const cvcs = new FakeInformer();
  const namespaces = new FakeInformer();
  const mcs = new FakeInformer();
  const pks = new FakeInformer();
  const consumers = new ConnectionConsumers({ vendorConnections: vcs.informer, clusterVendorConnections: cvcs.informer, namespaces: namespaces.informer });
  const woken: string[] = [];
  const recount: string[] = [];
  consumers.attach("ManagedCertificate", mcs.informer, (k) => woken.push(`mc ${k}`));
  consumers.attach("ProvisioningKey", pks.informer, (k) => woken.push(`pk ${k}`));
  consumers.onConsumersChanged((id) => recount.push(id.name));
  cvcs.put(cvc("shared", { matchLabels: { tier: "gold" } }));
  vcs.put(vc("a", "cf"));
  namespaces.put(ns("a", { tier: "gold" }));
  namespaces.put(ns("b", { tier: "gold" }));
  mcs.put(mc("a", "web", { kind: "ClusterVendorConnection", name: "shared" }));
  mcs.put(mc("a", "api", { name: "cf" }));
  pks.put(mc("a", "key", { kind: "ClusterVendorConnection", name: "shared" }));
  mcs.put(mc("b", "web", { kind: "ClusterVendorConnection", name: "shared" }));
  const take = () => {
    const out = [...woken].sort();
    woken.length = 0;
    recount.length = 0;
    return out;
  };
  return { vcs, cvcs, namespaces, mcs, consumers, woken, recount, take };
}

describe("ConnectionConsumers fan-out (finding 6): wake exactly who is affected, only on a real change", () => {
  test("a namespace losing a ClusterVendorConnection's admission wakes that namespace's users of it, and recounts it", () => {
    const w = world();
    expect(w.recount).toEqual(["shared", "cf", "shared", "shared"]); // each new user was counted
    w.take();
    w.namespaces.put(ns("a", { tier: "bronze" }));
    expect(w.recount).toEqual(["shared"]);
    expect(w.take()).toEqual(["mc a/web", "pk a/key"]);
    // Admitted again: the same resources look again (and become Ready again).
    w.namespaces.put(ns("a", { tier: "gold" }));
    expect(w.take()).toEqual(["mc a/web", "pk a/key"]);
  });

  test("a label change that does not move admission wakes nobody", () => {
    const w = world();
    w.take();
    w.namespaces.put(ns("a", { tier: "gold", team: "payments" }));
    expect(w.take()).toEqual([]);
    expect(w.recount).toEqual([]);
  });

  test("status writes and re-verifications of a connection wake nobody; an edit wakes its users only", () => {
    const w = world();
    w.take();
    w.cvcs.put(cvc("shared", { matchLabels: { tier: "gold" } }, { status: { lastVerifiedTime: "t1", consumers: 3 } }));
    w.cvcs.put(cvc("shared", { matchLabels: { tier: "gold" } }, { status: { lastVerifiedTime: "t2", consumers: 3 } }));
    expect(w.take()).toEqual([]);
    w.cvcs.put(cvc("shared", { matchLabels: {} }, { generation: 2, status: { lastVerifiedTime: "t2", consumers: 3 } }));
    expect(w.take()).toEqual(["mc a/web", "mc b/web", "pk a/key"]);
    w.vcs.put(vc("a", "cf", { generation: 2 }));
    expect(w.take()).toEqual(["mc a/api"]);
  });

  test("a namespace starting to terminate wakes every user in it (nothing new may be ordered)", () => {
    const w = world();
    w.take();
    w.namespaces.put(ns("a", { tier: "gold" }, "Terminating"));
    expect(w.take()).toEqual(["mc a/api", "mc a/web", "pk a/key"]);
  });

  test("a ClusterVendorConnection is held only by users in namespaces it admits", () => {
    const w = world();
    expect(w.consumers.summary({ kind: "ClusterVendorConnection", name: "shared" })).toEqual({
      count: 3,
      names: ["ManagedCertificate a/web", "ManagedCertificate b/web", "ProvisioningKey a/key"],
    });
    w.namespaces.put(ns("b", { tier: "bronze" }));
    expect(w.consumers.summary({ kind: "ClusterVendorConnection", name: "shared" }).count).toBe(2);
    expect(w.consumers.summary({ kind: "VendorConnection", namespace: "a", name: "cf" })).toEqual({ count: 1, names: ["ManagedCertificate a/api"] });
  });

  test("a consumer's own status writes neither recount nor wake anything", () => {
    const w = world();
    w.take();
    w.mcs.put({ ...mc("a", "web", { kind: "ClusterVendorConnection", name: "shared" }), status: { revision: 2 } } as KubeObject);
    expect(w.recount).toEqual([]);
    expect(w.take()).toEqual([]);
  });
});
