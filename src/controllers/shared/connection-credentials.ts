// A connection's credentials as the resolver reads them: which keys each vendor and auth mode needs,
// read from the user's Secret (and the CA bundle from its own), and the fingerprint that changes
// whenever any of it changes. Values never leave this module except inside a ResolvedConnection.
import { createHash } from "node:crypto";
import { type ClusterVendorConnection, DEFAULT_CREDENTIAL_KEYS, type VendorConnection } from "../../api/v1alpha1/index.ts";
import type { ConnectionSettings } from "../../ports/connection.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";

export type ConnectionSpec = VendorConnection["spec"] | ClusterVendorConnection["spec"];

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** The credential key names each vendor needs, by auth mode (canonical name → default key). */
export function credentialNames(block: ConnectionSettings): Array<keyof typeof DEFAULT_CREDENTIAL_KEYS> {
  switch (block.vendor) {
    case "zpa":
      return ["clientId", "clientSecret"];
    case "cloudflare":
      return block.settings.authMode === "APIKey" ? ["email", "apiKey"] : ["apiToken"];
    case "sectigo":
      return block.settings.authMode === "ClientCertificate" ? ["login", "tlsCert", "tlsKey"] : ["login", "password"];
  }
}

export type CredentialsRead =
  | { readonly ok: true; readonly credentials: Record<string, string>; readonly caBundlePem: string | undefined; readonly secret: SecretObject }
  | { readonly ok: false; readonly message: string };

/** Reads a Secret (undefined when it does not exist). */
export type SecretReader = (namespace: string, name: string) => Promise<SecretObject | undefined>;

/**
 * The credentials (canonical names) and the CA bundle, from the user's Secrets. A cluster connection
 * names its Secrets' namespaces; a namespaced one reads them from its own (the consumer's) namespace.
 */
export async function readCredentials(
  spec: ConnectionSpec,
  block: ConnectionSettings,
  scope: { cluster: boolean; namespace: string | undefined },
  read: SecretReader,
): Promise<CredentialsRead> {
  const secretNamespace = scope.cluster ? (spec.credentialsRef as { namespace: string }).namespace : (scope.namespace as string);
  const secret = await read(secretNamespace, spec.credentialsRef.name);
  if (secret === undefined) return { ok: false, message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} does not exist` };
  const keys = { ...DEFAULT_CREDENTIAL_KEYS, ...(spec.credentialsRef.keys ?? {}) } as Record<string, string>;
  const credentials: Record<string, string> = {};
  for (const name of credentialNames(block)) {
    const key = keys[name] ?? name;
    const value = secret.data?.[key];
    if (value === undefined || value === "")
      return { ok: false, message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} lacks key "${key}"` };
    credentials[name] = Buffer.from(value, "base64").toString("utf8");
  }
  let caBundlePem = spec.caBundle;
  if (spec.caBundleSecretRef) {
    const ref = spec.caBundleSecretRef as { name: string; namespace?: string; key: string };
    const caNamespace = scope.cluster ? (ref.namespace ?? "") : (scope.namespace as string);
    const caSecret = await read(caNamespace, ref.name);
    const value = caSecret?.data?.[ref.key];
    if (value === undefined) return { ok: false, message: `CA bundle Secret ${caNamespace}/${ref.name} lacks key "${ref.key}"` };
    caBundlePem = Buffer.from(value, "base64").toString("utf8");
  }
  return { ok: true, credentials, caBundlePem, secret };
}

/** Changes when the connection (generation, uid), the credentials Secret version or any value changes; values only as hashes. */
export function fingerprint(
  ref: { kind: string; name: string },
  connection: KubeObject,
  credentialsVersion: string,
  credentials: Readonly<Record<string, string>>,
  ca: string | undefined,
): string {
  const h = createHash("sha256");
  h.update(`${ref.kind}/${connection.metadata.namespace ?? ""}/${ref.name}/${connection.metadata.generation ?? ""}/${connection.metadata.uid ?? ""}\n`);
  h.update(`${credentialsVersion}\n`);
  for (const [k, v] of Object.entries(credentials).sort()) h.update(`${k}=${createHash("sha256").update(v).digest("hex")}\n`);
  h.update(ca ?? "");
  return h.digest("hex").slice(0, 32);
}
