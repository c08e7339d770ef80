// `npm run soak` flags: parsed and validated in one place, with the defaults a short local run uses.
import { parseArgs } from "node:util";

export const VENDORS = ["cloudflare", "sectigo", "zpa"] as const;
export type SoakVendor = (typeof VENDORS)[number];

export interface SoakOptions {
  /** How long the chaos phase runs (ms); convergence is measured after it. */
  readonly durationMs: number;
  /** SIGKILLs of operator replicas per minute (Poisson). */
  readonly killsPerMinute: number;
  /** Simulator fault windows started per minute (Poisson), across the enabled vendors. */
  readonly faultsPerMinute: number;
  /** API server restarts per minute (Poisson). */
  readonly apiRestartsPerMinute: number;
  /** Workload actions (create, edit, renew, delete) per minute (Poisson). */
  readonly actionsPerMinute: number;
  /** Live resources kept per vendor (ManagedCertificates for cloudflare/sectigo, ProvisioningKeys for zpa). */
  readonly resources: Readonly<Record<SoakVendor, number>>;
  readonly vendors: readonly SoakVendor[];
  readonly seed: number;
  /** After the chaos stops: how long everything may take to converge before it is a violation. */
  readonly convergeTimeoutMs: number;
  /** Where logs and the report go (a fresh temp directory when unset). */
  readonly outDir: string | undefined;
  /** Report file (default <outDir>/report.txt). */
  readonly reportPath: string | undefined;
  /**
   * Passed to the replicas as --debug-order-settle-ms: how long an unanswered order may still be
   * committed. Must exceed the longest commit delay the fault catalog can cause (40 s).
   */
  readonly orderSettleMs: number | undefined;
  /** Print progress lines while running. */
  readonly verbose: boolean;
}

export const USAGE = `usage: npm run soak -- [flags]
  --duration D          chaos phase length: 90s, 10m, 1h (default 5m)
  --kill-rate N         operator SIGKILLs per minute (default 6)
  --fault-rate N        simulator fault windows per minute (default 4)
  --api-restart-rate N  API server restarts per minute (default 0.5)
  --action-rate N       resource creates/edits/renewals/deletes per minute (default 30)
  --resources SPEC      live resources per vendor: "4" or "cloudflare=4,sectigo=3,zpa=4" (default 3 each)
  --vendors LIST        comma-separated: cloudflare,sectigo,zpa (default all)
  --seed N              seed for every random choice (default: random, printed)
  --converge-timeout D  how long convergence may take after the chaos (default 10m)
  --order-settle D      operator's settle window for unanswered orders (default 90s; "vendor" keeps the
                        operator's per-vendor defaults, Cloudflare 3 min, Sectigo 10 min)
  --out DIR             directory for operator logs and the report (default: a new temp directory)
  --report FILE         report path (default <out>/report.txt)
  --quiet               no progress lines
`;

/** "90s", "10m", "1h", "1500ms" or plain seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`${flag}: expected a duration such as 90s, 10m or 1h, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"]);
}

function rate(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a non-negative number, got "${text}"`);
  return n;
}

export function parseVendors(text: string): SoakVendor[] {
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const v of list) if (!(VENDORS as readonly string[]).includes(v)) throw new Error(`--vendors: unknown vendor "${v}" (known: ${VENDORS.join(", ")})`);
  if (list.length === 0) throw new Error("--vendors: name at least one vendor");
  return [...new Set(list)] as SoakVendor[];
}

export function parseResources(text: string): Record<SoakVendor, number> {
  const count = (s: string, what: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 200) throw new Error(`--resources: ${what} must be an integer 0-200, got "${s}"`);
    return n;
  };
  if (/^\d+$/.test(text.trim())) {
    const n = count(text.trim(), "the count");
    return { cloudflare: n, sectigo: n, zpa: n };
  }
  const out: Record<SoakVendor, number> = { cloudflare: 0, sectigo: 0, zpa: 0 };
  for (const part of text.split(",")) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (k === undefined || v === undefined || !(VENDORS as readonly string[]).includes(k))
      throw new Error(`--resources: expected vendor=count pairs, got "${part}"`);
    out[k as SoakVendor] = count(v, k);
  }
  return out;
}

export function parseSoakOptions(args: readonly string[], randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31)): SoakOptions | "help" {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: "string", default: "5m" },
      "kill-rate": { type: "string", default: "6" },
      "fault-rate": { type: "string", default: "4" },
      "api-restart-rate": { type: "string", default: "0.5" },
      "action-rate": { type: "string", default: "30" },
      resources: { type: "string", default: "3" },
      vendors: { type: "string", default: VENDORS.join(",") },
      seed: { type: "string" },
      "converge-timeout": { type: "string", default: "10m" },
      "order-settle": { type: "string", default: "90s" },
      out: { type: "string" },
      report: { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const seed = values.seed === undefined ? randomSeed() : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: expected a non-negative integer, got "${values.seed}"`);
  const vendors = parseVendors(values.vendors);
  const resources = parseResources(values.resources);
  for (const v of VENDORS) if (!vendors.includes(v)) resources[v] = 0;
  return {
    durationMs: parseDuration(values.duration, "--duration"),
    killsPerMinute: rate(values["kill-rate"], "--kill-rate"),
    faultsPerMinute: rate(values["fault-rate"], "--fault-rate"),
    apiRestartsPerMinute: rate(values["api-restart-rate"], "--api-restart-rate"),
    actionsPerMinute: rate(values["action-rate"], "--action-rate"),
    resources,
    vendors,
    seed,
    convergeTimeoutMs: parseDuration(values["converge-timeout"], "--converge-timeout"),
    orderSettleMs: values["order-settle"] === "vendor" ? undefined : parseDuration(values["order-settle"], "--order-settle"),
    outDir: values.out,
    reportPath: values.report,
    verbose: !values.quiet,
  };
}
