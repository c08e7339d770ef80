import { describe, expect, test } from "vitest";
import type { ProvisioningKey } from "../../api/v1alpha1/index.ts";
import { ClaimIndex, claimantFromRaw, claimantOf, claimLostMessage, idClaim, verdictOf, type Claimant } from "./claims.ts";

const TENANT = "zpa-customer:1";

function pk(
  over: {
    ns?: string;
    name?: string;
    uid?: string;
    created?: string;
    policy?: "Manage" | "ObserveOnly";
    type?: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP";
    status?: ProvisioningKey["status"];
  } = {},
): Pick<ProvisioningKey, "metadata" | "spec" | "status"> {
  return {
    metadata: {
      namespace: over.ns ?? "a",
      name: over.name ?? "k",
      uid: over.uid ?? `${over.ns ?? "a"}-${over.name ?? "k"}`,
      creationTimestamp: over.created ?? "2030-01-01T00:00:00Z",
    },
    spec: { associationType: over.type ?? "CONNECTOR_GRP", managementPolicy: over.policy ?? "Manage" } as ProvisioningKey["spec"],
    status: over.status,
  };
}

const refusedBy = (reason: string) => ({ type: "Ready", status: "False" as const, reason, message: "refused", lastTransitionTime: "2030-01-01T00:00:00Z" });
const claimant = (o: Parameters<typeof pk>[0] & { keyName?: string; tenant?: string } = {}): Claimant =>
  claimantOf(pk(o), o.tenant ?? TENANT, o.keyName ?? "edge");

function judge(candidate: Claimant, others: Claimant[]) {
  const index = new ClaimIndex();
  for (const c of [candidate, ...others]) index.update(c.key, c);
  return verdictOf(candidate, candidate.claims, (id) => index.claimants(id));
}

describe("claimantOf", () => {
  test("a new resource claims its name only, not established", () => {
    expect(claimant().claims.map((c) => [c.kind, c.label, c.established])).toEqual([["name", "edge", false]]);
  });
  test("blanks at either end do not make a different claim", () => {
    expect(claimant({ keyName: "  edge\u00a0" }).claims[0]!.id).toBe(claimant({ keyName: "edge" }).claims[0]!.id);
  });
  test("a recorded key: name (established), the recorded name if it differs, and the id", () => {
    const c = claimant({ keyName: "new-name", status: { id: "9", name: "old-name" } });
    expect(c.claims.map((x) => [x.kind, x.label, x.established])).toEqual([
      ["name", "new-name", false],
      ["name", "old-name", true],
      ["id", "9", true],
    ]);
  });
  test("a create intent establishes the name claim before the key exists", () => {
    const c = claimant({ status: { createIntent: { name: "edge", since: "2030-01-01T00:00:00Z" } } });
    expect(c.claims).toEqual([expect.objectContaining({ kind: "name", established: true })]);
  });
  test("claims are per tenant and association type", () => {
    const a = claimant().claims[0]!.id;
    expect(claimant({ tenant: "zpa-customer:2" }).claims[0]!.id).not.toBe(a);
    expect(claimant({ type: "SERVICE_EDGE_GRP" }).claims[0]!.id).not.toBe(a);
  });
  test("from a raw cached object: spec.name, else the default name", () => {
    const raw = {
      metadata: { namespace: "team", name: "x", uid: "u" },
      spec: { connectionRef: { kind: "ClusterVendorConnection", name: "shared" }, associationType: "CONNECTOR_GRP" },
    };
    const seen: string[] = [];
    const c = claimantFromRaw(raw, (ref, ns) => (seen.push(`${ref.kind}/${ns}/${ref.name}`), TENANT));
    expect(c.claims[0]!.label).toBe("certbridge.team.x");
    expect(seen).toEqual(["ClusterVendorConnection/team/shared"]);
    expect(claimantFromRaw({ ...raw, spec: { ...raw.spec, name: "edge" } }, () => TENANT).claims[0]!.label).toBe("edge");
  });
});

