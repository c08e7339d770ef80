// Invariant violations the current code is known to produce, per family, while the helper named
// fixes them (issue 9). The simulation test keeps running these families: a violation listed here is
// reported (with a seed to replay) but does not fail the run; any other violation does. An entry that
// no longer reproduces is reported too, so it can be deleted. SIM_STRICT=1 treats every entry as a
// failure (what the run looks like once this list is empty).
import type { InvariantName } from "./ledger.ts";

export interface KnownProblem {
  readonly family: string;
  readonly invariant: InvariantName;
  /** Who is fixing it, and which finding of issue 9 (or of FINDINGS.md) it is. */
  readonly owner: string;
  readonly finding: string;
}

export const KNOWN: readonly KnownProblem[] = [];

export function isKnown(family: string, invariant: InvariantName): KnownProblem | undefined {
  if (process.env["SIM_STRICT"] === "1") return undefined;
  return KNOWN.find((k) => k.family === family && k.invariant === invariant);
}
