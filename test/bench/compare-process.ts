// A controller process's CPU time and resident memory, read from /proc (Linux), for the side-by-side
// benchmark: the same reading for a Go binary and a Node process, whatever either reports about itself.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU time of `pid` in ms, from the text of /proc/<pid>/stat. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted from the last ")": utime and stime are the
 * 14th and 15th fields, the 12th and 13th after it.
 */
export function cpuMsFromStat(stat: string, ticksPerSecond = TICKS_PER_SECOND): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error("unreadable /proc stat line");
  return (ticks * 1000) / ticksPerSecond;
}

/** Resident set size in MiB, from the text of /proc/<pid>/status (VmRSS, in kB). */
export function rssMiBFromStatus(status: string): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error("no VmRSS in /proc status (process gone?)");
  return Number(kb) / 1024;
}

export async function cpuMs(pid: number): Promise<number> {
  return cpuMsFromStat(await readFile(`/proc/${pid}/stat`, "utf8"));
}

export async function rssMiB(pid: number): Promise<number> {
  return rssMiBFromStatus(await readFile(`/proc/${pid}/status`, "utf8"));
}

export interface ProcessSampler {
  /** The highest RSS seen since start (MiB). */
  peakRssMiB(): number;
  stop(): void;
}

/** Samples RSS every `intervalMs` to catch the peak, which a reading at the end would miss. */
export function sampleRss(pid: number, intervalMs = 250): ProcessSampler {
  let peak = 0;
  const take = () =>
    void rssMiB(pid).then(
      (r) => {
        peak = Math.max(peak, r);
      },
      () => {},
    );
  take();
  const timer = setInterval(take, intervalMs);
  return {
    peakRssMiB: () => peak,
    stop: () => clearInterval(timer),
  };
}
