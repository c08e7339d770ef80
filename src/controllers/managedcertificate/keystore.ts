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
  const password = await keystorePassword(client, namespace, spec, signal);
  if (!password.ok) return { ok: false, message: `${password.problem}; ${KEYSTORE_KEY} was not written.` };
  if (password.value === undefined) return { ok: true, data: {} };
  const pfx = await toPkcs12({
    keyPem: exportPrivateKeyPem(key, "PKCS8"),
    certificatePems: splitCertificates(chainPem),
    password: password.value,
    friendlyName: name,
  });
  return { ok: true, data: { [KEYSTORE_KEY]: pfx.toString("base64") } };
}

/** The keystore password (undefined: no PKCS12 asked for), or what is wrong with its Secret. Never in a message. */
export type KeystorePassword = { readonly ok: true; readonly value: string | undefined } | { readonly ok: false; readonly problem: string };

/** Reads the password Secret live; also checked before anything is ordered (preflight.ts). */
export async function keystorePassword(client: KubeApi, namespace: string, spec: ManagedCertificateSpec, signal?: AbortSignal): Promise<KeystorePassword> {
  const format = (spec.additionalOutputFormats ?? []).find((f) => f.type === "PKCS12");
  if (format === undefined) return { ok: true, value: undefined };
  const ref = format.passwordSecretRef;
  if (ref === undefined) return { ok: false, problem: "PKCS12 output needs passwordSecretRef" };
  let secret: Secret | undefined;
  try {
    secret = await client.get<Secret>(core.secrets, namespace, ref.name, signal);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (secret === undefined) return { ok: false, problem: `PKCS12 password Secret ${namespace}/${ref.name} does not exist` };
  const value = secret.data?.[ref.key];
  if (value === undefined || value === "") return { ok: false, problem: `PKCS12 password Secret ${namespace}/${ref.name} lacks key "${ref.key}"` };
  return { ok: true, value: Buffer.from(value, "base64").toString("utf8") };
}
