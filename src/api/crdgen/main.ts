// `npm run gen:crds`: writes crds/certbridge.dev_<plural>.yaml from the zod schemas. Fails (exit 1)
// without writing anything when a schema is not structural or lacks descriptions or bounds.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCrds, renderCrd } from "./crds.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const outDir = join(root, "crds");

const built = buildCrds();
const problems = built.flatMap((b) => b.problems.map((p) => `${b.fileName}: ${p}`));
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
for (const b of built) {
  writeFileSync(join(outDir, b.fileName), renderCrd(b.crd));
  console.log(`wrote crds/${b.fileName}`);
}
