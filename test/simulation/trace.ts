// The schedule trace: one line per decision (which await was let through and how, which background
// event ran, which user action happened), stamped with virtual time. Replaying a seed prints it.

export class Trace {
  readonly #lines: string[] = [];
  readonly #start: number;
  readonly #keep: number;
  #dropped = 0;

  /** `keep`: how many of the latest lines to hold (a full replay keeps all). */
  constructor(start: number, keep = Infinity) {
    this.#start = start;
    this.#keep = keep;
  }

  add(at: number, line: string): void {
    this.#lines.push(`${((at - this.#start) / 1000).toFixed(3).padStart(10)}s  ${line}`);
    if (this.#lines.length > this.#keep * 2) {
      this.#dropped += this.#lines.length - this.#keep;
      this.#lines.splice(0, this.#lines.length - this.#keep);
    }
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  get length(): number {
    return this.#lines.length + this.#dropped;
  }

  toString(): string {
    return (this.#dropped > 0 ? `  … ${this.#dropped} earlier lines …\n` : "") + this.#lines.join("\n");
  }
}
