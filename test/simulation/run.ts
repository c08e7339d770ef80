// One schedule: a family's cluster, a fault phase (faults at every await, crashes, watch gaps, user
// actions), then faults off and everything runs until nothing is due before the horizon; then the
// invariants. `runSchedule` is all a test or the replay command needs.
import { installVirtualEnvironment } from "./clock.ts";
import { FAULTY } from "./faults.ts";
import { checkInvariants } from "./invariants.ts";
import { Invariant, type Violation } from "./ledger.ts";
import { Rng } from "./rng.ts";
import { NO_FAULTS, currentTask } from "./scheduler.ts";
import type { Family } from "./scenarios/common.ts";
import { World } from "./world.ts";

export interface ScheduleOptions {
  readonly seed: number;
  readonly family: Family;
  /** Keep every trace line (replay) instead of the last few hundred. */
  readonly fullTrace?: boolean;
  /** Virtual length of the fault phase. */
  readonly faultPhaseMs?: number;
  /** After faults stop, how far (virtual) the schedule may run to settle. */
  readonly settleMs?: number;
  readonly maxSteps?: number;
  /** Look for reconciler code reading the global clock (C4): a stack trace per read, so not every schedule. */
  readonly checkClock?: boolean;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly family: string;
  readonly violations: readonly Violation[];
  readonly trace: string;
  readonly steps: number;
  readonly crashes: number;
  readonly orders: number;
  readonly keys: number;
  readonly virtualMs: number;
  readonly realMs: number;
}

const FAULT_PHASE_MS = 10 * 60_000;
const SETTLE_MS = 3 * 3_600_000;
const MAX_STEPS = 30_000;

export async function runSchedule(o: ScheduleOptions): Promise<ScheduleResult> {
  const started = performance.now();
  const rng = new Rng(o.seed);
  const w = new World(rng, o.fullTrace ? Infinity : 400);
  const global = rng.fork("global-random");
  const restore = installVirtualEnvironment({
    clock: w.clock,
    random: () => (currentTask()?.rng ?? global).next(),
    onGlobalRead:
      o.checkClock === false
        ? undefined
        : (site) => {
            if (currentTask() === undefined) return;
            w.ledger.globalReads.set(site, (w.ledger.globalReads.get(site) ?? 0) + 1);
          },
  });
  try {
    await run(w, o);
  } catch (error) {
    w.ledger.flag(Invariant.Converges, `the schedule could not run to its end: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    restore();
  }
  return {
    seed: o.seed,
    family: o.family.name,
    violations: w.ledger.violations,
    trace: w.trace.toString(),
    steps: w.scheduler.steps,
    crashes: w.crashes,
    orders: w.certificates.orders.length,
    keys: w.zpa.keys.length,
    virtualMs: w.clock.now() - w.start,
    realMs: performance.now() - started,
  };
}

async function run(w: World, o: ScheduleOptions): Promise<void> {
  const scenario = w.rng.fork("scenario");
  const s = w.scheduler;
  const faultEnd = w.start + (o.faultPhaseMs ?? FAULT_PHASE_MS);
  const horizon = faultEnd + (o.settleMs ?? SETTLE_MS);
  const maxSteps = o.maxSteps ?? MAX_STEPS;

  o.family.setup(w, scenario);
  s.log(`family ${o.family.name}: ${o.family.description}`);
  w.startProcess();

  // The fault phase: user actions, SIGKILLs between calls, watch gaps, all at random moments.
  s.faults = FAULTY;
  const [lo, hi] = o.family.actionCount;
  for (let i = scenario.between(lo, hi); i > 0; i--) {
    const action = scenario.weighted(o.family.actions);
    const actionRng = scenario.fork(`action-${i}`);
    s.at(w.start + scenario.int(faultEnd - w.start), `user: ${action.name}`, () => {
      const did = action.run(w, actionRng);
      s.log(`  ${did ?? "(nothing to act on)"}`);
    });
  }
  for (let i = scenario.int(3); i > 0; i--) s.at(w.start + scenario.int(faultEnd - w.start), "SIGKILL the operator (between calls)", () => w.crash());
  for (let i = scenario.int(4); i > 0; i--) {
    s.at(w.start + scenario.int(faultEnd - w.start), "a watch breaks", () => {
      const p = w.process;
      if (p === undefined) return;
      const caches = Object.values(p.caches);
      const cache = caches[scenario.int(caches.length)]!;
      cache.gapUntil = w.clock.now() + 1_000 + scenario.int(30_000);
      s.log(`  ${cache.plural} cache of p${p.id} misses events until +${((cache.gapUntil - w.start) / 1000).toFixed(1)} s`);
    });
  }
  s.at(faultEnd, "faults stop", () => {
    s.faults = NO_FAULTS;
  });

  for (;;) {
    await s.settle();
    if (s.steps > maxSteps) {
      w.ledger.flag(Invariant.Converges, `no quiescence after ${maxSteps} steps (a reconcile loop that never settles)`);
      return;
    }
    const candidates: Array<readonly [() => unknown, number]> = [];
    for (const p of s.parked()) candidates.push([() => s.step(p, s.chooseOutcome(p)), 1]);
    const p = w.process;
    if (p !== undefined && p.alive) {
      for (const worker of p.startable()) candidates.push([() => p.start(worker), 1]);
      for (const cache of Object.values(p.caches)) {
        if (cache.gapUntil !== undefined) {
          if (cache.gapUntil <= w.clock.now()) {
            candidates.push([() => s.log(`· ${cache.plural} cache of p${p.id} relists: ${cache.relist()} keys changed`), 1]);
          }
          continue;
        }
        if (cache.backlog > 0) candidates.push([() => s.log(`· p${p.id} sees ${cache.deliverOne()}`), 2]);
      }
    }
    for (const e of s.due()) candidates.push([() => s.runEvent(e), 1]);
    if (candidates.length > 0) {
      await s.rng.weighted(candidates)();
      continue;
    }
    // Nothing to do now: jump to the next thing that will happen.
    const gaps =
      p === undefined
        ? []
        : Object.values(p.caches)
            .map((c) => c.gapUntil)
            .filter((t): t is number => t !== undefined);
    const next = Math.min(s.nextEvent()?.at ?? Infinity, ...gaps);
    if (!Number.isFinite(next) || next > horizon) return finish(w, o);
    w.clock.advanceTo(next);
  }
}

function finish(w: World, o: ScheduleOptions): void {
  w.scheduler.log(`quiescent at +${((w.clock.now() - w.start) / 1000).toFixed(1)} s; checking invariants`);
  checkInvariants(w, o.family.expect);
  o.family.check?.(w);
}
