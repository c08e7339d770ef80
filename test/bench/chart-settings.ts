// The operator's process settings as the chart ships them for a given `expectedResources`: the memory
// limit and the container's literal environment (NODE_OPTIONS and any other runtime tuning), read from
// `helm template` of deploy/chart. The benchmarks run the operator with exactly these, so the chart's
// formula (templates/_helpers.tpl) has no second copy here. Benchmarks only.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadAll } from "js-yaml";
import { ensureHelm } from "../harness/tools.ts";

export interface ChartProcessSettings {
  readonly expectedResources: number;
  /** The container's memory limit, MiB (the benchmark's memory cgroup). */
  readonly memoryLimitMiB: number;
  /** Literal env entries that tune the process (NODE_OPTIONS, …); the operator's own flags the benchmark sets itself. */
  readonly env: Readonly<Record<string, string>>;
}

type EnvEntry = { name: string; value?: string; valueFrom?: unknown };
type Manifest = {
  kind?: string;
  spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: EnvEntry[]; resources?: { limits?: { memory?: string } } }> } } };
};

/** Env the benchmark decides itself (flags of `certbridge run`, the pod's identity), not process tuning. */
const operatorOwn = (name: string) => name.startsWith("CERTBRIDGE_") || name.startsWith("POD_");

/** The memory quantities the chart writes (it renders its own limit in Mi; a user's may be Gi). */
export function quantityMiB(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (m === null) throw new Error(`memory quantity ${quantity}: expected Mi or Gi`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

/** The operator container's process settings in rendered manifests (the Deployment's `operator` container). */
export function processSettingsFromManifests(text: string, expectedResources: number): ChartProcessSettings {
  const deployment = (loadAll(text) as Manifest[]).find((d) => d?.kind === "Deployment");
  const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === "operator");
  if (container === undefined) throw new Error("the rendered chart has no Deployment with an operator container");
  const memory = container.resources?.limits?.memory;
  if (memory === undefined) throw new Error("the rendered chart sets no memory limit");
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) if (e.value !== undefined && !operatorOwn(e.name)) env[e.name] = e.value;
  return { expectedResources, memoryLimitMiB: quantityMiB(memory), env };
}

/** `helm template` of `source`'s chart (a checkout: the one whose operator runs) with `expectedResources`, read as above. */
export async function chartProcessSettings(source: string, expectedResources: number): Promise<ChartProcessSettings> {
  const helm = await ensureHelm();
  const chart = join(source, "deploy", "chart", "certbridge");
  const { stdout } = await promisify(execFile)(
    helm,
    ["template", "certbridge", chart, "--namespace", "certbridge-system", "--set", `expectedResources=${expectedResources}`],
    {
      maxBuffer: 32 * 1024 * 1024,
    },
  );
  return processSettingsFromManifests(stdout, expectedResources);
}

/** The benchmarks' flags for the operator's process settings (parseArgs options, spread into each benchmark's). */
export const processSettingsOptions = {
  /** The chart's settings for this many resources (default: the benchmark's N); `none`: Node's defaults, no limit. */
  "expected-resources": { type: "string" },
  /** Replaces the chart's NODE_OPTIONS. */
  "node-options": { type: "string" },
  /** Replaces the chart's memory limit (a memory cgroup of this size, as a pod limit would). */
  "memory-limit-mib": { type: "string" },
  /** Extra environment for the operator, NAME=VALUE, repeatable (e.g. MALLOC_ARENA_MAX=2), over the chart's. */
  env: { type: "string", multiple: true },
} as const;

export interface ProcessSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly memoryLimitMiB?: number;
}

/** What the operator runs with: the chart's settings for `--expected-resources` (default `n`), then the flags over them. */
export async function resolveProcessSettings(
  source: string,
  n: number,
  flags: { "expected-resources"?: string; "node-options"?: string; "memory-limit-mib"?: string; env?: string[] },
): Promise<ProcessSettings> {
  const expected = flags["expected-resources"] ?? String(n);
  const chart = expected === "none" ? undefined : await chartProcessSettings(source, Number(expected));
  const env: Record<string, string> = { ...chart?.env };
  if (flags["node-options"] !== undefined) env.NODE_OPTIONS = flags["node-options"];
  for (const entry of flags.env ?? []) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new Error(`--env ${entry}: expected NAME=VALUE`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const limit = flags["memory-limit-mib"] ?? chart?.memoryLimitMiB;
  return { env, ...(limit === undefined ? {} : { memoryLimitMiB: Number(limit) }) };
}

/** One line for a benchmark's log and figures: what the operator ran with. */
export function describeSettings(s: { env: Readonly<Record<string, string>>; memoryLimitMiB?: number }): string {
  const env = Object.entries(s.env).map(([k, v]) => `${k}=${v}`);
  return [...env, s.memoryLimitMiB === undefined ? "no memory limit" : `memory limit ${s.memoryLimitMiB} MiB`].join(", ");
}
