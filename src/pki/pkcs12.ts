// PKCS#12 (PFX) keystores for any key type we issue (RSA, ECDSA, Ed25519), laid out the way OpenSSL 3
// writes them so Java, .NET, OpenSSL and Node all read them: certificates in a password-encrypted
// SafeContents, the key in a PKCS8ShroudedKeyBag, both PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), an
// HMAC-SHA256 integrity MAC, and friendlyName/localKeyId on the key and its leaf so tools pair them.
// Salts and IVs are random: the bytes differ per call, so callers build it only when they write it.
import { createHash } from "node:crypto";
import type * as Asn1js from "asn1js";
import type * as Pkijs from "pkijs";
import { importPrivateKeyPem } from "./keys.ts";
import { splitCertificates } from "./pem.ts";

export interface Pkcs12Input {
  readonly keyPem: string;
  /** Leaf first, then the chain. */
  readonly certificatePems: readonly string[];
  readonly password: string;
  readonly friendlyName?: string;
}

/** OpenSSL 3's default is 2048; a little more costs milliseconds once per issuance. */
export const PKCS12_ITERATIONS = 10_000;

const OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21";

interface Libraries {
  readonly pkijs: typeof Pkijs;
  readonly asn1js: typeof Asn1js;
  readonly engine: Pkijs.ICryptoEngine;
}

let libraries: Promise<Libraries> | undefined;

/**
 * pkijs and asn1js are loaded on the first keystore, not with the operator: together ~20 MiB of
 * resident memory that an operator without PKCS12 output never needs (issue 13).
 */
function loadLibraries(): Promise<Libraries> {
  libraries ??= Promise.all([import("pkijs"), import("asn1js")]).then(([pkijs, asn1js]) => ({
    pkijs,
    asn1js,
    // Passed explicitly to every pkijs call instead of installing a global engine. The cast: pkijs'
    // ICryptoEngine extends the current lib's SubtleCrypto, which lists KEM methods pkijs 4.0 predates.
    engine: new pkijs.CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto }) as unknown as Pkijs.ICryptoEngine,
  }));
  return libraries;
}

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function pbes2(password: ArrayBuffer) {
  return { password, contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 }, hmacHashAlgorithm: "SHA-256", iterationCount: PKCS12_ITERATIONS };
}

function bagAttributes({ pkijs, asn1js }: Libraries, friendlyName: string, localKeyId: Buffer): Pkijs.Attribute[] {
  return [
    new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];
}

/** A PFX (DER) holding the key and the certificates. Errors never carry key material or the password. */
export async function toPkcs12(input: Pkcs12Input): Promise<Buffer> {
  if (input.certificatePems.length === 0) throw new Error("PKCS#12 needs at least one certificate");
  const libs = await loadLibraries();
  const { pkijs, engine } = libs;
  const keyDer = importPrivateKeyPem(input.keyPem).export({ type: "pkcs8", format: "der" });
  const certDers = input.certificatePems.flatMap((p) => splitCertificates(p)).map((p) => Buffer.from(p.replace(/-----[A-Z ]+-----|\s+/g, ""), "base64"));
  const password = toArrayBuffer(Buffer.from(input.password, "utf8"));
  // The leaf's SHA-1 fingerprint as localKeyId, as OpenSSL does.
  const localKeyId = createHash("sha1").update(certDers[0]!).digest();
  const friendlyName = input.friendlyName ?? "certbridge";

  let keyInfo: Pkijs.PrivateKeyInfo;
  try {
    keyInfo = pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(keyDer));
  } catch {
    throw new Error("PKCS#12: private key could not be encoded");
  }
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: keyInfo });
  await keyBag.makeInternalValues(pbes2(password), engine);

  const certBags = certDers.map(
    (der, i) =>
      new pkijs.SafeBag({
        bagId: "1.2.840.113549.1.12.10.1.3",
        bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(toArrayBuffer(der)) }),
        ...(i === 0 ? { bagAttributes: bagAttributes(libs, friendlyName, localKeyId) } : {}),
      }),
  );
  const keySafeBag = new pkijs.SafeBag({ bagId: "1.2.840.113549.1.12.10.1.2", bagValue: keyBag, bagAttributes: bagAttributes(libs, friendlyName, localKeyId) });

  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) },
        { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keySafeBag] }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [pbes2(password), {}] }, engine);

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({ password, iterations: PKCS12_ITERATIONS, pbkdf2HashAlgorithm: "SHA-256", hmacHashAlgorithm: "SHA-256" }, engine);
  return Buffer.from(pfx.toSchema().toBER(false));
}
