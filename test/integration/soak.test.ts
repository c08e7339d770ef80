// A few minutes of the soak (test/soak): two real operator replicas with leader election on their
// own control plane, SIGKILLed at random, the API server restarted, simulator faults switched on and
// off while certificates and keys are created, changed, renewed and deleted; then faults off,
// convergence, and 0 duplicates / 0 leaks read from the simulators. `npm run soak` runs it long.
// The checker itself is tested first (pure, in a few milliseconds): a soak that cannot fail proves nothing.
import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { analyseLeadership, type LeaseSample } from "../soak/leader-gaps.ts";
import { type ClusterView, type Obj, checkInvariants } from "../soak/invariants.ts";
import type { Incarnation } from "../soak/replicas.ts";
import { parseSoakOptions } from "../soak/options.ts";
import { fullReport, summaryLine } from "../soak/report.ts";
import { runSoak } from "../soak/soak.ts";
import type { VendorCertificate } from "../soak/vendor-state.ts";
import { type TrackedResource, certName } from "../soak/workload.ts";

function certResource(over: Partial<TrackedResource> = {}): TrackedResource {
  return {
    name: "cf-0001",
    kind: "ManagedCertificate",
    vendor: "cloudflare",
    namespace: "soak-cloudflare",
    policy: { revokeOnDelete: true, deleteSecretOnDelete: true },
    uid: "u1",
    phase: "live",
    createdAt: 0,
    deletedAt: undefined,
    goneAt: undefined,
    version: 1,
    intents: new Map([[1, 1]]),
    keyIntents: 0,
    rotation: 0,
    renewRequests: 0,
    rotateRequests: 0,
    touches: 0,
    maxUsage: 1,
    enabled: true,
    lastVendorRef: undefined,
    lastRevision: undefined,
    busy: false,
    seenVendorRefs: new Set(),
    history: [],
    ...over,
  };
}
const cert = (id: string, version: number, state: string, alive = state === "active"): VendorCertificate => ({
  vendor: "cloudflare",
  id,
  names: [certName({ name: "cf-0001", vendor: "cloudflare" }, version)],
  state,
  alive,
  serialHex: undefined,
  certificatePem: undefined,
});
const readyObj = (vendorRef: string): Obj => ({
  metadata: { name: "cf-0001", namespace: "soak-cloudflare", uid: "u1", generation: 1 },
  status: { vendorRef, observedGeneration: 1, conditions: [{ type: "Ready", status: "True" }] },
});
const cluster = (objects: Obj[]): ClusterView => ({
  objects: new Map(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o])),
  secrets: new Map(),
});

