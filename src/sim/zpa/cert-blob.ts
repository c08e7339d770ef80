// Validates a browser-access `certBlob` (X.509 certificate + PKCS#1/PKCS#8 private key, both PEM) with
// real X.509 parsing and reports what ZPA reports: cName, SANs, validity in epoch seconds, issuedTo /
// issuedBy as RFC 2253 strings (most specific RDN first, unknown attributes as OID=#hex), the serial
// as a decimal string and the public key as PEM. The private key is checked and then dropped.

import { X509Certificate, type KeyObject } from "node:crypto";
import { inspectCertificate, keyMatchesCertificate, type CertificateInfo } from "../../pki/inspect.ts";
import { importPrivateKeyPem } from "../../pki/keys.ts";
import { PemError, splitPem, toPem, type PemBlock } from "../../pki/pem.ts";
import { zpaErrors } from "./errors.ts";

export type ParsedCertBlob = {
  cName: string;
  validFromInEpochSec: number;
  validToInEpochSec: number;
  certificate: string;
  issuedTo: string;
  issuedBy: string;
  serialNo: string;
  publicKey: string;
  san: string[];
  certChain?: string;
};

// Attribute names a Java RFC 2253 rendering keeps as keywords; everything else becomes OID=#<DER hex>.
const keywordAttributes = new Set(["CN", "C", "L", "ST", "O", "OU", "STREET", "DC", "UID"]);
const oidAttributes: Record<string, { oid: string; tag: number }> = {
  emailAddress: { oid: "1.2.840.113549.1.9.1", tag: 0x16 },
  serialNumber: { oid: "2.5.4.5", tag: 0x13 },
};

function derHex(tag: number, value: string): string {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > 127) return Buffer.concat([Buffer.from([tag, 0x81, bytes.length]), bytes]).toString("hex");
  return Buffer.concat([Buffer.from([tag, bytes.length]), bytes]).toString("hex");
}

/** Node prints a DN one attribute per line in encoding order; ZPA prints RFC 2253 (reverse order, commas). */
export function toRfc2253(nodeDn: string): string {
  return nodeDn
    .split("\n")
    .filter((l) => l !== "")
    .reverse()
    .map((line) => {
      const eq = line.indexOf("=");
      const type = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (keywordAttributes.has(type)) return `${type}=${value}`;
      const known = oidAttributes[type];
      if (known !== undefined) return `${known.oid}=#${derHex(known.tag, value)}`;
      return `${type}=${value}`;
    })
    .join(",");
}

function invalid(reason: string): Error {
  return zpaErrors.invalid(reason, "certBlob");
}

const KEY_LABELS = new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]);

export async function parseCertBlob(blob: string): Promise<ParsedCertBlob> {
  let blocks: PemBlock[];
  try {
    blocks = splitPem(blob, { maxBytes: 256 * 1024, maxBlocks: 16 });
  } catch (e) {
    throw invalid(e instanceof PemError ? `The certificate blob is not valid PEM (${e.message})` : "The certificate blob is not valid PEM");
  }
  const certs = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => toPem(b.label, b.der));
  const keyBlock = blocks.find((b) => KEY_LABELS.has(b.label));
  if (blocks.some((b) => b.label === "ENCRYPTED PRIVATE KEY")) throw invalid("Encrypted private keys are not supported");
  const leafPem = certs[0];
  if (leafPem === undefined) throw invalid("The certificate blob has no X.509 certificate");
  if (keyBlock === undefined) throw invalid("The certificate blob has no private key");

  let info: CertificateInfo;
  let leaf: X509Certificate;
  try {
    info = await inspectCertificate(leafPem);
    leaf = new X509Certificate(leafPem);
  } catch {
    throw invalid("The certificate could not be parsed");
  }
  let privateKey: KeyObject;
  try {
    privateKey = importPrivateKeyPem(toPem(keyBlock.label, keyBlock.der));
  } catch {
    throw invalid("The private key could not be parsed");
  }
  if (!keyMatchesCertificate(privateKey, leafPem)) throw invalid("The private key does not match the certificate");

  const cName = info.subjectCn ?? "";
  const sans = [...info.sans.dnsNames];
  const chain = certs.slice(1);
  return {
    cName,
    validFromInEpochSec: Math.floor(info.notBefore.getTime() / 1000),
    validToInEpochSec: Math.floor(info.notAfter.getTime() / 1000),
    certificate: leafPem,
    issuedTo: toRfc2253(leaf.subject),
    issuedBy: toRfc2253(leaf.issuer),
    serialNo: BigInt(`0x${info.serialHex}`).toString(10),
    publicKey: info.publicKeyPem,
    // A certificate without a SAN extension is reported with its CN, as the create example shows.
    san: sans.length > 0 ? sans : cName !== "" ? [cName] : [],
    ...(chain.length > 0 ? { certChain: chain.join("") } : {}),
  };
}
