// Seeded choices for the soak. Each concern (kills, faults, workload…) draws from its own stream, so
// the sequence of choices one makes does not shift when another draws more or less: a seed replays
// the same decisions (their timing still depends on the machine).
import { seededRng } from "../../src/sim/shared/rng.ts";

export class Random {
  readonly #next: () => number;

  constructor(seed: number, stream: string) {
    let h = seed >>> 0;
    for (const c of stream) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    this.#next = seededRng(h);
  }

  float(): number {
    return this.#next();
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.#next();
  }

  int(min: number, maxInclusive: number): number {
    return Math.floor(this.between(min, maxInclusive + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.#next() * items.length)]!;
  }

  /** Weighted pick: [[weight, item], …]; zero weights never win. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((s, [w]) => s + w, 0);
    if (total <= 0) throw new Error("weighted pick with no positive weight");
    let roll = this.#next() * total;
    for (const [w, item] of choices) {
      if ((roll -= w) < 0) return item;
    }
    return choices.at(-1)![1];
  }

  /** Waiting time to the next event of a Poisson process with `perMinute` events a minute. */
  nextGapMs(perMinute: number): number {
    if (perMinute <= 0) return Number.POSITIVE_INFINITY;
    return (-Math.log(1 - this.#next()) / perMinute) * 60_000;
  }
}
