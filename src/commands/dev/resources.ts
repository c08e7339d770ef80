// The objects `certbridge dev` puts into its namespace: one credentials Secret and one VendorConnection
// per running simulator, and the ManagedCertificate/ProvisioningKey samples re-pointed at them. Pure
// builders, so what the dev environment applies is tested without a cluster.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { API_VERSION } from "../../api/v1alpha1/group.ts";
import { type ParseResult, parseResource, parseVendorConnection, problemsMessage } from "../../api/v1alpha1/parse.ts";
import type { Vendor } from "../../api/v1alpha1/vendorconnection.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";

export const DEV_NAMESPACE = "certbridge-dev";

/** The connection (and Secret) name per vendor: the names the samples already use. */
export const CONNECTION_NAMES = { zpa: "zpa", cloudflare: "cloudflare", sectigo: "sectigo" } as const satisfies Record<Vendor, string>;
const CREDENTIAL_SECRETS = { zpa: "zpa-api", cloudflare: "cloudflare-api", sectigo: "sectigo-api" } as const satisfies Record<Vendor, string>;

export interface SimulatorEndpoint {
  /** Base URL as the vendor block expects it (Cloudflare's includes /client/v4). */
  readonly url: string;
  /** The simulator's non-secret test credentials, as `startSimulators()` reports them. */
  readonly credentials: Record<string, unknown>;
}

export interface SecretObject extends KubeObject {
  type: string;
  data: Record<string, string>;
}

export type DevObject = { readonly kind: "Secret"; readonly object: SecretObject } | { readonly kind: "VendorConnection" | "ManagedCertificate" | "ProvisioningKey"; readonly object: KubeObject };

const DEV_LABELS = { "app.kubernetes.io/part-of": "certbridge-dev" } as const;

function field(vendor: Vendor, credentials: Record<string, unknown>, key: string): string {
  const value = credentials[key];
  // Name the missing key, never a value.
  if (typeof value !== "string" || value === "") throw new Error(`the ${vendor} simulator reported no "${key}" credential`);
  return value;
}

function b64(value: string): string {
  return Buffer.from(value, "utf8").toString("base64");
}

function secret(name: string, namespace: string, data: Record<string, string>): SecretObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels: { ...DEV_LABELS } },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

/** The credentials Secret with the default keys the connection reads (DEFAULT_CREDENTIAL_KEYS). */
export function credentialsSecret(vendor: Vendor, sim: SimulatorEndpoint, namespace = DEV_NAMESPACE): SecretObject {
  const c = sim.credentials;
  const name = CREDENTIAL_SECRETS[vendor];
  switch (vendor) {
    case "zpa":
      return secret(name, namespace, { clientId: field(vendor, c, "clientId"), clientSecret: field(vendor, c, "clientSecret") });
    case "cloudflare":
      return secret(name, namespace, { apiToken: field(vendor, c, "apiToken") });
    case "sectigo":
      return secret(name, namespace, { login: field(vendor, c, "login"), password: field(vendor, c, "password") });
  }
}

function vendorBlock(vendor: Vendor, sim: SimulatorEndpoint): Record<string, unknown> {
  const c = sim.credentials;
  switch (vendor) {
    case "zpa":
      return { zpa: { authMode: "Legacy", baseUrl: sim.url, customerId: field(vendor, c, "customerId") } };
    case "cloudflare":
      return { cloudflare: { authMode: "APIToken", baseUrl: sim.url, zoneId: field(vendor, c, "zoneId") } };
    case "sectigo":
      return { sectigo: { authMode: "Password", baseUrl: sim.url, customerUri: field(vendor, c, "customerUri") } };
  }
}

function validated(what: string, result: ParseResult<unknown>): void {
  if (!result.ok) throw new Error(`${what} does not match the API schema: ${problemsMessage(result.problems)}`);
}

/** A VendorConnection pointing at the simulator, trusting the simulator CA; validated before it is returned. */
export function vendorConnection(vendor: Vendor, sim: SimulatorEndpoint, caPem: string | undefined, namespace = DEV_NAMESPACE): KubeObject {
  const object = {
    apiVersion: API_VERSION,
    kind: "VendorConnection",
    metadata: { name: CONNECTION_NAMES[vendor], namespace, labels: { ...DEV_LABELS } },
    spec: {
      ...vendorBlock(vendor, sim),
      credentialsRef: { name: CREDENTIAL_SECRETS[vendor] },
      ...(caPem === undefined ? {} : { caBundle: caPem }),
    },
  };
  validated(`VendorConnection ${CONNECTION_NAMES[vendor]}`, parseVendorConnection(object));
  return object;
}

