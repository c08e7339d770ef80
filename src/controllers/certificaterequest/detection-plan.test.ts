import { describe, expect, it } from "vitest";
import { type KindState, type PartView, crdRule, decidePart, notPermittedRetryMs, notPermittedWarning } from "./detection-plan.ts";

const view = (o: Partial<PartView> & { kinds: readonly KindState[] }): PartView => ({ running: false, stoppable: false, earlierWaiting: false, ...o });

describe("decidePart", () => {
  it.each([
    { why: "not running, every kind served: start", v: view({ kinds: ["served", "served"] }), action: "start", status: "running" },
    { why: "a kind absent: wait, said as not served", v: view({ kinds: ["served", "absent"] }), action: "wait", status: "not_served" },
    {
      why: "RBAC refused a CRD read: wait as not permitted — never as 'not synced', which would wait forever",
      v: view({ kinds: ["forbidden", "served"] }),
      action: "wait",
      status: "not_permitted",
    },
    {
      why: "refused and absent together: not permitted first (the fix is the rule; what is absent cannot be known for the rest)",
      v: view({ kinds: ["absent", "forbidden"] }),
      action: "wait",
      status: "not_permitted",
    },
    {
      why: "served, but an earlier part waits: this one reads what that one serves",
      v: view({ kinds: ["served"], earlierWaiting: true }),
      action: "wait",
      status: "waiting",
    },
    {
      why: "its own refusal is said over an earlier part's wait (the Warning names every refused CRD)",
      v: view({ kinds: ["forbidden"], earlierWaiting: true }),
      action: "wait",
      status: "not_permitted",
    },
    { why: "running for good (kinds no longer looked at): keep", v: view({ running: true, kinds: [] }), action: "keep", status: "running" },
    { why: "running and stoppable, served: keep", v: view({ running: true, stoppable: true, kinds: ["served"] }), action: "keep", status: "running" },
    { why: "running and stoppable, its CRD gone: stop", v: view({ running: true, stoppable: true, kinds: ["absent"] }), action: "stop", status: "not_served" },
    {
      why: "running and stoppable, its CRD read refused: keep — a refusal is no evidence the CRD went, and stopping would strand our finalizers",
      v: view({ running: true, stoppable: true, kinds: ["forbidden"] }),
      action: "keep",
      status: "running",
    },
    {
      why: "running, an earlier part waiting: keep (a running part is never stopped for another's sake)",
      v: view({ running: true, stoppable: true, earlierWaiting: true, kinds: ["served"] }),
      action: "keep",
      status: "running",
    },
  ] as const)("$why", ({ v, action, status }) => {
    expect(decidePart(v)).toEqual({ action, status });
  });
});

describe("retrying a refused read", () => {
  it.each([
    { attempt: 0, ms: 2_000, why: "soon: a fix often follows the warning" },
    { attempt: 1, ms: 4_000, why: "doubling" },
    { attempt: 4, ms: 32_000, why: "doubling" },
    { attempt: 5, ms: 60_000, why: "capped: a minute at most until a granted rule is picked up" },
    { attempt: 1_000, ms: 60_000, why: "capped for good: three by-name LISTs a minute while refused" },
  ])("retry $attempt after $ms ms ($why)", ({ attempt, ms }) => {
    expect(notPermittedRetryMs(attempt)).toBe(ms);
  });
});

describe("what the Warning says", () => {
  const crds = ["vendorissuers.certbridge.dev", "certificaterequests.cert-manager.io"];

  it("the rule to grant is exactly the chart's: list and watch, by name", () => {
    expect(crdRule(crds)).toEqual({
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      resourceNames: crds,
      verbs: ["list", "watch"],
    });
  });

  it("names the permission, both ways to grant it, the way out, and what still works", () => {
    const text = notPermittedWarning(crds);
    for (const part of [
      "list and watch on customresourcedefinitions (apiextensions.k8s.io)",
      crds.join(", "),
      "rbac.create=true and certManager.enabled=true",
      "operator's ClusterRole",
      "--cert-manager=false",
      "ManagedCertificates, ProvisioningKeys",
      "without a restart",
    ])
      expect(text).toContain(part);
  });
});
