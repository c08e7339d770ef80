import { describe, expect, test } from "vitest";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { adoptionDecision, CachedTenancy, connectionIdentityTenancy, tenantOfConnection } from "./tenancy.ts";

const vc = { kind: "VendorConnection", name: "zpa" } as const;
const cvc = { kind: "ClusterVendorConnection", name: "shared" } as const;
const team = { "kubernetes.io/metadata.name": "team", tier: "edge" };

describe("adoptionDecision", () => {
  const cases: Array<{ reason: string; input: Parameters<typeof adoptionDecision>[0]; allowed: boolean; says?: string }> = [
    {
      reason: "a VendorConnection's namespace owns the credentials: it may",
      input: { ref: vc, namespace: "team", policy: undefined, namespaceLabels: {}, keyName: "k" },
      allowed: true,
    },
    {
      reason: "a ClusterVendorConnection without spec.adoption: nobody may",
      input: { ref: cvc, namespace: "team", policy: undefined, namespaceLabels: team, keyName: "k" },
      allowed: false,
      says: "spec.adoption",
    },
    {
      reason: "one that cannot be read: nobody may",
      input: { ref: cvc, namespace: "team", policy: "unreadable", namespaceLabels: team, keyName: "k" },
      allowed: false,
      says: "cannot be read",
    },
    {
      reason: "the namespace is selected",
      input: { ref: cvc, namespace: "team", policy: { namespaceSelector: { matchLabels: { tier: "edge" } } }, namespaceLabels: team, keyName: "k" },
      allowed: true,
    },
    {
      reason: "the namespace is not selected",
      input: { ref: cvc, namespace: "team", policy: { namespaceSelector: { matchLabels: { tier: "core" } } }, namespaceLabels: team, keyName: "k" },
      allowed: false,
      says: "namespaceSelector",
    },
    {
      reason: "the name has the prefix",
      input: { ref: cvc, namespace: "team", policy: { namespaceSelector: {}, namePrefix: "legacy-" }, namespaceLabels: team, keyName: "legacy-edge" },
      allowed: true,
    },
    {
      reason: "the name lacks the prefix",
      input: { ref: cvc, namespace: "team", policy: { namespaceSelector: {}, namePrefix: "legacy-" }, namespaceLabels: team, keyName: "edge" },
      allowed: false,
      says: "namePrefix",
    },
  ];
  test.each(cases)("$reason", ({ input, allowed, says }) => {
    const d = adoptionDecision(input);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed && says !== undefined) expect(d.message).toContain(says);
  });
});

describe("tenants", () => {
  test("a ZPA connection's tenant is its customer id; without one, its own identity", () => {
    const zpa = { metadata: { name: "zpa", namespace: "a" }, spec: { zpa: { customerId: "217246660302995456" } } };
    expect(tenantOfConnection(vc, "a", zpa)).toBe("zpa-customer:217246660302995456");
    expect(tenantOfConnection(vc, "a", undefined)).toBe("connection:VendorConnection/a/zpa");
    expect(tenantOfConnection(cvc, "a", undefined)).toBe("connection:ClusterVendorConnection/shared");
    expect(connectionIdentityTenancy.tenantOf(cvc, "b")).toBe(tenantOfConnection(cvc, "a", undefined));
  });

  test("two connections (any kind, any namespace) to one customer are one tenant", () => {
    const cache = (entries: Record<string, KubeObject>) => ({ get: (k: string) => entries[k], list: () => Object.values(entries) });
    const spec = { zpa: { customerId: "7" } };
    const t = new CachedTenancy({
      vendorConnections: cache({ "b/zpa": { metadata: { name: "zpa", namespace: "b" }, spec } as KubeObject }),
      clusterVendorConnections: cache({ shared: { metadata: { name: "shared" }, spec } as KubeObject }),
      namespaceLabels: async () => ({}),
    });
    expect(t.tenantOf(vc, "b")).toBe(t.tenantOf(cvc, "a"));
  });

  test("the cached tenancy reads spec.adoption and the namespace's labels", async () => {
    const cache = (entries: Record<string, KubeObject>) => ({ get: (k: string) => entries[k], list: () => Object.values(entries) });
    const asked: string[] = [];
    const t = new CachedTenancy({
      vendorConnections: cache({}),
      clusterVendorConnections: cache({
        shared: {
          metadata: { name: "shared" },
          spec: { zpa: { customerId: "7" }, adoption: { namespaceSelector: { matchLabels: { tier: "edge" } } } },
        } as KubeObject,
        closed: { metadata: { name: "closed" }, spec: { zpa: { customerId: "7" } } } as KubeObject,
      }),
      namespaceLabels: async (ns) => (asked.push(ns), ns === "team" ? team : {}),
    });
    const signal = new AbortController().signal;
    expect((await t.adoption(cvc, "team", "k", signal)).allowed).toBe(true);
    expect((await t.adoption(cvc, "other", "k", signal)).allowed).toBe(false);
    expect((await t.adoption({ kind: "ClusterVendorConnection", name: "closed" }, "team", "k", signal)).allowed).toBe(false);
    expect((await t.adoption({ kind: "ClusterVendorConnection", name: "missing" }, "team", "k", signal)).allowed).toBe(false);
    expect(asked, "labels are read only when a policy needs them").toEqual(["team", "other"]);
  });
});
