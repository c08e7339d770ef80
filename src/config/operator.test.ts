import { describe, expect, it } from "vitest";
import { configHelp, loadOperatorConfig, settings } from "./operator.ts";

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
      provisioningKeyDriftInterval: 600_000,
    });
    expect(c.identity.length).toBeGreaterThan(0);
  });

  it.each([
    { argv: ["--namespaces", "a, b,,c"], env: {}, expect: { namespaces: ["a", "b", "c"] }, why: "namespaces are a trimmed comma list" },
    { argv: [], env: { CERTBRIDGE_LEADER_ELECT: "false" }, expect: { leaderElect: false }, why: "environment variables are read" },
    { argv: ["--concurrency", "8"], env: { CERTBRIDGE_CONCURRENCY: "2" }, expect: { concurrency: 8 }, why: "a flag wins over the environment" },
    { argv: ["--metrics-port", "0"], env: {}, expect: { metricsPort: 0 }, why: "port 0 picks a free port" },
    {
      argv: ["--provisioningkey-drift-interval", "90s"],
      env: {},
      expect: { provisioningKeyDriftInterval: 90_000 },
      why: "the drift interval is a duration",
    },
    {
      argv: [],
      env: { CERTBRIDGE_PROVISIONINGKEY_DRIFT_INTERVAL: "1h30m" },
      expect: { provisioningKeyDriftInterval: 5_400_000 },
      why: "the drift interval has an environment twin",
    },
    {
      argv: [],
      env: {},
      expect: { leaderElectionLeaseDuration: 10_000, leaderElectionRenewDeadline: 7_000, leaderElectionRetryPeriod: 2_000 },
      why: "leader election defaults: a standby takes over 10 s after the last renewal",
    },
    {
      argv: ["--leader-election-lease-duration", "15s", "--leader-election-renew-deadline", "10s"],
      env: {},
      expect: { leaderElectionLeaseDuration: 15_000, leaderElectionRenewDeadline: 10_000, leaderElectionRetryPeriod: 2_000 },
      why: "client-go's timing can be asked for",
    },
  ])("$why", ({ argv, env, expect: expected }) => {
    expect(loadOperatorConfig(argv, env)).toMatchObject(expected);
  });

  it.each([
    { argv: ["--concurrency", "zero"], message: "--concurrency (CERTBRIDGE_CONCURRENCY)", why: "not a number" },
    { argv: ["--leader-elect", "maybe"], message: "--leader-elect", why: "not a boolean" },
    { argv: ["--metrics-port", "70000"], message: "--metrics-port", why: "port out of range" },
    { argv: ["--log-level", "loud"], message: "--log-level", why: "unknown level" },
    { argv: ["--provisioningkey-drift-interval", "5s"], message: "between 10s and 24h", why: "a drift interval that would spend ZPA's read budget" },
    { argv: ["--provisioningkey-drift-interval", "48h"], message: "--provisioningkey-drift-interval", why: "a drift interval over a day" },
    { argv: ["--provisioningkey-drift-interval", "10"], message: "CERTBRIDGE_PROVISIONINGKEY_DRIFT_INTERVAL", why: "a bare number has no unit" },
    {
      argv: ["--leader-election-renew-deadline", "10s"],
      message: "--leader-election-renew-deadline (CERTBRIDGE_LEADER_ELECTION_RENEW_DEADLINE): must be shorter than --leader-election-lease-duration",
      why: "a leader that could still act after a standby took over",
    },
    {
      argv: ["--leader-election-retry-period", "6s"],
      message: "--leader-election-retry-period",
      why: "a retry period that leaves the leader no second renewal attempt before its deadline",
    },
  ])("rejects $why with the flag named", ({ argv, message }) => {
    expect(() => loadOperatorConfig(argv, {})).toThrow(message);
  });

  it("every setting is in the help, one aligned line each, with its flag, environment variable and default", () => {
    const lines = configHelp().split("\n");
    expect(lines).toHaveLength(Object.keys(settings).length);
    const line = lines.find((l) => l.includes("--provisioningkey-drift-interval"));
    expect(line).toContain("CERTBRIDGE_PROVISIONINGKEY_DRIFT_INTERVAL");
    expect(line).toContain("(default 10m)");
    // The longest flag and variable names set the columns: every environment variable and help text starts in the same column.
    const envColumns = Object.values(settings).map((s, i) => lines[i]!.indexOf(` ${s.env} `));
    const helpColumns = Object.values(settings).map((s, i) => lines[i]!.indexOf(s.help));
    expect(new Set(envColumns).size).toBe(1);
    expect(new Set(helpColumns).size).toBe(1);
  });

  it("rejects unknown flags", () => {
    expect(() => loadOperatorConfig(["--nope", "1"], {})).toThrow(/nope/);
  });
});