describe("who holds a key", () => {
  const cases: Array<{ reason: string; me: Claimant; other: Claimant; held: boolean }> = [
    { reason: "nobody else claims it", me: claimant(), other: claimant({ ns: "b", keyName: "other" }), held: true },
    {
      reason: "an older resource in another namespace holds it first",
      me: claimant({ created: "2030-01-02T00:00:00Z" }),
      other: claimant({ ns: "b" }),
      held: false,
    },
    { reason: "a younger one does not", me: claimant(), other: claimant({ ns: "b", created: "2030-01-02T00:00:00Z" }), held: true },
    { reason: "same age: the lower uid, everywhere the same answer", me: claimant({ uid: "b" }), other: claimant({ ns: "b", uid: "a" }), held: false },
    {
      reason: "a recorded key beats an older resource that only names it (a spec edit cannot take a key)",
      me: claimant({ created: "2030-02-01T00:00:00Z", status: { id: "9", name: "edge" } }),
      other: claimant({ ns: "b" }),
      held: true,
    },
    {
      reason: "…and a create intent counts as recorded",
      me: claimant({ created: "2030-02-01T00:00:00Z", status: { createIntent: { name: "edge", since: "2030-02-01T00:00:00Z" } } }),
      other: claimant({ ns: "b" }),
      held: true,
    },
    {
      reason: "Manage beats an older ObserveOnly on a key neither recorded",
      me: claimant({ created: "2030-02-01T00:00:00Z" }),
      other: claimant({ ns: "b", policy: "ObserveOnly" }),
      held: true,
    },
    {
      reason: "two that recorded one id (before claims existed): Manage keeps it",
      me: claimant({ policy: "ObserveOnly", status: { id: "9" } }),
      other: claimant({ ns: "b", keyName: "x", created: "2030-03-01T00:00:00Z", status: { id: "9" } }),
      held: false,
    },
    {
      reason: "the same key id through another tenant is another key",
      me: claimant({ status: { id: "9" } }),
      other: claimant({ ns: "b", keyName: "x", tenant: "zpa-customer:2", status: { id: "9" } }),
      held: true,
    },
    {
      reason: "an older resource already refused (AdoptionNotAllowed) does not block one that may adopt",
      me: claimant({ created: "2030-02-01T00:00:00Z" }),
      other: claimant({ ns: "b", status: { conditions: [refusedBy("AdoptionNotAllowed")] } }),
      held: true,
    },
    {
      reason: "…but a refused resource keeps a key it recorded",
      me: claimant(),
      other: claimant({ ns: "b", created: "2030-02-01T00:00:00Z", status: { id: "1", name: "edge", conditions: [refusedBy("KeyClaimed")] } }),
      held: false,
    },
    { reason: "the same resource seen twice is not a rival", me: claimant(), other: claimant({ created: "2029-01-01T00:00:00Z" }), held: true },
  ];
  test.each(cases)("$reason", ({ me, other, held }) => {
    expect(judge(me, [other]).held).toBe(held);
    // Exactly one of two rivals holds a shared claim.
    if (me.key !== other.key && me.claims.some((c) => other.claims.some((o) => o.id === c.id))) {
      expect(judge(other, [me]).held).toBe(!held);
    }
  });

  test("a key found by name that another resource recorded is theirs (id claim)", () => {
    const holder = claimant({ ns: "b", keyName: "renamed", status: { id: "42", name: "renamed" } });
    const me = claimant({ keyName: "edge" });
    const claim = idClaim(me, "42")!;
    const index = new ClaimIndex();
    index.update(holder.key, holder);
    expect(verdictOf(me, [claim], (id) => index.claimants(id)).held).toBe(false);
  });
});

describe("claimLostMessage", () => {
  test("names a holder in the same namespace, never one in another", () => {
    const lost = judge(claimant({ created: "2030-02-01T00:00:00Z" }), [claimant({ ns: "secret-team", name: "theirs" })]);
    if (lost.held) throw new Error("expected a lost claim");
    const msg = claimLostMessage(lost, "a");
    expect(msg).toContain("another namespace");
    expect(msg).not.toContain("secret-team");
    expect(msg).not.toContain("theirs");
    const sameNs = judge(claimant({ name: "mine", created: "2030-02-01T00:00:00Z" }), [claimant({ name: "first" })]);
    if (sameNs.held) throw new Error("expected a lost claim");
    expect(claimLostMessage(sameNs, "a")).toContain("ProvisioningKey first in this namespace");
  });
});

describe("ClaimIndex", () => {
  test("reports who shares a claim when a resource changes or goes, and nobody when nothing changed", () => {
    const index = new ClaimIndex();
    const a = claimant();
    const b = claimant({ ns: "b" });
    const c = claimant({ ns: "c", keyName: "unrelated" });
    index.update(a.key, a);
    index.update(c.key, c);
    expect([...index.update(b.key, b)]).toEqual([a.key]);
    expect([...index.update(b.key, claimant({ ns: "b" }))], "same claims (a status write): no wake-ups").toEqual([]);
    expect([...index.update(a.key, claimant({ status: { id: "1", name: "edge" } }))], "a now established: b's verdict may change").toEqual([b.key]);
    expect([...index.update(a.key, undefined)]).toEqual([b.key]);
    expect([...index.claimants(b.claims[0]!.id)].map((x) => x.key)).toEqual([b.key]);
    expect(index.size).toBe(2);
  });
});
