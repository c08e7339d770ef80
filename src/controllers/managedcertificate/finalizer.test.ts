// Deletion against a FakeKubeApi: orders that never reached the Secret are cancelled whatever the
// revocation policy says (waiting, visibly and boundedly, for an unanswered call), then revocation per
// policy, the Secrets we own, and the finalizer — once.
import { describe, expect, it } from "vitest";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import type { CertificateAuthority, FoundOrder } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { core } from "../../runtime/kube/resource.ts";
import { buildOwnedSecret, type Secret } from "../shared/owned-secret.ts";
import type { CertificateObject, Status } from "./context.ts";
import { CertificateDeletion, type DeletionPorts } from "./finalizer.ts";
import { keySecretName } from "./keys.ts";
import { type Fixture, at, certificateFixture, vendorOf } from "./testing.ts";

const WINDOW = 180_000;
const owner = { kind: "ManagedCertificate", namespace: "ns", name: "web", uid: "0000-web" } as const;

function withSecrets(f: Fixture, opts: { foreignTls?: boolean } = {}): void {
  const tls = opts.foreignTls
    ? { metadata: { name: "web-tls", namespace: "ns" }, type: "kubernetes.io/tls", data: {} }
    : buildOwnedSecret(owner, { name: "web-tls", type: "kubernetes.io/tls", data: { "tls.crt": "" }, ownerReference: false });
  f.api.seed<Secret>(
    core.secrets,
    tls as Secret,
    buildOwnedSecret(owner, { name: keySecretName("web"), type: "Opaque", data: { "tls.key": "" }, ownerReference: true }),
  );
}

const ports = (f: Fixture): DeletionPorts => ({
  io: { client: f.api, secrets: { get: () => undefined } },
  publish: {
    connections: { resolve: async () => ({ ok: false, reason: "ConnectionNotFound", message: "none" }) },
    io: { client: f.api, secrets: { get: () => undefined } },
  },
  windowMs: WINDOW,
});
const stored = (f: Fixture) => f.api.peek<CertificateObject>(resourceTypes.managedCertificates, "ns", "web");
const secretNames = (f: Fixture) =>
  f.api.store
    .all<Secret>(core.secrets, "ns")
    .map((s) => s.metadata.name)
    .sort();

function recording(over: Partial<CertificateAuthority> = {}) {
  const calls: string[] = [];
  const ca = vendorOf({
    cancel: async (ref) => {
      calls.push(`cancel ${ref}`);
      return { done: true, how: "declined" };
    },
    revoke: async (ref, reason) => {
      calls.push(`revoke ${ref} ${reason}`);
    },
    findOrders: async () => {
      calls.push("find");
      return [];
    },
    ...over,
  });
  return { ca, calls };
}

