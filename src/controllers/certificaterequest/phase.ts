// Where a CertificateRequest stands in cert-manager's approval and issuance flow, from its conditions
// alone (pure; case table in phase.test.ts). Approval is cert-manager's (its approver, approver-policy,
// or `cmctl approve`); an issuer only reads it, and orders nothing before `Approved` is True.
import { type CertificateRequestStatus, CrConditionType, CrReason, conditionOf } from "./cert-manager.ts";

export type RequestPhase =
  /** Neither approved nor denied yet: nothing to do (cert-manager's approver acts first). */
  | { readonly kind: "awaitingApproval" }
  /** Denied and not yet answered: Ready=False, reason Denied, with a failure time. */
  | { readonly kind: "denied" }
  /** Approved and not finished: this issuer's to order and collect. */
  | { readonly kind: "approved" }
  /** Ready (issued), failed or denied: a one-shot request never changes again. */
  | { readonly kind: "finished"; readonly outcome: "issued" | "failed" | "denied" };

export function phaseOf(status: CertificateRequestStatus | undefined): RequestPhase {
  const ready = conditionOf(status, CrConditionType.Ready);
  if (ready?.status === "True") return { kind: "finished", outcome: "issued" };
  if (ready?.status === "False" && ready.reason === CrReason.Failed) return { kind: "finished", outcome: "failed" };
  if (ready?.status === "False" && ready.reason === CrReason.Denied) return { kind: "finished", outcome: "denied" };
  if (conditionOf(status, CrConditionType.Denied)?.status === "True") return { kind: "denied" };
  if (conditionOf(status, CrConditionType.Approved)?.status === "True") return { kind: "approved" };
  return { kind: "awaitingApproval" };
}
