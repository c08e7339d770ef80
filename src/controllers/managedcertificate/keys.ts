// The key manager. The private key for revision R is generated and persisted BEFORE its CSR leaves
// the operator, in an owned Secret of its own (`<name>-certbridge-key`, type Opaque, annotation
// certbridge.dev/revision = R). Why a Secret of its own and not a field of the TLS Secret: the TLS
// Secret is written exactly once per issuance (TARGETS R7), and workloads mounting it must not see a
// key that belongs to no certificate yet. The key Secret keeps the current key after issuance, so a
// deleted TLS Secret is re-created from it (the certificate is collected again, free) instead of
// paying for a new one. A deleted key Secret is written back from the TLS Secret (the key there
// belongs to the certificate on record), so that losing the TLS Secret later still costs nothing.
import { createHash, type KeyObject } from "node:crypto";
import { z } from "zod";
import { annotations } from "../../api/v1alpha1/labels.ts";
import { keySecretNameOf, type ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { exportPrivateKeyPem, generateKey, importPrivateKeyPem, keySpecOf, publicKeyOf, type KeySpec } from "../../pki/keys.ts";
import { isAlreadyExists, isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import {
  buildOwnedSecret,
  classifySecret,
  hasDataValue,
  type Secret,
  type SecretOwner,
  writeOwnedSecret,
  writeOwnedSecretOnce,
} from "../shared/owned-secret.ts";
import type { SecretAccess } from "./context.ts";

/** `<name>-certbridge-key` (the API forbids spec.secretName to be this name). */
export const keySecretName = keySecretNameOf;

export function keySpecFrom(spec: ManagedCertificateSpec): KeySpec {
  const k = spec.privateKey;
  switch (k.algorithm) {
    case "RSA":
      return { algorithm: "RSA", size: (k.size ?? 2048) as 2048 | 3072 | 4096 };
    case "ECDSA":
      return { algorithm: "ECDSA", size: (k.size ?? 256) as 256 | 384 };
    case "Ed25519":
      return { algorithm: "Ed25519" };
  }
}

export function keyFitsSpec(key: KeyObject, spec: ManagedCertificateSpec): boolean {
  try {
    const have = keySpecOf(key);
    const want = keySpecFrom(spec);
    return have.algorithm === want.algorithm && ("size" in have ? have.size : undefined) === ("size" in want ? want.size : undefined);
  } catch {
    return false;
  }
}

/** sha256 of the public key's SubjectPublicKeyInfo (DER), hex: how an intent names its key. */
export function publicKeySha256(key: KeyObject): string {
  return createHash("sha256")
    .update(publicKeyOf(key).export({ type: "spki", format: "der" }))
    .digest("hex");
}

/** The key stored for `revision`, if the key Secret holds one that still fits the spec. */
export function storedKey(secret: Secret | undefined, revision: number, spec: ManagedCertificateSpec | undefined): KeyObject | undefined {
  if (secret === undefined || secret.metadata.annotations?.[annotations.revision] !== String(revision)) return undefined;
  const b64 = secret.data?.["tls.key"];
  if (b64 === undefined) return undefined;
  try {
    const key = importPrivateKeyPem(Buffer.from(b64, "base64").toString("utf8"));
    return spec === undefined || keyFitsSpec(key, spec) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** What a revision's orders are found by besides the key: their marker's spec hash and the name the vendor lists them under. */
export interface OrderedAs {
  readonly spec: string;
  readonly lookupName?: string;
}

const OrderedAsSchema = z.object({ spec: z.string().regex(/^[0-9a-f]{16}$/), lookupName: z.string().min(1).max(320).optional() });

/** The key Secret's `ordered-as` annotation, when readable (absent: written by repair, or before it existed). */
export function orderedAsIn(secret: Secret | undefined): OrderedAs | undefined {
  const text = secret?.metadata.annotations?.[annotations.orderedAs];
  if (text === undefined) return undefined;
  try {
    const parsed = OrderedAsSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as OrderedAs) : undefined;
  } catch {
    return undefined;
  }
}

export function desiredKeySecret(owner: SecretOwner, key: KeyObject, revision: number, orderedAs?: OrderedAs): Secret {
  return buildOwnedSecret(owner, {
    name: keySecretName(owner.name),
    type: "Opaque",
    data: { "tls.key": Buffer.from(exportPrivateKeyPem(key, "PKCS8")).toString("base64") },
    extraAnnotations: {
      [annotations.revision]: String(revision),
      ...(orderedAs === undefined ? {} : { [annotations.orderedAs]: JSON.stringify(orderedAs) }),
    },
    ownerReference: true,
  });
}

/** A fresh key for the spec, or (rotationPolicy Never) the current one when it still fits. */
export async function chooseKey(spec: ManagedCertificateSpec, current: KeyObject | undefined): Promise<KeyObject> {
  if (spec.privateKey.rotationPolicy === "Never" && current !== undefined && keyFitsSpec(current, spec)) return current;
  return (await generateKey(keySpecFrom(spec))).privateKey;
}

/**
 * The key Secret holds the key of `revision` (a cheap look at what the cache has: annotation and data
 * present; the key itself is parsed only when it is needed).
 */
export function keySecretCurrent(secret: Secret | undefined, owner: SecretOwner, revision: number): boolean {
  return (
    classifySecret(secret, owner) === "ours" && secret?.metadata.annotations?.[annotations.revision] === String(revision) && hasDataValue(secret, "tls.key")
  );
}

/** The key Secret and the key it holds for `revision` (cache first, then the API server); `spec`: the key must still fit it. */
export async function loadKey(
  io: SecretAccess,
  owner: SecretOwner,
  revision: number,
  spec: ManagedCertificateSpec | undefined,
  signal: AbortSignal,
): Promise<{ secret: Secret | undefined; key: KeyObject | undefined }> {
  const name = keySecretName(owner.name);
  const cached = io.secrets.get(`${owner.namespace}/${name}`);
  const fromCache = classifySecret(cached, owner) === "ours" ? storedKey(cached, revision, spec) : undefined;
  if (fromCache !== undefined) return { secret: cached, key: fromCache };
  let live: Secret | undefined;
  try {
    live = await io.client.get<Secret>(core.secrets, owner.namespace, name, signal);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return { secret: live, key: classifySecret(live, owner) === "ours" ? storedKey(live, revision, spec) : undefined };
}

/** The key for a new revision, and whether an earlier pass had stored it (then orders with it may exist). */
export type RevisionKey =
  | { readonly key: KeyObject; readonly storedEarlier?: undefined }
  /**
   * The key was already stored for this revision, by a pass whose intent is not on record: it died
   * before recording one, or (a first intent, kept in an annotation) the record was lost since, e.g.
   * to a `kubectl replace` of the resource. request.ts decides what that means.
   */
  | { readonly key: KeyObject; readonly storedEarlier: true; readonly orderedAs?: OrderedAs | undefined }
  | { readonly conflict: true };

/**
 * The key for a new revision, persisted before its CSR leaves: the one already stored for it, or a
 * new one (rotationPolicy Never: `current`, the key in the TLS Secret). `conflict`: the key Secret's
 * name is taken by a Secret this resource does not own.
 */
export async function keyForRevision(
  io: SecretAccess,
  owner: SecretOwner,
  spec: ManagedCertificateSpec,
  revision: number,
  current: KeyObject | undefined,
  signal: AbortSignal,
  orderedAs?: OrderedAs,
): Promise<RevisionKey> {
  const cached = io.secrets.get(`${owner.namespace}/${keySecretName(owner.name)}`);
  if (cached === undefined) {
    // Nothing cached, as for every new resource: create it, with no read first (issue 13). If one
    // exists after all (the cache is behind), it is read and judged below: its key is used, never replaced.
    const key = await chooseKey(spec, current);
    try {
      await io.client.create(core.secrets, desiredKeySecret(owner, key, revision, orderedAs), signal);
      return { key };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  } else if (classifySecret(cached, owner) === "ours" && cached.metadata.annotations?.[annotations.revision] !== String(revision)) {
    // The cache holds an earlier revision's key, as for every renewal: replaced with no read first,
    // guarded by the resourceVersion the cache saw. A key stored since for this revision (by a process
    // that died before ordering with it) fails the guard and is read and judged below: used, never replaced.
    const key = await chooseKey(spec, current);
    const wrote = await writeOwnedSecretOnce(io.client, owner, desiredKeySecret(owner, key, revision, orderedAs), cached, signal);
    if (wrote !== "stale") return wrote === "conflict" ? { conflict: true } : { key };
  }
  const stored = await loadKey(io, owner, revision, spec, signal);
  if (stored.key !== undefined) return { key: stored.key, storedEarlier: true, orderedAs: orderedAsIn(stored.secret) };
  const key = await chooseKey(spec, current);
  const wrote = await writeOwnedSecret(io.client, owner, desiredKeySecret(owner, key, revision, orderedAs), stored.secret, signal);
  return wrote === "conflict" ? { conflict: true } : { key };
}
