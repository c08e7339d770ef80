// A vendor account shared by every CertificateRequest (a ClusterVendorConnection) for the reconciler's
// tenancy tests: real certificates, and orders found again the way the real adapters find them.
import { createHash } from "node:crypto";
import type { CertificateAuthority, CertificateOrder, FoundOrder, IssueOutcome, OrderIntent } from "../../ports/certificate-authority.ts";
import { csrRequestInfoSha256, parseCsr } from "../../pki/csr.ts";
import { createTestCa } from "../../pki/test-ca.ts";

/** An order the shared vendor holds, with what the real vendors find it by. */
export interface HeldOrder {
  readonly vendorRef: string;
  /** The marker a Sectigo order carries in its comments (Cloudflare keeps none). */
  readonly marker: { readonly uid: string; readonly revision: number; readonly spec: string };
  readonly lookupName: string | undefined;
  readonly publicKeySha256: string;
  readonly fingerprint: string;
  readonly placedAt: Date;
  readonly chainPem: string;
  state: "pending" | "issued" | "cancelled";
}

/**
 * One vendor account shared by every request (a ClusterVendorConnection), holding real certificates.
 * Orders are found as the real adapters find them: Sectigo by the name and the marker of the asking
 * object's UID, revision and spec; Cloudflare by what the CSR asked for when the intent names it, else
 * by the issued certificate's key, placed no earlier than the intent. `pending`: Sectigo orders wait
 * (for an approval) until `approve`; Cloudflare issues at once.
 */
export class SharedVendor {
  readonly vendor: "sectigo" | "cloudflare";
  readonly orders: HeldOrder[] = [];
  readonly calls: string[] = [];
  readonly #clock: () => Date;
  readonly #ca = createTestCa({ name: "shared" });
  /** Makes the next submits fail without an answer after placing the order (a lost answer). */
  loseAnswers = 0;

  constructor(vendor: "sectigo" | "cloudflare", clock: () => Date) {
    this.vendor = vendor;
    this.#clock = clock;
  }

  approve(vendorRef: string): void {
    const o = this.order(vendorRef);
    if (o?.state === "pending") o.state = "issued";
  }

  order(vendorRef: string): HeldOrder | undefined {
    return this.orders.find((o) => o.vendorRef === vendorRef);
  }

  ca(): CertificateAuthority {
    return {
      submit: async (order) => this.#submit(order),
      collect: async (vendorRef) => {
        this.calls.push(`collect ${vendorRef}`);
        return this.#outcome(vendorRef);
      },
      findOrders: async (intent) => {
        this.calls.push("find");
        return this.#find(intent);
      },
      ...(this.vendor === "cloudflare" ? { fingerprint: async (order: CertificateOrder) => fingerprintOf(order) } : {}),
      revoke: async (vendorRef) => {
        this.calls.push(`revoke ${vendorRef}`);
        const o = this.order(vendorRef);
        if (o !== undefined) o.state = "cancelled";
      },
      cancel: async (vendorRef) => {
        this.calls.push(`cancel ${vendorRef}`);
        const o = this.order(vendorRef);
        if (o === undefined) return { done: true, how: "gone" };
        const how = o.state === "pending" ? "declined" : o.state === "issued" ? "revoked" : "alreadyFinal";
        o.state = "cancelled";
        return { done: true, how };
      },
    };
  }

  async #submit(order: CertificateOrder): Promise<IssueOutcome> {
    this.calls.push("submit");
    const signed = await (await this.#ca).signCsr(order.csrPem, { usage: "client", validityDays: 30 });
    const csr = await parseCsr(order.csrPem);
    const vendorRef = this.vendor === "sectigo" ? `ssl:${this.orders.length + 1}` : `cf-${this.orders.length + 1}`;
    const held: HeldOrder = {
      vendorRef,
      marker: { uid: order.owner.uid, revision: order.owner.revision, spec: (order.owner.specHash ?? "").slice(0, 16) },
      lookupName: order.commonName ?? order.dnsNames[0],
      publicKeySha256: createHash("sha256")
        .update(csr.publicKey.export({ type: "spki", format: "der" }))
        .digest("hex"),
      fingerprint: fingerprintOf(order),
      placedAt: this.#clock(),
      chainPem: signed.leafPem + signed.chainPem,
      state: this.vendor === "sectigo" ? "pending" : "issued",
    };
    this.orders.push(held);
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new Error("socket hang up");
    }
    return this.#outcome(vendorRef);
  }

  #outcome(vendorRef: string): IssueOutcome {
    const o = this.order(vendorRef);
    if (o === undefined || o.state === "cancelled") return { state: "failed", vendorRef, message: `order ${vendorRef} is cancelled` };
    if (o.state === "pending") return { state: "pending", vendorRef, reason: "AwaitingApproval", message: `order ${vendorRef} awaits approval` };
    return { state: "issued", vendorRef, chainPem: o.chainPem };
  }

  #find(intent: OrderIntent): FoundOrder[] {
    const known = new Set(intent.knownVendorRefs);
    const matches = (o: HeldOrder): boolean => {
      if (this.vendor === "sectigo")
        return (
          intent.lookupName !== undefined &&
          o.lookupName === intent.lookupName &&
          o.marker.uid === intent.owner.uid &&
          o.marker.revision === intent.owner.revision &&
          o.marker.spec === intent.specHash
        );
      if (o.placedAt.getTime() < intent.recordedAt.getTime() - 60_000) return false;
      return intent.fingerprint !== undefined ? o.fingerprint === intent.fingerprint : o.publicKeySha256 === intent.publicKeySha256;
    };
    return this.orders
      .filter((o) => !known.has(o.vendorRef) && matches(o))
      .map((o) => ({ vendorRef: o.vendorRef, state: o.state === "cancelled" ? "failed" : o.state }));
  }
}

/** What a Cloudflare-like vendor fingerprints: the CSR without its signature, and the validity. */
export function fingerprintOf(order: CertificateOrder): string {
  const days = order.vendorOptions.vendor === "cloudflare" ? (order.vendorOptions.options.validityDays ?? order.lifetimeDays) : order.lifetimeDays;
  return createHash("sha256")
    .update(`fp\n${csrRequestInfoSha256(order.csrPem)}\n${days}`)
    .digest("hex");
}
