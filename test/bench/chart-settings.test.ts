// The benchmarks run the operator with the chart's process settings: what they read from a rendered
// chart must be what the chart's Deployment gives the container.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chartProcessSettings, processSettingsFromManifests, quantityMiB, resolveProcessSettings } from "./chart-settings.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

const deployment = (env: string, memory = "212Mi") => `---
kind: ServiceAccount
metadata: { name: certbridge }
---
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: operator
          env:
${env}
          resources:
            limits: { memory: ${memory} }
            requests: { memory: ${memory} }
`;

describe("processSettingsFromManifests", () => {
  it.each([
    {
      reason: "literal process tuning is taken",
      env: `            - { name: NODE_OPTIONS, value: "--max-old-space-size=84" }\n            - { name: MALLOC_ARENA_MAX, value: "2" }`,
      want: { NODE_OPTIONS: "--max-old-space-size=84", MALLOC_ARENA_MAX: "2" },
    },
    {
      reason: "the operator's own flags are the benchmark's to set (it runs without leader election, its own port)",
      env: `            - { name: CERTBRIDGE_LEADER_ELECT, value: "true" }\n            - { name: NODE_OPTIONS, value: "--max-semi-space-size=8" }`,
      want: { NODE_OPTIONS: "--max-semi-space-size=8" },
    },
    {
      reason: "values from the downward API have no literal to take",
      env: `            - name: POD_NAME\n              valueFrom: { fieldRef: { fieldPath: metadata.name } }`,
      want: {},
    },
  ])("$reason", ({ env, want }) => {
    expect(processSettingsFromManifests(deployment(env), 1000).env).toEqual(want);
  });

  it("reads the memory limit in MiB", () => {
    expect(processSettingsFromManifests(deployment(`            - { name: A, value: "1" }`, "1.5Gi"), 1000).memoryLimitMiB).toBe(1536);
  });

  it("refuses manifests without the operator's Deployment rather than run without the chart's settings", () => {
    expect(() => processSettingsFromManifests("kind: Service\n", 1000)).toThrow(/no Deployment/);
  });
});

describe("quantityMiB", () => {
  it.each([
    { quantity: "212Mi", want: 212 },
    { quantity: "1Gi", want: 1024 },
  ])("$quantity is $want MiB", ({ quantity, want }) => expect(quantityMiB(quantity)).toBe(want));

  it("refuses units it would misread", () => expect(() => quantityMiB("200M")).toThrow(/Mi or Gi/));
});

describe("resolveProcessSettings", () => {
  it("none: Node's defaults and no limit, plus what the flags add", async () => {
    const settings = await resolveProcessSettings(REPO, 1000, { "expected-resources": "none", env: ["MALLOC_ARENA_MAX=2"] });
    expect(settings).toEqual({ env: { MALLOC_ARENA_MAX: "2" } });
  });

  it("flags replace the chart's NODE_OPTIONS and limit", async () => {
    const settings = await resolveProcessSettings(REPO, 1000, { "node-options": "--max-semi-space-size=4", "memory-limit-mib": "300" });
    expect(settings.env.NODE_OPTIONS).toBe("--max-semi-space-size=4");
    expect(settings.memoryLimitMiB).toBe(300);
  });

  it("reads this checkout's chart: a larger expectedResources gives a larger limit and old generation", async () => {
    const [small, large] = await Promise.all([chartProcessSettings(REPO, 1000), chartProcessSettings(REPO, 10_000)]);
    const oldSpace = (s: { env: Readonly<Record<string, string>> }) => Number(/--max-old-space-size=(\d+)/.exec(s.env.NODE_OPTIONS ?? "")?.[1]);
    expect(large.memoryLimitMiB).toBeGreaterThan(small.memoryLimitMiB);
    expect(oldSpace(large)).toBeGreaterThan(oldSpace(small));
  });
});
