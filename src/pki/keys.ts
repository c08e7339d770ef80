// Private keys: generate, encode, decode. Keys are node KeyObjects; conversion to WebCrypto keys
// happens only where @peculiar/x509 needs them.
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from "node:crypto";
import type { webcrypto } from "node:crypto";
import { promisify } from "node:util";

const generateKeyPair = promisify(generateKeyPairCb);

export type KeySpec =
  | { readonly algorithm: "RSA"; readonly size?: 2048 | 3072 | 4096 }
  | { readonly algorithm: "ECDSA"; readonly size?: 256 | 384 }
  | { readonly algorithm: "Ed25519" };

/** PKCS1 means the traditional form: "RSA PRIVATE KEY" for RSA, SEC1 "EC PRIVATE KEY" for ECDSA. */
export type KeyEncoding = "PKCS1" | "PKCS8";

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const DEFAULT_KEY_SPEC: KeySpec = { algorithm: "RSA", size: 2048 };

export async function generateKey(spec: KeySpec = DEFAULT_KEY_SPEC): Promise<KeyPair> {
  switch (spec.algorithm) {
    case "RSA": {
      const size = spec.size ?? 2048;
      if (![2048, 3072, 4096].includes(size)) throw new Error(`unsupported RSA size ${size}`);
      return generateKeyPair("rsa", { modulusLength: size, publicExponent: 0x10001 });
    }
    case "ECDSA": {
      const size = spec.size ?? 256;
      const namedCurve = size === 256 ? "P-256" : size === 384 ? "P-384" : undefined;
      if (namedCurve === undefined) throw new Error(`unsupported ECDSA size ${size}`);
      return generateKeyPair("ec", { namedCurve });
    }
    case "Ed25519":
      return generateKeyPair("ed25519");
  }
}

export function exportPrivateKeyPem(key: KeyObject, encoding: KeyEncoding = "PKCS8"): string {
  if (key.type !== "private") throw new Error("not a private key");
  if (encoding === "PKCS8") return key.export({ type: "pkcs8", format: "pem" }).toString();
  switch (key.asymmetricKeyType) {
    case "rsa":
      return key.export({ type: "pkcs1", format: "pem" }).toString();
    case "ec":
      return key.export({ type: "sec1", format: "pem" }).toString();
    default:
      throw new Error(`PKCS1 encoding is not defined for ${key.asymmetricKeyType ?? "unknown"} keys; use PKCS8`);
  }
}

/** Accepts PKCS#1, SEC1 and PKCS#8 PEM. The error never echoes the input. */
export function importPrivateKeyPem(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new Error("private key PEM could not be parsed");
  }
}

export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === "public" ? key : createPublicKey(key);
}

export function publicKeyPem(key: KeyObject): string {
  return publicKeyOf(key).export({ type: "spki", format: "pem" }).toString();
}

/** The spec a key was made with (for "does the stored key still match the requested one?"). */
export function keySpecOf(key: KeyObject): KeySpec {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { algorithm: "RSA", size: (d?.modulusLength ?? 2048) as 2048 | 3072 | 4096 };
    case "ec":
      return { algorithm: "ECDSA", size: d?.namedCurve === "secp384r1" ? 384 : 256 };
    case "ed25519":
      return { algorithm: "Ed25519" };
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? "unknown"}`);
  }
}

/** WebCrypto algorithm used to sign with this key (SHA-256, or SHA-384 for P-384). */
export type SigningAlgorithm =
  | { readonly name: "RSASSA-PKCS1-v1_5"; readonly hash: "SHA-256" }
  | { readonly name: "ECDSA"; readonly namedCurve: "P-256" | "P-384"; readonly hash: "SHA-256" | "SHA-384" }
  | { readonly name: "Ed25519" };

export function signingAlgorithm(key: KeyObject): SigningAlgorithm {
  const spec = keySpecOf(key);
  switch (spec.algorithm) {
    case "RSA":
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    case "ECDSA":
      return spec.size === 384 ? { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } : { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    case "Ed25519":
      return { name: "Ed25519" };
  }
}

/** A WebCrypto key pair for @peculiar/x509 signing. */
export function toCryptoKeyPair(privateKey: KeyObject): webcrypto.CryptoKeyPair {
  const alg = signingAlgorithm(privateKey);
  return {
    privateKey: privateKey.toCryptoKey(alg, false, ["sign"]),
    publicKey: publicKeyOf(privateKey).toCryptoKey(alg, true, ["verify"]),
  };
}
