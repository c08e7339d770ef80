import { describe, expect, it } from "vitest";
import type { CertificateRequestStatus } from "./cert-manager.ts";
import { type RequestPhase, phaseOf } from "./phase.ts";

const at = "2026-12-01T00:00:00Z";
const cond = (type: string, status: "True" | "False" | "Unknown", reason = "R") => ({ type, status, reason, message: "", lastTransitionTime: at });

describe("phaseOf", () => {
  it.each<{ reason: string; status: CertificateRequestStatus | undefined; want: RequestPhase }>([
    { reason: "a new request has no conditions: wait for the approver", status: undefined, want: { kind: "awaitingApproval" } },
    {
      reason: "approval is cert-manager's: Approved=False is not approval",
      status: { conditions: [cond("Approved", "False")] },
      want: { kind: "awaitingApproval" },
    },
    { reason: "Approved=True: ours to order", status: { conditions: [cond("Approved", "True", "cert-manager.io")] }, want: { kind: "approved" } },
    {
      reason: "our own Pending note does not end it",
      status: { conditions: [cond("Approved", "True"), cond("Ready", "False", "Pending")] },
      want: { kind: "approved" },
    },
    { reason: "Denied=True: answered with Ready=False/Denied", status: { conditions: [cond("Denied", "True")] }, want: { kind: "denied" } },
    {
      reason: "denied and already answered: nothing more",
      status: { conditions: [cond("Denied", "True"), cond("Ready", "False", "Denied")] },
      want: { kind: "finished", outcome: "denied" },
    },
    {
      reason: "Ready=True is the end of a one-shot request",
      status: { conditions: [cond("Approved", "True"), cond("Ready", "True", "Issued")] },
      want: { kind: "finished", outcome: "issued" },
    },
    {
      reason: "Failed is final: cert-manager makes the next request after its backoff",
      status: { conditions: [cond("Approved", "True"), cond("Ready", "False", "Failed")] },
      want: { kind: "finished", outcome: "failed" },
    },
    {
      reason: "a request some other issuer already finished is finished for us too",
      status: { conditions: [cond("Ready", "True", "Issued")] },
      want: { kind: "finished", outcome: "issued" },
    },
  ])("$reason", ({ status, want }) => {
    expect(phaseOf(status)).toEqual(want);
  });
});
