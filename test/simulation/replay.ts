// Replays one schedule and prints its trace and what it violated:
//   npm run sim:replay -- --seed 1000042                       (the seed names its family)
//   npm run sim:replay -- --seed 1000042 --quiet               (violations only)
//   npm run sim:replay -- --seed 2300818 --family cloudflare   (a family other than the one the seed names)
// --family is needed only for a seed the suite printed together with its family name, which it does
// when SIM_BASE pushed the schedule number past one family's seed range.
// Exit status 1 when an invariant was violated.
import { parseArgs } from "node:util";
import { runSchedule } from "./run.ts";
import { FAMILIES, familyOfSeed } from "./scenarios/index.ts";

const { values } = parseArgs({
  options: { seed: { type: "string" }, family: { type: "string" }, quiet: { type: "boolean", default: false } },
});
const seed = Number(values.seed);
const family = !Number.isInteger(seed) ? undefined : values.family !== undefined ? FAMILIES.get(values.family) : familyOfSeed(seed);
if (family === undefined) {
  console.error(
    `usage: npm run sim:replay -- --seed <n> [--family <name>]   (a seed printed by the simulation test; families: ${[...FAMILIES.keys()].join(", ")})`,
  );
  process.exit(2);
}
const result = await runSchedule({ seed, family, fullTrace: true });
if (!values.quiet) console.log(result.trace);
console.log(
  `\nseed ${seed} (family ${family.name}): ${result.steps} steps, ${result.crashes} crashes, ${result.orders} orders, ${result.keys} keys, ${(result.virtualMs / 60_000).toFixed(1)} virtual min, ${Math.round(result.realMs)} ms`,
);
if (result.violations.length === 0) {
  console.log("no invariant violated");
} else {
  for (const v of result.violations) console.log(`VIOLATED ${v.invariant} at +${(v.at / 1000).toFixed(1)} s: ${v.detail}`);
  process.exitCode = 1;
}
