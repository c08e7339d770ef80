// Leader gaps from what was observed: Lease samples (holder, renewTime) and process lifetimes.
// A replica "holds" the lease at time t when the holder named in the Lease is a process alive at t
// that has itself renewed the Lease (renewTime at or after it started: a restarted process with
// the same identity holds nothing until it renews) and the Lease has not expired. A gap is time
// with no holder while at least one replica is alive; time the API server is unreachable (no
// sample could be read) is not counted, because nobody can hold a Lease then.
import type { Incarnation } from "./replicas.ts";

export interface LeaseSample {
  readonly at: number;
  /** false when the Lease could not be read (API server down or slow). */
  readonly ok: boolean;
  readonly holder?: string;
  readonly renewTimeMs?: number;
  readonly durationMs?: number;
}

export interface LeaderGap {
  readonly from: number;
  readonly to: number;
  /** Leaderless time within [from, to], API-unreachable time excluded. */
  readonly ms: number;
  /**
   * Time from the last disturbance inside the gap (a kill, a replica starting, the API server coming
   * back) to its end: how long election took once the chaos let it. A fresh candidate must see a
   * Lease unrenewed for a full lease duration (10 s) before it may take it, so a standby restarted
   * in the middle of a gap starts that wait again; this is the figure bounded by 20 s.
   */
  readonly settleMs: number;
}

export interface LeaderAnalysis {
  readonly gaps: LeaderGap[];
  readonly maxGapMs: number;
  readonly maxSettleMs: number;
  /** Holder changes between different identities. */
  readonly leaderChanges: number;
  /** Holder changes from one replica slot to another (a standby took over). */
  readonly failovers: number;
}

export function holderAt(sample: LeaseSample, incarnations: readonly Incarnation[]): Incarnation | undefined {
  if (!sample.ok || !sample.holder || sample.renewTimeMs === undefined) return undefined;
  if (sample.at >= sample.renewTimeMs + (sample.durationMs ?? 15_000)) return undefined;
  return incarnations.find(
    (i) => i.identity === sample.holder && i.startedAt <= sample.at && (i.endedAt === undefined || i.endedAt > sample.at) && sample.renewTimeMs! >= i.startedAt,
  );
}

const anyAlive = (at: number, incarnations: readonly Incarnation[]) =>
  incarnations.some((i) => i.startedAt <= at && (i.endedAt === undefined || i.endedAt > at));

export function analyseLeadership(
  samples: readonly LeaseSample[],
  incarnations: readonly Incarnation[],
  slotOf: (identity: string) => string | undefined,
  /** Times of kills and process starts (API server recoveries are read from the samples). */
  disturbances: readonly number[] = [],
): LeaderAnalysis {
  // The API server coming back counts from the first readable sample after unreadable ones (the
  // chaos loop learns of it later, when its own readiness probe passes).
  const recoveries = samples.filter((x, i) => x.ok && i > 0 && !samples[i - 1]!.ok).map((x) => x.at);
  const sorted = [...disturbances, ...recoveries].sort((a, b) => a - b);
  const settle = (from: number, to: number) => {
    let last = from;
    for (const d of sorted) if (d > last && d <= to) last = d;
    return to - last;
  };
  const gaps: LeaderGap[] = [];
  let open: { from: number; ms: number } | undefined;
  let lastHolder: string | undefined;
  let leaderChanges = 0;
  let failovers = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const next = samples[i + 1];
    const span = next === undefined ? 0 : next.at - s.at;
    if (!s.ok) continue; // API unreachable: neither leaderless time nor the end of a gap
    if (s.holder && s.holder !== lastHolder) {
      if (lastHolder !== undefined) {
        leaderChanges += 1;
        const from = slotOf(lastHolder);
        const to = slotOf(s.holder);
        if (from !== undefined && to !== undefined && from !== to) failovers += 1;
      }
      lastHolder = s.holder;
    }
    const held = holderAt(s, incarnations) !== undefined;
    if (held) {
      if (open !== undefined) gaps.push({ from: open.from, to: s.at, ms: open.ms, settleMs: settle(open.from, s.at) });
      open = undefined;
      continue;
    }
    if (!anyAlive(s.at, incarnations)) continue;
    open ??= { from: s.at, ms: 0 };
    open.ms += span;
  }
  if (open !== undefined) {
    const to = samples.at(-1)?.at ?? open.from;
    gaps.push({ from: open.from, to, ms: open.ms, settleMs: settle(open.from, to) });
  }
  return {
    gaps,
    maxGapMs: gaps.reduce((m, g) => Math.max(m, g.ms), 0),
    maxSettleMs: gaps.reduce((m, g) => Math.max(m, g.settleMs), 0),
    leaderChanges,
    failovers,
  };
}
