// The README's test command: type check, then every vitest project (unit, then integration on a
// real control plane). Exits non-zero on the first failing step.
import { spawnSync } from "node:child_process";

const steps: Array<[string, string[]]> = [
  ["tsc", ["--noEmit", "-p", "."]],
  ["vitest", ["run", ...process.argv.slice(2)]],
];
for (const [bin, args] of steps) {
  process.stdout.write(`\n> ${bin} ${args.join(" ")}\n`);
  const result = spawnSync(bin, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