describe("soak checker (pure)", () => {
  it.each([
    {
      reason: "two orders for one content version asked for once: one is paid twice",
      r: certResource(),
      certs: [cert("a", 1, "active"), cert("b", 1, "revoked")],
      duplicates: 1,
      leaks: 0,
    },
    {
      reason: "an edit and a renew make three orders legitimate",
      r: certResource({
        version: 2,
        intents: new Map([
          [1, 1],
          [2, 2],
        ]),
      }),
      certs: [cert("a", 1, "revoked"), cert("b", 2, "revoked"), cert("c", 2, "active")],
      duplicates: 0,
      leaks: 0,
    },
    {
      reason: "a superseded order left active is a leak",
      r: certResource({
        version: 2,
        intents: new Map([
          [1, 1],
          [2, 1],
        ]),
      }),
      certs: [cert("a", 1, "active"), cert("c", 2, "active")],
      duplicates: 0,
      leaks: 1,
    },
    {
      reason: "an order for a version nobody asked for is a duplicate",
      r: certResource(),
      certs: [cert("a", 1, "active"), cert("x", 7, "revoked")],
      duplicates: 1,
      leaks: 0,
    },
  ])("$reason", ({ r, certs, duplicates, leaks }) => {
    const current = certs.find((c) => c.alive && c.names[0] === certName(r, r.version))!;
    const result = checkInvariants([r], cluster([readyObj(current.id)]), { certificates: certs });
    expect(result.duplicates).toBe(duplicates);
    expect(result.leaks).toBe(leaks);
  });

  it("a deleted resource's certificate is kept only under revocationPolicy.onDelete Retain", () => {
    const gone = (revokeOnDelete: boolean) => certResource({ phase: "gone", lastVendorRef: "a", policy: { revokeOnDelete, deleteSecretOnDelete: true } });
    expect(checkInvariants([gone(false)], cluster([]), { certificates: [cert("a", 1, "active")] }).leaks).toBe(0);
    expect(checkInvariants([gone(true)], cluster([]), { certificates: [cert("a", 1, "active")] }).leaks).toBe(1);
    // A pending Sectigo-style order of a deleted resource is alive too: someone could still pay for it.
    expect(checkInvariants([gone(false)], cluster([]), { certificates: [cert("a", 1, "active"), cert("b", 1, "applied", true)] }).leaks).toBe(1);
  });

  it("a Ready resource whose vendor object carries the old spec is a lost spec change", () => {
    const r = certResource({
      version: 2,
      intents: new Map([
        [1, 1],
        [2, 1],
      ]),
    });
    const found = checkInvariants([r], cluster([readyObj("a")]), { certificates: [cert("a", 1, "active")] }).findings;
    expect(found.some((f) => f.class === "state" && f.message.includes("a spec change was lost"))).toBe(true);
  });

  it("leader gaps: a same-identity restart holds nothing until it renews; API-down samples are not counted", () => {
    const inc = (identity: string, startedAt: number, endedAt?: number): Incarnation => ({ slot: identity.split("-")[1]!, identity, startedAt, endedAt });
    const incarnations = [inc("replica-a-0", 0, 10_000), inc("replica-a-0", 12_000), inc("replica-b-0", 0)];
    const at = (t: number, renew: number, ok = true): LeaseSample => ({ at: t, ok, holder: "replica-a-0", renewTimeMs: renew, durationMs: 15_000 });
    const samples = [at(9_000, 8_000), at(11_000, 8_000), at(13_000, 0, false), at(14_000, 8_000), at(15_000, 14_500), at(16_000, 14_500)];
    const result = analyseLeadership(samples, incarnations, (id) => id.split("-")[1], [10_000, 12_000]);
    // Leaderless from 11 s (killed at 10 s) to 15 s, minus the unreadable second at 13–14 s; the
    // election settled 1 s after the API server was readable again.
    expect(result.maxGapMs).toBe(3_000);
    expect(result.maxSettleMs).toBe(1_000);
    expect(result.failovers).toBe(0);
  });
});

describe("soak (real processes, a few minutes)", () => {
  it(
    "converges after chaos with 0 duplicates and 0 leaks",
    async () => {
      const options = parseSoakOptions([
        "--duration",
        process.env.CERTBRIDGE_SOAK_TEST_DURATION ?? "120s",
        // Sized so the code before the issue-9 fixes fails it (seed 7 leaks a Sectigo order of a
        // deleted resource) while the whole test stays near four minutes.
        "--kill-rate",
        "12",
        "--fault-rate",
        "10",
        "--api-restart-rate",
        "0.5",
        "--action-rate",
        "30",
        "--resources",
        "cloudflare=3,sectigo=3,zpa=2",
        // Longer than the simulators' longest commit delay (40 s), short enough to converge quickly.
        "--order-settle",
        "60s",
        "--converge-timeout",
        "5m",
        ...(process.env.CERTBRIDGE_SOAK_SEED === undefined ? [] : ["--seed", process.env.CERTBRIDGE_SOAK_SEED]),
      ]);
      if (options === "help") throw new Error("unreachable");
      const result = await runSoak(options, (line) => process.stdout.write(`[soak] ${line}\n`));
      process.stdout.write(`${summaryLine(result)}\n`);
      if (result.violations.length > 0) process.stdout.write(fullReport(result));
      expect(result.chaos.counters.kills).toBeGreaterThan(0);
      expect(result.check.duplicates + result.zpaCreatesBeyondIntents).toBe(0);
      expect(result.check.leaks).toBe(0);
      expect(result.convergenceMs).toBeDefined();
      expect(result.violations).toEqual([]);
      await rm(result.outDir, { recursive: true, force: true }); // logs are kept only when it fails
    },
    15 * 60_000,
  );
});
