// The simulation suite (README.md, docs/adr/0008): each family runs its share of the schedules; every
// violation names its seed and the one command that replays it. SIM_SEED=<n> runs that one schedule
// and prints its trace; SIM_SCALE=<x> multiplies the schedule counts (SIM_SCALE=10 for a long local
// run); SIM_BASE=<n> shifts the seeds (other schedules than CI's). Two test files (certificates,
// provisioning keys) call `simulationSuite` so that vitest can run them side by side.
import { describe, expect, it } from "vitest";
import { isKnown, KNOWN } from "./known.ts";
import type { InvariantName } from "./ledger.ts";
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
  sectigo: 400,
  "sectigo-delete": 400,
  "certificate-teardown": 300,
  zpa: 2_800,
  "zpa-delete": 2_400,
  "zpa-teardown": 1_400,
  "zpa-tenancy": 1_200,
  "foreign-secrets": 200,
};

const scale = Number(process.env["SIM_SCALE"] ?? "1");
const base = Number(process.env["SIM_BASE"] ?? "0");
const only = process.env["SIM_SEED"];
const replay = (seed: number) => `npm run sim:replay -- --seed ${seed}`;

interface Hit {
  readonly seed: number;
  readonly detail: string;
}

async function runFamily(family: Family, count: number): Promise<void> {
  const hits = new Map<InvariantName, Hit[]>();
  let steps = 0;
  let crashes = 0;
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const seed = seedOf(family, base + n);
    // The C4 clock check costs a stack trace per clock read: every 10th schedule is plenty.
    const r = await runSchedule({ seed, family, checkClock: n % 10 === 0 });
    steps += r.steps;
    crashes += r.crashes;
    for (const v of r.violations) {
      const list = hits.get(v.invariant) ?? [];
      if (list.length === 0 || list[list.length - 1]!.seed !== seed) list.push({ seed, detail: v.detail });
      hits.set(v.invariant, list);
    }
  }
  const lines = [`${family.name}: ${count} schedules, ${steps} steps, ${crashes} crashes, ${Math.round(performance.now() - started)} ms`];
  const unknown: string[] = [];
  for (const [invariant, list] of hits) {
    const known = isKnown(family.name, invariant);
    const text = `  ${invariant}: ${list.length} schedule(s), e.g. seed ${list[0]!.seed}: ${list[0]!.detail}\n    replay: ${replay(list[0]!.seed)}`;
    if (known) lines.push(`${text}\n    known (${known.owner}): ${known.finding}`);
    else unknown.push(`${text}\n    other seeds: ${list.slice(1, 6).map((h) => h.seed).join(", ") || "none"}`);
  }
  for (const k of KNOWN.filter((k) => k.family === family.name && !hits.has(k.invariant))) {
    lines.push(`  known problem no longer seen in ${count} schedules — delete it from known.ts: ${k.invariant} (${k.owner}: ${k.finding})`);
  }
  console.info(lines.join("\n"));
  expect(unknown, `invariant violations in family ${family.name}:\n${unknown.join("\n")}`).toEqual([]);
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
        for (const n of [0, 1, 2]) {
          const seed = seedOf(family, base + n);
          const [a, b] = [await runSchedule({ seed, family, fullTrace: true }), await runSchedule({ seed, family, fullTrace: true })];
          expect(b.trace, `seed ${seed} ran differently the second time`).toBe(a.trace);
        }
      }
    }, 120_000);
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
      console.info(`${r.trace}\n\nseed ${seed} (${family!.name}): ${r.violations.length === 0 ? "no invariant violated" : r.violations.map((v) => `${v.invariant}: ${v.detail}`).join("\n")}`);
      expect(r.violations.map((v) => `${v.invariant}: ${v.detail}`)).toEqual([]);
    }, 120_000);
  });
}
