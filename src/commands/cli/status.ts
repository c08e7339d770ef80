// `certbridge status <kind>/<name>`: one screen that walks the chain from the resource to its
// connection, Secrets and Events, and ends with what to do. Exits 0 only when the resource is Ready.
import type { KindName } from "../../api/v1alpha1/group.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { type CliIo, processIo } from "./io.ts";
import { type CliKind, cliKinds, parseReference } from "./kinds.ts";
import { renderData } from "./output.ts";
import { runCommand } from "./run.ts";
import { statusSpec } from "./specs.ts";
import { buildReport } from "./status/build.ts";
import { type Gathered, gather } from "./status/gather.ts";
import { renderStatus } from "./status/render.ts";

/** A bare name: the resource of that name among the namespaced kinds; more than one is ambiguous. */
async function findByName(client: Parameters<typeof gather>[0], namespace: string, name: string): Promise<Gathered | undefined> {
  const found: Gathered[] = [];
  for (const k of cliKinds.filter((c) => c.type.namespaced)) {
    const g = await gather(client, k.name, namespace, name);
    if (g !== undefined) found.push(g);
  }
  if (found.length > 1)
    throw new CliError(ExitCode.Usage, `"${name}" names ${found.map((g) => g.kind).join(" and ")}: say which, e.g. ${kindWord(found[0]!.kind)}/${name}`);
  return found[0];
}

const kindWord = (kind: KindName): string => cliKinds.find((k) => k.name === kind)!.short;

export async function statusCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  return runCommand(statusSpec, args, io, async (ctx) => {
    const [ref, ...extra] = ctx.parsed.positionals;
    if (ref === undefined || extra.length > 0) throw new CliError(ExitCode.Usage, "name one resource: <kind>/<name> (see --help)");
    const { kind, name } = parseReference(ref);
    const kube = ctx.connect();
    const gathered = kind === undefined ? await findByName(kube.client, kube.namespace, name) : await gather(kube.client, kind.name, kube.namespace, name);
    if (gathered === undefined) throw new CliError(ExitCode.NotFound, notFound(kind, name, kube.namespace));
    const report = buildReport(gathered, io.now());
    io.out(ctx.format ? renderData(ctx.format, report) : renderStatus(report, { style: ctx.style, now: io.now(), width: ctx.width }));
    return report.ready === "True" && report.deletionTimestamp === undefined ? ExitCode.Ok : ExitCode.Problem;
  });
}

function notFound(kind: CliKind | undefined, name: string, namespace: string): string {
  if (kind === undefined) return `no certbridge resource named "${name}" in namespace ${namespace}`;
  return kind.type.namespaced ? `${kind.names.kind} ${namespace}/${name} not found` : `${kind.names.kind} ${name} not found`;
}
