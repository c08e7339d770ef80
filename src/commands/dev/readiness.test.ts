import { describe, expect, it } from "vitest";
import { readiness, type SampleStatus } from "./readiness.ts";

function sample(
  name: string,
  over: { generation?: number; observedGeneration?: number; ready?: { status: string; reason?: string; message?: string } } = {},
): SampleStatus {
  return {
    kind: "ManagedCertificate",
    metadata: { name, generation: over.generation ?? 1 },
    status: over.ready === undefined ? {} : { observedGeneration: over.observedGeneration ?? 1, conditions: [{ type: "Ready", ...over.ready }] },
  };
}

describe("readiness", () => {
  it.each([
    { s: sample("a", { ready: { status: "True", reason: "Issued" } }), ready: true, text: "", reason: "Ready=True for the current generation" },
    { s: sample("b"), ready: false, text: "ManagedCertificate b: no Ready condition yet", reason: "not reconciled yet" },
    {
      s: sample("c", { ready: { status: "False", reason: "VendorRejected", message: "no profile" } }),
      ready: false,
      text: "ManagedCertificate c: Ready=False VendorRejected: no profile",
      reason: "a failure names its reason and message",
    },
    {
      s: sample("d", { generation: 2, observedGeneration: 1, ready: { status: "True" } }),
      ready: false,
      text: "ManagedCertificate d: status describes generation 1, the spec is at 2",
      reason: "Ready for an older spec is not Ready",
    },
  ])("$reason", ({ s, ready, text }) => {
    const r = readiness([s]);
    expect(r.ready.length === 1).toBe(ready);
    if (!ready) expect(r.waiting).toEqual([text]);
  });
});
