// Invariant violations the current code is known to produce, per family, while the helper named
// fixes them (issue 9; details and seeds in FINDINGS.md). The simulation test keeps running these
// families: a violation listed here (same family, same invariant, detail matching) is reported with a
// seed to replay but does not fail the run; any other violation does. An entry that no longer
// reproduces is reported so it can be deleted. SIM_STRICT=1 treats every entry as a failure: what
// the run looks like once this list is empty.
import type { InvariantName } from "./ledger.ts";

export interface KnownProblem {
  readonly families: readonly string[];
  readonly invariant: InvariantName;
  /** Only violations whose detail matches are this problem. */
  readonly detail: RegExp;
  /** Who is fixing it, and which finding it is. */
  readonly owner: string;
  readonly finding: string;
}

/** Empty: every problem found so far is fixed (FINDINGS.md). Add an entry with its owner while one is being fixed. */
export const KNOWN: readonly KnownProblem[] = [];

export function knownProblem(family: string, invariant: InvariantName, detail: string): KnownProblem | undefined {
  if (process.env["SIM_STRICT"] === "1") return undefined;
  return KNOWN.find((k) => k.families.includes(family) && k.invariant === invariant && k.detail.test(detail));
}
