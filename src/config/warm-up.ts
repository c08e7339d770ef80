// Whether the vendor rate limiters of a starting operator warm up (spend a quarter of each budget
// in its first window). Vendors count requests per credential over windows of up to 5 minutes
// (Cloudflare); a process that starts right after another one stopped must not spend a second full
// budget on top of its predecessor's. A fresh install or a start long after the last leader has
// nobody to share the window with, and warming up would only slow its first burst.

/** The longest vendor rate window (Cloudflare: 1,200 requests per 5 minutes). */
export const LONGEST_VENDOR_WINDOW_MS = 5 * 60_000;

export type WarmUpPolicy = "auto" | "always" | "never";

export interface WarmUpFacts {
  readonly policy: WarmUpPolicy;
  readonly leaderElect: boolean;
  /** The leader Lease's last renewTime (epoch ms); null when there is no Lease yet. */
  readonly leaseRenewedAt: number | null;
  readonly now: number;
}

export function shouldWarmUp(f: WarmUpFacts): boolean {
  if (f.policy !== "auto") return f.policy === "always";
  // Without leader election nothing records whether another process was just running: assume one was.
  if (!f.leaderElect) return true;
  if (f.leaseRenewedAt === null) return false;
  return f.now - f.leaseRenewedAt < LONGEST_VENDOR_WINDOW_MS;
}
