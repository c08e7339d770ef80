// Virtual time. The reconcilers get `now` from the clock (C4); everything else that still reads the
// global Date (libraries, or a reconciler that forgot the injected clock) sees the same virtual time
// while a schedule runs, so a schedule never depends on how fast the machine is. Reads of the global
// clock from controller code are reported (the C4 check). Math.random is replaced by a seeded stream
// per reconcile task (jitter, for one, uses it), so it cannot make a schedule differ between runs.

export const SIM_EPOCH = Date.parse("2030-01-01T00:00:00Z");

export class VirtualClock {
  #now: number;

  constructor(start = SIM_EPOCH) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  date(): Date {
    return new RealDate(this.#now);
  }

  /** Moves forward (never back). */
  advanceTo(at: number): void {
    if (at > this.#now) this.#now = at;
  }

  advanceBy(ms: number): void {
    this.#now += Math.max(0, ms);
  }
}

const RealDate = Date;
const realRandom = Math.random;

export interface VirtualEnvironment {
  readonly clock: VirtualClock;
  /** The random stream for the code running now (per task), or undefined for the global one. */
  readonly random: () => number;
  /** Called when controller code reads the global clock or Math.random (C4 says: injected only). */
  readonly onGlobalRead?: (site: string) => void;
}

/** The reconciler code (C4 names the two under test) that read the global clock itself, or undefined (a library, an injected clock). */
function controllerSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 8;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  // The first frame outside this file and outside libraries is the code that asked for the time.
  for (const line of stack.split("\n").slice(3)) {
    if (/node_modules|node:|<anonymous>|test\/simulation\/clock\.ts/.test(line)) continue;
    return /(src\/controllers\/(?:managedcertificate|ordering|provisioningkey)\/[^\s):]+:\d+)/.exec(line)?.[1];
  }
  return undefined;
}

/** Installs virtual Date and Math.random; returns the function that restores the real ones. */
export function installVirtualEnvironment(env: VirtualEnvironment): () => void {
  const report = env.onGlobalRead;
  const check =
    report === undefined
      ? () => {}
      : () => {
          const site = controllerSite();
          if (site !== undefined) report(site);
        };
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) {
        check();
        super(env.clock.now());
      } else {
        super(...(args as [string | number | Date]));
      }
    }
    static override now(): number {
      check();
      return env.clock.now();
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
  Math.random = () => env.random();
  return () => {
    globalThis.Date = RealDate;
    Math.random = realRandom;
  };
}
