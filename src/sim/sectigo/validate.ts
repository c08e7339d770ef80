// Enroll request checks in the order SCM documents its errors for them. Field constraints come from
// the request-field tables (sizes, required fields); the code for a broken constraint is inferred
// (-7 for a missing field, -1601 "Field ''{0}'' has invalid value." for a bad one).
import { createPublicKey } from "node:crypto";
import { parseCsr } from "../../pki/csr.ts";
import { toPem } from "../../pki/pem.ts";
import { faults, scmFault } from "./faults.ts";
import type { Family, SectigoModel } from "./model.ts";
import type { SeedProfile } from "./seed.ts";

export type Json = Record<string, unknown>;

export interface CheckedCsr {
  readonly pem: string;
  readonly commonName: string | undefined;
  readonly dnsNames: readonly string[];
  readonly keyAlgorithm: string;
  readonly keySize: number;
}

const CSR_TEXT = /^[A-Za-z0-9+/=\s-]+$/;
const MIN_RSA_BITS = 2048;

export function asRecord(body: unknown): Json {
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Json) : {};
}

/** A positive integer field (JSON number, or a numeric string as lenient Java binding accepts). */
export function intField(body: Json, name: string, required: boolean): number | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === "") {
    if (required) throw faults.missing(name);
    return undefined;
  }
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647) throw faults.invalidField(name);
  return n;
}

export function stringField(body: Json, name: string, opts: { required?: boolean; max?: number; min?: number } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (opts.required === true) throw faults.missing(name);
    return undefined;
  }
  if (typeof v !== "string") throw faults.invalidField(name);
  if (opts.required === true && v.trim() === "") throw faults.missing(name);
  if (opts.max !== undefined && v.length > opts.max) throw faults.invalidField(name);
  if (opts.min !== undefined && v.length < opts.min) throw faults.invalidField(name);
  return v;
}

export async function checkCsr(body: Json): Promise<CheckedCsr> {
  const csr = stringField(body, "csr", { required: true, max: 32767 })!;
  if (!CSR_TEXT.test(csr)) throw faults.csrNotBase64();
  // The update example sends the CSR as bare base-64 without the PEM armour; accept both.
  const pem = csr.includes("-----BEGIN") ? csr : toPem("CERTIFICATE REQUEST", Buffer.from(csr.replace(/\s+/g, ""), "base64"));
  let parsed;
  try {
    parsed = await parseCsr(pem);
  } catch {
    throw faults.csrDecode();
  }
  if (!parsed.signatureValid) throw faults.csrInvalid();
  const key = createPublicKey(parsed.publicKeyPem);
  const details = key.asymmetricKeyDetails ?? {};
  const rsa = key.asymmetricKeyType === "rsa";
  if (!rsa && key.asymmetricKeyType !== "ec") throw scmFault(400, -11);
  const keySize = rsa ? (details.modulusLength ?? 0) : curveBits(details.namedCurve);
  if (rsa && keySize < MIN_RSA_BITS) throw faults.csrKeyTooSmall(MIN_RSA_BITS);
  return { pem, commonName: parsed.subject.commonName, dnsNames: parsed.sans.dnsNames, keyAlgorithm: rsa ? "RSA" : "EC", keySize };
}

function curveBits(curve: string | undefined): number {
  if (curve === undefined) return 0;
  const m = /(\d{3})/.exec(curve);
  return m === null ? 0 : Number(m[1]);
}

export function checkOrg(model: SectigoModel, body: Json): number {
  const orgId = intField(body, "orgId", true)!;
  if (!model.orgExists(orgId)) throw faults.orgInvalid();
  return orgId;
}

export function checkProfile(model: SectigoModel, family: Family, body: Json): SeedProfile {
  const id = intField(body, "certType", true)!;
  const profile = model.profile(family, id);
  if (profile !== undefined) return profile;
  if (family === "ssl") throw faults.sslProfileNotFound(id);
  if (family === "smime") throw faults.clientProfileInvalid();
  throw faults.deviceProfileNotFound();
}

export function checkTerm(profile: SeedProfile, body: Json): number {
  const term = intField(body, "term", true)!;
  if (!profile.terms.includes(term)) throw faults.termInvalid();
  return term;
}

/** Every mandatory custom field present with a value; every named field must exist. */
export function checkCustomFields(model: SectigoModel, family: Family, body: Json, requireMandatory = true): { name: string; value: string }[] {
  const raw = body["customFields"];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) throw faults.invalidField("customFields");
  const given = (Array.isArray(raw) ? raw : []).map((f) => {
    const r = asRecord(f);
    if (typeof r["name"] !== "string") throw faults.invalidField("customFields[].name");
    return { name: r["name"], value: typeof r["value"] === "string" ? r["value"] : r["value"] == null ? "" : String(r["value"]) };
  });
  const defs = model.seed.customFields[family];
  for (const g of given) if (!defs.some((d) => d.name === g.name)) throw faults.customFieldUnknown();
  if (requireMandatory)
    for (const d of defs) if (d.mandatory && !given.some((g) => g.name === d.name && g.value.trim() !== "")) throw faults.missingCustomField();
  return given;
}

const EMAIL = /^[^\s@,]+@[^\s@,]+$/;

export function checkEmail(body: Json, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = stringField(body, name, opts);
  if (v === undefined || v === "") return v;
  if (!EMAIL.test(v)) throw faults.invalidField(name);
  return v;
}

/** `externalRequester`: "a@x" or "a@x, b@y", at most 512 characters, may be empty. */
export function checkExternalRequester(body: Json): string {
  const v = stringField(body, "externalRequester", { max: 512 }) ?? "";
  if (v.trim() !== "" && !v.split(",").every((e) => EMAIL.test(e.trim()))) throw faults.invalidField("externalRequester");
  return v;
}

export const DCV_MODES = ["CNAME", "EMAIL", "HTTP", "HTTPS", "TXT"] as const;
