// The kubernetes.io/tls Secret: what it holds (for the policies) and what it should hold (for the one
// write per issuance). tls.crt is the leaf first, then intermediates; ca.crt the root when known.
import { X509Certificate, type KeyObject } from "node:crypto";
import { annotations } from "../../api/v1alpha1/labels.ts";
import type { ManagedCertificateSpec } from "../../api/v1alpha1/managedcertificate.ts";
import { exportPrivateKeyPem, importPrivateKeyPem, type KeySpec, keySpecOf } from "../../pki/keys.ts";
import { splitCertificates } from "../../pki/pem.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import { buildOwnedSecret, classifySecret, type Secret, type SecretOwner } from "../shared/owned-secret.ts";
import type { SecretAccess } from "./context.ts";
import type { SecretView } from "./trigger.ts";

export const TLS_SECRET_TYPE = "kubernetes.io/tls";
const MAX_FIELD_BYTES = 1024 * 1024;

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, "base64").toString("utf8"));

/** Serial of a PEM certificate as lowercase hex (the form status.serialNumber uses). */
export function serialOf(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toLowerCase();
}

/** The first certificate in a PEM bundle, or undefined if there is none that parses. */
export function leafOf(chainPem: string): string | undefined {
  try {
    return splitCertificates(chainPem)[0];
  } catch {
    return undefined;
  }
}

/**
 * Reads a Secret into the facts the policies need. Hostile content (garbage, huge fields) reads as
 * "mismatch", never as a crash. Cached by uid + resourceVersion: a resync does not re-parse. A copy
 * without its data (a cache that keeps only a digest) is read from the digest's facts when they are
 * this view, and is never cached: a copy of the same version with its data must not be judged by it.
 */
export class SecretReader {
  readonly #cache = new Map<string, SecretView>();

  view(secret: Secret): SecretView {
    if (secret.data === undefined) {
      const facts = (secret as { digest?: { facts?: unknown } }).digest?.facts;
      return isSecretView(facts) ? facts : tlsSecretView(secret);
    }
    const cacheKey = `${secret.metadata.uid ?? ""}/${secret.metadata.resourceVersion ?? ""}`;
    const hit = this.#cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const view = tlsSecretView(secret);
    if (this.#cache.size > 50_000) this.#cache.clear();
    this.#cache.set(cacheKey, view);
    return view;
  }
}

function isSecretView(v: unknown): v is SecretView {
  const o = v as Partial<SecretView> | null | undefined;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.hasCertificate === "boolean" &&
    typeof o.hasKey === "boolean" &&
    typeof o.keyMatchesCertificate === "boolean"
  );
}

/** What the trigger's policies read of a TLS Secret's data (pure, never throws): also what a digesting cache may keep as its facts. */
export function tlsSecretView(secret: { readonly data?: Readonly<Record<string, string>> | undefined }): SecretView {
  const crt = secret.data?.["tls.crt"];
  const key = secret.data?.["tls.key"];
  const hasCertificate = crt !== undefined && crt.length > 0 && crt.length < MAX_FIELD_BYTES * 2;
  const hasKey = key !== undefined && key.length > 0 && key.length < MAX_FIELD_BYTES * 2;
  if (!hasCertificate || !hasKey) return { hasCertificate, hasKey, keyMatchesCertificate: false };
  try {
    const leaf = leafOf(unb64(crt)!);
    if (leaf === undefined) return { hasCertificate: false, hasKey, keyMatchesCertificate: false };
    const cert = new X509Certificate(leaf);
    let matches = false;
    let keySpec: KeySpec | undefined;
    try {
      const privateKey = importPrivateKeyPem(unb64(key)!);
      matches = cert.checkPrivateKey(privateKey);
      keySpec = keySpecOf(privateKey);
    } catch {
      // A key that does not parse (or of a kind we never make) matches nothing.
    }
    return {
      hasCertificate: true,
      hasKey: true,
      keyMatchesCertificate: matches,
      serialNumber: cert.serialNumber.toLowerCase(),
      ...(keySpec === undefined ? {} : { keySpec }),
    };
  } catch {
    return { hasCertificate: false, hasKey, keyMatchesCertificate: false };
  }
}

export interface IssuedCertificate {
  readonly chainPem: string;
  readonly caPem?: string;
  readonly vendorRef: string;
  readonly revision: number;
}

/** The desired TLS Secret for an issued certificate and its key; `extraData` (base64) is the PKCS12 keystore when asked for. */
export function desiredTlsSecret(
  owner: SecretOwner,
  spec: ManagedCertificateSpec,
  issued: IssuedCertificate,
  key: KeyObject,
  extraData: Readonly<Record<string, string>> = {},
): Secret {
  const certs = splitCertificates(issued.chainPem).map((p) => p.trim() + "\n");
  const data: Record<string, string> = {
    "tls.crt": b64(certs.join("")),
    "tls.key": b64(exportPrivateKeyPem(key, spec.privateKey.encoding)),
  };
  if (issued.caPem !== undefined && issued.caPem.trim() !== "") data["ca.crt"] = b64(issued.caPem.trim() + "\n");
  for (const format of spec.additionalOutputFormats ?? []) {
    if (format.type === "CombinedPEM") data["tls-combined.pem"] = b64(exportPrivateKeyPem(key, spec.privateKey.encoding) + certs.join(""));
    if (format.type === "DER") {
      data["key.der"] = key.export({ type: "pkcs8", format: "der" }).toString("base64");
      data["tls.der"] = new X509Certificate(certs[0]!).raw.toString("base64");
    }
  }
  Object.assign(data, extraData);
  return buildOwnedSecret(owner, {
    name: spec.secretName,
    type: TLS_SECRET_TYPE,
    data,
    ...(spec.secretTemplate === undefined ? {} : { template: spec.secretTemplate }),
    extraAnnotations: { [annotations.revision]: String(issued.revision), [annotations.vendorRef]: issued.vendorRef },
    ownerReference: spec.secretPolicy.onDelete === "Delete",
  });
}

/** The key in a TLS Secret we own, when it parses (rotationPolicy Never reuses it). */
export function keyInSecret(secret: Secret | undefined): KeyObject | undefined {
  const pem = unb64(secret?.data?.["tls.key"]);
  if (pem === undefined || pem.length > MAX_FIELD_BYTES) return undefined;
  try {
    return importPrivateKeyPem(pem);
  } catch {
    return undefined;
  }
}

export interface TargetSecret {
  readonly secret: Secret | undefined;
  readonly ownership: "absent" | "ours" | "foreign";
}

/**
 * The Secret named by the spec: from the owned-Secret cache, or (absent there, or `live`) from the
 * API server, since a foreign Secret is never in our label-selected cache.
 */
export async function readTargetSecret(io: SecretAccess, owner: SecretOwner, name: string, live: boolean, signal: AbortSignal): Promise<TargetSecret> {
  let secret = live ? undefined : io.secrets.get(`${owner.namespace}/${name}`);
  if (secret === undefined || classifySecret(secret, owner) !== "ours") {
    try {
      secret = await io.client.get<Secret>(core.secrets, owner.namespace, name, signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      secret = undefined;
    }
  }
  return { secret, ownership: classifySecret(secret, owner) };
}
