import { describe, expect, it } from "vitest";
import { annotations, labels } from "../../../api/v1alpha1/labels.ts";
import { contentHash } from "../../../controllers/shared/owned-secret.ts";
import type { CertificateObject, Condition, ConnectionObject, KeyObject } from "../objects.ts";
import { budgetView, buildReport, secretView } from "./build.ts";
import type { Gathered, SecretFacts } from "./gather.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;

const cond = (type: string, status: string, reason: string, message = `${reason}.`): Condition => ({
  type,
  status: status as Condition["status"],
  reason,
  message,
  lastTransitionTime: ago(5 * MIN),
});

function mc(status: CertificateObject["status"] = {}, meta: Partial<CertificateObject["metadata"]> = {}): CertificateObject {
  return {
    metadata: { name: "shop", namespace: "web", uid: "uid-1", generation: 1, ...meta },
    spec: { connectionRef: { name: "scm" }, secretName: "shop-tls", sectigo: {} },
    status: { observedGeneration: 1, ...status },
  };
}

const readyConnection: ConnectionObject = {
  metadata: { name: "scm", namespace: "web" },
  spec: { sectigo: {} },
  status: { conditions: [cond("Ready", "True", "Verified")] },
};

function gathered(object: CertificateObject | KeyObject, extra: Partial<Gathered> = {}): Gathered {
  return {
    kind: "spec" in object && object.spec && "sectigo" in object.spec ? "ManagedCertificate" : "ProvisioningKey",
    object,
    connection: { kind: "VendorConnection", name: "scm", namespace: "web", object: readyConnection },
    events: [],
    ...extra,
  };
}

describe("status: the next step", () => {
  const cases = [
    { why: "Ready: nothing to do", o: mc({ conditions: [cond("Ready", "True", "Issued")] }), step: undefined },
    { why: "no status yet: is the operator running?", o: mc({}), step: /the operator has not reported on this resource yet/ },
    {
      why: "Ready=False by its reason, in the README's words",
      o: mc({ conditions: [cond("Ready", "False", "SecretConflict")] }),
      step: /^choose another `secretName`/,
    },
    { why: "pending: only waiting", o: mc({ conditions: [cond("Ready", "False", "Pending")] }), step: /^wait; polled on a doubling backoff/, waits: true },
    {
      why: "a renewal that waits for a person while the certificate is still valid",
      o: mc({ conditions: [cond("Ready", "True", "Issued"), cond("Issuing", "True", "AwaitingApproval")] }),
      step: /^approve it in Sectigo Certificate Manager/,
    },
    {
      why: "a renewal in progress needs nobody",
      o: mc({ conditions: [cond("Ready", "True", "Issued"), cond("Issuing", "True", "Renewing")] }),
      step: undefined,
    },
    {
      why: "a failed publication on a Ready certificate",
      o: mc({ conditions: [cond("Ready", "True", "Issued"), cond("Published", "False", "PublishFailed")] }),
      step: /^on `PublishFailed`/,
    },
    { why: "being deleted", o: mc({ conditions: [cond("Ready", "True", "Issued")] }, { deletionTimestamp: ago(MIN) }), step: /^restore the connection/ },
    {
      why: "a spec not acted on yet",
      o: mc({ conditions: [cond("Ready", "True", "Issued")] }, { generation: 2 }),
      step: /generation 2, observed 1/,
      waits: true,
    },
    {
      why: "a reason the table does not list points at the message",
      o: mc({ conditions: [cond("Ready", "False", "SomethingNew")] }),
      step: /read the Ready message above \(reason SomethingNew\)/,
    },
  ];
  it.each(cases)("$why", ({ o, step, waits }) => {
    const r = buildReport(gathered(o), NOW);
    if (step === undefined) expect(r.nextStep).toBeUndefined();
    else {
      expect(r.nextStep?.todo).toMatch(step);
      expect(r.nextStep?.waitsOnly).toBe(waits === true);
    }
  });

  it("a Ready resource whose connection lost its credentials says so, in the connection's row", () => {
    const broken: ConnectionObject = { ...readyConnection, status: { conditions: [cond("Ready", "False", "CredentialsInvalid")] } };
    const r = buildReport(
      gathered(mc({ conditions: [cond("Ready", "True", "Issued")] }), {
        connection: { kind: "VendorConnection", name: "scm", namespace: "web", object: broken },
      }),
      NOW,
    );
    expect(r.nextStep).toMatchObject({
      about: "VendorConnection scm",
      reason: "CredentialsInvalid",
      todo: expect.stringMatching(/^fix the credentials Secret/),
    });
  });

  it("a missing connection is ConnectionNotFound's step", () => {
    const r = buildReport(
      gathered(mc({ conditions: [cond("Ready", "True", "Issued")] }), { connection: { kind: "VendorConnection", name: "scm", namespace: "web" } }),
      NOW,
    );
    expect(r.connection?.found).toBe(false);
    expect(r.nextStep?.todo).toBe("create it or fix `connectionRef`");
  });
});

