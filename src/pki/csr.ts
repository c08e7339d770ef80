// Certificate signing requests: build one from a key, and read one back (for simulators and for
// checking that a vendor echoed what we sent).
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import { signingAlgorithm, toCryptoKeyPair } from "./keys.ts";
import { x509 } from "./x509.ts";

export interface Subject {
  readonly commonName?: string;
  readonly organizations?: readonly string[];
  readonly organizationalUnits?: readonly string[];
  readonly countries?: readonly string[];
  readonly localities?: readonly string[];
  readonly provinces?: readonly string[];
}

export interface SubjectAltNames {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly emailAddresses?: readonly string[];
  readonly uris?: readonly string[];
}

export interface CsrRequest {
  readonly privateKey: KeyObject;
  readonly subject: Subject;
  readonly sans?: SubjectAltNames;
}

export interface ParsedCsr {
  readonly subject: Subject;
  readonly subjectDn: string;
  readonly sans: Required<SubjectAltNames>;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits, lowercase hex. */
  readonly skiHex: string;
  readonly signatureValid: boolean;
}

const OID_SAN = "2.5.29.17";

// Order follows the usual DN convention from country down to common name.
const NAME_FIELDS: ReadonlyArray<readonly [keyof Subject, string]> = [
  ["countries", "C"],
  ["provinces", "ST"],
  ["localities", "L"],
  ["organizations", "O"],
  ["organizationalUnits", "OU"],
  ["commonName", "CN"],
];

export function subjectToName(subject: Subject): InstanceType<typeof x509.Name> {
  const json: Array<Record<string, string[]>> = [];
  for (const [field, short] of NAME_FIELDS) {
    const v = subject[field];
    const values = v === undefined ? [] : typeof v === "string" ? [v] : [...v];
    for (const value of values) if (value !== "") json.push({ [short]: [value] });
  }
  return new x509.Name(json);
}

export function nameToSubject(name: InstanceType<typeof x509.Name>): Subject {
  const cn = name.getField("CN")[0];
  const out: Record<string, unknown> = {};
  if (cn !== undefined) out["commonName"] = cn;
  for (const [field, short] of NAME_FIELDS) {
    if (field === "commonName") continue;
    const values = name.getField(short);
    if (values.length > 0) out[field] = values;
  }
  return out as Subject;
}

export function sansToExtension(sans: SubjectAltNames): InstanceType<typeof x509.SubjectAlternativeNameExtension> | undefined {
  const names: Array<{ type: "dns" | "ip" | "email" | "url"; value: string }> = [
    ...(sans.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(sans.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(sans.emailAddresses ?? []).map((value) => ({ type: "email" as const, value })),
    ...(sans.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
  return names.length === 0 ? undefined : new x509.SubjectAlternativeNameExtension(names, false);
}

export function sansFromExtensions(extensions: ReadonlyArray<InstanceType<typeof x509.Extension>>): Required<SubjectAltNames> {
  const out = { dnsNames: [] as string[], ipAddresses: [] as string[], emailAddresses: [] as string[], uris: [] as string[] };
  const ext = extensions.find((e) => e.type === OID_SAN);
  if (ext === undefined) return out;
  const san = new x509.SubjectAlternativeNameExtension(ext.rawData);
  for (const n of san.names.items) {
    if (n.type === "dns") out.dnsNames.push(n.value);
    else if (n.type === "ip") out.ipAddresses.push(n.value);
    else if (n.type === "email") out.emailAddresses.push(n.value);
    else if (n.type === "url") out.uris.push(n.value);
  }
  return out;
}

/** RFC 5280 §4.2.1.2 method 1 over a public key. */
export async function subjectKeyIdHex(publicKey: KeyObject): Promise<string> {
  const spki = new x509.PublicKey(publicKey.export({ type: "spki", format: "der" }));
  const id = await spki.getKeyIdentifier("SHA-1");
  return Buffer.from(id).toString("hex");
}

export async function createCsr(req: CsrRequest): Promise<string> {
  const san = sansToExtension(req.sans ?? {});
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectToName(req.subject),
    keys: toCryptoKeyPair(req.privateKey),
    signingAlgorithm: signingAlgorithm(req.privateKey),
    extensions: san === undefined ? [] : [san],
  });
  return csr.toString("pem") + "\n";
}

/** Parse a PEM CSR. Throws a short error (never quoting the input) if it is not one. */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.trim());
  } catch {
    throw new Error("CSR could not be parsed");
  }
  const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
  return {
    subject: nameToSubject(csr.subjectName),
    subjectDn: csr.subject,
    sans: sansFromExtensions(csr.extensions),
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    skiHex: await subjectKeyIdHex(publicKey),
    signatureValid: await csr.verify(),
  };
}

/** A stable fingerprint of a CSR's DER (lets a controller find "its" vendor object again). */
export function csrFingerprint(pem: string): string {
  const csr = new x509.Pkcs10CertificateRequest(pem.trim());
  return createHash("sha256").update(Buffer.from(csr.rawData)).digest("hex");
}

/**
 * sha256 (hex) of a CSR's certificationRequestInfo: the subject, the public key and the requested
 * extensions, without the signature. Two CSRs built from the same key and names have the same value
 * even when their signatures differ (ECDSA signs randomly), so it names "what was asked for".
 */
export function csrRequestInfoSha256(pem: string): string {
  const der = new x509.Pkcs10CertificateRequest(pem.replace(/\\n/g, "\n").trim()).rawData;
  const parsed = asn1js.fromBER(der);
  const outer = parsed.result;
  const info = outer instanceof asn1js.Sequence ? outer.valueBlock.value[0] : undefined;
  if (parsed.offset === -1 || info === undefined) throw new Error("CSR could not be parsed");
  return createHash("sha256").update(info.valueBeforeDecodeView).digest("hex");
}
