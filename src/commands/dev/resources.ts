// The objects `certbridge dev` puts into its namespace: one credentials Secret and one VendorConnection
// per running simulator, and the ManagedCertificate/ProvisioningKey samples re-pointed at them. The
// samples document real tenants (their org, profile and group names), so each is mapped onto what the
// simulators hold (a `SimCatalog`) to become Ready there. Pure builders, so what the dev environment
// applies is tested without a cluster.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { API_VERSION } from "../../api/v1alpha1/group.ts";
import { type ParseResult, parseResource, parseVendorConnection, problemsMessage } from "../../api/v1alpha1/parse.ts";
import { DEFAULT_ENROLLMENT_CERTIFICATE } from "../../api/v1alpha1/provisioningkey.ts";
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

export type SectigoType = "SSL" | "Client" | "Device";
export type ZpaAssociationType = "CONNECTOR_GRP" | "SERVICE_EDGE_GRP";

/** What a Sectigo tenant offers enrollments: organizations (and departments), profiles and custom fields per type. */
export interface SectigoCatalog {
  /** Organization and department ids; the first is the dev connection's default org. */
  readonly orgIds: readonly number[];
  readonly profiles: Record<SectigoType, readonly { readonly id: number; readonly name: string; readonly renewable: boolean }[]>;
  readonly customFields: Record<SectigoType, readonly { readonly name: string; readonly mandatory: boolean }[]>;
}

/** What a ZPA tenant offers provisioning keys: groups per association type and enrollment certificates. */
export interface ZpaCatalog {
  readonly groups: Record<
    ZpaAssociationType,
    readonly { readonly id: string; readonly name: string; readonly enabled: boolean; readonly microtenantId: string }[]
  >;
  readonly enrollmentCertificates: readonly { readonly id: string; readonly name: string; readonly privateKeyPresent: boolean }[];
}

/** What the running simulators hold, per vendor; a vendor without an entry gets its samples as written. */
export interface SimCatalog {
  readonly sectigo?: SectigoCatalog;
  readonly zpa?: ZpaCatalog;
}

export interface SecretObject extends KubeObject {
  type: string;
  data: Record<string, string>;
}

export type DevObject =
  | { readonly kind: "Secret"; readonly object: SecretObject }
  | { readonly kind: "VendorConnection" | "ManagedCertificate" | "ProvisioningKey"; readonly object: KubeObject };

export const DEV_LABELS = { "app.kubernetes.io/part-of": "certbridge-dev" } as const;

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

function vendorBlock(vendor: Vendor, sim: SimulatorEndpoint, catalog: SimCatalog): Record<string, unknown> {
  const c = sim.credentials;
  switch (vendor) {
    case "zpa":
      return { zpa: { authMode: "Legacy", baseUrl: sim.url, customerId: field(vendor, c, "customerId") } };
    case "cloudflare":
      return { cloudflare: { authMode: "APIToken", baseUrl: sim.url, zoneId: field(vendor, c, "zoneId") } };
    case "sectigo": {
      // Enrollments need an org; the simulator's first one is the default, as an SCM admin would set it.
      const orgId = catalog.sectigo?.orgIds[0];
      return { sectigo: { authMode: "Password", baseUrl: sim.url, customerUri: field(vendor, c, "customerUri"), ...(orgId === undefined ? {} : { orgId }) } };
    }
  }
}

function validated(what: string, result: ParseResult<unknown>): void {
  if (!result.ok) throw new Error(`${what} does not match the API schema: ${problemsMessage(result.problems)}`);
}

