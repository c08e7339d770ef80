// `certbridge check`: is the API reachable, are the CRDs installed at this version, is the operator
// running and leading, and may the current identity do what the chart grants the operator.
import { settings } from "../../config/operator.ts";
import { ExitCode } from "./exit-codes.ts";
import { str } from "./flags.ts";
import { type CliIo, processIo } from "./io.ts";
import { renderData } from "./output.ts";
import { runCommand } from "./run.ts";
import { checkSpec, DEFAULT_OPERATOR_NAMESPACE } from "./specs.ts";
import { type Style, wrapText } from "./style.ts";
import { type CheckResult, checkApi, checkCrds, checkIdentity, checkOperator, checkRbac } from "./check/checks.ts";

export async function checkCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  return runCommand(checkSpec, args, io, async (ctx) => {
    const kube = ctx.connect();
    const values = ctx.parsed.values;
    const operatorNamespace = str(values, "operator-namespace") ?? DEFAULT_OPERATOR_NAMESPACE;
    const leaseName = str(values, "leader-election-id") ?? settings.leaderElectionId.default;
    const results: CheckResult[] = [await checkApi(kube.client, kube.contextName)];
    results.push(
      ...(await Promise.all([
        checkIdentity(kube.client),
        checkCrds(kube.client),
        checkOperator(kube.client, operatorNamespace, leaseName, io.now()),
        checkRbac(kube.client, { namespace: str(values, "namespace"), operatorNamespace, leaseName }),
      ])),
    );
    io.out(ctx.format ? renderData(ctx.format, results) : renderChecks(results, ctx.style, ctx.width));
    return results.some((r) => r.outcome === "fail") ? ExitCode.Problem : ExitCode.Ok;
  });
}

function renderChecks(results: readonly CheckResult[], s: Style, width: number | undefined): string {
  const mark = { ok: s.green("ok  "), warn: s.yellow("warn"), fail: s.red("FAIL") } as const;
  const lines = results.flatMap((r) => [`${mark[r.outcome]}  ${wrapText(r.summary, width, "      ")}`, ...r.details.map((d) => `        ${d}`)]);
  return `${lines.join("\n")}\n`;
}
