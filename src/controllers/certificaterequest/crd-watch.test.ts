import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { crdServes, trimCrd } from "./crd-watch.ts";

const crd = (o: {
  versions?: Array<{ name: string; served: boolean }>;
  conditions?: Array<{ type: string; status: string }>;
  deleting?: boolean;
}): KubeObject =>
  ({
    metadata: { name: "certificaterequests.cert-manager.io", ...(o.deleting ? { deletionTimestamp: "2026-12-01T00:00:00Z" } : {}) },
    spec: { group: "cert-manager.io", versions: o.versions ?? [{ name: "v1", served: true }] },
    status: {
      conditions: o.conditions ?? [
        { type: "NamesAccepted", status: "True" },
        { type: "Established", status: "True" },
      ],
    },
  }) as KubeObject;

describe("crdServes", () => {
  it.each([
    { why: "established and v1 served", crd: crd({}), serves: true },
    { why: "no CRD", crd: undefined, serves: false },
    {
      why: "created but not Established yet (the API server does not serve its kind)",
      crd: crd({ conditions: [{ type: "NamesAccepted", status: "True" }] }),
      serves: false,
    },
    {
      why: "names conflict: never Established",
      crd: crd({
        conditions: [
          { type: "NamesAccepted", status: "False" },
          { type: "Established", status: "False" },
        ],
      }),
      serves: false,
    },
    { why: "v1 listed but not served", crd: crd({ versions: [{ name: "v1", served: false }] }), serves: false },
    { why: "only another version", crd: crd({ versions: [{ name: "v1alpha2", served: true }] }), serves: false },
    {
      why: "being deleted: still served until its objects are gone (our finalizers on them must be released)",
      crd: crd({
        deleting: true,
        conditions: [
          { type: "Established", status: "True" },
          { type: "Terminating", status: "True" },
        ],
      }),
      serves: true,
    },
  ])("$why → $serves", ({ crd, serves }) => {
    expect(crdServes(crd, "v1")).toBe(serves);
  });

  it("the trimmed copy keeps the verdict and drops the schemas", () => {
    const full = crd({}) as KubeObject & { spec: Record<string, unknown> };
    full.spec.versions = [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", description: "x".repeat(10_000) } } }];
    const trimmed = trimCrd(full);
    expect(crdServes(trimmed, "v1")).toBe(true);
    expect(JSON.stringify(trimmed).length).toBeLessThan(400);
  });
});
