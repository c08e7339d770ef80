import { describe, expect, it } from "vitest";
import { buildCrds } from "../../../api/crdgen/crds.ts";
import type { LeaseObject } from "../objects.ts";
import { judgeCrd, judgeLease } from "./checks.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const lease = (spec: LeaseObject["spec"]): LeaseObject => ({ metadata: { name: "certbridge-leader" }, spec });
const renewed = (msAgo: number) => new Date(NOW.getTime() - msAgo).toISOString();

describe("check: the operator's leader Lease", () => {
  const cases = [
    {
      why: "held and renewed within its duration: leading",
      l: lease({ holderIdentity: "pod-a", leaseDurationSeconds: 10, renewTime: renewed(3_000) }),
      outcome: "ok",
      says: /pod-a is leading/,
    },
    {
      why: "within the clock-skew slack: still leading",
      l: lease({ holderIdentity: "pod-a", leaseDurationSeconds: 10, renewTime: renewed(14_000) }),
      outcome: "ok",
      says: /is leading/,
    },
    {
      why: "not renewed for longer: nobody leads",
      l: lease({ holderIdentity: "pod-a", leaseDurationSeconds: 10, renewTime: renewed(60_000) }),
      outcome: "fail",
      says: /pod-a last renewed the leader Lease ns\/certbridge-leader 60s ago: no replica is leading now/,
    },
    { why: "released at shutdown", l: lease({ holderIdentity: "", leaseDurationSeconds: 10, renewTime: renewed(1_000) }), outcome: "fail", says: /is free/ },
    { why: "no Lease at all", l: undefined, outcome: "fail", says: /no leader Lease ns\/certbridge-leader/ },
  ];
  it.each(cases)("$why", ({ l, outcome, says }) => {
    const r = judgeLease(l, "ns/certbridge-leader", NOW);
    expect(r.outcome).toBe(outcome);
    expect(r.summary).toMatch(says);
  });
});

describe("check: a CRD against the one this version generates", () => {
  const [expected] = buildCrds();
  const name = String((expected!.crd.metadata as { name: string }).name);
  const spec = expected!.crd.spec as {
    versions: Array<{ name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }>;
  };
  const established = { conditions: [{ type: "Established", status: "True" }] };
  const live = (over: Partial<(typeof spec.versions)[0]> = {}, status = established) => ({
    metadata: { name },
    spec: { versions: [{ ...spec.versions[0]!, ...over }] },
    status,
  });
  const cases = [
    { why: "as generated", crd: live(), problem: undefined },
    { why: "missing", crd: undefined, problem: "not installed" },
    { why: "not Established", crd: live({}, { conditions: [] }), problem: "not Established" },
    { why: "our version not served", crd: live({ served: false }), problem: "v1alpha1 is not served" },
    { why: "another storage version", crd: live({ storage: false }), problem: "not the storage version" },
    {
      why: "an older schema",
      crd: live({ schema: { openAPIV3Schema: { ...spec.versions[0]!.schema.openAPIV3Schema, description: "older" } } }),
      problem: "schema differs",
    },
  ];
  it.each(cases)("$why", ({ crd, problem }) => {
    const answer = judgeCrd(expected!, crd);
    if (problem === undefined) expect(answer).toBeUndefined();
    else expect(answer).toContain(problem);
  });
});
