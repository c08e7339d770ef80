// The README's test command: format check, type check, then every vitest project (unit, then
// integration on a real control plane). Exits non-zero on the first failing step.
import { spawnSync } from "node:child_process";
import { delimiter, join } from "node:path";

// Run the pinned tools whether or not we were started through npm.
const bin = join(import.meta.dirname, "..", "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };

const steps: Array<[string, string[]]> = [
  ["biome", ["format", "."]],
  ["tsc", ["--noEmit", "-p", "."]],
  ["vitest", ["run", ...process.argv.slice(2)]],
];
for (const [tool, args] of steps) {
  process.stdout.write(`\n> ${tool} ${args.join(" ")}\n`);
  const result = spawnSync(tool, args, { stdio: "inherit", env });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}
