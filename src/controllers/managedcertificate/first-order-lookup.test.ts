// A first order whose key was already stored (request.ts lostFirstIntentSince, unsent-keys.ts): looked
// up before it is placed only when an earlier pass may have sent it; sent at once when this very process
// stored the key and never recorded an intent (a conflict on the intent's write, a spent budget).
import { describe, expect, it } from "vitest";
import { createTestCa } from "../../pki/test-ca.ts";
import type { CertificateAuthority, IssueOutcome } from "../../ports/certificate-authority.ts";
import { ManagedCertificateReconciler } from "./reconciler.ts";
import { ctx, fakeCa, setup } from "./test-support.ts";

/** A vendor that issues at once and finds what it issued (as Cloudflare does). */
async function vendor() {
  const ca = await createTestCa({ name: "unit" });
  const issued: Extract<IssueOutcome, { state: "issued" }>[] = [];
  const fake = fakeCa(ca, {
    submit: async (order) => {
      fake.calls.push("submit");
      const out = { state: "issued" as const, vendorRef: `ref-${issued.length + 1}`, chainPem: (await ca.signCsr(order.csrPem, { usage: "client" })).leafPem };
      issued.push(out);
      return out;
    },
    findOrders: async () => {
      fake.calls.push("find");
      return issued.map((o) => ({ vendorRef: o.vendorRef, state: "issued" as const }));
    },
    collect: async (ref) => {
      fake.calls.push(`collect ${ref}`);
      return issued.find((o) => o.vendorRef === ref)!;
    },
  });
  return fake;
}

/** One reconcile; a conflict (409) is what the queue would retry. */
async function pass(r: ManagedCertificateReconciler): Promise<void> {
  await r.reconcile(ctx, "ns/web").catch((e: unknown) => {
    if ((e as { status?: number }).status !== 409) throw e;
  });
}

type Stored = NonNullable<ReturnType<ReturnType<typeof setup>["cluster"]["certs"]["get"]>>;

/**
 * A reconciler whose resource someone edits once, at `step`: the store gets a new object, as the API
 * server would, so the reconciler's copy is stale and its next guarded write conflicts.
 */
async function editedOnceAt(step: string, edit: (o: Stored) => void) {
  const fake = await vendor();
  let done = false;
  const { cluster, reconciler } = setup(
    fake.impl as CertificateAuthority,
    {},
    {
      hooks: {
        step: (s) => {
          if (done || s !== step) return;
          done = true;
          const o = structuredClone(cluster.certs.get("ns/web")!);
          edit(o);
          o.metadata.resourceVersion = String(Number(o.metadata.resourceVersion) + 1000);
          cluster.certs.set("ns/web", o);
        },
      },
    },
  );
  return { fake, cluster, reconciler };
}

const addLabel = (o: Stored) => {
  o.metadata.labels = { team: "a" };
};

describe("a first order over a key stored by an earlier pass", () => {
  it("the intent's write met someone's edit (409): the retry in this process sends at once, no look-up", async () => {
    const { fake, cluster, reconciler } = await editedOnceAt("key-persisted", addLabel);
    await pass(reconciler); // the key is stored, the combined patch conflicts
    await pass(reconciler);
    expect(fake.calls).toEqual(["submit"]);
    expect(cluster.certs.get("ns/web")?.status?.revision).toBe(1);
  });

  it("after a restart nothing is known: the key stored earlier means a look-up first (the order placed before is found, never placed twice)", async () => {
    const { fake, reconciler } = await editedOnceAt("key-persisted", addLabel);
    await pass(reconciler);
    await pass(new ManagedCertificateReconciler(reconciler.deps));
    expect(fake.calls).toEqual(["find"]);
  });

  it("a kubectl replace while the first order is in flight (annotation and finalizer dropped): the next pass finds that order and collects it", async () => {
    const { fake, cluster, reconciler } = await editedOnceAt("submitted", (o) => {
      delete o.metadata.annotations;
      delete o.metadata.finalizers;
    });
    await pass(reconciler); // ordered; the write after the answer conflicts with the replace
    await pass(reconciler);
    await pass(reconciler);
    expect(fake.calls.filter((c) => c === "submit")).toHaveLength(1);
    expect(fake.calls).toContain("find");
    expect(cluster.certs.get("ns/web")?.status).toMatchObject({ revision: 1, vendorRef: "ref-1" });
  });
});