// ---------------------------------------------------------------------------------------------------
// Samples

type SampleKind = "ManagedCertificate" | "ProvisioningKey";

interface Sample extends KubeObject {
  kind: SampleKind;
  spec: Record<string, unknown>;
}

function isSample(doc: unknown): doc is Sample {
  if (typeof doc !== "object" || doc === null) return false;
  const d = doc as { kind?: unknown; metadata?: unknown; spec?: unknown };
  return (d.kind === "ManagedCertificate" || d.kind === "ProvisioningKey") && typeof d.metadata === "object" && typeof d.spec === "object";
}

/** Which vendor a sample needs: the issuing vendor block of a certificate; ZPA for a provisioning key. */
export function sampleVendor(sample: Sample): Vendor {
  if (sample.kind === "ProvisioningKey") return "zpa";
  return sample.spec.cloudflare !== undefined ? "cloudflare" : "sectigo";
}

/** Every ManagedCertificate and ProvisioningKey in the samples folder, in file order. */
export async function readSamples(dir: string): Promise<Sample[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
  const samples: Sample[] = [];
  for (const file of files) {
    for (const doc of loadAll(await readFile(join(dir, file), "utf8"))) if (isSample(doc)) samples.push(doc);
  }
  return samples;
}

const connectionRef = (vendor: Vendor) => ({ kind: "VendorConnection", name: CONNECTION_NAMES[vendor] });

/**
 * The sample moved into the dev namespace and pointed at the dev connections (a ZPA publish target
 * too), validated as the operator will parse it.
 */
export function rewriteSample(sample: Sample, namespace = DEV_NAMESPACE): Sample {
  const spec: Record<string, unknown> = { ...sample.spec, connectionRef: connectionRef(sampleVendor(sample)) };
  const publish = spec.publish as { zpa?: Record<string, unknown> } | undefined;
  if (publish?.zpa !== undefined) spec.publish = { ...publish, zpa: { ...publish.zpa, connectionRef: connectionRef("zpa") } };
  const name = sample.metadata.name ?? "";
  const rewritten: Sample = {
    apiVersion: sample.apiVersion ?? API_VERSION,
    kind: sample.kind,
    metadata: { name, namespace, labels: { ...sample.metadata.labels, ...DEV_LABELS } },
    spec,
  };
  validated(`sample ${sample.kind} ${name}`, parseResource(rewritten));
  return rewritten;
}

/** Secrets a sample refers to that a user would create by hand (PKCS#12 keystore passwords): random values. */
export function referencedSecrets(sample: Sample, namespace = DEV_NAMESPACE): SecretObject[] {
  const formats = (sample.spec.additionalOutputFormats as Array<{ passwordSecretRef?: { name: string; key: string } }> | undefined) ?? [];
  return formats.flatMap((f) =>
    f.passwordSecretRef === undefined ? [] : [secret(f.passwordSecretRef.name, namespace, { [f.passwordSecretRef.key]: randomBytes(18).toString("base64url") })],
  );
}

/**
 * Everything to apply, in dependency order: Secrets, connections, then samples. Samples for a vendor
 * whose simulator is not running are left out and reported.
 */
export function devObjects(
  sims: Partial<Record<Vendor, SimulatorEndpoint>>,
  caPem: string | undefined,
  samples: readonly Sample[],
  namespace = DEV_NAMESPACE,
): { objects: DevObject[]; skipped: string[] } {
  const vendors = (["zpa", "cloudflare", "sectigo"] as const).filter((v) => sims[v] !== undefined);
  const objects: DevObject[] = [];
  const skipped: string[] = [];
  for (const v of vendors) objects.push({ kind: "Secret", object: credentialsSecret(v, sims[v]!, namespace) });
  for (const v of vendors) objects.push({ kind: "VendorConnection", object: vendorConnection(v, sims[v]!, caPem, namespace) });
  for (const sample of samples) {
    const vendor = sampleVendor(sample);
    const needsZpa = (sample.spec.publish as { zpa?: unknown } | undefined)?.zpa !== undefined;
    if (sims[vendor] === undefined || (needsZpa && sims.zpa === undefined)) {
      skipped.push(`${sample.kind} ${sample.metadata.name ?? ""} (no ${vendor} simulator)`);
      continue;
    }
    for (const s of referencedSecrets(sample, namespace)) objects.push({ kind: "Secret", object: s });
    objects.push({ kind: sample.kind, object: rewriteSample(sample, namespace) });
  }
  return { objects, skipped };
}
