/**
 * Node turns a setTimeout longer than 2^31-1 ms (~24.8 days) into 1 ms. Every planned wake-up
 * (renewal in 90 days, say) goes through this clamp; the resync after the clamp re-plans it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function clampDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  return Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

/** Full jitter in [ms * (1 - fraction), ms], so that many keys planned together spread out. */
export function jitter(ms: number, fraction = 0.2, random: () => number = Math.random): number {
  return ms - ms * fraction * random();
}

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Exponential backoff: base * 2^failures, capped. `failures` counts earlier failures (0 = first retry). */
export function backoffDelay(b: Backoff, failures: number): number {
  const exp = Math.min(failures, 52);
  return Math.min(b.maxMs, b.baseMs * 2 ** exp);
}

/** Waits `ms`, or less if the signal aborts first; never rejects (loops check the signal themselves). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, clampDelay(ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
