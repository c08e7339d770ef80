// Certificate encodings vendors hand out or accept: PEM, DER, PKCS#7 (certs-only) and base64.
import { splitCertificates, splitPem, toPem } from "./pem.ts";
import { x509 } from "./x509.ts";

export function pemToDer(pem: string): Buffer {
  const [first] = splitPem(pem, { maxBlocks: 1 });
  return first!.der;
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  return toPem(label, der);
}

/** PKCS#7 certs-only (the "degenerate" SignedData) as DER. */
export function certificatesToPkcs7Der(pemBundle: string): Buffer {
  const certs = new x509.X509Certificates(splitCertificates(pemBundle).map((p) => new x509.X509Certificate(p)));
  return Buffer.from(certs.export("raw"));
}

/** PKCS#7 certs-only as PEM ("-----BEGIN PKCS7-----"). */
export function certificatesToPkcs7Pem(pemBundle: string): string {
  return toPem("PKCS7", certificatesToPkcs7Der(pemBundle));
}

/** Certificates out of a PKCS#7 given as DER, base64 or PEM, in the order they are stored. */
export function pkcs7ToCertificates(input: Uint8Array | string): string[] {
  let der: Buffer;
  if (typeof input === "string") {
    const text = input.trim();
    der = text.startsWith("-----BEGIN") ? splitPem(text, { maxBlocks: 1 })[0]!.der : Buffer.from(text.replace(/\s+/g, ""), "base64");
  } else {
    der = Buffer.from(input);
  }
  let certs: InstanceType<typeof x509.X509Certificates>;
  try {
    certs = new x509.X509Certificates(der);
  } catch {
    throw new Error("PKCS#7 could not be parsed");
  }
  return certs.map((c) => toPem("CERTIFICATE", new Uint8Array(c.rawData)));
}

export function toBase64(data: Uint8Array): string {
  return Buffer.from(data).toString("base64");
}

export function fromBase64(text: string): Buffer {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new Error("invalid base64");
  return Buffer.from(clean, "base64");
}
