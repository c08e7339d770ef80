// What the owned-Secret cache keeps of a Secret (issue 13): its metadata and a digest of its data, never
// the data. 10,000 certificates would otherwise keep 20,000 private keys and certificates in the
// operator's memory for as long as it runs, to answer questions a few bytes answer: which data keys
// are there, does the data still hash to what we wrote, and (per owner kind) the facts its policies
// read — for a TLS Secret, whether the key belongs to the certificate and the certificate's serial.
// A reconcile that needs the data itself (a key to sign with, a certificate to publish) GETs the Secret.
import { contentHash } from "./secret-hash.ts";

export interface SecretDigest {
  /** Each data key with the length of its base64 value (0: present but empty). */
  readonly sizes: Readonly<Record<string, number>>;
  /** contentHash(data): what a write would change, and whether the data is still what we wrote. */
  readonly hash: string;
  /** What the owner kind's policies read of the data (registered per kind; see SecretFacts). */
  readonly facts?: unknown;
}

/** A Secret as the owned-Secret cache holds it: no `data`, a `digest` instead. */
export interface DigestedSecret {
  readonly digest?: SecretDigest;
}

/** Computes, from a Secret with its data, the facts an owner kind's policies read (pure, never throws). */
export type SecretFacts = (secret: { readonly type?: string; readonly data?: Readonly<Record<string, string>> }) => unknown;

interface SecretLike {
  readonly type?: string | undefined;
  readonly data?: Readonly<Record<string, string>> | undefined;
}

/** The cached form: data replaced by its digest (facts computed by `facts`, when given). Idempotent. */
export function digestSecret<T extends SecretLike>(secret: T, facts?: SecretFacts): T & DigestedSecret {
  if (secret.data === undefined && (secret as DigestedSecret).digest !== undefined) return secret as T & DigestedSecret;
  const data = secret.data ?? {};
  const sizes: Record<string, number> = {};
  for (const [k, v] of Object.entries(data)) sizes[k] = v.length;
  const digest: SecretDigest = { sizes, hash: contentHash(data), ...(facts === undefined ? {} : { facts: factsOf(facts, secret) }) };
  const { data: _data, ...rest } = secret;
  return { ...rest, digest } as unknown as T & DigestedSecret;
}

/** A cache must never fail on what a Secret holds: facts that cannot be computed are absent (readers then GET the Secret). */
function factsOf(facts: SecretFacts, secret: SecretLike): unknown {
  try {
    return facts(secret);
  } catch {
    return undefined;
  }
}

/** The Secret's data keys, from its data or its digest. */
export function dataKeysOf(secret: SecretLike & DigestedSecret): string[] {
  return Object.keys(secret.data ?? secret.digest?.sizes ?? {});
}

/** A non-empty value under `key`, from the data or the digest. */
export function hasDataValue(secret: (SecretLike & DigestedSecret) | undefined, key: string): boolean {
  if (secret === undefined) return false;
  if (secret.data !== undefined) return (secret.data[key] ?? "") !== "";
  return (secret.digest?.sizes[key] ?? 0) > 0;
}

/** contentHash of the Secret's data, from the data or the digest. */
export function dataHashOf(secret: SecretLike & DigestedSecret): string {
  return secret.data !== undefined || secret.digest === undefined ? contentHash(secret.data ?? {}) : secret.digest.hash;
}

/** True when the object carries its data (a live read); false for a cached, digested one. */
export function hasData(secret: (SecretLike & DigestedSecret) | undefined): boolean {
  return secret !== undefined && (secret.data !== undefined || secret.digest === undefined);
}