/** A VendorConnection pointing at the simulator, trusting the simulator CA; validated before it is returned. */
export function vendorConnection(
  vendor: Vendor,
  sim: SimulatorEndpoint,
  caPem: string | undefined,
  namespace = DEV_NAMESPACE,
  catalog: SimCatalog = {},
): KubeObject {
  const object = {
    apiVersion: API_VERSION,
    kind: "VendorConnection",
    metadata: { name: CONNECTION_NAMES[vendor], namespace, labels: { ...DEV_LABELS } },
    spec: {
      ...vendorBlock(vendor, sim, catalog),
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

export interface Sample extends KubeObject {
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

/** Value given to a mandatory custom field the sample does not fill (the sample's tenant has other fields). */
export const DEV_CUSTOM_FIELD_VALUE = "certbridge-dev";

type Ref<T> = { id?: T; name?: string };

/** The same kind of reference (by id or by name) the sample used, now to `target`. */
function sameForm<T>(ref: Ref<T>, target: { id: T; name: string }): Ref<T> {
  return ref.id !== undefined ? { id: target.id } : { name: target.name };
}

/**
 * The Sectigo block mapped onto the simulated tenant: a profile of the right type (the sample's if
 * the tenant has it, else the first renewable one, referenced the same way), an org the tenant has,
 * and custom fields under the tenant's names with every mandatory one filled.
 */
export function mapSectigo(block: Record<string, unknown>, catalog: SectigoCatalog): Record<string, unknown> {
  const type = block.type as SectigoType;
  const out: Record<string, unknown> = { ...block };
  const profiles = catalog.profiles[type] ?? [];
  const ref = (block.profile ?? {}) as Ref<number>;
  const matches = (p: { id: number; name: string }) =>
    ref.id !== undefined ? p.id === ref.id : ref.name !== undefined && p.name.toLowerCase() === ref.name.toLowerCase();
  if (!profiles.some(matches)) {
    const target = profiles.find((p) => p.renewable) ?? profiles[0];
    if (target !== undefined) out.profile = sameForm(ref, target);
  }
  const orgId = block.orgId as number | undefined;
  if (orgId !== undefined && !catalog.orgIds.includes(orgId) && catalog.orgIds[0] !== undefined) out.orgId = catalog.orgIds[0];
  const defs = catalog.customFields[type] ?? [];
  const given = (block.customFields as { name: string; value: string }[] | undefined) ?? [];
  const fields: { name: string; value: string }[] = [];
  for (const f of given) {
    // Field names differ between tenants; one the tenant lacks would be refused, so it is left out.
    const def = defs.find((d) => d.name.toLowerCase() === f.name.toLowerCase());
    if (def !== undefined && !fields.some((x) => x.name === def.name)) fields.push({ name: def.name, value: f.value });
  }
  for (const d of defs)
    if (d.mandatory && !fields.some((x) => x.name === d.name && x.value.trim() !== "")) fields.push({ name: d.name, value: DEV_CUSTOM_FIELD_VALUE });
  if (fields.length > 0) out.customFields = fields;
  else delete out.customFields;
  return out;
}

function usableGroups(catalog: ZpaCatalog, type: ZpaAssociationType) {
  // The dev connection sets no microtenant: only default-microtenant groups are visible and usable.
  return (catalog.groups[type] ?? []).filter((g) => g.enabled && g.microtenantId === "0");
}

/** The group a ProvisioningKey sample resolves to in the simulated tenant, if any. */
function zpaGroup(spec: Record<string, unknown>, catalog: ZpaCatalog) {
  const ref = spec.group as Ref<string>;
  const groups = usableGroups(catalog, spec.associationType as ZpaAssociationType);
  return groups.find((g) => (ref.id !== undefined ? g.id === ref.id : g.name === ref.name));
}

/** The enrollment certificate a ProvisioningKey sample resolves to (its own or the type's default name). */
function zpaEnrollmentCertificate(spec: Record<string, unknown>, catalog: ZpaCatalog) {
  const ref = (spec.enrollmentCertificate as Ref<string> | undefined) ?? { name: DEFAULT_ENROLLMENT_CERTIFICATE[spec.associationType as ZpaAssociationType] };
  return catalog.enrollmentCertificates.find((c) => c.privateKeyPresent && (ref.id !== undefined ? c.id === ref.id : c.name === ref.name));
}

/**
 * The ProvisioningKey spec mapped onto the simulated tenant: a group of the association type the
 * tenant has (the sample's if present, else the first usable one, referenced the same way), and an
 * enrollment certificate with a private key (else the controller's default for the type).
 */
function mapZpa(spec: Record<string, unknown>, catalog: ZpaCatalog): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  if (zpaGroup(spec, catalog) === undefined) {
    const target = usableGroups(catalog, spec.associationType as ZpaAssociationType)[0];
    if (target !== undefined) out.group = sameForm(spec.group as Ref<string>, target);
  }
  if (spec.enrollmentCertificate !== undefined && zpaEnrollmentCertificate(spec, catalog) === undefined) delete out.enrollmentCertificate;
  return out;
}

/**
 * The sample moved into the dev namespace, pointed at the dev connections (a ZPA publish target
 * too), mapped onto what the simulators hold, and validated as the operator will parse it.
 */
export function rewriteSample(sample: Sample, namespace = DEV_NAMESPACE, catalog: SimCatalog = {}): Sample {
  let spec: Record<string, unknown> = { ...sample.spec, connectionRef: connectionRef(sampleVendor(sample)) };
  const publish = spec.publish as { zpa?: Record<string, unknown> } | undefined;
  if (publish?.zpa !== undefined) spec.publish = { ...publish, zpa: { ...publish.zpa, connectionRef: connectionRef("zpa") } };
  if (sample.kind === "ManagedCertificate" && spec.sectigo !== undefined && catalog.sectigo !== undefined)
    spec.sectigo = mapSectigo(spec.sectigo as Record<string, unknown>, catalog.sectigo);
  if (sample.kind === "ProvisioningKey" && catalog.zpa !== undefined) spec = mapZpa(spec, catalog.zpa);
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

/** A provisioning key to put into the ZPA simulator before the samples are applied. */
export interface PresetKey {
  readonly associationType: ZpaAssociationType;
  readonly name: string;
  readonly groupId: string;
  readonly enrollmentCertId: string;
  readonly maxUsage: number;
  readonly enabled: boolean;
}

/**
 * The keys that rewritten ProvisioningKey samples expect to exist already: a sample that names its
 * key (`spec.name`) names an existing key (ObserveOnly requires one; Manage adopts it), so dev puts
 * it in the simulator as that tenant would hold it. Samples whose group or certificate the tenant
 * lacks get none: the controller reports that as it would in production.
 */
export function presetKeys(rewritten: readonly Sample[], catalog: ZpaCatalog): PresetKey[] {
  const keys: PresetKey[] = [];
  for (const s of rewritten) {
    if (s.kind !== "ProvisioningKey" || typeof s.spec.name !== "string") continue;
    const group = zpaGroup(s.spec, catalog);
    const cert = zpaEnrollmentCertificate(s.spec, catalog);
    if (group === undefined || cert === undefined) continue;
    keys.push({
      associationType: s.spec.associationType as ZpaAssociationType,
      name: s.spec.name,
      groupId: group.id,
      enrollmentCertId: cert.id,
      maxUsage: typeof s.spec.maxUsage === "number" ? s.spec.maxUsage : 1,
      enabled: s.spec.enabled !== false,
    });
  }
  return keys;
}

/** Secrets a sample refers to that a user would create by hand (PKCS#12 keystore passwords): random values. */
export function referencedSecrets(sample: Sample, namespace = DEV_NAMESPACE): SecretObject[] {
  const formats = (sample.spec.additionalOutputFormats as Array<{ passwordSecretRef?: { name: string; key: string } }> | undefined) ?? [];
  return formats.flatMap((f) =>
    f.passwordSecretRef === undefined
      ? []
      : [secret(f.passwordSecretRef.name, namespace, { [f.passwordSecretRef.key]: randomBytes(18).toString("base64url") })],
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
  catalog: SimCatalog = {},
): { objects: DevObject[]; skipped: string[] } {
  const vendors = (["zpa", "cloudflare", "sectigo"] as const).filter((v) => sims[v] !== undefined);
  const objects: DevObject[] = [];
  const skipped: string[] = [];
  for (const v of vendors) objects.push({ kind: "Secret", object: credentialsSecret(v, sims[v]!, namespace) });
  for (const v of vendors) objects.push({ kind: "VendorConnection", object: vendorConnection(v, sims[v]!, caPem, namespace, catalog) });
  for (const sample of samples) {
    const vendor = sampleVendor(sample);
    const needsZpa = (sample.spec.publish as { zpa?: unknown } | undefined)?.zpa !== undefined;
    if (sims[vendor] === undefined || (needsZpa && sims.zpa === undefined)) {
      skipped.push(`${sample.kind} ${sample.metadata.name ?? ""} (no ${vendor} simulator)`);
      continue;
    }
    for (const s of referencedSecrets(sample, namespace)) objects.push({ kind: "Secret", object: s });
    objects.push({ kind: sample.kind, object: rewriteSample(sample, namespace, catalog) });
  }
  return { objects, skipped };
}
