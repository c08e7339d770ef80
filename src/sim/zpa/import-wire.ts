// Turns documented wire objects (the examples in the ZPA docs) back into simulator state, so a test can
// seed exactly what an example shows and check the simulator answers with the same JSON.
import type { AssociationType, StoredCertificate, StoredEnrollmentCert, StoredGroup, StoredProvisioningKey } from "./model.ts";
import type { SeedData } from "./seed.ts";

type W = Record<string, unknown>;
const s = (w: W, k: string): string | undefined => (typeof w[k] === "string" ? (w[k] as string) : undefined);
const n = (w: W, k: string): number | undefined => (s(w, k) === undefined ? undefined : Number(s(w, k)));
const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]?: V }));

export function enrollmentCertFromWire(w: W): StoredEnrollmentCert {
  return {
    id: s(w, "id")!,
    name: s(w, "name") ?? "",
    creationTime: n(w, "creationTime") ?? 0,
    modifiedBy: s(w, "modifiedBy") ?? "0",
    allowSigning: w["allowSigning"] === true,
    privateKeyPresent: w["privateKeyPresent"] === true,
    clientCertType: (s(w, "clientCertType") ?? "NONE") as StoredEnrollmentCert["clientCertType"],
    ...opt("description", s(w, "description")),
    ...opt("modifiedTime", n(w, "modifiedTime")),
    ...opt("cName", s(w, "cName")),
    ...opt("validFromInEpochSec", n(w, "validFromInEpochSec")),
    ...opt("validToInEpochSec", n(w, "validToInEpochSec")),
    ...opt("certificate", s(w, "certificate")),
    ...opt("issuedTo", s(w, "issuedTo")),
    ...opt("issuedBy", s(w, "issuedBy")),
    ...opt("serialNo", s(w, "serialNo")),
    ...opt("csr", s(w, "csr")),
  };
}

export function certificateFromWire(w: W): StoredCertificate {
  return {
    id: s(w, "id")!,
    name: s(w, "name") ?? "",
    microtenantId: "0",
    creationTime: n(w, "creationTime") ?? 0,
    modifiedBy: s(w, "modifiedBy") ?? "0",
    cName: s(w, "cName") ?? "",
    validFromInEpochSec: n(w, "validFromInEpochSec") ?? 0,
    validToInEpochSec: n(w, "validToInEpochSec") ?? 0,
    certificate: s(w, "certificate") ?? "",
    issuedTo: s(w, "issuedTo") ?? "",
    issuedBy: s(w, "issuedBy") ?? "",
    serialNo: s(w, "serialNo") ?? "0",
    publicKey: s(w, "publicKey") ?? "",
    san: Array.isArray(w["san"]) ? (w["san"] as string[]) : [],
    ...opt("description", s(w, "description")),
    ...opt("modifiedTime", n(w, "modifiedTime")),
    ...opt("certChain", s(w, "certChain")),
  };
}

/** A key plus the group and enrollment certificate its joined names point at. */
export function keyFromWire(w: W, type: AssociationType): { key: StoredProvisioningKey; group: StoredGroup; cert: StoredEnrollmentCert } {
  const key: StoredProvisioningKey = {
    id: s(w, "id")!,
    associationType: type,
    name: s(w, "name") ?? "",
    maxUsage: n(w, "maxUsage") ?? 1,
    usageCount: n(w, "usageCount") ?? 0,
    enabled: w["enabled"] !== false,
    enrollmentCertId: s(w, "enrollmentCertId")!,
    zcomponentId: s(w, "zcomponentId")!,
    provisioningKey: s(w, "provisioningKey")!,
    microtenantId: "0",
    creationTime: n(w, "creationTime") ?? 0,
    modifiedBy: s(w, "modifiedBy") ?? "0",
    ...opt("autoSign", s(w, "autoSign")),
    ...opt("modifiedTime", n(w, "modifiedTime")),
  };
  const group: StoredGroup = {
    id: key.zcomponentId,
    type,
    name: s(w, "zcomponentName") ?? s(w, "appConnectorGroupName") ?? `group ${key.zcomponentId}`,
    enabled: true,
    microtenantId: "0",
    creationTime: key.creationTime,
    modifiedBy: key.modifiedBy,
  };
  const cert: StoredEnrollmentCert = {
    id: key.enrollmentCertId,
    name: s(w, "enrollmentCertName") ?? `cert ${key.enrollmentCertId}`,
    creationTime: key.creationTime,
    modifiedBy: key.modifiedBy,
    allowSigning: true,
    privateKeyPresent: true,
    clientCertType: "NONE",
  };
  return { key, group, cert };
}

export function emptySeed(): SeedData {
  return { microtenants: [], groups: [], enrollmentCerts: [], certificates: [], provisioningKeys: [] };
}

/** Merge seeds; later objects with the same id win. */
export function mergeSeeds(...seeds: SeedData[]): SeedData {
  const byId = <T extends { id: string }>(xs: T[]): T[] => [...new Map(xs.map((x) => [x.id, x])).values()];
  return {
    microtenants: byId(seeds.flatMap((x) => [...x.microtenants])),
    groups: byId(seeds.flatMap((x) => [...x.groups])),
    enrollmentCerts: byId(seeds.flatMap((x) => [...x.enrollmentCerts])),
    certificates: byId(seeds.flatMap((x) => [...x.certificates])),
    provisioningKeys: byId(seeds.flatMap((x) => [...x.provisioningKeys])),
    segmentGroups: byId(seeds.flatMap((x) => [...(x.segmentGroups ?? [])])),
    serverGroups: byId(seeds.flatMap((x) => [...(x.serverGroups ?? [])])),
    applications: byId(seeds.flatMap((x) => [...(x.applications ?? [])])),
  };
}

/** Seed data reproducing one documented response (a list envelope or a single object). */
export function seedFromExample(kind: "provisioningKey" | "enrollmentCert" | "certificate", json: unknown, type: AssociationType = "CONNECTOR_GRP"): SeedData {
  const body = json as W;
  const items = (Array.isArray(body["list"]) ? body["list"] : [body]) as W[];
  const seed = emptySeed() as { -readonly [K in keyof SeedData]-?: NonNullable<SeedData[K]>[number][] };
  for (const w of items) {
    if (kind === "enrollmentCert") seed.enrollmentCerts.push(enrollmentCertFromWire(w));
    else if (kind === "certificate") seed.certificates.push(certificateFromWire(w));
    else {
      const { key, group, cert } = keyFromWire(w, type);
      seed.provisioningKeys.push(key);
      seed.groups.push(group);
      seed.enrollmentCerts.push(cert);
    }
  }
  return mergeSeeds(seed);
}
