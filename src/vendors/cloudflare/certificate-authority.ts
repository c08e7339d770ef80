// CertificateAuthority over Cloudflare API Shield mTLS client certificates. Issuance is synchronous
// (create answers with the PEM), nothing marks an owner, and revoked certificates stay listed: an
// order is found again by the CSR Cloudflare echoes, or by the SKI of our public key (DIGEST §2.3).
import type { CertificateAuthority, CertificateOrder, IssueOutcome } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { parseCsr } from "../../pki/csr.ts";
import type { CloudflareClient } from "./client.ts";
import type { ClientCertificate } from "./wire.ts";

/** Cloudflare's own example and the API Shield default when a spec names no lifetime. */
export const CLOUDFLARE_DEFAULT_VALIDITY_DAYS = 365;

export class CloudflareCertificateAuthority implements CertificateAuthority {
  readonly #client: CloudflareClient;

  constructor(client: CloudflareClient) {
    this.#client = client;
  }

  async submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    const validityDays = Number(order.vendorOptions["validityDays"] ?? order.lifetimeDays) || CLOUDFLARE_DEFAULT_VALIDITY_DAYS;
    const cert = await this.#client.create({ csr: order.csrPem, validityDays: Math.max(1, Math.ceil(validityDays)) }, signal);
    return issued(cert, "createClientCertificate");
  }

  async collect(vendorRef: string, _order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    const cert = await this.#client.get(vendorRef, signal);
    if (cert.status === "revoked" || cert.status === "pending_revocation") {
      throw new VendorError({ kind: "permanent", vendor: "cloudflare", operation: "getClientCertificate", message: `certificate ${vendorRef} is ${cert.status}` });
    }
    return issued(cert, "getClientCertificate");
  }

  /** Our order is the live certificate whose echoed CSR, or whose SKI, belongs to the order's key. */
  async find(order: CertificateOrder, signal: AbortSignal): Promise<string | undefined> {
    const want = csrBody(order.csrPem);
    const ski = (await parseCsr(order.csrPem)).skiHex.toLowerCase();
    const all = await this.#client.listAll({ status: "all" }, signal);
    const ours = all.filter((c) => (c.csr !== undefined && csrBody(c.csr) === want) || (c.ski !== undefined && c.ski.toLowerCase() === ski));
    const live = ours.filter((c) => c.status === "active" || c.status === "pending_reactivation");
    return (live[0] ?? ours[0])?.id;
  }

  /** DELETE; a certificate already revoked (or on its way) is success. */
  async revoke(vendorRef: string, _reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void> {
    try {
      await this.#client.revoke(vendorRef, signal);
    } catch (e) {
      if (!(e instanceof VendorError) || e.kind === "transient" || e.kind === "rateLimited" || e.kind === "credentials") throw e;
      if (e.kind === "notFound") return;
      const current = await this.#client.get(vendorRef, signal);
      if (current.status === "revoked" || current.status === "pending_revocation") return;
      throw e;
    }
  }
}

function issued(cert: ClientCertificate, operation: string): IssueOutcome {
  if (cert.certificatePem === undefined || cert.certificatePem.trim() === "") {
    throw new VendorError({ kind: "transient", vendor: "cloudflare", operation, message: `certificate ${cert.id} carries no PEM yet` });
  }
  const pem = cert.certificatePem.replace(/\\n/g, "\n").trim() + "\n";
  return { state: "issued", vendorRef: cert.id, chainPem: pem };
}

function csrBody(pem: string): string {
  return pem.replace(/\\n/g, "\n").replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
}
