// What a collect returns, read into certificates. Formats (DIGEST §3.4): PEM bundles in several
// orders (x509, x509R, pem, pemia, x509CO, pemco, x509IO, x509IOR), PKCS#7 as PEM (base64, the
// default) or DER (bin). The documented base64 example is in fact a PEM bundle ordered root first, so
// every textual format is read by content, not by its name, and the chain is re-ordered leaf first.
import { pkcs7ToCertificates } from "../../pki/formats.ts";
import { splitCertificates } from "../../pki/pem.ts";
import { x509 } from "../../pki/x509.ts";
import { VendorError } from "../shared/errors.ts";
import type { CollectFormat } from "./wire.ts";

export interface CollectedCertificate {
  readonly format: CollectFormat;
  /** Leaf first, then issuers toward the root (whatever order the format used). */
  readonly certificatesPem: readonly string[];
  /** Undefined for the chain-only formats (x509IO, x509IOR). */
  readonly leafPem: string | undefined;
  /** The issuers of the leaf (or every certificate for chain-only formats), leaf-side first. */
  readonly chainPem: readonly string[];
  /** `chainPem` without a self-signed root: what a server sends after its leaf. */
  readonly intermediatesPem: readonly string[];
  /** The self-signed root, when the format carried it. */
  readonly rootPem: string | undefined;
  /** From `Content-Disposition`, when sent. */
  readonly fileName: string | undefined;
}

const CHAIN_ONLY: ReadonlySet<CollectFormat> = new Set(["x509IO", "x509IOR"]);

/** Certificates out of a collect body, as PEM, in the order the body holds them. */
export function readCertificates(body: Buffer): string[] {
  const text = body.toString("latin1");
  if (text.includes("-----BEGIN CERTIFICATE-----")) {
    const pems = splitCertificates(body.toString("utf8"));
    // A cut-off bundle still holds its first blocks; a dangling BEGIN means we lost the rest.
    if ((text.match(/-----BEGIN /g) ?? []).length !== pems.length) throw new Error("incomplete PEM bundle");
    return pems;
  }
  if (/-----BEGIN (PKCS7|CMS)-----/.test(text)) return pkcs7ToCertificates(body.toString("utf8"));
  const trimmed = text.trim();
  // PKCS#7 as bare base64, or DER (SEQUENCE tag 0x30).
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && trimmed.length > 0) return pkcs7ToCertificates(trimmed);
  if (body[0] === 0x30) {
    try {
      return pkcs7ToCertificates(body);
    } catch {
      return [new x509.X509Certificate(body).toString("pem")];
    }
  }
  throw new Error("not a certificate format");
}

/** Orders certificates leaf first by following issuer → subject links. */
export function orderLeafFirst(pems: readonly string[]): { ordered: string[]; leaf: string | undefined } {
  const certs = pems.map((pem) => ({ pem, cert: new x509.X509Certificate(pem) }));
  if (certs.length === 0) return { ordered: [], leaf: undefined };
  // The leaf issues nobody else in the set (a self-signed root issues only itself).
  const issuesAnother = (c: (typeof certs)[number]): boolean => certs.some((o) => o !== c && o.cert.issuer === c.cert.subject);
  const leaf = certs.find((c) => !issuesAnother(c)) ?? certs[0]!;
  const ordered = [leaf];
  const rest = certs.filter((c) => c !== leaf);
  for (let cur = leaf; rest.length > 0; ) {
    if (cur.cert.issuer === cur.cert.subject) break;
    const i = rest.findIndex((c) => c.cert.subject === cur.cert.issuer);
    if (i < 0) break;
    cur = rest.splice(i, 1)[0]!;
    ordered.push(cur);
  }
  ordered.push(...rest);
  return { ordered: ordered.map((c) => c.pem), leaf: leaf.pem };
}

function splitRoot(chain: readonly string[]): { intermediatesPem: string[]; rootPem: string | undefined } {
  const selfSigned = (pem: string): boolean => {
    const c = new x509.X509Certificate(pem);
    return c.subject === c.issuer;
  };
  const root = chain.find(selfSigned);
  return { intermediatesPem: chain.filter((p) => p !== root), rootPem: root };
}

function isCa(pem: string): boolean {
  const bc = new x509.X509Certificate(pem).getExtension(x509.BasicConstraintsExtension);
  return bc !== null && bc.ca;
}

export function fileNameOf(contentDisposition: string | undefined): string | undefined {
  if (contentDisposition === undefined) return undefined;
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(contentDisposition);
  return m?.[1];
}

/** Reads a 200 collect body; an empty or unreadable body is a typed error, never a crash. */
export function parseCollected(
  format: CollectFormat,
  body: Buffer,
  headers: Record<string, string>,
  operation: string,
  httpStatus: number,
): CollectedCertificate {
  // Some public clients treat an empty 200 as "not ready yet" [P14, P15]; so do we, as a poll.
  if (body.length === 0 || body.toString("utf8").trim() === "") {
    return pendingError(operation, httpStatus);
  }
  let pems: string[];
  try {
    pems = readCertificates(body);
  } catch {
    // A 200 that is not a certificate (proxy page, truncated body): collecting again is harmless.
    throw new VendorError({ kind: "transient", vendor: "sectigo", operation, httpStatus, message: `collect body is not a ${format} certificate` });
  }
  if (pems.length === 0) throw new VendorError({ kind: "transient", vendor: "sectigo", operation, httpStatus, message: "collect body holds no certificate" });
  const fileName = fileNameOf(headers["content-disposition"]);
  if (CHAIN_ONLY.has(format)) {
    return { format, certificatesPem: pems, leafPem: undefined, chainPem: pems, ...splitRoot(pems), fileName };
  }
  const { ordered, leaf } = orderLeafFirst(pems);
  // A "leaf" that is a CA means the end-entity certificate is missing (truncated or wrong format).
  if (leaf === undefined || isCa(leaf))
    throw new VendorError({ kind: "transient", vendor: "sectigo", operation, httpStatus, message: `collect body (${format}) holds no end-entity certificate` });
  return { format, certificatesPem: ordered, leafPem: leaf, chainPem: ordered.slice(1), ...splitRoot(ordered.slice(1)), fileName };
}

function pendingError(operation: string, httpStatus: number): never {
  throw new VendorError({ kind: "pending", vendor: "sectigo", operation, httpStatus, message: "collect returned an empty body; not issued yet" });
}
