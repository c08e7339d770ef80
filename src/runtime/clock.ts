// Time as a seam (issue 10): one Clock type for the work queue, events, leader election, resolvers
// and reconcilers, so tests and the simulation decide what "now" is. Timers still come from Node:
// a clock answers "what time is it", never "wake me later" (the queue and loops own their timers).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Milliseconds since the epoch, for arithmetic on deadlines and TTLs. */
export function millisOf(clock: Clock): number {
  return clock.now().getTime();
}

/** A clock from a millisecond source (a vendor's ms-clock, the simulation's virtual time). */
export function clockFromMillis(now: () => number): Clock {
  return { now: () => new Date(now()) };
}

/** A clock that moves only when a test says so (k8s.io/utils clock/testing's FakeClock). */
export class FakeClock implements Clock {
  #ms: number;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === "number" ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Moves forward by `ms` (never back: a negative step is ignored). */
  advance(ms: number): void {
    this.#ms += Math.max(0, ms);
  }

  set(at: Date | number): void {
    this.#ms = typeof at === "number" ? at : at.getTime();
  }
}
