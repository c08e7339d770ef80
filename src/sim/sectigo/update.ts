// Updates (PUT): comments and custom fields can change at any time (the order marker is re-written
// this way); for SSL, "Organization ID, Certificate Profile ID, Term, Common name, CSR, SANs can be
// edited if a certificate state is one of: Requested, Declined, Rejected, Invalid" — outside those
// states a change is refused (-1601, inf).
import { faults } from "./faults.ts";
import type { Family, Order, SectigoModel } from "./model.ts";
import { checkCsr, checkCustomFields, checkExternalRequester, intField, stringField, type Json } from "./validate.ts";

const CORE_EDITABLE = new Set(["requested", "declined", "rejected"]);

export function applyCommonUpdate(model: SectigoModel, family: Family, order: Order, body: Json): void {
  const comments = stringField(body, "comments", { max: 1024 });
  if (body["customFields"] !== undefined && body["customFields"] !== null) order.customFields = checkCustomFields(model, family, body, false);
  if (comments !== undefined) order.comments = comments;
  if (family === "ssl" && body["externalRequester"] !== undefined) (order as { externalRequester: string }).externalRequester = checkExternalRequester(body);
}

export async function applySslCoreUpdate(model: SectigoModel, order: Order, body: Json): Promise<void> {
  const term = intField(body, "term", false);
  const certTypeId = intField(body, "certTypeId", false);
  const orgId = intField(body, "orgId", false);
  const commonName = stringField(body, "commonName", { max: 64 });
  const sans = body["subjectAlternativeNames"];
  if (sans != null && !(Array.isArray(sans) && sans.every((s) => typeof s === "string"))) throw faults.invalidField("subjectAlternativeNames");
  const csr = body["csr"] == null || body["csr"] === "" ? undefined : await checkCsr(body);
  const profile = certTypeId === undefined ? order.profile : model.profile("ssl", certTypeId);
  if (profile === undefined) throw faults.sslProfileNotFound(certTypeId);
  const bare = (pem: string): string => pem.replace(/\s|-----[A-Z ]+-----/g, "");
  const changes: Array<[string, boolean]> = [
    ["term", term !== undefined && term !== order.term],
    ["certTypeId", profile !== order.profile],
    ["orgId", orgId !== undefined && orgId !== order.orgId],
    ["commonName", commonName !== undefined && commonName !== order.commonName],
    ["csr", csr !== undefined && bare(csr.pem) !== bare(order.csrPem)],
    ["subjectAlternativeNames", Array.isArray(sans) && (sans.length !== order.sans.length || sans.some((s, i) => s !== order.sans[i]))],
  ];
  const changed = changes.filter(([, c]) => c).map(([f]) => f);
  if (changed.length === 0) return;
  if (!CORE_EDITABLE.has(order.phase)) throw faults.invalidField(changed[0]!);
  if (orgId !== undefined && !model.orgExists(orgId)) throw faults.orgInvalid();
  const newTerm = term ?? order.term;
  if (!profile.terms.includes(newTerm)) throw faults.termInvalid();
  const mutable = order as { -readonly [K in keyof Order]: Order[K] };
  mutable.term = newTerm;
  mutable.profile = profile;
  if (orgId !== undefined) mutable.orgId = orgId;
  if (commonName !== undefined) mutable.commonName = commonName;
  if (Array.isArray(sans)) mutable.sans = sans as string[];
  if (csr !== undefined) Object.assign(mutable, { csrPem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize });
}
