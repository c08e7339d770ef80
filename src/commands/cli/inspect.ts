// `certbridge inspect secret <name>`: decode a TLS Secret for a person, without ever printing the
// private key (its type, encoding and whether it matches the leaf are all that is shown).
import { contentHash } from "../../controllers/shared/owned-secret.ts";
import { core } from "../../runtime/kube/resource.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { renderInspection } from "./inspect/render.ts";
import { tlsReport } from "./inspect/tls-report.ts";
import { type CliIo, processIo } from "./io.ts";
import { getOptional } from "./kube.ts";
import type { SecretObject } from "./objects.ts";
import { renderData } from "./output.ts";
import { runCommand } from "./run.ts";
import { inspectSpec } from "./specs.ts";

export async function inspectCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  return runCommand(inspectSpec, args, io, async (ctx) => {
    const [what, name, ...extra] = ctx.parsed.positionals;
    if (what !== "secret" || name === undefined || extra.length > 0) throw new CliError(ExitCode.Usage, "usage: inspect secret <name> (see --help)");
    const kube = ctx.connect();
    const secret = await getOptional<SecretObject>(kube.client, core.secrets, kube.namespace, name);
    if (secret === undefined) throw new CliError(ExitCode.NotFound, `Secret ${kube.namespace}/${name} not found`);
    const data = secret.data ?? {};
    const now = io.now();
    const report = await tlsReport(data, now);
    const header = {
      namespace: kube.namespace,
      name,
      ...(secret.type ? { type: secret.type } : {}),
      labels: secret.metadata.labels ?? {},
      annotations: secret.metadata.annotations ?? {},
      computedHash: contentHash(data),
    };
    io.out(
      ctx.format
        ? renderData(ctx.format, {
            secret: { namespace: header.namespace, name, type: header.type, labels: header.labels, annotations: header.annotations },
            ...report,
          })
        : renderInspection(header, report, { style: ctx.style, now, width: ctx.width }),
    );
    return report.problems.length === 0 ? ExitCode.Ok : ExitCode.Problem;
  });
}
