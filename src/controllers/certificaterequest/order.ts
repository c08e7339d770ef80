// A CertificateRequest's order for the ordering engine: its CSR exactly as given (the private key
// never leaves the requester), the names read from it, the mapped validity and the issuer's vendor
// block. One request is one intent (revision 1); its marker's hash is of what the request can never
// change (CSR and duration: cert-manager's spec is immutable), so orders are found again however the
// issuer is edited meanwhile.
import { createHash } from "node:crypto";
import type { CertificateOrder } from "../../ports/certificate-authority.ts";
import { parseCsr } from "../../pki/csr.ts";
import type { OrderIdentity } from "../ordering/ownership.ts";
import { type OrderOwner, markerOf } from "../ordering/record.ts";
import { type CertificateRequest, csrPemOf } from "./cert-manager.ts";
import type { Mapped } from "./mapping.ts";

/** A request is ordered once: every intent of it is revision 1. */
export const REQUEST_REVISION = 1;

export type BuiltOrder = { readonly ok: true; readonly order: CertificateOrder } | { readonly ok: false; readonly message: string };

export function ownerOf(cr: CertificateRequest): OrderOwner {
  return { uid: cr.metadata.uid ?? "", namespace: cr.metadata.namespace ?? "", name: cr.metadata.name ?? "" };
}

/** sha256 (hex) of what the request asks for and can never change. */
export function requestHash(cr: CertificateRequest): string {
  return createHash("sha256")
    .update(`cr1\n${cr.spec.request}\n${cr.spec.duration ?? ""}`)
    .digest("hex");
}

type ReadCsr =
  | { readonly ok: true; readonly pem: string; readonly csr: Awaited<ReturnType<typeof parseCsr>>; readonly publicKeySha256: string }
  | { readonly ok: false; readonly message: string };

/** The request's CSR, parsed and verified: an order is only ever made for a CSR that passes this. */
async function readCsr(cr: CertificateRequest): Promise<ReadCsr> {
  const pem = csrPemOf(cr).trim();
  let csr: Awaited<ReturnType<typeof parseCsr>>;
  try {
    csr = await parseCsr(pem);
  } catch {
    return { ok: false, message: "spec.request is not a PEM certificate signing request" };
  }
  if (!csr.signatureValid) return { ok: false, message: "the signature of the CSR in spec.request does not verify" };
  const spki = csr.publicKey.export({ type: "spki", format: "der" });
  return { ok: true, pem, csr, publicKeySha256: createHash("sha256").update(spki).digest("hex") };
}

export type RequestIdentity = (OrderIdentity & { readonly ok: true; readonly createdAt?: Date | undefined }) | { readonly ok: false; readonly message: string };

/**
 * What this request's orders carry, from what the request itself proves and nobody can edit (its UID,
 * its immutable spec): the marker and key its intent records, and its creation time (no order of it
 * is older). The order annotation is checked against it (record-check.ts).
 */
export async function requestIdentity(cr: CertificateRequest): Promise<RequestIdentity> {
  const read = await readCsr(cr);
  if (!read.ok) return read;
  const created = Date.parse(cr.metadata.creationTimestamp ?? "");
  return {
    ok: true,
    revision: REQUEST_REVISION,
    marker: markerOf(ownerOf(cr).uid, REQUEST_REVISION, requestHash(cr)),
    publicKeySha256: read.publicKeySha256,
    ...(Number.isFinite(created) ? { createdAt: new Date(created) } : {}),
  };
}

export async function buildRequestOrder(cr: CertificateRequest, mapped: Extract<Mapped, { ok: true }>): Promise<BuiltOrder> {
  const read = await readCsr(cr);
  if (!read.ok) return read;
  const { pem, csr } = read;
  const commonName = csr.subject.commonName;
  const owner = ownerOf(cr);
  return {
    ok: true,
    order: {
      owner: { ...owner, revision: REQUEST_REVISION, specHash: requestHash(cr).slice(0, 16) },
      csrPem: `${pem}\n`,
      publicKeySha256: read.publicKeySha256,
      ...(commonName === undefined || commonName === "" ? {} : { commonName }),
      dnsNames: csr.sans.dnsNames,
      ipAddresses: csr.sans.ipAddresses,
      emailAddresses: csr.sans.emailAddresses,
      uris: csr.sans.uris,
      lifetimeDays: mapped.lifetimeDays,
      vendorOptions: mapped.vendorOptions,
    },
  };
}
