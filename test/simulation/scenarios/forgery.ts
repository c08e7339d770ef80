// A tenant who may edit its own ManagedCertificates writes, by hand, the order-intent annotation a
// first order rides in (ADR 0020): naming another namespace's order (its public key, read off the
// other tenant's certificate; its Cloudflare fingerprint, computed from it; or its vendor id), with
// the cleanup finalizer, then maybe deletes the resource. Both namespaces talk to the same vendor
// account, so the operator's calls could reach the other's orders: the ledger's
// no-cross-namespace-access invariant flags any revoke or cancel that does.
import { X509Certificate, createHash } from "node:crypto";
import { annotations, finalizers, resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import { iso } from "../../../src/controllers/ordering/record.ts";
import { requestFingerprint } from "../../../src/vendors/cloudflare/certificate-authority.ts";
import type { KubeObject } from "../../../src/runtime/kube/resource.ts";
import type { Rng } from "../rng.ts";
import { USER, type World } from "../world.ts";
import type { UserAction } from "./common.ts";

const spkiSha256 = (pem: string) =>
  createHash("sha256")
    .update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");

export const forgeIntent: UserAction = {
  name: "forge an order-intent annotation naming another namespace's order",
  run: (w: World, rng: Rng) => {
    const live = w.model.all<KubeObject>(resourceTypes.managedCertificates).filter((o) => o.metadata.deletionTimestamp === undefined);
    if (live.length === 0) return undefined;
    const attacker = rng.pick(live);
    const victims = w.certificates.orders.filter((o) => o.actor.namespace !== attacker.metadata.namespace && o.leafPem !== undefined);
    if (victims.length === 0) return undefined;
    const victim = rng.pick(victims);
    const now = w.clock.now();
    const variant = rng.pick(["key", "fingerprint", "vendorRef"] as const);
    const order = {
      revision: 1,
      state: variant === "vendorRef" ? "Pending" : "OutcomeUnknown",
      startedTime: iso(new Date(victim.sentAt - 60_000)),
      publicKeySha256: spkiSha256(victim.leafPem!),
      marker: `uid=${attacker.metadata.uid} rev=1 spec=0000000000000000`,
      ...(variant === "fingerprint" ? { fingerprint: requestFingerprint(victim.csrPem, victim.validityDays) } : {}),
      ...(variant === "vendorRef" ? { vendorRef: victim.ref } : {}),
      ...(victim.commonName === undefined ? {} : { lookupName: victim.commonName }),
      submits: 1,
      submittedTime: iso(new Date(now)),
      ...(variant === "vendorRef" ? {} : { settleDeadline: iso(new Date(now + 600_000)), unknownOutcomes: 1 }),
      pollCount: 0,
    };
    const ns = attacker.metadata.namespace ?? "";
    const name = attacker.metadata.name ?? "";
    w.model.mergePatch(
      resourceTypes.managedCertificates,
      ns,
      name,
      {
        metadata: {
          finalizers: [...new Set([...(attacker.metadata.finalizers ?? []), finalizers.cleanup])],
          annotations: { [annotations.orderIntent]: JSON.stringify({ id: `forged-${rng.int(1_000_000)}`, order }) },
        },
      },
      undefined,
      USER,
    );
    if (rng.chance(0.5)) {
      w.scheduler.at(now + rng.int(20_000), `user deletes ${ns}/${name} (after forging)`, () => {
        if (w.model.peek(resourceTypes.managedCertificates, ns, name) !== undefined)
          w.model.delete(resourceTypes.managedCertificates, ns, name, undefined, USER);
      });
    }
    return `user writes into ${ns}/${name} an order intent naming ${victim.actor.key}'s order ${victim.ref} (by ${variant})`;
  },
};
