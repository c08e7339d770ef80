// spec.group and spec.maxUsage per managementPolicy: required for Manage (the key is created with them),
// optional for ObserveOnly (it reports the key's own and never writes ZPA). The CEL twins of these
// rules run on the real API server in test/integration/loose-ends.test.ts.
import { describe, expect, it } from "vitest";
import { parseResource, problemsMessage } from "./index.ts";

const key = (spec: Record<string, unknown>) => ({
  apiVersion: "certbridge.dev/v1alpha1",
  kind: "ProvisioningKey",
  metadata: { name: "k", namespace: "default" },
  spec: { connectionRef: { name: "zpa" }, associationType: "CONNECTOR_GRP", secretName: "k", ...spec },
});

describe("ProvisioningKey group and maxUsage per managementPolicy", () => {
  it.each([
    { why: "Manage with both", spec: { group: { name: "g" }, maxUsage: 2 } },
    { why: "ObserveOnly with neither: it reports the key's own", spec: { managementPolicy: "ObserveOnly", name: "edge" } },
    { why: "ObserveOnly may still name them (ignored)", spec: { managementPolicy: "ObserveOnly", name: "edge", group: { id: "7" }, maxUsage: 3 } },
  ])("accepts $why", ({ spec }) => {
    const parsed = parseResource(key(spec));
    expect(parsed.ok ? "ok" : problemsMessage(parsed.problems)).toBe("ok");
  });

  it.each([
    { why: "Manage (the default) without group", spec: { maxUsage: 2 }, message: /group is required with managementPolicy Manage/ },
    {
      why: "Manage without maxUsage",
      spec: { managementPolicy: "Manage", group: { name: "g" } },
      message: /maxUsage is required with managementPolicy Manage/,
    },
    {
      why: "ObserveOnly without the name it observes",
      spec: { managementPolicy: "ObserveOnly" },
      message: /name is required with managementPolicy ObserveOnly/,
    },
  ])("refuses $why", ({ spec, message }) => {
    const parsed = parseResource(key(spec));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(problemsMessage(parsed.problems)).toMatch(message);
  });
});
