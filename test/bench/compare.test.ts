// The side-by-side benchmark's counting: what it prints is only as good as these readings.
import { describe, expect, it } from "vitest";
import { requestCounts } from "./compare-audit.ts";
import type { AuditedRequest } from "./scale-audit.ts";
import { cpuMsFromStat, rssMiBFromStatus } from "./compare-process.ts";
import { compare } from "./compare-report.ts";
import type { RoundFigures } from "./compare-round.ts";

const request = (verb: string, resource: string, code = 200, at = 0): AuditedRequest => ({ at, verb, resource, code });

describe("requestCounts", () => {
  const requests = [
    request("create", "certificaterequests"),
    request("update", "certificates/status", 409),
    request("update", "certificates/status"),
    request("get", "secrets", 404),
    request("watch", "secrets"),
    request("list", "secrets"),
  ];

  it.each([
    { what: "reads (get, list, watch) are requests but not writes", field: "writes", value: 3 },
    { what: "every request counts once, refused or not", field: "requests", value: 6 },
    { what: "refused = answered 4xx/5xx (a conflict, a 404 look-up)", field: "refused", value: 2 },
  ] as const)("$what", ({ field, value }) => {
    expect(requestCounts(requests)[field]).toBe(value);
  });

  it("breaks requests down by verb and resource, and the refused ones apart", () => {
    const counts = requestCounts(requests);
    expect(counts.byKind["update certificates/status"]).toBe(2);
    expect(counts.refusedByKind).toEqual({ "update certificates/status": 1, "get secrets": 1 });
  });

  it("counts nothing for a user with no requests", () => {
    expect(requestCounts([])).toEqual({ requests: 0, writes: 0, refused: 0, byKind: {}, refusedByKind: {} });
  });
});

describe("/proc readings", () => {
  it.each([
    { what: "a plain command name", stat: "42 (node) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1 2 3", ms: 3000 },
    {
      what: "a name with spaces and a parenthesis (fields counted from the last one)",
      stat: "42 (a) b (c) R 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 11 0 1 2 3",
      ms: 100,
    },
  ])("CPU time from /proc/<pid>/stat: $what", ({ stat, ms }) => {
    expect(cpuMsFromStat(stat, 100)).toBe(ms);
  });

  it("RSS from /proc/<pid>/status, in MiB", () => {
    expect(rssMiBFromStatus("Name:\tnode\nVmPeak:\t 900000 kB\nVmRSS:\t  204800 kB\nVmData:\t1 kB\n")).toBe(200);
    expect(() => rssMiBFromStatus("Name:\tzombie\n")).toThrow(/VmRSS/);
  });
});

describe("compare", () => {
  const round = (system: string, seconds: number, requests: number, rss: number): RoundFigures => ({
    system,
    n: 100,
    ready: 100,
    secrets: 100,
    allReadySeconds: seconds,
    applyToSecretP50Seconds: 1,
    applyToSecretP99Seconds: 2,
    api: { requests, writes: requests / 2, refused: 0, byKind: {}, refusedByKind: {} },
    cpuSeconds: 1,
    rssBeforeMiB: rss,
    rssPeakMiB: rss,
    rssSettledMiB: rss,
    loadAverage: 1,
  });

  it("means each system's rounds and divides b by a", () => {
    const rows = compare([round("a", 10, 2500, 100), round("a", 30, 2500, 100)], [round("b", 10, 600, 50), round("b", 10, 600, 50)]);
    const row = (label: string) => rows.find((r) => r.label === label);
    expect(row("time to all Ready (s)")).toEqual({ label: "time to all Ready (s)", a: 20, b: 10, ratio: 0.5 });
    expect(row("API requests per issuance")).toMatchObject({ a: 25, b: 6, ratio: 0.24 });
    expect(row("RSS peak (MiB)")).toMatchObject({ ratio: 0.5 });
  });

  it("reads n/a, not a number, for a system with no rounds (cert-manager skipped)", () => {
    const rows = compare([], [round("b", 10, 600, 50)]);
    expect(rows.every((r) => Number.isNaN(r.a) && Number.isNaN(r.ratio))).toBe(true);
  });
});
