// Benchmark (not a test): cert-manager and certbridge side by side (issue 13 item 3, TARGETS P8/P9).
//
//   npm run bench:compare -- [--n 1000] [--rounds 4] [--connections 32] [--concurrency N] [--cert-manager-workers 5]
//                            [--settle-seconds 10] [--timeout-minutes 20] [--build js|ts] [--auth in-cluster|kubeconfig]
//                            [--expected-resources N|none] [--node-options="..."] [--memory-limit-mib M] [--env NAME=VALUE]
//
// Rounds alternate A, B, A, B (cert-manager first), each on a fresh control plane (the same kube-apiserver
// and etcd binaries), so drift in the machine's load falls on both systems alike. Per round: N resources
// created at once; time to all Ready and apply→Secret; the controller's API requests and writes, counted
// by the API server's audit log under the controller's own user; its CPU time and RSS from /proc (before
// the burst, the peak, and settled after it). cert-manager signs with a CA Issuer (locally); certbridge
// issues from its Cloudflare simulator, running as it ships (compiled JavaScript, in-cluster credentials,
// the chart's NODE_OPTIONS and memory limit for N resources — chart-settings.ts renders the chart —:
// --build ts / --auth kubeconfig / --expected-resources none run the sources / load client-node / run
// Node's defaults instead). Figures are printed, not asserted.
// cert-manager is skipped, with the reason, when its controller cannot be built (test/harness/cert-manager.ts).
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { certManagerAvailable } from "../harness/cert-manager.ts";
import { certbridgeSystem } from "./compare-certbridge.ts";
import { certManagerSystem } from "./compare-cert-manager.ts";
import { type RoundFigures, type SystemUnderTest, runRound } from "./compare-round.ts";
import { requestKinds, roundLine, table } from "./compare-report.ts";
import { type OperatorAuth, type OperatorBuild, canRunInCluster, prepareCli } from "./scale-operator.ts";
import { describeSettings, processSettingsOptions, resolveProcessSettings } from "./chart-settings.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    rounds: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
    concurrency: { type: "string" },
    "cert-manager-workers": { type: "string" },
    build: { type: "string", default: "js" },
    auth: { type: "string" },
    "settle-seconds": { type: "string", default: "10" },
    "timeout-minutes": { type: "string", default: "20" },
    ...processSettingsOptions,
  },
});
const log = (line: string) => process.stdout.write(`[bench:compare] ${line}\n`);

async function main(): Promise<void> {
  const n = Number(values.n);
  const cm = await certManagerAvailable({ log });
  if (!cm.available) log(`SKIPPED cert-manager: ${cm.reason}`);
  // certbridge as it ships unless told otherwise: compiled once here, in-cluster credentials where this
  // process can give the operator a mount namespace of its own (root), else a kubeconfig.
  const build = values.build as OperatorBuild;
  const auth = (values.auth ?? (canRunInCluster() ? "in-cluster" : "kubeconfig")) as OperatorAuth;
  const source = fileURLToPath(new URL("../..", import.meta.url));
  const processSettings = await resolveProcessSettings(source, n, values);
  const certbridge = certbridgeSystem({
    cli: prepareCli(source, build),
    process: processSettings,
    build,
    auth,
    connections: Number(values.connections),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
  });
  const certManager = cm.available ? certManagerSystem(values["cert-manager-workers"] ? { workers: Number(values["cert-manager-workers"]) } : {}) : undefined;
  const order: SystemUnderTest[] = Array.from({ length: Number(values.rounds) }, (_, i) => (i % 2 === 0 ? (certManager ?? certbridge) : certbridge));
  log(
    `N=${n}, rounds ${order.map((s) => s.name).join(", ")}, certbridge ${build} with ${auth} auth (${describeSettings(processSettings)}) over ${values.connections} Cloudflare connections, ` +
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );

  const results: RoundFigures[] = [];
  for (const [i, system] of order.entries()) {
    const figures = await runRound(system, {
      n,
      settleSeconds: Number(values["settle-seconds"]),
      timeoutMinutes: Number(values["timeout-minutes"]),
      log,
    });
    results.push(figures);
    log(roundLine(i + 1, figures));
  }

  const of = (name: string) => results.filter((r) => r.system === name);
  process.stdout.write("\n");
  for (const [i, f] of results.entries()) process.stdout.write(`${roundLine(i + 1, f)}\n`);
  process.stdout.write("\n");
  // Without cert-manager its column reads n/a, and so do the ratios.
  for (const line of table("cert-manager", "certbridge", of("cert-manager"), of("certbridge"))) process.stdout.write(`${line}\n`);
  for (const name of certManager ? ["cert-manager", "certbridge"] : ["certbridge"]) {
    process.stdout.write(`\n${name}: API requests per issuance by kind\n`);
    for (const line of requestKinds(of(name))) process.stdout.write(`  ${line}\n`);
  }
  process.stdout.write(`${JSON.stringify({ benchmark: "compare", n, certbridgeProcess: processSettings, rounds: results })}\n`);
}

await main();
