// A deleted (or emptied) key Secret is repaired from the TLS Secret. The key itself only survives
// there; writing it back keeps the promise "a lost TLS Secret is restored, never paid for again" for
// the next loss. Only a key that belongs to the certificate on record is written back (same serial,
// key matches the leaf). In the steady path this costs a cache look-up; the API is called only when
// the cache says the key Secret is not what it should be.
// The same holds for an issuance still in flight (keyOfIntent): its certificate may already be in the
// TLS Secret when the record of it was lost with a crash, and then that is where its key survives.
import { X509Certificate, type KeyObject } from "node:crypto";
import { annotations } from "../../api/v1alpha1/labels.ts";
import type { Logger } from "pino";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import { classifySecret, hasData, type Secret, type SecretOwner, writeOwnedSecret, writeOwnedSecretOnce } from "../shared/owned-secret.ts";
import type { CertificateObject, SecretAccess } from "./context.ts";
import { intentOf } from "./intent.ts";
import { desiredKeySecret, keySecretCurrent, keySecretName, loadKey, publicKeySha256 } from "./keys.ts";
import { keyInSecret, leafOf } from "./secret.ts";

/** Writes the key Secret back from `tls` when it lost the current key; returns whether it wrote. */
export async function repairKeySecret(
  w: { readonly owner: SecretOwner; readonly signal: AbortSignal; readonly log: Logger },
  io: SecretAccess,
  obj: CertificateObject,
  tls: Secret | undefined,
): Promise<boolean> {
  const status = obj.status ?? {};
  if (status.revision === undefined || status.serialNumber === undefined || intentOf(obj) !== undefined) return false;
  const name = keySecretName(w.owner.name);
  if (keySecretCurrent(io.secrets.get(`${w.owner.namespace}/${name}`), w.owner, status.revision)) return false;
  if (classifySecret(tls, w.owner) !== "ours") return false;
  // The cache may lag our own write: judge the live object.
  const live = await readLive(io, w.owner.namespace, name, w.signal);
  if (keySecretCurrent(live, w.owner, status.revision) || classifySecret(live, w.owner) === "foreign") return false;
  // The owned-Secret cache keeps no data: the key to write back is read from the API server.
  const source = hasData(tls) ? tls : await readLive(io, w.owner.namespace, tls?.metadata.name ?? "", w.signal);
  if (classifySecret(source, w.owner) !== "ours") return false;
  const key = keyInSecret(source);
  const leaf = leafOf(Buffer.from(source?.data?.["tls.crt"] ?? "", "base64").toString("utf8"));
  if (key === undefined || leaf === undefined) return false;
  let serial: string;
  try {
    serial = new X509Certificate(leaf).serialNumber.toLowerCase();
  } catch {
    return false;
  }
  if (serial !== status.serialNumber.toLowerCase() || !keyMatchesCertificate(key, leaf)) return false;
  const wrote = await writeOwnedSecret(io.client, w.owner, desiredKeySecret(w.owner, key, status.revision), live, w.signal);
  if (wrote === "conflict") return false;
  w.log.info({ secret: name, revision: status.revision }, "key Secret written back from the TLS Secret");
  return true;
}

/** What an intent's orders were made for: its revision and (recorded with it) the SHA-256 of its public key. */
export interface IntentKeyRef {
  readonly revision: number;
  readonly publicKeySha256?: string | undefined;
}

/**
 * The key an intent's orders were made for. The key Secret's when it holds that very key; otherwise the
 * TLS Secret's when that holds it (the certificate was delivered, then the record was lost with a crash
 * and the key Secret deleted), written back to the key Secret first. Undefined: the key is lost, and no
 * order can be sent or collected with another key (a resubmit with a different key could not be found
 * again by the intent, and the certificate collected would not match it).
 */
export async function keyOfIntent(
  io: SecretAccess,
  owner: SecretOwner,
  tlsSecretName: string,
  intent: IntentKeyRef,
  signal: AbortSignal,
): Promise<KeyObject | undefined> {
  const stored = await loadKey(io, owner, intent.revision, undefined, signal);
  if (intent.publicKeySha256 === undefined) return stored.key;
  if (stored.key !== undefined && publicKeySha256(stored.key) === intent.publicKeySha256) return stored.key;
  const tls = await readLive(io, owner.namespace, tlsSecretName, signal);
  if (classifySecret(tls, owner) !== "ours") return undefined;
  const key = keyInSecret(tls);
  if (key === undefined || publicKeySha256(key) !== intent.publicKeySha256) return undefined;
  // A key Secret of a later revision means this intent was read from a stale copy of the object: leave
  // it, and let the guarded status write that follows fail instead.
  const storedRevision = Number(stored.secret?.metadata.annotations?.[annotations.revision] ?? "0");
  if (classifySecret(stored.secret, owner) === "foreign" || storedRevision > intent.revision) return undefined;
  const wrote = await writeOwnedSecretOnce(io.client, owner, desiredKeySecret(owner, key, intent.revision), stored.secret, signal);
  if (wrote === "conflict") return undefined;
  if (wrote === "stale")
    throw new Error(`key Secret ${keySecretName(owner.name)} changed while the key of revision ${intent.revision} was being written back; looking again`);
  return key;
}

async function readLive(io: SecretAccess, namespace: string, name: string, signal: AbortSignal): Promise<Secret | undefined> {
  try {
    return await io.client.get<Secret>(core.secrets, namespace, name, signal);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
