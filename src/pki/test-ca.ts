// A real two-level CA (root → intermediate → leaf) for simulators and tests. It signs what a vendor
// would: the CSR's key and names, with the vendor's validity and usage.
import { randomBytes, type KeyObject } from "node:crypto";
import { nameToSubject, parseCsr, sansFromExtensions, sansToExtension, subjectToName, type Subject, type SubjectAltNames } from "./csr.ts";
import { exportPrivateKeyPem, generateKey, signingAlgorithm, toCryptoKeyPair, type KeySpec } from "./keys.ts";
import { x509 } from "./x509.ts";

export type LeafUsage = "server" | "client" | "device";

export interface SignOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly validityDays?: number;
  readonly usage: LeafUsage;
  /** Replace the CSR's subject (vendors that ignore the CSR subject). */
  readonly overrideSubject?: Subject;
  /** Replace the CSR's SANs. */
  readonly overrideSans?: SubjectAltNames;
  /** Serial length in bytes (1..20); default 16. Cloudflare's serials are 20 bytes. */
  readonly serialBytes?: number;
}

export interface SignedLeaf {
  readonly leafPem: string;
  /** The intermediate, i.e. the chain to send along with the leaf. */
  readonly chainPem: string;
  readonly rootPem: string;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly subjectDn: string;
}

export interface TestCa {
  readonly name: string;
  readonly root: CaCert;
  readonly intermediate: CaCert;
  signCsr(csrPem: string, opts: SignOptions): Promise<SignedLeaf>;
  /** Sign a public key directly (no CSR), e.g. for a sim's own serving certificate. */
  signPublicKey(publicKey: KeyObject, subject: Subject, sans: SubjectAltNames, opts: SignOptions): Promise<SignedLeaf>;
  /** Generate a key and sign it: handy for fixtures. */
  issue(subject: Subject, sans: SubjectAltNames, opts: SignOptions & { readonly keySpec?: KeySpec }): Promise<SignedLeaf & { readonly keyPem: string }>;
}

export interface TestCaOptions {
  readonly name: string;
  /** Defaults to ECDSA P-256: fast to generate, widely accepted. */
  readonly keySpec?: KeySpec;
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;
const BACKDATE_MS = 60_000; // tolerate small clock skew between sim and client

function serial(bytes = 16): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 20) throw new Error("serialBytes must be 1..20");
  const b = randomBytes(bytes);
  b[0] = b[0]! & 0x7f; // positive
  if (b[0] === 0) b[0] = 1; // no leading zero: keeps the hex serial canonical
  return b.toString("hex");
}

export async function createTestCa(opts: TestCaOptions): Promise<TestCa> {
  const now = opts.now ?? Date.now;
  const spec = opts.keySpec ?? { algorithm: "ECDSA", size: 256 };
  const start = new Date(now() - BACKDATE_MS);

  const rootKey = await generateKey(spec);
  const rootPair = toCryptoKeyPair(rootKey.privateKey);
  const rootName = subjectToName({ commonName: `${opts.name} Root CA`, organizations: ["certbridge simulator"] });
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: rootName,
    notBefore: start,
    notAfter: new Date(start.getTime() + 3650 * DAY_MS),
    keys: rootPair,
    signingAlgorithm: signingAlgorithm(rootKey.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootPair.publicKey),
    ],
  });

  const intKey = await generateKey(spec);
  const intPair = toCryptoKeyPair(intKey.privateKey);
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subjectToName({ commonName: `${opts.name} Issuing CA`, organizations: ["certbridge simulator"] }),
    issuer: root.subjectName,
    notBefore: start,
    notAfter: new Date(start.getTime() + 1825 * DAY_MS),
    publicKey: intPair.publicKey,
    signingKey: rootPair.privateKey,
    signingAlgorithm: signingAlgorithm(rootKey.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(intPair.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootPair.publicKey),
    ],
  });
  const rootPem = root.toString("pem") + "\n";
  const intPem = intermediate.toString("pem") + "\n";

  async function sign(publicKey: KeyObject, subject: Subject, sans: SubjectAltNames, o: SignOptions): Promise<SignedLeaf> {
    const notBefore = o.notBefore ?? new Date(now() - BACKDATE_MS);
    const notAfter = o.notAfter ?? new Date(notBefore.getTime() + (o.validityDays ?? 90) * DAY_MS);
    if (notAfter.getTime() <= notBefore.getTime()) throw new Error("notAfter must be after notBefore");
    const alg = signingAlgorithm(publicKey);
    const leafPublic = publicKey.toCryptoKey(alg, true, ["verify"]);
    const rsa = publicKey.asymmetricKeyType === "rsa";
    const flags = x509.KeyUsageFlags.digitalSignature | (rsa && o.usage !== "client" ? x509.KeyUsageFlags.keyEncipherment : 0);
    const eku = o.usage === "server" ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth];
    const san = sansToExtension(sans);
    const serialHex = serial(o.serialBytes);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex,
      subject: subjectToName(subject),
      issuer: intermediate.subjectName,
      notBefore,
      notAfter,
      publicKey: leafPublic,
      signingKey: intPair.privateKey,
      signingAlgorithm: signingAlgorithm(intKey.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(flags, true),
        new x509.ExtendedKeyUsageExtension(eku, false),
        await x509.SubjectKeyIdentifierExtension.create(leafPublic),
        await x509.AuthorityKeyIdentifierExtension.create(intPair.publicKey),
        ...(san === undefined ? [] : [san]),
      ],
    });
    return { leafPem: leaf.toString("pem") + "\n", chainPem: intPem, rootPem, serialHex, notBefore: leaf.notBefore, notAfter: leaf.notAfter };
  }

  return {
    name: opts.name,
    root: { certPem: rootPem, keyPem: exportPrivateKeyPem(rootKey.privateKey), subjectDn: root.subject },
    intermediate: { certPem: intPem, keyPem: exportPrivateKeyPem(intKey.privateKey), subjectDn: intermediate.subject },
    async signCsr(csrPem, o) {
      const csr = await parseCsr(csrPem);
      if (!csr.signatureValid) throw new Error("CSR signature is invalid");
      return sign(csr.publicKey, o.overrideSubject ?? csr.subject, o.overrideSans ?? csr.sans, o);
    },
    signPublicKey: sign,
    async issue(subject, sans, o) {
      const key = await generateKey(o.keySpec ?? { algorithm: "ECDSA", size: 256 });
      const signed = await sign(key.publicKey, subject, sans, o);
      return { ...signed, keyPem: exportPrivateKeyPem(key.privateKey) };
    },
  };
}

// Re-exported for simulators that read names back out of CSRs.
export { nameToSubject, sansFromExtensions };
