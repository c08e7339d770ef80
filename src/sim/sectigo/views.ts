// How the simulated SCM renders orders: the documented field names per family and endpoint, dates in
// the endpoint's default format unless `dateFormat` asks otherwise, absent fields omitted.
import { createHash } from "node:crypto";
import { pemToDer } from "../../pki/formats.ts";
import { colonSerial, statusText, type Order } from "./model.ts";
import type { SeedProfile } from "./seed.ts";

// --- dates --------------------------------------------------------------------------------------

const NAMED: Record<string, string> = {
  ISO: "yyyy-MM-dd",
  ISO_HMS: "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
  EU: "dd.MM.yyyy",
  EU_HMS: "dd.MM.yyyy HH:mm:ss",
  US: "MM/dd/yyyy",
  US_HMS: "MM/dd/yyyy HH:mm:ss",
  UK: "dd/MM/yyyy",
  UK_HMS: "dd/MM/yyyy HH:mm:ss",
  JP: "yyyy/MM/dd",
  JP_HMS: "yyyy/MM/dd HH:mm:ss",
};
const PATTERNS = new Map(Object.values(NAMED).map((p) => [p.toLowerCase(), p]));

/** `dateFormat`, case-insensitive, as an enum name or one of the documented patterns. */
export function resolveDateFormat(param: string | null, fallback: string): string | undefined {
  if (param === null || param === "") return fallback;
  return NAMED[param.toUpperCase()] ?? PATTERNS.get(param.toLowerCase());
}

export function formatDate(ms: number, pattern: string): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  return pattern
    .replace("yyyy", String(d.getUTCFullYear()))
    .replace("MM", pad(d.getUTCMonth() + 1))
    .replace("dd", pad(d.getUTCDate()))
    .replace("HH", pad(d.getUTCHours()))
    .replace("mm", pad(d.getUTCMinutes()))
    .replace("ss", pad(d.getUTCSeconds()))
    .replace("SSS", pad(d.getUTCMilliseconds(), 3))
    .replace(/'T'/, "T")
    .replace(/'Z'/, "Z");
}

export const US_DATE = NAMED["US"]!;
export const ISO_DATE = NAMED["ISO"]!;

// --- pieces -------------------------------------------------------------------------------------

export function profileView(p: SeedProfile, family: "ssl" | "smime" | "device"): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    terms: p.terms,
    keyTypes: p.keyTypes,
    useSecondaryOrgName: p.useSecondaryOrgName,
    ...(family === "device" ? { term: p.term ?? p.terms[0], ku: p.ku ?? [], eku: p.eku ?? [] } : {}),
  };
}

function hashes(pem: string): { md5Hash: string; sha1Hash: string; sha256Hash: string } {
  const der = pemToDer(pem);
  const h = (alg: string): string => createHash(alg).update(der).digest("hex").toUpperCase();
  return { md5Hash: h("md5"), sha1Hash: h("sha1"), sha256Hash: h("sha256") };
}

function certificateDetails(o: Order): Record<string, unknown> {
  const m = o.material;
  // Before issuance the documented device examples (APPROVED) already show the requested subject.
  if (m === undefined) return { subject: `CN=${o.commonName}` };
  return {
    issuer: m.issuer,
    subject: m.subject,
    subjectAltNames: o.sans.map((s) => `dNSName=${s}`).join(", "),
    sha1Hash: m.sha1,
    sha256Hash: m.sha256,
  };
}

function csrDetails(o: Order): Record<string, unknown> {
  return { ...hashes(o.csrPem), csr: o.csrPem.trim() };
}

function dated(o: Order, pattern: string): Record<string, string> {
  const out: Record<string, string> = { requested: formatDate(o.requestedAt, pattern) };
  if (o.approvedAt !== undefined) out["approved"] = formatDate(o.approvedAt, pattern);
  if (o.material !== undefined) {
    out["issued"] = formatDate(o.material.notBefore.getTime(), pattern);
    out["expires"] = formatDate(o.material.notAfter.getTime(), pattern);
  } else {
    // Before issuance the documented examples (SSL update, device details) already show an expiry:
    // the request date plus the term.
    out["expires"] = formatDate(o.requestedAt + o.term * 86_400_000, pattern);
  }
  if (o.declinedAt !== undefined) out["declined"] = formatDate(o.declinedAt, pattern);
  if (o.revokedAt !== undefined) out["revoked"] = formatDate(o.revokedAt, pattern);
  return out;
}

function keyView(o: Order): Record<string, unknown> {
  return { keyAlgorithm: o.keyAlgorithm, keySize: o.keySize, keyType: `${o.keyAlgorithm} - ${o.keySize}` };
}

// What the test CA puts in leaves, as SCM names usages (names for KU, OIDs for EKU).
const EKU: Record<Order["family"], string[]> = {
  ssl: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
  smime: ["1.3.6.1.5.5.7.3.2"],
  device: ["1.3.6.1.5.5.7.3.2"],
};

function usageView(o: Order): Record<string, unknown> {
  if (o.material === undefined) return {};
  const ku = o.keyAlgorithm === "RSA" && o.family !== "smime" ? ["Digital Signature", "Key Encipherment"] : ["Digital Signature"];
  return { keyUsages: ku, extendedKeyUsages: EKU[o.family] };
}

