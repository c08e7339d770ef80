// Updates: PUT /api/ssl/v1 (id in the body) and PUT /api/{smime|device}/v1/{id}. Comments and custom
// fields can change at any time (the order marker is re-written this way); for SSL, "Organization ID,
// Certificate Profile ID, Term, Common name, CSR, SANs can be edited if a certificate state is one of:
// Requested, Declined, Rejected, Invalid" — outside those states a change is refused (-1601, inf).
import type { SimRoute } from "../shared/server.ts";
import { faults } from "./faults.ts";
import { json, pathId, scm, datePattern, type RouteContext } from "./http.ts";
import type { Family, Order, SectigoModel } from "./model.ts";
import { asRecord, checkCsr, checkCustomFields, checkExternalRequester, intField, stringField, type Json } from "./validate.ts";
import { clientDetailsView, deviceDetailsView, sslDetailsView, US_DATE } from "./views.ts";

const CORE_EDITABLE = new Set(["requested", "declined", "rejected"]);

function applyCommon(model: SectigoModel, family: Family, order: Order, body: Json): void {
  const comments = stringField(body, "comments", { max: 1024 });
  if (body["customFields"] !== undefined && body["customFields"] !== null) order.customFields = checkCustomFields(model, family, body, false);
  if (comments !== undefined) order.comments = comments;
}

async function applySslCore(model: SectigoModel, order: Order, body: Json): Promise<void> {
  const changes: Array<[string, boolean]> = [];
  const term = intField(body, "term", false);
  const certTypeId = intField(body, "certTypeId", false);
  const orgId = intField(body, "orgId", false);
  const commonName = stringField(body, "commonName", { max: 64 });
  const sans = body["subjectAlternativeNames"];
  if (sans != null && !(Array.isArray(sans) && sans.every((s) => typeof s === "string"))) throw faults.invalidField("subjectAlternativeNames");
  const csr = body["csr"] == null || body["csr"] === "" ? undefined : await checkCsr(body);
  const profile = certTypeId === undefined ? order.profile : model.profile("ssl", certTypeId);
  if (profile === undefined) throw faults.sslProfileNotFound(certTypeId);
  changes.push(["term", term !== undefined && term !== order.term], ["certTypeId", profile !== order.profile], ["orgId", orgId !== undefined && orgId !== order.orgId]);
  changes.push(["commonName", commonName !== undefined && commonName !== order.commonName], ["csr", csr !== undefined && csr.pem.replace(/\s|-----[A-Z ]+-----/g, "") !== order.csrPem.replace(/\s|-----[A-Z ]+-----/g, "")]);
  changes.push(["subjectAlternativeNames", Array.isArray(sans) && (sans.length !== order.sans.length || sans.some((s, i) => s !== order.sans[i]))]);
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

export function updateRoutes(ctx: RouteContext): SimRoute[] {
  const { model } = ctx;
  return [
    {
      method: "PUT",
      path: "/api/ssl/v1",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const id = intField(body, "sslId", true)!;
        const order = model.get("ssl", id);
        if (order === undefined) throw faults.sslNotFound(id);
        await model.refresh(order);
        await applySslCore(model, order, body);
        if (body["externalRequester"] !== undefined) (order as { externalRequester: string }).externalRequester = checkExternalRequester(body);
        applyCommon(model, "ssl", order, body);
        return json(200, sslDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
    {
      method: "PUT",
      path: "/api/smime/v1/:id",
      handler: scm(ctx, async (req) => {
        const id = pathId(req);
        const order = model.get("smime", id);
        if (order === undefined) throw faults.certNotFound(id);
        await model.refresh(order);
        applyCommon(model, "smime", order, asRecord(req.body));
        return json(200, clientDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
    {
      method: "PUT",
      path: "/api/device/v1/:id",
      handler: scm(ctx, async (req) => {
        const id = pathId(req);
        const order = model.get("device", id);
        if (order === undefined) throw faults.certNotFound(id);
        await model.refresh(order);
        applyCommon(model, "device", order, asRecord(req.body));
        return json(200, deviceDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
  ];
}
