// Replays one schedule and prints its trace and what it violated:
//   npm run sim:replay -- --seed 1000042            (the seed names its family)
//   npm run sim:replay -- --seed 1000042 --quiet    (violations only)
// Exit status 1 when an invariant was violated.
import { parseArgs } from "node:util";
import { runSchedule } from "./run.ts";
import { familyOfSeed } from "./scenarios/index.ts";

const { values } = parseArgs({ options: { seed: { type: "string" }, quiet: { type: "boolean", default: false } } });
const seed = Number(values.seed);
const family = Number.isInteger(seed) ? familyOfSeed(seed) : undefined;
if (family === undefined) {
  console.error("usage: npm run sim:replay -- --seed <n>   (a seed printed by the simulation test)");
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
