import pino from "pino";
import { afterEach, describe, expect, test } from "vitest";
import { FakeClock } from "./clock.ts";
import { KubeApiError } from "./kube/errors.ts";
import { FakeKubeApi } from "./kube/fake.ts";
import { core } from "./kube/resource.ts";
import { LeaderElector } from "./leader.ts";

const log = pino({ level: "silent" });
const RETRY_MS = 3;

interface Lease {
  metadata: { resourceVersion?: string };
  spec?: { holderIdentity?: string | null; leaseTransitions?: number; renewTime?: string; leaseDurationSeconds?: number };
}

/** Polls until `check` holds (the elector runs on real timers; only its judgement of time is the fake clock's). */
async function until(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const rounds = (n: number) => new Promise((r) => setTimeout(r, RETRY_MS * n * 3));

const running: LeaderElector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function elector(api: FakeKubeApi, clock: FakeClock, identity: string) {
  const events: string[] = [];
  const e = new LeaderElector({
    client: api,
    log,
    namespace: "ops",
    name: "certbridge",
    identity,
    clock,
    random: () => 0.5,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: RETRY_MS,
    onStartedLeading: () => events.push("started"),
    onStoppedLeading: () => events.push("stopped"),
  });
  running.push(e);
  return { e, events };
}

const lease = (api: FakeKubeApi) => api.peek<Lease>(core.leases, "ops", "certbridge");

describe("LeaderElector", () => {
  test("takes a lease nobody holds: creates it, stamped with its own clock", async () => {
    const api = new FakeKubeApi();
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const a = elector(api, clock, "a");
    a.e.start();
    await until(() => a.e.isLeader, "a leads");
    expect(a.events).toEqual(["started"]);
    expect(lease(api)?.spec).toMatchObject({ holderIdentity: "a", leaseTransitions: 0, leaseDurationSeconds: 15, renewTime: "2026-01-01T12:00:00.000000Z" });
  });

  test("a held lease is taken only after it went unrenewed for its duration, judged by our own clock", async () => {
    const api = new FakeKubeApi();
    api.seed(core.leases, {
      metadata: { name: "certbridge", namespace: "ops" },
      spec: { holderIdentity: "old", leaseDurationSeconds: 15, renewTime: "2020-01-01T00:00:00.000000Z", leaseTransitions: 3 },
    } as never);
    const clock = new FakeClock();
    const b = elector(api, clock, "b");
    b.e.start();
    await rounds(5);
    // renewTime is years old, but by *our* clock we first saw it just now: no cross-node clock comparison.
    expect(b.e.isLeader).toBe(false);
    clock.advance(14_000);
    await rounds(5);
    expect(b.e.isLeader).toBe(false);
    clock.advance(2_000);
    await until(() => b.e.isLeader, "b takes over");
    expect(lease(api)?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 4 });
  });

  test("a candidate wakes when the lease it saw expires, not up to a retry period later", async () => {
    const api = new FakeKubeApi();
    api.seed(core.leases, {
      metadata: { name: "certbridge", namespace: "ops" },
      spec: { holderIdentity: "old", leaseDurationSeconds: 2, renewTime: "2020-01-01T00:00:00.000000Z" },
    } as never);
    // Real time here: the point is when the candidate wakes. Its retry period (6 s) is three lease
    // durations; polling alone would first try again 6 s after it first saw the lease.
    const b = new LeaderElector({
      client: api,
      log,
      namespace: "ops",
      name: "certbridge",
      identity: "b",
      random: () => 0.5,
      retryPeriodMs: 6_000,
      onStartedLeading: () => {},
      onStoppedLeading: () => {},
    });
    running.push(b);
    const started = Date.now();
    b.start();
    await until(() => b.isLeader, "b takes the expired lease", 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  test("a leader that keeps renewing is never displaced; when it stops, it releases and the other takes over at once", async () => {
    const api = new FakeKubeApi();
    const clock = new FakeClock();
    const a = elector(api, clock, "a");
    a.e.start();
    await until(() => a.e.isLeader, "a leads");
    const b = elector(api, clock, "b");
    b.e.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000); // 50 s in all, renewals keep the record moving
      await rounds(3);
    }
    expect(b.e.isLeader).toBe(false);
    await a.e.stop();
    expect(lease(api)?.spec?.holderIdentity).toBeNull();
    await until(() => b.e.isLeader, "b takes the released lease");
    expect(a.events).toEqual(["started"]); // a stop we asked for is not a loss
  });

  test("renewals failing past the renew deadline: leadership is lost and the owner told", async () => {
    const api = new FakeKubeApi();
    const clock = new FakeClock();
    const a = elector(api, clock, "a");
    a.e.start();
    await until(() => a.e.isLeader, "a leads");
    api.failOn(
      { method: "get" },
      new KubeApiError({ status: 503, reason: "ServiceUnavailable", message: "down", method: "GET", path: "leases" }),
      Number.POSITIVE_INFINITY,
    );
    clock.advance(9_000);
    await rounds(5);
    expect(a.e.isLeader).toBe(true); // within the deadline: still leading
    clock.advance(2_000);
    await until(() => a.events.includes("stopped"), "a loses leadership");
    expect(a.e.isLeader).toBe(false);
  });

  test("a conflicting write (someone else wrote first) is not an error: judged again next round", async () => {
    const api = new FakeKubeApi();
    const clock = new FakeClock();
    const a = elector(api, clock, "a");
    api.seed(core.leases, { metadata: { name: "certbridge", namespace: "ops" }, spec: { holderIdentity: "", leaseDurationSeconds: 15 } } as never);
    api.failOn({ method: "replace" }, new KubeApiError({ status: 409, reason: "Conflict", message: "modified", method: "PUT", path: "leases" }));
    a.e.start();
    await until(() => a.e.isLeader, "a leads after the conflict");
    expect(api.calls.filter((c) => c.method === "replace").length).toBeGreaterThanOrEqual(2);
  });
});
