// A deleted (or emptied) key Secret is repaired from the TLS Secret. The key itself only survives
// there; writing it back keeps the promise "a lost TLS Secret is restored, never paid for again" for
// the next loss. Only a key that belongs to the certificate on record is written back (same serial,
// key matches the leaf). In the steady path this costs a cache look-up; the API is called only when
// the cache says the key Secret is not what it should be.
import { X509Certificate } from "node:crypto";
import type { Logger } from "pino";
import { keyMatchesCertificate } from "../../pki/inspect.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import { classifySecret, hasData, type Secret, type SecretOwner, writeOwnedSecret } from "../shared/owned-secret.ts";
import type { CertificateObject, SecretAccess } from "./context.ts";
import { intentOf } from "./intent.ts";
import { desiredKeySecret, keySecretCurrent, keySecretName } from "./keys.ts";
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

async function readLive(io: SecretAccess, namespace: string, name: string, signal: AbortSignal): Promise<Secret | undefined> {
  try {
    return await io.client.get<Secret>(core.secrets, namespace, name, signal);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
