// `certbridge renew` and `certbridge rotate`: set the request annotation the controllers act on
// (certbridge.dev/renew-request on a ManagedCertificate, certbridge.dev/rotate-request on a
// ProvisioningKey) to a new value, by name or for every resource a label selector picks.
import { annotations } from "../../api/v1alpha1/labels.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { type CommandSpec, bool, str } from "./flags.ts";
import { type CliIo, processIo } from "./io.ts";
import { type CliKind, kindOf } from "./kinds.ts";
import { runCommand } from "./run.ts";
import { renewSpec, rotateSpec } from "./specs.ts";

interface Request {
  readonly kind: CliKind;
  readonly annotation: string;
  /** What the request does, for the confirmation line: "renewal requested". */
  readonly done: string;
}

const RENEW: Request = { kind: kindOf("ManagedCertificate"), annotation: annotations.renewRequest, done: "renewal requested" };
const ROTATE: Request = { kind: kindOf("ProvisioningKey"), annotation: annotations.rotateRequest, done: "rotation requested" };

export const renewCommand = (args: string[], io: CliIo = processIo()): Promise<number> => request(renewSpec, RENEW, args, io);
export const rotateCommand = (args: string[], io: CliIo = processIo()): Promise<number> => request(rotateSpec, ROTATE, args, io);

/** The annotation value: the time of the request, unique per run (the controllers act on any new value). */
const requestValue = (now: Date): string => now.toISOString();

async function request(spec: CommandSpec, what: Request, args: string[], io: CliIo): Promise<number> {
  return runCommand(spec, args, io, async (ctx) => {
    const { values, positionals } = ctx.parsed;
    const all = bool(values, "all");
    const selector = str(values, "selector");
    if (all === positionals.length > 0) throw new CliError(ExitCode.Usage, "name the resources, or pass --all (not both)");
    if (selector !== undefined && !all) throw new CliError(ExitCode.Usage, "-l selects among --all; without --all, name the resources");
    if (bool(values, "all-namespaces") && !all) throw new CliError(ExitCode.Usage, "-A goes with --all");
    const kube = ctx.connect();
    const targets: Array<{ namespace: string; name: string }> = all
      ? (
          await kube.client.listAll<KubeObject>(what.kind.type, {
            ...(kube.allNamespaces ? {} : { namespace: kube.namespace }),
            ...(selector ? { labelSelector: selector } : {}),
          })
        ).items.map((o) => ({ namespace: o.metadata.namespace ?? kube.namespace, name: o.metadata.name ?? "" }))
      : positionals.map((name) => ({ namespace: kube.namespace, name }));
    if (targets.length === 0) {
      io.err(`no ${what.kind.names.plural}${selector ? ` match ${selector}` : ""}${kube.allNamespaces ? "" : ` in namespace ${kube.namespace}`}\n`);
      return ExitCode.Ok;
    }
    const value = requestValue(io.now());
    let missing = 0;
    for (const t of targets) {
      const ref = `${what.kind.short}/${t.name}`;
      try {
        await kube.client.mergePatch(what.kind.type, t.namespace, t.name, { metadata: { annotations: { [what.annotation]: value } } });
        io.out(`${ref} in ${t.namespace}: ${what.done} (${what.annotation}=${value})\n`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        missing++;
        io.err(`${ref} in ${t.namespace}: not found\n`);
      }
    }
    const first = targets[0]!;
    if (missing < targets.length) io.err(ctx.style.dim(`follow with: ${io.program} status ${what.kind.short}/${first.name} -n ${first.namespace}\n`));
    return missing > 0 ? ExitCode.NotFound : ExitCode.Ok;
  });
}
