// Reading certificates: the facts a controller puts in status, chain checks, and key↔cert match.
import { X509Certificate as NodeX509, createPublicKey, type KeyObject } from "node:crypto";
import { nameToSubject, sansFromExtensions, subjectKeyIdHex, type Subject, type SubjectAltNames } from "./csr.ts";
import { splitCertificates } from "./pem.ts";
import { x509 } from "./x509.ts";

export interface CertificateInfo {
  /** Lowercase hex without leading zero padding beyond what the DER holds. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectCn?: string;
  readonly subject: Subject;
  readonly subjectDn: string;
  readonly issuerDn: string;
  readonly sans: Required<SubjectAltNames>;
  /** From the extension when present, else computed from the key (RFC 5280 method 1). */
  readonly skiHex: string;
  readonly akiHex?: string;
  readonly isCa: boolean;
  readonly fingerprintSha256: string;
  readonly publicKeyPem: string;
  readonly signatureAlgorithm: string;
}

const OID_SKI = "2.5.29.14";
const OID_AKI = "2.5.29.35";
const OID_BASIC = "2.5.29.19";

export async function inspectCertificate(pemOrDer: string | Uint8Array): Promise<CertificateInfo> {
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(typeof pemOrDer === "string" ? pemOrDer.trim() : Buffer.from(pemOrDer));
  } catch {
    throw new Error("certificate could not be parsed");
  }
  const publicKey = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: "der", type: "spki" });
  const ski = cert.getExtension<InstanceType<typeof x509.SubjectKeyIdentifierExtension>>(OID_SKI);
  const aki = cert.getExtension<InstanceType<typeof x509.AuthorityKeyIdentifierExtension>>(OID_AKI);
  const basic = cert.getExtension<InstanceType<typeof x509.BasicConstraintsExtension>>(OID_BASIC);
  const subject = nameToSubject(cert.subjectName);
  const fp = await cert.getThumbprint("SHA-256");
  const alg = cert.signatureAlgorithm as { name: string; hash?: { name: string } };
  return {
    serialHex: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ...(subject.commonName === undefined ? {} : { subjectCn: subject.commonName }),
    subject,
    subjectDn: cert.subject,
    issuerDn: cert.issuer,
    sans: sansFromExtensions(cert.extensions),
    skiHex: ski !== null ? new x509.SubjectKeyIdentifierExtension(ski.rawData).keyId.toLowerCase() : await subjectKeyIdHex(publicKey),
    ...(aki !== null && new x509.AuthorityKeyIdentifierExtension(aki.rawData).keyId !== undefined
      ? { akiHex: new x509.AuthorityKeyIdentifierExtension(aki.rawData).keyId!.toLowerCase() }
      : {}),
    isCa: basic !== null && new x509.BasicConstraintsExtension(basic.rawData).ca,
    fingerprintSha256: Buffer.from(fp).toString("hex"),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    signatureAlgorithm: alg.hash === undefined ? alg.name : `${alg.name}/${alg.hash.name}`,
  };
}

export type ChainResult = { readonly ok: true; readonly path: readonly string[] } | { readonly ok: false; readonly reason: string };

/**
 * Verify leaf → intermediates → one of `roots` by signature, issuer/subject linkage, CA flags and
 * validity at `at`. Intermediates may be given in any order.
 */
export function verifyChain(leafPem: string, intermediatesPem: string, rootsPem: string, at: Date = new Date()): ChainResult {
  let leaf: NodeX509;
  let pool: NodeX509[];
  let roots: NodeX509[];
  try {
    leaf = new NodeX509(leafPem);
    pool = intermediatesPem.trim() === "" ? [] : splitCertificates(intermediatesPem).map((p) => new NodeX509(p));
    roots = splitCertificates(rootsPem).map((p) => new NodeX509(p));
  } catch {
    return { ok: false, reason: "a certificate could not be parsed" };
  }
  const path: string[] = [leaf.subject];
  let current = leaf;
  for (let depth = 0; depth <= pool.length; depth++) {
    if (!validAt(current, at)) return { ok: false, reason: `certificate "${current.subject}" is not valid at ${at.toISOString()}` };
    const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root !== undefined) {
      if (!validAt(root, at)) return { ok: false, reason: "root is not valid at the given time" };
      path.push(root.subject);
      return { ok: true, path };
    }
    const next = pool.find((c) => c.ca && current.checkIssued(c) && current.verify(c.publicKey));
    if (next === undefined) return { ok: false, reason: `no issuer found for "${current.subject}"` };
    path.push(next.subject);
    current = next;
  }
  return { ok: false, reason: "chain does not end at a trusted root" };
}

function validAt(c: NodeX509, at: Date): boolean {
  return c.validFromDate.getTime() <= at.getTime() && at.getTime() <= c.validToDate.getTime();
}

/** Does `privateKey` belong to the certificate's public key? */
export function keyMatchesCertificate(privateKey: KeyObject, certPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(privateKey);
  } catch {
    return false;
  }
}
