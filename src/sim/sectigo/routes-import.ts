// Importing existing certificates (DIGEST §3.4): SSL v1 takes a multipart upload of a zip and answers
// `{processedCount, errors[]}`; SSL v2, client v2 and device v1 take a JSON array (1..128) of
// `{orgID, cert (DER base-64), …}` and answer one result per element. Imported orders are issued and
// are the only ones DELETE accepts. A certificate already known (same serial in the family) is not
// created again; a CA certificate, or for client certificates one without an e-mail, is refused.
import { x509 } from "../../pki/x509.ts";
import type { SimRequest, SimResponse, SimRoute } from "../shared/server.ts";
import { faults } from "./faults.ts";
import type { FamilyTable } from "./families.ts";
import { json, scm, type RouteContext } from "./http.ts";
import { materialOf } from "./issuer.ts";
import { normalizeSerial, type Family, type IssuedMaterial, type Order, type SectigoModel } from "./model.ts";
import { asRecord } from "./validate.ts";
import { readZip } from "./zip.ts";

const MAX_IMPORT = 128;
const CERT_FILES = /\.(cer|crt|pem|der)$/i;

interface Parsed {
  readonly cert: InstanceType<typeof x509.X509Certificate>;
  readonly material: IssuedMaterial;
}

/** A certificate from PEM text or DER bytes; undefined when it does not parse. */
function parseCertificate(data: Buffer): Parsed | undefined {
  try {
    const text = data.toString("latin1");
    const cert = text.includes("-----BEGIN CERTIFICATE-----")
      ? new x509.X509Certificate(text.slice(text.indexOf("-----BEGIN CERTIFICATE-----")))
      : new x509.X509Certificate(data);
    return { cert, material: materialOf(cert.toString("pem"), []) };
  } catch {
    return undefined;
  }
}

const isCa = (c: Parsed["cert"]): boolean => c.getExtension(x509.BasicConstraintsExtension)?.ca === true;

/** The subject as SCM shows it in import results: most specific first, comma-joined ("CN=…,O=…,C=US"). */
function subjectText(c: Parsed["cert"]): string {
  return c.subjectName
    .toJSON()
    .flatMap((rdn) => Object.entries(rdn).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)))
    .reverse()
    .join(",");
}

function namesOf(c: Parsed["cert"]): { commonName: string; dns: string[]; emails: string[] } {
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  const items = san?.names.items ?? [];
  const dns = items.filter((n) => n.type === "dns").map((n) => n.value);
  const emails = items.filter((n) => n.type === "email").map((n) => n.value);
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(c.subject)?.[1];
  const subjectEmail = /(?:^|,\s*)E=([^,]+)/.exec(c.subject)?.[1];
  return { commonName: cn ?? dns[0] ?? emails[0] ?? "imported", dns, emails: subjectEmail === undefined ? emails : [...emails, subjectEmail] };
}

function importOne(
  model: SectigoModel,
  family: Family,
  p: Parsed,
  fields: { orgId: number; comments: string; customFields: { name: string; value: string }[] },
): Order {
  const names = namesOf(p.cert);
  const profile = model.seed.profiles[family][0]!;
  const key = p.cert.publicKey.algorithm as { name?: string; modulusLength?: number; namedCurve?: string };
  return model.importIssued(
    family,
    {
      orgId: fields.orgId,
      profile,
      term: Math.max(1, Math.round((p.material.notAfter.getTime() - p.material.notBefore.getTime()) / 86_400_000)),
      commonName: names.commonName,
      sans: family === "smime" ? names.emails : names.dns,
      csrPem: "",
      keyAlgorithm: key.name === "ECDSA" ? "EC" : "RSA",
      keySize: key.modulusLength ?? Number(/\d+/.exec(key.namedCurve ?? "")?.[0] ?? 0),
      comments: fields.comments,
      customFields: fields.customFields,
      requestedVia: "IMPORTED",
      ...(family === "smime" && names.emails[0] !== undefined
        ? { person: { email: names.emails[0], firstName: names.commonName, lastName: "", secondaryEmails: [] } }
        : {}),
    },
    p.material,
  );
}

function known(model: SectigoModel, family: Family, p: Parsed): Order | undefined {
  return model.bySerial(family, p.material.serialHex);
}

