// The side-by-side benchmark's report: each round's figures, then both systems' means and the ratios as
// one table. Pure: figures in, lines out.
import type { RoundFigures } from "./compare-round.ts";

interface Metric {
  readonly label: string;
  readonly value: (f: RoundFigures) => number;
  readonly digits: number;
}

const perIssuance = (f: RoundFigures, x: number) => x / Math.max(1, f.ready);

export const METRICS: readonly Metric[] = [
  { label: "time to all Ready (s)", value: (f) => f.allReadySeconds, digits: 1 },
  { label: "issuances per second", value: (f) => f.ready / Math.max(0.001, f.allReadySeconds), digits: 1 },
  { label: "apply→Secret p50 (s)", value: (f) => f.applyToSecretP50Seconds, digits: 2 },
  { label: "apply→Secret p99 (s)", value: (f) => f.applyToSecretP99Seconds, digits: 2 },
  { label: "API requests per issuance", value: (f) => perIssuance(f, f.api.requests), digits: 2 },
  { label: "API writes per issuance", value: (f) => perIssuance(f, f.api.writes), digits: 2 },
  { label: "CPU ms per issuance", value: (f) => perIssuance(f, f.cpuSeconds * 1000), digits: 2 },
  { label: "RSS before (MiB)", value: (f) => f.rssBeforeMiB, digits: 1 },
  { label: "RSS peak (MiB)", value: (f) => f.rssPeakMiB, digits: 1 },
  { label: "RSS settled (MiB)", value: (f) => f.rssSettledMiB, digits: 1 },
];

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/** One line per round: what a reader needs to see that the mean hides. */
export function roundLine(index: number, f: RoundFigures): string {
  return (
    `round ${index} ${f.system.padEnd(12)} Ready ${f.ready}/${f.n}, Secrets ${f.secrets}/${f.n}, all Ready in ${fmt(f.allReadySeconds, 1)} s, ` +
    `p50/p99 ${fmt(f.applyToSecretP50Seconds, 2)}/${fmt(f.applyToSecretP99Seconds, 2)} s, ${f.api.requests} requests (${f.api.writes} writes, ${f.api.refused} refused), ` +
    `CPU ${fmt(f.cpuSeconds, 1)} s, RSS ${fmt(f.rssBeforeMiB, 0)}/${fmt(f.rssPeakMiB, 0)}/${fmt(f.rssSettledMiB, 0)} MiB, load ${fmt(f.loadAverage, 1)}`
  );
}

export interface Comparison {
  readonly label: string;
  readonly a: number;
  readonly b: number;
  /** b ÷ a. */
  readonly ratio: number;
}

/** Each metric's mean over each system's rounds, and system b's value divided by system a's. */
export function compare(a: readonly RoundFigures[], b: readonly RoundFigures[]): Comparison[] {
  return METRICS.map((m) => {
    const va = mean(a.map(m.value));
    const vb = mean(b.map(m.value));
    return { label: m.label, a: va, b: vb, ratio: vb / va };
  });
}

/** The table: one row per metric, both systems' means and the ratio (b ÷ a). */
export function table(nameA: string, nameB: string, a: readonly RoundFigures[], b: readonly RoundFigures[]): string[] {
  const ratioHeader = `${nameB} ÷ ${nameA}`;
  const header = `${"".padEnd(28)}${nameA.padStart(14)}${nameB.padStart(14)}${ratioHeader.padStart(28)}`;
  const rows = compare(a, b).map((c, i) => {
    const digits = METRICS[i]!.digits;
    return `${c.label.padEnd(28)}${fmt(c.a, digits).padStart(14)}${fmt(c.b, digits).padStart(14)}${fmt(c.ratio, 2).padStart(28)}`;
  });
  return [header, ...rows];
}

/** Requests per issuance by "verb resource" (refused ones apart), summed over rounds: where each system's requests go. */
export function requestKinds(rounds: readonly RoundFigures[], top = 10): string[] {
  const sum = new Map<string, number>();
  const refused = new Map<string, number>();
  let ready = 0;
  for (const f of rounds) {
    ready += f.ready;
    for (const [kind, count] of Object.entries(f.api.byKind)) sum.set(kind, (sum.get(kind) ?? 0) + count);
    for (const [kind, count] of Object.entries(f.api.refusedByKind)) refused.set(kind, (refused.get(kind) ?? 0) + count);
  }
  const per = (count: number) => (count / Math.max(1, ready)).toFixed(2);
  return [...sum]
    .sort((x, y) => y[1] - x[1])
    .slice(0, top)
    .map(([kind, count]) => `${kind.padEnd(48)} ${per(count).padStart(6)}${refused.has(kind) ? `  (${per(refused.get(kind)!)} refused)` : ""}`);
}
