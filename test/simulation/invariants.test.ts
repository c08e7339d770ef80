// The invariants catch what they claim: each row builds an end state by hand (no schedule, no
// reconciler) and says which invariant must flag it, or that none may.
import { describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { checkInvariants } from "./invariants.ts";
import { Invariant, type InvariantName } from "./ledger.ts";
import { Rng } from "./rng.ts";
import type { OrderRecord } from "./vendors/certificates.ts";
import { USER, World } from "./world.ts";

const NS = "team-a";
const spec = (extra: Record<string, unknown> = {}) => ({
  secretName: "web-tls",
  commonName: "web.example.com",
  dnsNames: ["web.example.com"],
  revocationPolicy: { onDelete: "Retain", superseded: "Retain" },
  ...extra,
});
const ready = (status: "True" | "False", reason = status === "True" ? "Issued" : "Pending") => [
  { type: "Ready", status, reason, message: "m", observedGeneration: 1 },
];

function world(): World {
  const w = new World(new Rng(1), 10);
  w.model.create(core.namespaces, { metadata: { name: NS } }, USER, "kubectl");
  return w;
}

function certificate(w: World, extra: { spec?: Record<string, unknown>; status?: Record<string, unknown> } = {}): KubeObject {
  const o = w.model.create(
    resourceTypes.managedCertificates,
    { metadata: { name: "web", namespace: NS }, spec: spec(extra.spec) } as KubeObject,
    USER,
    "kubectl",
  );
  if (extra.status)
    w.model.apply(
      resourceTypes.managedCertificates,
      { metadata: { name: "web", namespace: NS }, status: extra.status } as KubeObject,
      "status",
      USER,
      "certbridge",
    );
  return o;
}

function order(w: World, uid: string, ref: string, over: Partial<OrderRecord> = {}): void {
  w.certificates.inject({
    ref,
    vendor: "cloudflare",
    tenant: "t",
    owner: { uid, namespace: NS, name: "web", revision: 1 },
    actor: { namespace: NS, key: `${NS}/web` },
    csrPem: "",
    commonName: "web.example.com",
    dnsNames: ["web.example.com"],
    validityDays: 30,
    sentAt: w.clock.now(),
    committedAt: w.clock.now(),
    state: "issued",
    ...over,
  });
}

const cases: Array<{ name: string; build: (w: World) => void; flags: InvariantName[]; reason: string }> = [
  {
    name: "nothing at all",
    flags: [],
    reason: "an empty cluster breaks nothing",
    build: () => {},
  },
  {
    name: "two live orders for one revision",
    flags: [Invariant.OneOrderPerRevision, Invariant.NoUntrackedVendorObject, Invariant.Converges],
    reason: "the second order is paid for twice and tracked by nobody (and the resource is not Ready)",
    build: (w) => {
      const o = certificate(w, { status: { conditions: ready("False") } });
      order(w, o.metadata.uid!, "cf-1");
      order(w, o.metadata.uid!, "cf-2");
    },
  },
  {
    name: "an extra order that ended revoked",
    flags: [Invariant.Converges],
    reason: "a revoked extra is what a sweep leaves behind: allowed (the resource is simply not Ready here)",
    build: (w) => {
      const o = certificate(w, { status: { conditions: ready("False") } });
      order(w, o.metadata.uid!, "cf-1", { state: "revoked" });
    },
  },
  {
    name: "a pending order of a deleted resource",
    flags: [Invariant.NoUntrackedVendorObject],
    reason: "someone could approve and pay for it later",
    build: (w) => order(w, "uid-gone", "ssl:1", { state: "awaiting-approval", vendor: "sectigo" }),
  },
  {
    name: "a Ready resource naming an order of another revision's spec",
    flags: [Invariant.SecretMatchesVendor],
    reason: "issue 9 finding 3: Ready, but the certificate is for the old names (and no Secret holds it)",
    build: (w) => {
      const o = certificate(w, {
        spec: { commonName: "new.example.com", dnsNames: ["new.example.com"] },
        status: { conditions: ready("True"), vendorRef: "cf-1", serialNumber: "01" },
      });
      order(w, o.metadata.uid!, "cf-1", { serial: "01" });
    },
  },
  {
    name: "a deleted resource whose onDelete: Revoke certificate lives on",
    flags: [Invariant.CleanupPerPolicy],
    reason: "the policy asked for revocation of the certificate it held when deleted",
    build: (w) => {
      order(w, "uid-x", "cf-1");
      w.ledger.recordedCertificates.set("cf-1", { uid: "uid-x", key: `${NS}/web` });
      w.ledger.deleted.set("uid-x", {
        kind: "ManagedCertificate",
        namespace: NS,
        name: "web",
        uid: "uid-x",
        spec: spec({ revocationPolicy: { onDelete: "Revoke", superseded: "Retain" } }),
        status: { vendorRef: "cf-1" },
      });
    },
  },
  {
    name: "a deleted resource whose onDelete: Retain certificate lives on",
    flags: [],
    reason: "Retain keeps it on purpose",
    build: (w) => {
      order(w, "uid-x", "cf-1");
      w.ledger.recordedCertificates.set("cf-1", { uid: "uid-x", key: `${NS}/web` });
      w.ledger.deleted.set("uid-x", { kind: "ManagedCertificate", namespace: NS, name: "web", uid: "uid-x", spec: spec(), status: { vendorRef: "cf-1" } });
    },
  },
  {
    name: "a ZPA key the operator made that nobody tracks",
    flags: [Invariant.NoUntrackedVendorObject],
    reason: "issue 9 finding 1 for keys: a usable provisioning key nobody manages",
    build: (w) => {
      const k = w.zpa.consoleKey("t", {
        name: "certbridge.team-a.k",
        associationType: "CONNECTOR_GRP",
        enabled: true,
        maxUsage: 1,
        enrollmentCertId: "1",
        groupId: "1",
      });
      Object.assign(k, { creator: { namespace: NS, key: `${NS}/k`, uid: "uid-k" } });
    },
  },
  {
    name: "a key made by a resource deleted with deletionPolicy: Delete, never recorded",
    flags: [Invariant.CleanupPerPolicy],
    reason: "the key a deleted resource was creating goes with it",
    build: (w) => {
      const k = w.zpa.consoleKey("t", {
        name: "certbridge.team-a.k",
        associationType: "CONNECTOR_GRP",
        enabled: true,
        maxUsage: 1,
        enrollmentCertId: "1",
        groupId: "1",
      });
      Object.assign(k, { creator: { namespace: NS, key: `${NS}/k`, uid: "uid-k" } });
      w.ledger.deleted.set("uid-k", { kind: "ProvisioningKey", namespace: NS, name: "k", uid: "uid-k", spec: { deletionPolicy: "Delete" }, status: undefined });
    },
  },
  {
    name: "a key made by a resource deleted with deletionPolicy: Orphan",
    flags: [],
    reason: "Orphan leaves it in ZPA on purpose",
    build: (w) => {
      const k = w.zpa.consoleKey("t", {
        name: "certbridge.team-a.k",
        associationType: "CONNECTOR_GRP",
        enabled: true,
        maxUsage: 1,
        enrollmentCertId: "1",
        groupId: "1",
      });
      Object.assign(k, { creator: { namespace: NS, key: `${NS}/k`, uid: "uid-k" } });
      w.ledger.deleted.set("uid-k", { kind: "ProvisioningKey", namespace: NS, name: "k", uid: "uid-k", spec: { deletionPolicy: "Orphan" }, status: undefined });
    },
  },
  {
    name: "a resource deleted but still holding its finalizer",
    flags: [Invariant.Converges],
    reason: "issue 9 finding 5: a finalizer held forever",
    build: (w) => {
      w.model.create(
        resourceTypes.provisioningKeys,
        { metadata: { name: "k", namespace: NS, finalizers: ["certbridge.dev/cleanup"] }, spec: {} } as KubeObject,
        USER,
        "kubectl",
      );
      w.model.delete(resourceTypes.provisioningKeys, NS, "k", undefined, USER);
    },
  },
  {
    name: "reconciler code read the global clock",
    flags: [Invariant.InjectedClock],
    reason: "C4: time comes from the injected clock only",
    build: (w) => w.ledger.globalReads.set("src/controllers/managedcertificate/issuance.ts:1", 3),
  },
];

describe("invariants", () => {
  it.each(cases)("$name → $flags ($reason)", ({ build, flags }) => {
    const w = world();
    build(w);
    checkInvariants(w);
    expect([...new Set(w.ledger.violations.map((v) => v.invariant))].sort()).toEqual([...flags].sort());
  });
});
