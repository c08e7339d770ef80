import { describe, expect, it } from "vitest";
import type { CertificateObject, Condition, ConnectionObject, KeyObject } from "../objects.ts";
import { rowOf } from "./rows.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const MIN = 60_000;
const DAY = 86_400_000;
const cond = (type: string, status: string, reason: string): Condition => ({
  type,
  status: status as Condition["status"],
  reason,
  message: "",
  lastTransitionTime: at(-MIN),
});

const mc = (status: CertificateObject["status"], meta: Partial<CertificateObject["metadata"]> = {}): CertificateObject => ({
  metadata: { name: "shop", namespace: "web", creationTimestamp: at(-DAY), ...meta },
  spec: { sectigo: {} },
  status,
});

describe("get: the next action", () => {
  const cases = [
    {
      why: "Ready: the renewal",
      o: mc({ conditions: [cond("Ready", "True", "Issued")], renewalTime: at(30 * DAY), notAfter: at(60 * DAY) }),
      next: "renew in 30d",
    },
    {
      why: "pending: the next poll",
      o: mc({
        conditions: [cond("Ready", "False", "Pending")],
        pendingIssuance: { revision: 1, state: "Pending", startedTime: at(-MIN), pollCount: 1, nextPollTime: at(40_000) },
      }),
      next: "poll in 40s",
    },
    {
      why: "an unanswered order: looked up until its settle deadline",
      o: mc({
        conditions: [cond("Ready", "False", "OutcomeUnknown")],
        pendingIssuance: { revision: 1, state: "OutcomeUnknown", startedTime: at(-MIN), pollCount: 0, settleDeadline: at(9 * MIN) },
      }),
      next: "look up until in 9m",
    },
    {
      why: "failed and backing off: the next attempt",
      o: mc({ conditions: [cond("Ready", "False", "Backoff")], failedIssuanceAttempts: 2, lastFailureTime: at(-MIN) }),
      next: "retry in 3m",
    },
    {
      why: "a person must act: the step's first clause",
      o: mc({ conditions: [cond("Ready", "False", "CredentialsInvalid")] }),
      next: "fix the credentials Secret",
    },
    {
      why: "awaiting approval: a person",
      o: mc({ conditions: [cond("Ready", "False", "AwaitingApproval")] }),
      next: "approve it in Sectigo Certificate Manager",
    },
    { why: "no status yet", o: mc(undefined), next: "not reconciled yet" },
    { why: "being deleted", o: mc({ conditions: [cond("Ready", "True", "Issued")] }, { deletionTimestamp: at(-MIN) }), next: "deleting" },
  ];
  it.each(cases)("$why", ({ o, next }) => {
    expect(rowOf("ManagedCertificate", o, NOW).next).toBe(next);
  });

  it("rows carry the vendor, the expiry and the reason for every kind", () => {
    expect(rowOf("ManagedCertificate", mc({ conditions: [cond("Ready", "True", "Issued")], notAfter: at(DAY) }), NOW)).toMatchObject({
      vendor: "sectigo",
      notAfter: at(DAY),
      ready: "True",
      reason: "Issued",
    });
    const pk: KeyObject = { metadata: { name: "k", namespace: "web" }, status: { conditions: [cond("Ready", "False", "UsageExhausted")] } };
    expect(rowOf("ProvisioningKey", pk, NOW)).toMatchObject({
      vendor: "zpa",
      reason: "UsageExhausted",
      next: "raise spec.maxUsage or rotate (spec.rotation + 1)",
    });
    const conn: ConnectionObject = { metadata: { name: "c" }, spec: { cloudflare: {} }, status: { conditions: [cond("Ready", "True", "Verified")] } };
    expect(rowOf("ClusterVendorConnection", conn, NOW)).toMatchObject({ vendor: "cloudflare", next: "-" });
  });
});
