// `certbridge get [kind]`: every certbridge resource in one table, like `kubectl get certbridge -A`,
// with the certificate's expiry, the vendor, the Ready reason and the next action.
import { isForbidden, isNotFound } from "../../runtime/kube/errors.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { str } from "./flags.ts";
import { type GetRow, rowOf } from "./get/rows.ts";
import { type CliIo, processIo } from "./io.ts";
import { type CliKind, cliKinds, kindOf, resolveKind } from "./kinds.ts";
import type { ResourceObject } from "./objects.ts";
import { renderData } from "./output.ts";
import { runCommand } from "./run.ts";
import { getSpec } from "./specs.ts";
import { type Style, conditionColour, renderTable } from "./style.ts";
import { ageOf, relative } from "./time.ts";

export async function getCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  return runCommand(getSpec, args, io, async (ctx) => {
    const [word, ...extra] = ctx.parsed.positionals;
    if (extra.length > 0) throw new CliError(ExitCode.Usage, "at most one kind (see --help)");
    const only = word === undefined ? undefined : resolveKind(word);
    if (word !== undefined && only === undefined) throw new CliError(ExitCode.Usage, `"${word}" is not a certbridge kind`);
    const kube = ctx.connect();
    const now = io.now();
    const selector = str(ctx.parsed.values, "selector");
    const rows: GetRow[] = [];
    for (const kind of only ? [only] : cliKinds) {
      const namespace = kind.type.namespaced && !kube.allNamespaces ? kube.namespace : undefined;
      try {
        const { items } = await kube.client.listAll<ResourceObject>(kind.type, {
          ...(namespace ? { namespace } : {}),
          ...(selector ? { labelSelector: selector } : {}),
        });
        rows.push(...items.map((o) => rowOf(kind.name, o, now)));
      } catch (error) {
        if (!isNotFound(error) && !isForbidden(error)) throw error;
        io.err(`${kind.names.plural}: ${isNotFound(error) ? "not served by this cluster (CRD not installed?)" : "access refused"}\n`);
      }
    }
    rows.sort((a, b) => (a.namespace ?? "").localeCompare(b.namespace ?? "") || order(a) - order(b) || a.name.localeCompare(b.name));
    if (ctx.format) io.out(renderData(ctx.format, rows));
    else if (rows.length === 0) io.err(`no certbridge resources${kube.allNamespaces ? "" : ` in namespace ${kube.namespace}`}\n`);
    else io.out(table(rows, kube.allNamespaces, ctx.style, now, ctx.width));
    return ExitCode.Ok;
  });
}

const order = (row: GetRow): number => cliKinds.findIndex((k) => k.name === row.kind);

function table(rows: readonly GetRow[], allNamespaces: boolean, s: Style, now: Date, width: number | undefined): string {
  const headers = [...(allNamespaces ? ["NAMESPACE"] : []), "NAME", "READY", "REASON", "VENDOR", "EXPIRES", "AGE", "NEXT"];
  const cells = rows.map((r) => {
    const kind: CliKind = kindOf(r.kind);
    const expires = r.notAfter ? relative(r.notAfter, now) : "-";
    return [
      ...(allNamespaces ? [r.namespace ?? ""] : []),
      `${kind.short}/${r.name}`,
      conditionColour(s, r.ready || undefined)(r.ready || "-"),
      r.reason || "-",
      r.vendor || "-",
      expires.endsWith("ago") ? s.red(`expired ${expires}`) : expires,
      ageOf(r.created, now) || "-",
      r.next,
    ];
  });
  return renderTable(headers, cells, width);
}
