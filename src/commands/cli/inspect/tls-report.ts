// A TLS Secret as a person wants to read it: each certificate's subject, SANs, issuer, validity, key
// and fingerprints (parsed with @peculiar/x509 through pki/), whether the chain verifies, and the
// private key's type and whether it belongs to the leaf. The private key is parsed to answer those two
// questions and nothing of it is kept: the report holds no key material, only facts about it.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { type CertificateInfo, inspectCertificate, keyMatchesCertificate, verifyChain } from "../../../pki/inspect.ts";
import { splitCertificates } from "../../../pki/pem.ts";

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[]; readonly email: readonly string[]; readonly uri: readonly string[] };
  readonly isCa: boolean;
  readonly selfSigned: boolean;
  /** "RSA 2048", "ECDSA P-256", "Ed25519". */
  readonly publicKey: string;
  readonly signatureAlgorithm: string;
  readonly sha256: string;
  readonly sha1: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo: what HPKP-style pins and many proxies compare. */
  readonly spkiSha256: string;
}

export interface PrivateKeyFacts {
  /** "RSA 2048", … (never the key). */
  readonly type?: string;
  /** The PEM label's encoding: PKCS#8, PKCS#1 or SEC1. */
  readonly encoding?: string;
  readonly matchesLeaf?: boolean;
  readonly problem?: string;
}

export interface TlsReport {
  /** tls.crt, leaf first as stored. */
  readonly certificates: readonly CertificateSummary[];
  /** ca.crt, when present. */
  readonly ca: readonly CertificateSummary[];
  /**
   * verified: up to a root in ca.crt or at the end of tls.crt, signatures and validity checked;
   * linked: each certificate is signed by the next, but no root is in the Secret to end at; broken: neither.
   */
  readonly chain: {
    readonly result: "verified" | "linked" | "broken";
    readonly against?: "ca.crt" | "bundle";
    readonly path?: readonly string[];
    readonly problem?: string;
  };
  readonly privateKey?: PrivateKeyFacts;
  /** Other data keys and their sizes; their values are not read. */
  readonly otherData: ReadonlyArray<{ readonly key: string; readonly bytes: number }>;
  /** What is wrong, in a sentence each: expired, not yet valid, key mismatch, chain broken, unreadable parts. */
  readonly problems: readonly string[];
}

const fmtHex = (hex: string): string => hex.toUpperCase().match(/.{2}/g)?.join(":") ?? hex;

export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "rsa":
      return `RSA ${d?.modulusLength ?? "?"}`;
    case "ec":
      return `ECDSA ${({ prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" } as Record<string, string>)[d?.namedCurve ?? ""] ?? d?.namedCurve ?? "?"}`;
    case "ed25519":
      return "Ed25519";
    default:
      return key.asymmetricKeyType ?? "unknown";
  }
}

async function summarize(pem: string): Promise<CertificateSummary> {
  const info: CertificateInfo = await inspectCertificate(pem);
  const node = new X509Certificate(pem);
  const spki = node.publicKey.export({ type: "spki", format: "der" });
  return {
    subject: info.subjectDn,
    issuer: info.issuerDn,
    serialNumber: info.serialHex,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    sans: { dns: info.sans.dnsNames, ip: info.sans.ipAddresses, email: info.sans.emailAddresses, uri: info.sans.uris },
    isCa: info.isCa,
    selfSigned: node.checkIssued(node) && node.verify(node.publicKey),
    publicKey: describeKey(node.publicKey),
    signatureAlgorithm: info.signatureAlgorithm,
    sha256: fmtHex(info.fingerprintSha256),
    sha1: node.fingerprint,
    spkiSha256: createHash("sha256").update(spki).digest("base64"),
  };
}

const decode = (b64: string | undefined): string | undefined => (b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8"));

const ENCODINGS: Record<string, string> = {
  "PRIVATE KEY": "PKCS#8",
  "RSA PRIVATE KEY": "PKCS#1",
  "EC PRIVATE KEY": "SEC1",
  "ENCRYPTED PRIVATE KEY": "PKCS#8 (encrypted)",
};

/** Facts about tls.key: type, encoding, whether it is the leaf's. Parsing errors say which part failed, never quote it. */
function privateKeyFacts(keyPem: string, leafPem: string | undefined): PrivateKeyFacts {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(keyPem)?.[1];
  const encoding = label === undefined ? undefined : ENCODINGS[label];
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return { ...(encoding ? { encoding } : {}), problem: "tls.key could not be parsed as a private key" };
  }
  return { type: describeKey(key), ...(encoding ? { encoding } : {}), ...(leafPem ? { matchesLeaf: keyMatchesCertificate(key, leafPem) } : {}) };
}

