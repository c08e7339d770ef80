// The side-by-side benchmark's counting: what it prints is only as good as these readings.
import { describe, expect, it } from "vitest";
import { countEvents } from "./compare-audit.ts";
import { cpuMsFromStat, rssMiBFromStatus } from "./compare-process.ts";
import { compare } from "./compare-report.ts";
import type { RoundFigures } from "./compare-round.ts";

const T0 = Date.parse("2026-12-05T10:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const event = (auditID: string, user: string, verb: string, ms: number, resource = "certificates", subresource?: string, code = 200) => ({
  auditID,
  user: { username: user },
  verb,
  objectRef: { resource, ...(subresource ? { subresource } : {}) },
  requestReceivedTimestamp: at(ms),
  responseStatus: { code },
});

describe("countEvents", () => {
  const events = [
    event("1", "cm", "create", 10, "certificaterequests"),
    event("2", "cm", "update", 20, "certificates", "status", 409),
    event("2", "cm", "update", 20, "certificates", "status", 409), // the same request logged at another stage
    event("3", "cm", "get", 30, "secrets"),
    event("4", "cm", "watch", 40, "secrets"),
    event("5", "admin", "create", 50, "certificates"), // the bench's own client
    event("6", "cm", "patch", 5_000, "secrets"), // after the window
    event("7", "cm", "patch", -1, "secrets"), // before it
  ];

  it.each([
    { what: "the user's requests in [from, to), each audit ID once", user: "cm", requests: 4, writes: 2, refused: 1 },
    { what: "another user's requests are theirs alone", user: "admin", requests: 1, writes: 1, refused: 0 },
    { what: "a user with no requests counts zero", user: "nobody", requests: 0, writes: 0, refused: 0 },
  ])("$what", ({ user, requests, writes, refused }) => {
    const counts = countEvents(events, user, T0, T0 + 1_000);
    expect({ requests: counts.requests, writes: counts.writes, refused: counts.refused }).toEqual({ requests, writes, refused });
  });

  it("breaks requests down by verb and resource, subresource included, and the refused ones apart", () => {
    const counts = countEvents(events, "cm", T0, T0 + 1_000);
    expect(counts.refusedByKind).toEqual({ "update certificates/status": 1 });
    expect(counts.byKind).toEqual({
      "create certificaterequests": 1,
      "update certificates/status": 1,
      "get secrets": 1,
      "watch secrets": 1,
    });
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
