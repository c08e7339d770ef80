// The simulation suite (README.md, docs/adr/0008): each family runs its share of the schedules; every
// violation names its seed and the one command that replays it. SIM_SEED=<n> runs that one schedule
// and prints its trace; SIM_SCALE=<x> multiplies the schedule counts (SIM_SCALE=10 for a long local
// run); SIM_BASE=<n> shifts the seeds (other schedules than CI's). Two test files (certificates,
// provisioning keys) call `simulationSuite` so that vitest can run them side by side.
import { describe, expect, it } from "vitest";
import { KNOWN, knownProblem, type KnownProblem } from "./known.ts";
import type { InvariantName } from "./ledger.ts";
import { REGRESSION_SEEDS, type RegressionSeed } from "./regressions.ts";
import { runSchedule } from "./run.ts";
import { FAMILIES, familyOfSeed, seedOf, type Family } from "./scenarios/index.ts";

/**
 * Schedules per family per CI run (10,000 in all). A certificate schedule costs ~60-90 ms of CPU (real
 * keys, CSRs and X.509 on every issuance), a provisioning-key schedule ~10 ms: the split keeps the run
 * within ~3 minutes on two cores. SIM_SCALE multiplies every share.
 */
export const SCHEDULES: Readonly<Record<string, number>> = {
  cloudflare: 500,
  "cloudflare-delete": 400,
  sectigo: 350,
  "sectigo-delete": 300,
  "certificate-teardown": 250,
  "cloudflare-replace": 150,
  "sectigo-replace": 150,
  "certificate-forgery": 150,
  zpa: 2_900,
  "zpa-delete": 2_500,
  "zpa-teardown": 1_400,
  "zpa-tenancy": 900,
  "zpa-adoption": 300,
  "foreign-secrets": 200,
};

const scale = Number(process.env["SIM_SCALE"] ?? "1");
const base = Number(process.env["SIM_BASE"] ?? "0");
const only = process.env["SIM_SEED"];
/** The replay command; it names the family when SIM_BASE pushed the seed into another family's range. */
const replay = (seed: number, family?: Family) =>
  `npm run sim:replay -- --seed ${seed}${family !== undefined && familyOfSeed(seed) !== family ? ` --family ${family.name}` : ""}`;

interface Hit {
  readonly seed: number;
  readonly detail: string;
}

async function runFamily(family: Family, count: number): Promise<void> {
  const unknown = new Map<InvariantName, Hit[]>();
  const known = new Map<KnownProblem, Hit[]>();
  let steps = 0;
  let crashes = 0;
  const started = performance.now();
  const note = <K>(map: Map<K, Hit[]>, k: K, hit: Hit) => {
    const list = map.get(k) ?? [];
    if (list.length === 0 || list[list.length - 1]!.seed !== hit.seed) list.push(hit);
    map.set(k, list);
  };
  for (let n = 0; n < count; n++) {
    const seed = seedOf(family, base + n);
    // The C4 clock check costs a stack trace per clock read: every 10th schedule is plenty.
    const r = await runSchedule({ seed, family, checkClock: n % 10 === 0 });
    steps += r.steps;
    crashes += r.crashes;
    for (const v of r.violations) {
      const k = knownProblem(family.name, v.invariant, v.detail);
      if (k === undefined) note(unknown, v.invariant, { seed, detail: v.detail });
      else note(known, k, { seed, detail: v.detail });
    }
  }
  const lines = [`${family.name}: ${count} schedules, ${steps} steps, ${crashes} crashes, ${Math.round(performance.now() - started)} ms`];
  for (const [k, list] of known) {
    lines.push(`  known (${k.owner}) ${k.invariant}: ${list.length} schedule(s) — ${k.finding}\n    e.g. ${replay(list[0]!.seed, family)}: ${list[0]!.detail}`);
  }
  for (const k of KNOWN.filter((k) => k.families.includes(family.name) && !known.has(k))) {
    lines.push(
      `  known problem not seen in ${count} schedules (delete it from known.ts once it is gone everywhere): ${k.invariant} (${k.owner}: ${k.finding})`,
    );
  }
  const failures = [...unknown].map(
    ([invariant, list]) =>
      `  ${invariant}: ${list.length} schedule(s), e.g. seed ${list[0]!.seed}: ${list[0]!.detail}\n    replay: ${replay(list[0]!.seed, family)}\n    other seeds: ${
        list
          .slice(1, 6)
          .map((h) => h.seed)
          .join(", ") || "none"
      }`,
  );
  console.info([...lines, ...failures].join("\n"));
  expect(failures, `invariant violations in family ${family.name}:\n${failures.join("\n")}`).toEqual([]);
}

export function simulationSuite(title: string, families: readonly string[]): void {
  if (only !== undefined) {
    const family = familyOfSeed(Number(only));
    if (family !== undefined && families.includes(family.name)) replaySuite(only);
    return;
  }
  describe(title, () => {
    it("a seed replays the same schedule, call for call", async () => {
      for (const name of families) {
        const family = FAMILIES.get(name)!;
        // Forward, then backward: a schedule must not depend on what ran before it in the process.
        const seeds = [0, 1, 2].map((n) => seedOf(family, base + n));
        const first = new Map<number, string>();
        for (const seed of seeds) first.set(seed, (await runSchedule({ seed, family, fullTrace: true })).trace);
        for (const seed of [...seeds].reverse()) {
          expect((await runSchedule({ seed, family, fullTrace: true })).trace, `seed ${seed} ran differently the second time`).toBe(first.get(seed));
        }
      }
    }, 120_000);
    const familyOfRegression = (r: RegressionSeed) => (r.family === undefined ? familyOfSeed(r.seed) : FAMILIES.get(r.family));
    const regressions = REGRESSION_SEEDS.filter((r) => families.includes(familyOfRegression(r)?.name ?? ""));
    if (regressions.length > 0) {
      it(`${regressions.length} seed(s) that once broke an invariant still hold (regressions.ts)`, async () => {
        const failures: string[] = [];
        for (const r of regressions) {
          const family = familyOfRegression(r)!;
          const result = await runSchedule({ seed: r.seed, family });
          for (const v of result.violations) failures.push(`seed ${r.seed} (${r.why}): ${v.invariant}: ${v.detail}\n    replay: ${replay(r.seed, family)}`);
        }
        expect(failures).toEqual([]);
      }, 120_000);
    }
    for (const name of families) {
      const family = FAMILIES.get(name)!;
      const n = Math.max(1, Math.round(SCHEDULES[name]! * scale));
      it(`${name}: ${n} schedules, every invariant holds`, () => runFamily(family, n), 900_000);
    }
  });
}

function replaySuite(only: string): void {
  describe("simulation (one seed)", () => {
    it(`seed ${only}`, async () => {
      const seed = Number(only);
      const family = familyOfSeed(seed);
      expect(family, `seed ${seed} belongs to no family`).toBeDefined();
      const r = await runSchedule({ seed, family: family!, fullTrace: true });
      console.info(
        `${r.trace}\n\nseed ${seed} (${family!.name}): ${r.violations.length === 0 ? "no invariant violated" : r.violations.map((v) => `${v.invariant}: ${v.detail}`).join("\n")}`,
      );
      expect(r.violations.map((v) => `${v.invariant}: ${v.detail}`)).toEqual([]);
    }, 120_000);
  });
}