function serialView(o: Order): Record<string, string> {
  return o.material === undefined ? {} : { serialNumber: colonSerial(o.material.serialHex) };
}

function revokedView(o: Order): Record<string, unknown> {
  return o.reasonCode === undefined ? {} : { reasonCode: o.reasonCode };
}

// --- SSL ----------------------------------------------------------------------------------------

export function sslDetailsView(o: Order, datePattern: string): Record<string, unknown> {
  return {
    commonName: o.commonName,
    sslId: o.id,
    id: o.id,
    orgId: o.orgId,
    status: statusText(o),
    orderNumber: o.orderNumber,
    backendCertId: o.backendCertId,
    vendor: "Sectigo",
    certType: profileView(o.profile, "ssl"),
    validationType: "Organization Validation (OV)",
    term: o.term,
    owner: "certbridge sim",
    ownerId: 1,
    requester: "certbridge-sim@nobody.example.com",
    requestedVia: o.requestedVia === "REST API" ? "REST API" : o.requestedVia,
    ...(o.externalRequester === "" ? {} : { externalRequester: o.externalRequester }),
    ...(o.comments === "" ? {} : { comments: o.comments }),
    ...dated(o, datePattern),
    ...revokedView(o),
    renewed: o.renewed,
    ...(o.renewedAt === undefined ? {} : { renewedDate: formatDate(o.renewedAt, datePattern) }),
    ...serialView(o),
    ...keyView(o),
    ...usageView(o),
    subjectAlternativeNames: o.sans,
    customFields: o.customFields,
    certificateDetails: certificateDetails(o),
    autoInstallDetails: { state: "Not configured" },
    autoRenewDetails: { state: "Not scheduled" },
    suspendNotifications: false,
    csrDetails: csrDetails(o),
  };
}

export function sslListItemView(o: Order): Record<string, unknown> {
  return {
    sslId: o.id,
    commonName: o.commonName,
    ...(o.sans.length === 0 ? {} : { subjectAlternativeNames: o.sans }),
    ...serialView(o),
  };
}

// --- client -------------------------------------------------------------------------------------

export function clientDetailsView(o: Order, datePattern: string): Record<string, unknown> {
  return {
    commonName: o.commonName,
    id: o.id,
    orgId: o.orgId,
    status: statusText(o),
    backendCertId: o.backendCertId,
    certType: profileView(o.profile, "smime"),
    subType: "Private",
    term: o.term,
    requestedVia: "REST API",
    ...(o.comments === "" ? {} : { comments: o.comments }),
    ...dated(o, datePattern),
    ...revokedView(o),
    ...serialView(o),
    ...keyView(o),
    ...usageView(o),
    ...(o.person === undefined ? {} : { subjectAlternativeNames: [o.person.email] }),
    customFields: o.customFields,
    certificateDetails: certificateDetails(o),
    suspendNotifications: false,
    csrDetails: csrDetails(o),
  };
}

export function clientListItemView(o: Order, datePattern: string): Record<string, unknown> {
  return {
    id: o.id,
    state: statusText(o),
    certificateDetails: o.material === undefined ? {} : { subject: o.material.subject, sha256Hash: o.material.sha256.toLowerCase() },
    ...serialView(o),
    orderNumber: o.orderNumber,
    backendCertId: o.backendCertId,
    ...(o.material === undefined ? {} : { expires: formatDate(o.material.notAfter.getTime(), datePattern) }),
    ...(o.comments === "" ? {} : { comments: o.comments }),
  };
}

/** The deprecated v1 per-person lists answered a narrower entry (25.5 edition). */
export function clientV1ListItemView(o: Order): Record<string, unknown> {
  return { id: o.id, state: statusText(o), certificateDetails: o.material === undefined ? {} : { subject: o.material.subject } };
}

export function clientOrderView(o: Order): Record<string, unknown> {
  return { id: o.id, orderNumber: o.orderNumber, backendCertId: o.backendCertId };
}

// --- device -------------------------------------------------------------------------------------

export function deviceDetailsView(o: Order, datePattern: string): Record<string, unknown> {
  return {
    commonName: o.commonName,
    id: o.id,
    orgId: o.orgId,
    status: statusText(o, "details"),
    orderNumber: o.orderNumber,
    backendCertId: o.backendCertId,
    certType: profileView(o.profile, "device"),
    term: o.term,
    requester: "certbridge-sim@nobody.example.com",
    ...(o.comments === "" ? {} : { comments: o.comments }),
    ...dated(o, datePattern),
    ...keyView(o),
    ...serialView(o),
    customFields: o.customFields,
    certificateDetails: certificateDetails(o),
    csrDetails: csrDetails(o),
  };
}

export function deviceListItemView(o: Order): Record<string, unknown> {
  return {
    id: o.id,
    status: statusText(o, "list"),
    backendCertId: o.backendCertId,
    certificateDetails: { subject: o.material?.subject ?? `CN=${o.commonName}` },
  };
}

export function deviceOrderView(o: Order): Record<string, unknown> {
  return { deviceCertId: o.id, status: statusText(o, "list"), backendCertId: o.backendCertId, orderNumber: o.orderNumber };
}
