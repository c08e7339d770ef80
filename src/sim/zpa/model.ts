// Stored objects of the ZPA simulator and how each one renders on the wire: ids, counts and epoch
// seconds as strings, booleans as booleans, optional fields omitted rather than null. What differs
// between the documents and recorded traffic is decided by the profile's facts (profile.ts).
import type { ParsedCertBlob } from "./cert-blob.ts";
import { PROFILES, type ProfileFacts } from "./profile.ts";

export const associationTypes = ["CONNECTOR_GRP", "SERVICE_EDGE_GRP"] as const;
export type AssociationType = (typeof associationTypes)[number];

export const DEFAULT_MICROTENANT = "0";

export type Microtenant = { readonly id: string; readonly name: string };

/** What every stored ZPA object carries: its identity and who changed it when. */
export type Stamped = {
  id: string;
  name: string;
  description?: string;
  creationTime: number;
  modifiedTime?: number;
  modifiedBy: string;
};

/** A stamped object that lives in a microtenant and can be switched off. */
export type TenantGroup = Stamped & { enabled: boolean; microtenantId: string };

export type StoredGroup = TenantGroup & { type: AssociationType; location?: string };

export type StoredEnrollmentCert = {
  id: string;
  name: string;
  description?: string;
  creationTime: number;
  modifiedTime?: number;
  modifiedBy: string;
  cName?: string;
  validFromInEpochSec?: number;
  validToInEpochSec?: number;
  certificate?: string;
  issuedTo?: string;
  issuedBy?: string;
  serialNo?: string;
  allowSigning: boolean;
  privateKeyPresent: boolean;
  clientCertType: "NONE" | "ZAPP_CLIENT" | "ISOLATION_CLIENT";
  csr?: string;
};

export type StoredProvisioningKey = {
  id: string;
  associationType: AssociationType;
  name: string;
  maxUsage: number;
  usageCount: number;
  enabled: boolean;
  enrollmentCertId: string;
  zcomponentId: string;
  provisioningKey: string;
  autoSign?: string;
  microtenantId: string;
  creationTime: number;
  modifiedTime?: number;
  modifiedBy: string;
};

/** A browser-access certificate: what the uploaded blob says (cert-blob.ts), stamped. */
export type StoredCertificate = Stamped & { microtenantId: string } & ParsedCertBlob;

type Wire = Record<string, unknown>;

const put = (o: Wire, k: string, v: unknown): void => {
  if (v !== undefined) o[k] = v;
};
const str = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));

export function microtenantName(id: string, tenants: readonly Microtenant[]): string | undefined {
  if (id === DEFAULT_MICROTENANT) return "Default";
  return tenants.find((t) => t.id === id)?.name;
}

export function groupToWire(g: StoredGroup, tenants: readonly Microtenant[]): Wire {
  const o: Wire = { id: g.id };
  put(o, "modifiedTime", str(g.modifiedTime));
  o["creationTime"] = String(g.creationTime);
  o["modifiedBy"] = g.modifiedBy;
  o["name"] = g.name;
  put(o, "description", g.description);
  o["enabled"] = g.enabled;
  put(o, "location", g.location);
  if (g.microtenantId !== DEFAULT_MICROTENANT) o["microtenantId"] = g.microtenantId;
  put(o, "microtenantName", microtenantName(g.microtenantId, tenants));
  return o;
}

export function enrollmentCertToWire(c: StoredEnrollmentCert): Wire {
  const o: Wire = { id: c.id };
  put(o, "modifiedTime", str(c.modifiedTime));
  o["creationTime"] = String(c.creationTime);
  o["modifiedBy"] = c.modifiedBy;
  put(o, "cName", c.cName);
  put(o, "validFromInEpochSec", str(c.validFromInEpochSec));
  put(o, "validToInEpochSec", str(c.validToInEpochSec));
  put(o, "certificate", c.certificate);
  put(o, "issuedTo", c.issuedTo);
  put(o, "issuedBy", c.issuedBy);
  put(o, "serialNo", c.serialNo);
  put(o, "description", c.description);
  o["name"] = c.name;
  o["allowSigning"] = c.allowSigning;
  o["privateKeyPresent"] = c.privateKeyPresent;
  o["clientCertType"] = c.clientCertType;
  put(o, "csr", c.csr);
  return o;
}

