import { describe, expect, it } from "vitest";
import { loadOperatorConfig } from "./operator.ts";

describe("loadOperatorConfig", () => {
  it("applies defaults", () => {
    const c = loadOperatorConfig([], { POD_NAMESPACE: "certbridge-system" });
    expect(c).toMatchObject({
      leaderElect: true,
      leaderElectionNamespace: "certbridge-system",
      leaderElectionId: "certbridge-leader",
      metricsPort: 8080,
      logLevel: "info",
      concurrency: 4,
      namespaces: [],
    });
    expect(c.identity.length).toBeGreaterThan(0);
  });

  it.each([
    { argv: ["--namespaces", "a, b,,c"], env: {}, expect: { namespaces: ["a", "b", "c"] }, why: "namespaces are a trimmed comma list" },
    { argv: [], env: { CERTBRIDGE_LEADER_ELECT: "false" }, expect: { leaderElect: false }, why: "environment variables are read" },
    { argv: ["--concurrency", "8"], env: { CERTBRIDGE_CONCURRENCY: "2" }, expect: { concurrency: 8 }, why: "a flag wins over the environment" },
    { argv: ["--metrics-port", "0"], env: {}, expect: { metricsPort: 0 }, why: "port 0 picks a free port" },
  ])("$why", ({ argv, env, expect: expected }) => {
    expect(loadOperatorConfig(argv, env)).toMatchObject(expected);
  });

  it.each([
    { argv: ["--concurrency", "zero"], message: "--concurrency (CERTBRIDGE_CONCURRENCY)", why: "not a number" },
    { argv: ["--leader-elect", "maybe"], message: "--leader-elect", why: "not a boolean" },
    { argv: ["--metrics-port", "70000"], message: "--metrics-port", why: "port out of range" },
    { argv: ["--log-level", "loud"], message: "--log-level", why: "unknown level" },
  ])("rejects $why with the flag named", ({ argv, message }) => {
    expect(() => loadOperatorConfig(argv, {})).toThrow(message);
  });

  it("rejects unknown flags", () => {
    expect(() => loadOperatorConfig(["--nope", "1"], {})).toThrow(/nope/);
  });
});