async function certificatesOf(text: string | undefined, what: string, problems: string[]): Promise<{ pems: string[]; summaries: CertificateSummary[] }> {
  if (text === undefined || text.trim() === "") return { pems: [], summaries: [] };
  try {
    const pems = splitCertificates(text);
    return { pems, summaries: await Promise.all(pems.map(summarize)) };
  } catch {
    problems.push(`${what} could not be parsed as PEM certificates`);
    return { pems: [], summaries: [] };
  }
}

const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean => child.checkIssued(parent) && child.verify(parent.publicKey);

/** Against ca.crt when present, else a self-signed root at the end of tls.crt, else only the links between the certificates given. */
function judgeChain(chain: readonly string[], ca: readonly string[], now: Date): TlsReport["chain"] {
  const [leaf, ...rest] = chain;
  if (leaf === undefined) return { result: "broken", problem: "no certificate" };
  const selfSigned = (p: string) => issuedBy(new X509Certificate(p), new X509Certificate(p));
  const bundleRoots = rest.filter(selfSigned);
  const [against, roots] = ca.length > 0 ? (["ca.crt", ca] as const) : (["bundle", bundleRoots] as const);
  if (roots.length > 0) {
    const v = verifyChain(leaf, rest.filter((p) => !roots.includes(p)).join(""), roots.join(""), now);
    return v.ok ? { result: "verified", against, path: v.path } : { result: "broken", against, problem: v.reason };
  }
  const certs = chain.map((p) => new X509Certificate(p));
  const broken = certs.findIndex((c, i) => i < certs.length - 1 && !issuedBy(c, certs[i + 1]!));
  if (broken >= 0) return { result: "broken", problem: `"${certs[broken]!.subject.replace(/\n/g, ", ")}" is not signed by the certificate after it` };
  return {
    result: "linked",
    path: certs.map((c) => c.subject.replace(/\n/g, ", ")),
    problem: "no root in the Secret (no ca.crt) to verify the last certificate against",
  };
}

/** `data`: the Secret's data as the API returns it (base64 values). */
export async function tlsReport(data: Readonly<Record<string, string>>, now: Date): Promise<TlsReport> {
  const problems: string[] = [];
  const chain = await certificatesOf(decode(data["tls.crt"]), "tls.crt", problems);
  const ca = await certificatesOf(decode(data["ca.crt"]), "ca.crt", problems);
  const [leafPem] = chain.pems;
  const leaf = chain.summaries[0];
  if (leaf !== undefined) {
    if (Date.parse(leaf.notAfter) < now.getTime()) problems.push(`the leaf certificate expired on ${leaf.notAfter}`);
    if (Date.parse(leaf.notBefore) > now.getTime()) problems.push(`the leaf certificate is not valid before ${leaf.notBefore}`);
  } else if (data["tls.crt"] === undefined) problems.push("no tls.crt: not a TLS Secret");

  const chainResult = judgeChain(chain.pems, ca.pems, now);
  if (chainResult.result === "broken" && leafPem !== undefined) problems.push(`the chain does not verify: ${chainResult.problem}`);

  const keyPem = decode(data["tls.key"]);
  const privateKey = keyPem === undefined ? undefined : privateKeyFacts(keyPem, leafPem);
  if (privateKey?.problem) problems.push(privateKey.problem);
  if (privateKey?.matchesLeaf === false) problems.push("tls.key does not belong to the leaf certificate");

  const shown = new Set(["tls.crt", "ca.crt", "tls.key"]);
  return {
    certificates: chain.summaries,
    ca: ca.summaries,
    chain: chainResult,
    ...(privateKey ? { privateKey } : {}),
    otherData: Object.keys(data)
      .filter((k) => !shown.has(k))
      .sort()
      .map((key) => ({ key, bytes: Buffer.from(data[key] ?? "", "base64").length })),
    problems,
  };
}
