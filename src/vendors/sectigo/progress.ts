// Where an order stands, from its status text, in the operator's terms (DIGEST §3.7/§3.8):
// issued → collect; pending → poll again; blocked → a person must act (approve, complete DCV);
// failed → this order will never issue (enroll again). Status spellings differ per family and
// endpoint, so everything is compared case-insensitively.
import { isVendorError, VendorError } from "../shared/errors.ts";
import type { CollectedCertificate } from "./collect.ts";

export type OrderProgress =
  | { readonly state: "issued" }
  | { readonly state: "pending"; readonly reason: string }
  | { readonly state: "blocked"; readonly reason: string }
  | { readonly state: "failed"; readonly reason: string };

const SSL: Record<string, OrderProgress> = {
  issued: { state: "issued" },
  requested: { state: "blocked", reason: "awaiting approval in SCM" },
  approved: { state: "pending", reason: "approved, not yet sent to the CA" },
  saapproved: { state: "pending", reason: "approved, not yet sent to the CA" },
  "sa approved": { state: "pending", reason: "approved, not yet sent to the CA" },
  init: { state: "pending", reason: "being initialised" },
  applied: { state: "pending", reason: "submitted to the CA" },
  declined: { state: "failed", reason: "declined by an SCM approver" },
  rejected: { state: "failed", reason: "rejected by the CA" },
  invalid: { state: "failed", reason: "SCM marked the request invalid" },
  revoked: { state: "failed", reason: "revoked" },
  expired: { state: "failed", reason: "expired" },
  replaced: { state: "failed", reason: "replaced by another certificate" },
  unmanaged: { state: "failed", reason: "unmanaged in SCM" },
};

const CLIENT: Record<string, OrderProgress> = {
  issued: { state: "issued" },
  downloaded: { state: "issued" },
  blank: { state: "pending", reason: "created, not yet requested" },
  created: { state: "pending", reason: "created, not yet requested" },
  requested: { state: "pending", reason: "submitted to the CA" },
  rejected: { state: "failed", reason: "rejected by the CA" },
  revoked: { state: "failed", reason: "revoked" },
  pre_revoked: { state: "failed", reason: "being revoked" },
  expired: { state: "failed", reason: "expired" },
};

const DEVICE: Record<string, OrderProgress> = {
  issued: { state: "issued" },
  downloaded: { state: "issued" },
  requested: { state: "blocked", reason: "awaiting approval in SCM" },
  awaiting_approval: { state: "blocked", reason: "awaiting approval in SCM" },
  approved: { state: "pending", reason: "approved, not yet issued" },
  applied: { state: "pending", reason: "submitted to the CA" },
  declined: { state: "failed", reason: "declined by an SCM approver" },
  rejected: { state: "failed", reason: "rejected by the CA" },
  revoked: { state: "failed", reason: "revoked" },
  expired: { state: "failed", reason: "expired" },
};

const TABLES = { ssl: SSL, smime: CLIENT, device: DEVICE } as const;

/** Progress of an order from its status text; an unknown status is "pending" (never a silent failure). */
export function progressOf(family: "ssl" | "smime" | "device", status: string): OrderProgress {
  return TABLES[family][status.trim().toLowerCase()] ?? { state: "pending", reason: `unrecognised status "${status.slice(0, 40)}"` };
}

export type PollOutcome =
  | { readonly state: "issued"; readonly certificate: CollectedCertificate }
  | { readonly state: "pending" | "blocked"; readonly reason: string; readonly status: string | undefined };

export interface PollSteps {
  readonly collect: () => Promise<CollectedCertificate>;
  readonly status: () => Promise<string>;
  /** Names still waiting for DCV (SSL only). */
  readonly dcvPending?: () => Promise<readonly string[]>;
}

/**
 * One poll, safe to repeat: collect; if SCM says "not yet", read the status to tell pending from
 * blocked-on-a-person, and throw a permanent VendorError when the order can never issue.
 */
export async function pollOnce(family: "ssl" | "smime" | "device", operation: string, steps: PollSteps): Promise<PollOutcome> {
  try {
    return { state: "issued", certificate: await steps.collect() };
  } catch (e) {
    if (!isVendorError(e) || e.kind !== "pending") throw e;
  }
  const status = await steps.status();
  const p = progressOf(family, status);
  switch (p.state) {
    case "failed":
      throw new VendorError({ kind: "permanent", vendor: "sectigo", operation, message: `order cannot issue: ${p.reason} (status ${status.slice(0, 40)})` });
    case "blocked":
      return { state: "blocked", reason: p.reason, status };
    case "issued":
      // Issued between our two calls: the next poll collects it.
      return { state: "pending", reason: "issued; collect again", status };
    case "pending": {
      const dcv = steps.dcvPending === undefined ? [] : await steps.dcvPending();
      if (dcv.length > 0) return { state: "blocked", reason: `domain control validation pending for ${dcv.slice(0, 5).join(", ")}`, status };
      return { state: "pending", reason: p.reason, status };
    }
  }
}
