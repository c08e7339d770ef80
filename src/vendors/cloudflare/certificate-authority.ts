// CertificateAuthority over Cloudflare API Shield mTLS client certificates. Issuance is synchronous
// (create answers with the PEM), nothing marks an owner, and revoked certificates stay listed. An
// order is found again by what it asked for: the echoed CSR's certificationRequestInfo (key, subject,
// SANs) and validity_days, issued after the intent was recorded, and not a certificate the resource
// already knows. The key alone is not enough: with rotationPolicy Never every revision shares it.
import { createHash, X509Certificate } from "node:crypto";
import type { CancelOutcome, CertificateAuthority, CertificateOrder, FoundOrder, IssueOutcome, OrderIntent } from "../../ports/certificate-authority.ts";
import { VendorError } from "../../ports/vendor-error.ts";
import { csrRequestInfoSha256 } from "../../pki/csr.ts";
import type { CloudflareClient } from "./client.ts";
import type { ClientCertificate } from "./wire.ts";

/** Cloudflare's own example and the API Shield default when a spec names no lifetime. */
export const CLOUDFLARE_DEFAULT_VALIDITY_DAYS = 365;

/**
 * How far Cloudflare's clock (issued_on) may lag ours when deciding "issued after the intent was
 * recorded". Both are NTP-disciplined; a minute covers seconds-rounding and ordinary drift, and the
 * known-vendorRef rule covers the previous revision whatever the clocks say.
 */
export const CLOUDFLARE_CLOCK_SKEW_MS = 60_000;

export class CloudflareCertificateAuthority implements CertificateAuthority {
  readonly #client: CloudflareClient;

  constructor(client: CloudflareClient) {
    this.#client = client;
  }

  async submit(order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    const cert = await this.#client.create({ csr: order.csrPem, validityDays: validityDaysOf(order) }, signal);
    // Created but without its PEM: the id is what matters now; collect fetches the PEM later.
    return outcomeOf(cert, "createClientCertificate");
  }

  async collect(vendorRef: string, _order: CertificateOrder, signal: AbortSignal): Promise<IssueOutcome> {
    return outcomeOf(await this.#client.get(vendorRef, signal), "getClientCertificate");
  }

  async fingerprint(order: CertificateOrder): Promise<string> {
    return requestFingerprint(order.csrPem, validityDaysOf(order));
  }

  async findOrders(intent: OrderIntent, signal: AbortSignal): Promise<readonly FoundOrder[]> {
    const known = new Set(intent.knownVendorRefs);
    const since = intent.recordedAt.getTime() - CLOUDFLARE_CLOCK_SKEW_MS;
    const all = await this.#client.listAll({ status: "all" }, signal);
    const found: Array<FoundOrder & { readonly at: number }> = [];
    for (const c of all) {
      if (known.has(c.id) || c.issuedOn === undefined || c.issuedOn.getTime() < since) continue;
      if (!matchesIntent(c, intent)) continue;
      found.push({ vendorRef: c.id, state: stateOf(c), placedAt: c.issuedOn, at: c.issuedOn.getTime() });
    }
    return found.sort((a, b) => a.at - b.at).map(({ at: _at, ...f }) => f);
  }

  /** DELETE; a certificate already revoked (or on its way) is success. */
  async revoke(vendorRef: string, _reason: "superseded" | "cessationOfOperation" | "keyCompromise" | "unspecified", signal: AbortSignal): Promise<void> {
    await this.#revoke(vendorRef, signal);
  }

  /** Cloudflare issues at once: cancelling an order is revoking its certificate. */
  async cancel(vendorRef: string, signal: AbortSignal): Promise<CancelOutcome> {
    return { done: true, how: await this.#revoke(vendorRef, signal) };
  }

  async #revoke(vendorRef: string, signal: AbortSignal): Promise<"revoked" | "alreadyFinal" | "gone"> {
    try {
      await this.#client.revoke(vendorRef, signal);
      return "revoked";
    } catch (e) {
      if (!(e instanceof VendorError) || e.kind === "transient" || e.kind === "rateLimited" || e.kind === "credentials") throw e;
      if (e.kind === "notFound") return "gone";
      const current = await this.#client.get(vendorRef, signal);
      if (current.status === "revoked" || current.status === "pending_revocation") return "alreadyFinal";
      throw e;
    }
  }
}

/** spec.cloudflare.validityDays, else the requested lifetime; 0 (no lifetime asked for) is Cloudflare's default. */
function validityDaysOf(order: CertificateOrder): number {
  const o = order.vendorOptions;
  const days = (o.vendor === "cloudflare" ? o.options.validityDays : undefined) ?? order.lifetimeDays;
  return Math.max(1, Math.ceil(days || CLOUDFLARE_DEFAULT_VALIDITY_DAYS));
}

/** What an order asked for: the CSR minus its signature, and the validity. */
export function requestFingerprint(csrPem: string, validityDays: number): string {
  return createHash("sha256")
    .update(`cf1\n${csrRequestInfoSha256(csrPem)}\n${validityDays}`)
    .digest("hex");
}

function matchesIntent(c: ClientCertificate, intent: OrderIntent): boolean {
  if (c.csr !== undefined && intent.fingerprint !== undefined && c.validityDays !== undefined) {
    try {
      return requestFingerprint(c.csr, c.validityDays) === intent.fingerprint;
    } catch {
      return false; // an echoed CSR we cannot read is nobody's intent
    }
  }
  // No echoed CSR (or no fingerprint on record): the issued certificate's key is the evidence left.
  if (c.certificatePem === undefined) return false;
  try {
    const spki = new X509Certificate(pemOf(c.certificatePem)).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(spki).digest("hex") === intent.publicKeySha256;
  } catch {
    return false;
  }
}

function stateOf(c: ClientCertificate): FoundOrder["state"] {
  if (c.status === "revoked" || c.status === "pending_revocation") return "failed";
  return c.certificatePem === undefined || c.certificatePem.trim() === "" ? "pending" : "issued";
}

function outcomeOf(cert: ClientCertificate, operation: string): IssueOutcome {
  if (cert.status === "revoked" || cert.status === "pending_revocation") {
    return { state: "failed", vendorRef: cert.id, message: `Cloudflare certificate ${cert.id} is ${cert.status}` };
  }
  if (cert.certificatePem === undefined || cert.certificatePem.trim() === "") {
    return { state: "pending", vendorRef: cert.id, reason: "Pending", message: `Cloudflare certificate ${cert.id} carries no PEM yet (${operation})` };
  }
  return { state: "issued", vendorRef: cert.id, chainPem: pemOf(cert.certificatePem) };
}

function pemOf(pem: string): string {
  return pem.replace(/\\n/g, "\n").trim() + "\n";
}
