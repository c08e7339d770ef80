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

export interface Deadline {
  readonly signal: AbortSignal;
  /** Clears the timer and the link to the parent: call when the work is over, whatever its outcome. */
  dispose(): void;
}

/**
 * A signal that aborts when `parent` does or after `ms` (with a TimeoutError), released by `dispose`.
 * AbortSignal.any + AbortSignal.timeout would do the same, but leave a live timer for the whole timeout
 * and a dependant on the parent until GC: per request and per reconcile, a burst of 10,000 resources
 * piles up tens of thousands of both.
 */
export function deadline(parent: AbortSignal | undefined, ms: number | undefined, what = "operation"): Deadline {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  const timer =
    ms === undefined || ms <= 0
      ? undefined
      : setTimeout(() => controller.abort(new DOMException(`${what} timed out after ${ms} ms`, "TimeoutError")), clampDelay(ms));
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}