describe("status: facts", () => {
  const data = { "tls.crt": "Y2VydA==", "tls.key": "a2V5" };
  const facts = (l: Record<string, string>, a: Record<string, string> = {}): SecretFacts => ({
    name: "shop-tls",
    namespace: "web",
    present: true,
    labels: l,
    annotations: a,
    dataKeys: Object.keys(data),
    computedHash: contentHash(data),
  });
  const owned = { [labels.managed]: "true", [labels.ownerKind]: "ManagedCertificate", [labels.ownerName]: "shop" };
  const owners = [
    { why: "our labels and our UID", l: { ...owned, [labels.ownerUid]: "uid-1" }, owner: "this" },
    { why: "our name, another UID: an earlier incarnation", l: { ...owned, [labels.ownerUid]: "uid-0" }, owner: "previous" },
    { why: "another certbridge resource", l: { ...owned, [labels.ownerName]: "other", [labels.ownerUid]: "uid-2" }, owner: "other" },
    { why: "no owner labels: foreign", l: {}, owner: "foreign" },
  ];
  it.each(owners)("a Secret's owner: $why", ({ l, owner }) => {
    expect(secretView(facts(l), { kind: "ManagedCertificate", name: "shop", uid: "uid-1" }).owner).toBe(owner);
  });

  it("the content hash is checked against the data", () => {
    const good = secretView(facts(owned, { [annotations.contentHash]: contentHash(data) }), { kind: "ManagedCertificate", name: "shop" });
    const edited = secretView(facts(owned, { [annotations.contentHash]: contentHash({ ...data, "tls.key": "b3RoZXI=" }) }), {
      kind: "ManagedCertificate",
      name: "shop",
    });
    expect([good.hashMatches, edited.hashMatches]).toEqual([true, false]);
  });

  it("the budget: the connection's limit, the in-flight orders placed within the hour, who reports it spent", () => {
    const peers = [
      mc({ pendingIssuance: { revision: 2, state: "Pending", startedTime: ago(10 * MIN), submittedTime: ago(10 * MIN), submits: 2, pollCount: 1 } }),
      mc({ pendingIssuance: { revision: 1, state: "Pending", startedTime: ago(90 * MIN), submittedTime: ago(90 * MIN), submits: 1, pollCount: 9 } }),
      mc({ conditions: [cond("Ready", "False", "BudgetExhausted")] }, { name: "loop" }),
    ];
    const withLimit: ConnectionObject = { ...readyConnection, spec: { sectigo: {}, issuanceBudget: { maxPerHour: 5 } } };
    expect(budgetView(withLimit, peers, NOW)).toEqual({ perHour: 5, fromSpec: true, placedWithinHour: 2, exhaustedOn: ["web/loop"] });
    expect(budgetView(readyConnection, undefined, NOW)).toEqual({ perHour: 100, fromSpec: false, exhaustedOn: [] });
  });

  it("the failure backoff says when the next attempt is (2 min after the first failure)", () => {
    const r = buildReport(
      gathered(mc({ failedIssuanceAttempts: 1, lastFailureTime: ago(MIN), lastFailureMessage: "refused", conditions: [cond("Ready", "False", "Backoff")] })),
      NOW,
    );
    expect(r.backoff).toEqual({
      failedAttempts: 1,
      lastFailureTime: ago(MIN),
      lastFailureMessage: "refused",
      nextAttemptTime: new Date(NOW.getTime() + MIN).toISOString(),
    });
  });
});