describe("deleting a ManagedCertificate", () => {
  it.each([
    { why: "defaults (Retain, Retain): nothing revoked, the TLS Secret kept, the key Secret deleted", spec: {}, revokes: [], secrets: ["web-tls"] },
    {
      why: "onDelete Revoke: the current certificate revoked; secretPolicy Delete: the TLS Secret deleted too",
      spec: { revocationPolicy: { onDelete: "Revoke" }, secretPolicy: { onDelete: "Delete" } },
      revokes: ["revoke cf-1 cessationOfOperation"],
      secrets: [],
    },
  ])("$why; then the finalizer goes, once", async ({ spec, revokes, secrets }) => {
    const f = certificateFixture({ spec, status: { revision: 1, vendorRef: "cf-1", serialNumber: "01" }, deleting: true });
    withSecrets(f);
    const { ca, calls } = recording();
    const deletion = new CertificateDeletion();
    expect(await deletion.run(f.ctx, f.port, ports(f), ca)).toEqual({ result: {}, released: true });
    expect(calls).toEqual(revokes);
    expect(secretNames(f)).toEqual(secrets);
    expect(stored(f)).toBeUndefined(); // the last finalizer gone: the API server removed it
    expect(await deletion.run(f.ctx, f.port, ports(f), ca)).toEqual({ result: {}, released: false });
    expect(calls).toEqual(revokes);
  });

  it("a pending order is cancelled whatever the revocation policy says; superseded ones waiting are revoked", async () => {
    const status: Status = {
      revision: 1,
      vendorRef: "cf-1",
      pendingIssuance: { revision: 2, state: "AwaitingApproval", startedTime: "2026-03-01T09:00:00Z", vendorRef: "ssl:2", submits: 1, pollCount: 3 },
      pendingRevocations: [{ vendorRef: "cf-0", reason: "Superseded" }],
    };
    const f = certificateFixture({ status, deleting: true });
    const { ca, calls } = recording();
    await new CertificateDeletion().run(f.ctx, f.port, ports(f), ca);
    expect(calls).toEqual(["cancel ssl:2", "revoke cf-0 superseded"]);
  });

  it("a foreign Secret of the same name is never deleted", async () => {
    const f = certificateFixture({ spec: { secretPolicy: { onDelete: "Delete" } }, deleting: true });
    withSecrets(f, { foreignTls: true });
    await new CertificateDeletion().run(f.ctx, f.port, ports(f), recording().ca);
    expect(secretNames(f)).toEqual(["web-tls"]);
  });

  it("an unanswered call is waited for (Deleting, bounded); a late commit found is cancelled, then the finalizer goes", async () => {
    const status: Status = {
      pendingIssuance: {
        revision: 1,
        state: "OutcomeUnknown",
        startedTime: "2026-03-01T10:00:00Z",
        submits: 1,
        submittedTime: "2026-03-01T10:00:00Z",
        settleDeadline: "2026-03-01T10:03:00Z",
        marker: "uid=0000-web rev=1 spec=0123456789abcdef",
        publicKeySha256: "a".repeat(64),
        unknownOutcomes: 1,
        pollCount: 0,
      },
    };
    let late: FoundOrder[] = [];
    const first = certificateFixture({ status, deleting: true, now: at(30) });
    const { ca, calls } = recording({
      findOrders: async () => {
        calls.push("find");
        return late;
      },
    });
    const deletion = new CertificateDeletion();
    const waiting = await deletion.run(first.ctx, first.port, ports(first), ca);
    expect(waiting.released).toBe(false);
    expect(waiting.result.requeueAfterMs).toBe(60_000);
    const ready = stored(first)?.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "Deleting" });
    expect(ready?.message).toMatch(/waiting until 2026-03-01T10:30:30Z at the latest .*may still place it until 2026-03-01T10:03:00Z/);
    expect(stored(first)?.metadata.finalizers).toEqual([finalizers.cleanup]);

    late = [{ vendorRef: "cf-late", state: "issued" }];
    const later = { ...first.ctx, now: at(60) };
    expect(await deletion.run(later, first.port, ports(first), ca)).toMatchObject({ released: true });
    expect(calls).toEqual(["find", "find", "cancel cf-late"]);
  });

  it("giving up after the bound: a Warning Event names what is left, and the resource goes", async () => {
    const status: Status = {
      pendingIssuance: {
        revision: 1,
        state: "OutcomeUnknown",
        startedTime: "2026-03-01T10:00:00Z",
        submits: 1,
        submittedTime: "2026-03-01T10:00:00Z",
        settleDeadline: "2026-03-01T10:03:00Z",
        marker: "m",
        publicKeySha256: "a".repeat(64),
        pollCount: 0,
      },
    };
    const f = certificateFixture({ status, deleting: true, now: at(0) });
    const { ca } = recording({
      findOrders: async () => [{ vendorRef: "ssl:9", state: "pending" }],
      cancel: async () => ({ done: false, message: "order ssl:9 is at the CA" }),
    });
    expect(await new CertificateDeletion().run({ ...f.ctx, now: at(31 * 60) }, f.port, ports(f), ca)).toMatchObject({ released: true });
    expect(f.events).toContainEqual(
      expect.objectContaining({ type: "Warning", reason: "CleanupIncomplete", note: expect.stringMatching(/order ssl:9 is at the CA/) }),
    );
  });

  it("without a usable connection nothing can be cancelled or revoked: Events say so, and deletion is not held forever", async () => {
    const status: Status = {
      revision: 1,
      vendorRef: "cf-1",
      pendingIssuance: { revision: 2, state: "Pending", startedTime: "2026-03-01T09:00:00Z", vendorRef: "cf-2", submits: 1, pollCount: 0 },
    };
    const f = certificateFixture({ spec: { revocationPolicy: { onDelete: "Revoke" } }, status, deleting: true });
    expect(await new CertificateDeletion().run(f.ctx, f.port, ports(f), undefined)).toMatchObject({ released: true });
    expect(f.events.map((e) => e.reason)).toEqual(["CancelSkipped", "RevocationSkipped"]);
  });

  it("a retryable refusal to revoke holds the finalizer (deletion is retried); a final one does not", async () => {
    const retryable = certificateFixture({ spec: { revocationPolicy: { onDelete: "Revoke" } }, status: { revision: 1, vendorRef: "cf-1" }, deleting: true });
    const busy = recording({
      revoke: async () => {
        throw new VendorError({ kind: "transient", vendor: "cloudflare", operation: "revoke", message: "503", httpStatus: 503 });
      },
    });
    await expect(new CertificateDeletion().run(retryable.ctx, retryable.port, ports(retryable), busy.ca)).rejects.toThrow(/503/);
    expect(stored(retryable)?.metadata.finalizers).toEqual([finalizers.cleanup]);

    const final = certificateFixture({ spec: { revocationPolicy: { onDelete: "Revoke" } }, status: { revision: 1, vendorRef: "cf-1" }, deleting: true });
    const refused = recording({
      revoke: async () => {
        throw new VendorError({ kind: "invalid", vendor: "cloudflare", operation: "revoke", message: "already expired", httpStatus: 400 });
      },
    });
    expect(await new CertificateDeletion().run(final.ctx, final.port, ports(final), refused.ca)).toMatchObject({ released: true });
  });
});