export type KeyJoins = {
  readonly group?: StoredGroup | undefined;
  readonly cert?: StoredEnrollmentCert | undefined;
  readonly tenants: readonly Microtenant[];
};

/**
 * `view: "created"` is the POST answer, which omits the joined names (both the create example and the
 * recorded create do); reads add zcomponentName, enrollmentCertName and, in the documents only,
 * appConnectorGroupName (connector groups). Recorded keys also carry exportable/readOnly/zscalerManaged
 * (zscaler-sdk-python cassette TestAppConnectorGroupProvisioningKey.yaml).
 */
export function provisioningKeyToWire(k: StoredProvisioningKey, joins: KeyJoins, view: "read" | "created", facts: ProfileFacts = PROFILES.documented): Wire {
  const o: Wire = { id: k.id };
  if (view === "read" || facts.modifiedTimeOnCreate) put(o, "modifiedTime", str(k.modifiedTime));
  o["creationTime"] = String(k.creationTime);
  o["modifiedBy"] = k.modifiedBy;
  o["name"] = k.name;
  o["usageCount"] = String(k.usageCount);
  o["maxUsage"] = String(k.maxUsage);
  put(o, "autoSign", k.autoSign);
  o["zcomponentId"] = k.zcomponentId;
  o["enabled"] = k.enabled;
  if (view === "read") {
    put(o, "enrollmentCertName", joins.cert?.name);
    put(o, "zcomponentName", joins.group?.name);
  }
  if (facts.auditFlags) Object.assign(o, { exportable: true, readOnly: false, zscalerManaged: false });
  o["provisioningKey"] = k.provisioningKey;
  o["enrollmentCertId"] = k.enrollmentCertId;
  if (view === "read" && facts.appConnectorGroupName && k.associationType === "CONNECTOR_GRP") put(o, "appConnectorGroupName", joins.group?.name);
  if (k.microtenantId !== DEFAULT_MICROTENANT) {
    o["microtenantId"] = k.microtenantId;
    put(o, "microtenantName", microtenantName(k.microtenantId, joins.tenants));
  }
  return o;
}

/**
 * `legacy`: the deprecated clientlessCertificate endpoints, which predate microtenants and carry certChain.
 * `view: "created"`: the POST answer (recorded: no microtenantName until read, TestBACertificates.yaml).
 */
export function certificateToWire(
  c: StoredCertificate,
  tenants: readonly Microtenant[],
  opts: { legacy?: boolean; facts?: ProfileFacts; view?: "read" | "created" } = {},
): Wire {
  const facts = opts.facts ?? PROFILES.documented;
  const o: Wire = { id: c.id };
  put(o, "modifiedTime", str(c.modifiedTime));
  o["creationTime"] = String(c.creationTime);
  o["modifiedBy"] = c.modifiedBy;
  o["name"] = c.name;
  put(o, "description", c.description);
  o["cName"] = c.cName;
  if (opts.legacy !== true && (opts.view !== "created" || facts.microtenantNameOnCreate)) put(o, "microtenantName", microtenantName(c.microtenantId, tenants));
  o["validFromInEpochSec"] = String(c.validFromInEpochSec);
  o["validToInEpochSec"] = String(c.validToInEpochSec);
  o["certificate"] = c.certificate;
  o["issuedTo"] = c.issuedTo;
  o["issuedBy"] = c.issuedBy;
  o["serialNo"] = c.serialNo;
  o["publicKey"] = c.publicKey;
  if (opts.legacy === true) put(o, "certChain", c.certChain);
  if (c.san.length > 0) o["san"] = [...c.san];
  if (facts.auditFlags) Object.assign(o, { readOnly: false, zscalerManaged: false });
  return o;
}
