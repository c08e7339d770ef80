// Seeds outside CI's range (found with SIM_BASE/SIM_SCALE in long local runs) whose schedules once
// broke an invariant. Each runs in every CI run, beside its family's range, so a fix cannot quietly
// come undone. Add a row when a long run finds something; the finding itself goes in FINDINGS.md.

export interface RegressionSeed {
  readonly seed: number;
  /** The family, when it is not the one the seed names (a seed found with SIM_BASE ≥ 1,000,000). */
  readonly family?: string;
  /** What the schedule showed, and the commit that fixed it. */
  readonly why: string;
}

export const REGRESSION_SEEDS: readonly RegressionSeed[] = [
  {
    seed: 12_900_487,
    why: "zpa-delete: a restart with a stale cache went on to create a ZPA key after seeing the deletion (fixed in 0aa074b)",
  },
  {
    seed: 2_300_818,
    family: "cloudflare",
    why: "cloudflare: the key Secret deleted after the certificate reached the TLS Secret but before status recorded it; a new key was stored for the revision and the order could never be collected (FINDINGS F4)",
  },
  {
    seed: 6_000_041,
    why: "cloudflare-replace: a replace dropped the first intent's annotation while its order was in flight; the next pass ordered revision 1 again (FINDINGS F5)",
  },
  {
    seed: 7_000_035,
    why: "sectigo-replace: a replace dropped the first intent while its order was in flight; the order was never recorded (FINDINGS F5)",
  },
  {
    seed: 6_300_023,
    why: "cloudflare-replace: the found order's finalizer patch landed, its status write failed, and the next pass took the finalizer as proof nothing was lost (FINDINGS F5)",
  },
  {
    seed: 7_300_151,
    why: "sectigo-replace: as 6300023 (FINDINGS F5)",
  },
  {
    seed: 7_400_025,
    why: "sectigo-replace: a replace, then the names edited: the look-up for the lost first intent searched today's name and spec, missed the earlier order and ordered again (FINDINGS F5; the key Secret's ordered-as annotation)",
  },
  {
    seed: 8_300_336,
    why: "certificate-forgery: a crash with the first order in flight, then the key Secret deleted: the operator's own intent could not prove itself and its order went untracked (FINDINGS F6, the seal)",
  },
];