/** One element of a JSON import. */
function importElement(model: SectigoModel, family: Family, raw: unknown): Record<string, unknown> {
  const e = asRecord(raw);
  const backendCertId = typeof e["backendCertId"] === "string" ? e["backendCertId"] : undefined;
  const withBackend = backendCertId === undefined ? {} : { backendCertId };
  const orgId = typeof e["orgID"] === "number" ? e["orgID"] : NaN;
  const certText = typeof e["cert"] === "string" ? e["cert"].replace(/\s+/g, "") : "";
  const parsed = certText === "" ? undefined : parseCertificate(Buffer.from(certText, "base64"));
  if (parsed === undefined) return { successful: false, ...withBackend, cert: {}, errorMessage: "Failed to parse certificate: Certificate is corrupted" };
  const certInfo = { subject: subjectText(parsed.cert), serialNumber: normalizeSerial(parsed.material.serialHex) };
  const refuse = (errorMessage: string): Record<string, unknown> => ({ successful: false, ...withBackend, cert: certInfo, errorMessage });
  if (!Number.isInteger(orgId) || !model.orgExists(orgId)) return refuse("Supplied orgid invalid..");
  if (isCa(parsed.cert)) return refuse(`Cannot bring certificate SN=''${certInfo.serialNumber}'' under management. Contact support`);
  if (family === "smime" && namesOf(parsed.cert).emails.length === 0) {
    return refuse(
      `Certificate under serial number ''${certInfo.serialNumber}'' cannot be managed as a certificate of ''${model.seed.profiles.smime[0]!.name}'' type. CN must contain email.`,
    );
  }
  const comments = typeof e["comments"] === "string" ? e["comments"].slice(0, 1024) : "";
  const customFields = (Array.isArray(e["customFields"]) ? e["customFields"] : [])
    .map((f) => asRecord(f))
    .filter((f) => typeof f["name"] === "string")
    .map((f) => ({ name: f["name"] as string, value: typeof f["value"] === "string" ? f["value"] : "" }));
  const existing = known(model, family, parsed);
  if (existing !== undefined) {
    if (e["force"] === true) {
      existing.comments = comments;
      existing.customFields = customFields;
    }
    return { successful: true, backendCertId: existing.backendCertId, cert: { id: existing.id, ...certInfo }, created: false };
  }
  const order = importOne(model, family, parsed, { orgId, comments, customFields });
  return { successful: true, backendCertId: backendCertId ?? order.backendCertId, cert: { id: order.id, ...certInfo }, created: true };
}

/** The `file` part of a multipart/form-data body. */
function multipartFile(req: SimRequest): Buffer | undefined {
  const boundary = /boundary="?([^";]+)"?/i.exec(req.headers["content-type"] ?? "")?.[1];
  if (boundary === undefined) return undefined;
  const raw = req.rawBody;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const next = raw.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = raw.subarray(at + delimiter.length, next);
    const split = part.indexOf("\r\n\r\n");
    if (split >= 0 && /name="file"/i.test(part.subarray(0, split).toString("latin1"))) return part.subarray(split + 4, part.length - 2);
    at = next;
  }
  return undefined;
}

function zipImport(model: SectigoModel, req: SimRequest): SimResponse {
  const orgText = req.query.get("orgId");
  if (orgText === null || orgText === "") throw faults.missing("orgId");
  const orgId = Number(orgText);
  if (!/^\d+$/.test(orgText) || !model.orgExists(orgId)) throw faults.orgInvalid();
  const file = multipartFile(req);
  if (file === undefined || file.length === 0) throw faults.missing("file");
  let entries;
  try {
    entries = readZip(file);
  } catch {
    throw faults.invalidField("file");
  }
  const errors: string[] = [];
  for (const entry of entries) {
    if (!CERT_FILES.test(entry.name) || entry.data === undefined) {
      errors.push(`${entry.name} - Unsupported file extension`);
      continue;
    }
    const parsed = parseCertificate(entry.data);
    if (parsed === undefined || isCa(parsed.cert)) {
      errors.push(`${entry.name} - Failed to parse certificate: Certificate is corrupted or subject basic constraint is not met`);
      continue;
    }
    if (known(model, "ssl", parsed) !== undefined) {
      errors.push(`[${entry.name}] - SSL certificate already exists. Order number: N/A`);
      continue;
    }
    importOne(model, "ssl", parsed, { orgId, comments: "", customFields: [] });
  }
  return json(200, { processedCount: entries.length, errors });
}

export function importRoutes(ctx: RouteContext, table: FamilyTable): SimRoute[] {
  return table.imports.map((imp) => ({
    method: "POST" as const,
    path: imp.path,
    handler: scm(ctx, (req) => {
      if (imp.kind === "zip") return zipImport(ctx.model, req);
      const body = req.body;
      if (!Array.isArray(body) || body.length === 0 || body.length > MAX_IMPORT) throw faults.invalidField("certificates");
      // Each element answers for itself; the call succeeds as a whole.
      return { status: 200, headers: { "content-type": "application/json" }, json: body.map((e) => importElement(ctx.model, table.family, e)) };
    }),
  }));
}
