// `npm run soak`: parse the flags, run the soak, print the summary line, write the report; exit 1 on
// any violation, 2 on bad flags.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSoakOptions, USAGE } from "./options.ts";
import { fullReport, summaryLine, timelineText } from "./report.ts";
import { runSoak } from "./soak.ts";

let options;
try {
  options = parseSoakOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
const verbose = options.verbose;
const started = Date.now();
const log = (line: string) => {
  if (verbose) process.stderr.write(`[soak +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
};
const result = await runSoak(options, log);
const reportPath = options.reportPath ?? join(result.outDir, "report.txt");
await writeFile(reportPath, fullReport(result));
await writeFile(join(result.outDir, "timeline.txt"), timelineText(result));
process.stdout.write(`${summaryLine(result)}\nreport: ${reportPath}\n`);
process.exit(result.violations.length === 0 ? 0 : 1);
