// Enroll bodies, read and checked the way SCM documents them: the part every family shares (org,
// profile, term, CSR, comments, custom fields) and each family's own fields. What real clients send
// beyond the documented shape is accepted: `subjAltNames` as an array (older python-cert_manager),
// `numberServers`/`serverType` (python-cert_manager, Keyfactor's gateway), nulls and empty strings for
// unset person fields (hm-edu/sectigo-client) — the real API accepts them too.
import { faults } from "./faults.ts";
import type { EnrollInput, Family, SectigoModel } from "./model.ts";
import {
  asRecord,
  checkCsr,
  checkCustomFields,
  checkEmail,
  checkExternalRequester,
  checkOrg,
  checkProfile,
  checkTerm,
  DCV_MODES,
  stringField,
  type CheckedCsr,
  type Json,
} from "./validate.ts";

export type EnrollReader = (model: SectigoModel, body: unknown) => Promise<EnrollInput>;

const OPTIONAL_FIELD = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The fields every family's enroll carries, checked in the order SCM reports their errors. */
async function readBase(model: SectigoModel, family: Family, body: Json): Promise<{ base: Omit<EnrollInput, "commonName" | "sans">; csr: CheckedCsr }> {
  const orgId = checkOrg(model, body);
  const profile = checkProfile(model, family, body);
  const term = checkTerm(profile, body);
  const csr = await checkCsr(body);
  const comments = stringField(body, "comments", { max: 1024 }) ?? "";
  const customFields = checkCustomFields(model, family, body);
  return { base: { orgId, profile, term, csrPem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize, comments, customFields }, csr };
}

/** Names as a comma-separated string (documented for enroll) or an array (documented for replace and update). */
export function nameList(body: Json, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  const items = typeof v === "string" ? v.split(",") : Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : undefined;
  if (items === undefined) throw faults.invalidField(field);
  return items.map((s) => s.trim()).filter((s) => s !== "");
}

/** `dcvMode` one of the documented modes; `dcvEmail` required with EMAIL. */
export function dcvFields(body: Json): { dcvMode?: string; dcvEmail?: string } {
  const mode = stringField(body, "dcvMode");
  if (mode !== undefined && mode !== "" && !(DCV_MODES as readonly string[]).includes(mode)) throw faults.invalidField("dcvMode");
  const email = checkEmail(body, "dcvEmail");
  if (mode === "EMAIL" && (email === undefined || email === "")) throw faults.missing("dcvEmail");
  return { ...(mode === undefined || mode === "" ? {} : { dcvMode: mode }), ...(email === undefined || email === "" ? {} : { dcvEmail: email }) };
}

/** SSL: names from the CSR and `subjAltNames`; names without DCV need a `dcvMode` (else -107). */
export function sslNames(
  model: SectigoModel,
  body: Json,
  csrCommonName: string | undefined,
  commonNameField?: string,
): { commonName: string; sans: string[]; dcv: { dcvMode?: string; dcvEmail?: string } } {
  const sans = nameList(body, "subjAltNames") ?? [];
  const commonName = commonNameField ?? csrCommonName ?? sans[0];
  if (commonName === undefined || commonName === "") throw faults.missing("commonName");
  const dcv = dcvFields(body);
  const unvalidated = [commonName, ...sans].find((n) => !model.isValidated(n));
  if (unvalidated !== undefined && dcv.dcvMode === undefined) throw faults.dcvIncomplete(unvalidated);
  return { commonName, sans, dcv };
}

/** An SSL enroll body; `commonName` is given by enroll-keygen (its CSR is the simulator's own). */
export async function readSslEnrollBody(model: SectigoModel, body: Json, commonName?: string): Promise<EnrollInput> {
  const { base, csr } = await readBase(model, "ssl", body);
  const externalRequester = checkExternalRequester(body);
  const names = sslNames(model, body, csr.commonName, commonName);
  return { ...base, commonName: names.commonName, sans: names.sans, externalRequester, ...names.dcv };
}

export const readSslEnroll: EnrollReader = (model, raw) => readSslEnrollBody(model, asRecord(raw));

export const readClientEnroll: EnrollReader = async (model, raw) => {
  const body = asRecord(raw);
  const { base } = await readBase(model, "smime", body);
  const email = checkEmail(body, "email", { required: true, max: 128 })!;
  const firstName = stringField(body, "firstName", { required: true })!;
  const middleName = stringField(body, "middleName") ?? "";
  const lastName = stringField(body, "lastName", { required: true })!;
  const fullName = [firstName, middleName, lastName].filter((s) => s !== "").join(" ");
  if (fullName.length > 64) throw faults.invalidField("firstName");
  const phone = stringField(body, "phone", { max: 32 });
  const secondary = body["secondaryEmails"];
  if (secondary != null && !(Array.isArray(secondary) && secondary.every((e) => typeof e === "string"))) throw faults.invalidField("secondaryEmails");
  const commonName = stringField(body, "commonName", { max: 64 });
  const eppn = stringField(body, "eppn", { max: 128 });
  const upn = stringField(body, "upn", { max: 256 });
  return {
    ...base,
    commonName: commonName === undefined || commonName === "" ? fullName : commonName,
    sans: [email],
    person: {
      email,
      firstName,
      ...(middleName === "" ? {} : { middleName }),
      lastName,
      ...(phone === undefined || phone === "" ? {} : { phone }),
      secondaryEmails: (secondary as string[] | null | undefined) ?? [],
      ...(eppn === undefined || eppn === "" ? {} : { eppn }),
      ...(upn === undefined || upn === "" ? {} : { upn }),
    },
  };
};

export const readDeviceEnroll: EnrollReader = async (model, raw) => {
  const body = asRecord(raw);
  const { base, csr } = await readBase(model, "device", body);
  const rawOptional = body["optionalFields"];
  if (rawOptional != null && !Array.isArray(rawOptional)) throw faults.invalidField("optionalFields");
  const optionalFields = ((rawOptional as unknown[] | null | undefined) ?? []).map((f) => {
    const r = asRecord(f);
    if (typeof r["name"] !== "string" || !OPTIONAL_FIELD.test(r["name"])) throw faults.optionalFieldInvalid();
    return { name: r["name"], value: typeof r["value"] === "string" ? r["value"] : "" };
  });
  const commonName = optionalFields.find((f) => f.name === "commonName")?.value || csr.commonName;
  if (commonName === undefined || commonName === "") throw faults.missing("commonName");
  return { ...base, commonName, sans: csr.dnsNames, optionalFields };
};
