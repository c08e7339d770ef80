// Time as a seam: limiters and retry loops take a Clock so tests can control time.

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// Node turns a timer longer than 2^31-1 ms into 1 ms; clamp so a long sleep stays long.
const MAX_TIMER_MS = 2_147_483_647;

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const wait = Math.min(Math.max(0, ms), MAX_TIMER_MS);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, wait);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
