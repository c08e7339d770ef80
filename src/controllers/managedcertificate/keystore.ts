// PKCS12 output. The password is the user's, in a Secret of the resource's namespace, read live with
// a GET (user Secrets are not watched). The keystore is built only when the TLS Secret is written:
// its salts are random, so building it on every reconcile would rewrite the Secret each time.
import type { KeyObject } from "node:crypto";
import type { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { exportPrivateKeyPem } from "../../pki/keys.ts";
import { splitCertificates } from "../../pki/pem.ts";
import { toPkcs12 } from "../../pki/pkcs12.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { Secret } from "../shared/owned-secret.ts";

export const KEYSTORE_KEY = "keystore.p12";
/** The password Secret is not watched: look again this often until it appears. */
export const KEYSTORE_RECHECK_MS = 60_000;

/** Extra TLS Secret data (base64) for the keystore, or why it cannot be built. Never carries the password. */
export type KeystoreData = { readonly ok: true; readonly data: Readonly<Record<string, string>> } | { readonly ok: false; readonly message: string };

export async function keystoreData(
  client: KubeApi,
  namespace: string,
  name: string,
  spec: ManagedCertificateSpec,
  chainPem: string,
  key: KeyObject,
  signal?: AbortSignal,
): Promise<KeystoreData> {
  const format = (spec.additionalOutputFormats ?? []).find((f) => f.type === "PKCS12");
  if (format === undefined) return { ok: true, data: {} };
  const ref = format.passwordSecretRef;
  if (ref === undefined) return { ok: false, message: "PKCS12 output needs passwordSecretRef" };
  let secret: Secret | undefined;
  try {
    secret = await client.get<Secret>(core.secrets, namespace, ref.name, signal);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (secret === undefined) return { ok: false, message: `PKCS12 password Secret ${namespace}/${ref.name} does not exist; ${KEYSTORE_KEY} was not written.` };
  const value = secret.data?.[ref.key];
  if (value === undefined || value === "")
    return { ok: false, message: `PKCS12 password Secret ${namespace}/${ref.name} lacks key "${ref.key}"; ${KEYSTORE_KEY} was not written.` };
  const pfx = await toPkcs12({
    keyPem: exportPrivateKeyPem(key, "PKCS8"),
    certificatePems: splitCertificates(chainPem),
    password: Buffer.from(value, "base64").toString("utf8"),
    friendlyName: name,
  });
  return { ok: true, data: { [KEYSTORE_KEY]: pfx.toString("base64") } };
}
