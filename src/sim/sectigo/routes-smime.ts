// Client (S/MIME) certificates: v1 for details, enroll, renew/{id}, revoke; v2 for list, collect and
// renew by order/serial — the split is documented.
import type { SimRequest, SimRoute } from "../shared/server.ts";
import { collectBody, isCollectFormat } from "./collect-formats.ts";
import { faults, scmFault } from "./faults.ts";
import { datePattern, eqi, json, noContent, pageResponse, pathId, scm, type RouteContext } from "./http.ts";
import { normalizeSerial, statusText, type Order } from "./model.ts";
import { manualRevoke, revokeFields } from "./routes-shared.ts";
import { asRecord, checkCsr, checkCustomFields, checkEmail, checkOrg, checkProfile, checkTerm, stringField } from "./validate.ts";
import { clientDetailsView, clientListItemView, clientOrderView, ISO_DATE, US_DATE } from "./views.ts";

export function smimeRoutes(ctx: RouteContext): SimRoute[] {
  const { model } = ctx;
  const byId = (req: SimRequest): Order => {
    const id = pathId(req);
    const o = model.get("smime", id);
    if (o === undefined) throw faults.certNotFound(id);
    return o;
  };
  const byBackend = (req: SimRequest): Order => {
    const b = req.params["backendCertId"] ?? "";
    const o = model.byBackendId("smime", b);
    if (o === undefined) throw faults.certNotFound(b);
    return o;
  };
  const bySerial = (req: SimRequest): Order => {
    const s = req.params["serial"] ?? "";
    const o = model.bySerial("smime", s);
    if (o === undefined) throw faults.certNotFound(s);
    return o;
  };
  const collect = (pick: (req: SimRequest) => Order) => async (req: SimRequest) => {
    const format = req.query.get("format") ?? "base64";
    const order = pick(req);
    if (!isCollectFormat(format)) throw scmFault(400, -1450, [format]);
    const out = collectBody(await model.collect(order), format);
    return {
      status: 200,
      headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="${order.commonName.replace(/[^A-Za-z0-9.-]/g, "_")}.${out.fileExtension}"` },
      body: out.body,
    };
  };
  const renew = (pick: (req: SimRequest) => Order) => async (req: SimRequest) => {
    const old = pick(req);
    await model.refresh(old);
    return json(200, clientOrderView(model.renew(old)));
  };
  const revoke = (pick: (req: SimRequest) => Order) => (req: SimRequest) => {
    const { reasonCode, reason } = revokeFields(asRecord(req.body), false);
    const order = pick(req);
    model.revoke(order, reasonCode, reason);
    return noContent();
  };

  return [
    {
      method: "GET",
      path: "/api/smime/v2",
      handler: scm(ctx, async (req) => {
        const q = req.query;
        const pattern = datePattern(q, ISO_DATE);
        const orders = model.list("smime");
        for (const o of orders) await model.refresh(o);
        const serial = q.get("serialNumber");
        const matching = orders.filter(
          (o) =>
            eqi(statusText(o), q.get("state")) &&
            eqi(o.person?.email, q.get("email")) &&
            (q.get("certTypeId") === null || String(o.profile.id) === q.get("certTypeId")) &&
            (q.get("backendCertId") === null || o.backendCertId === q.get("backendCertId")) &&
            (serial === null || (o.material !== undefined && normalizeSerial(o.material.serialHex) === normalizeSerial(serial))),
        );
        return pageResponse(matching, q, (o) => clientListItemView(o, pattern));
      }),
    },
    {
      method: "POST",
      path: "/api/smime/v1/enroll",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const orgId = checkOrg(model, body);
        const profile = checkProfile(model, "smime", body);
        const term = checkTerm(profile, body);
        const csr = await checkCsr(body);
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
        const comments = stringField(body, "comments", { max: 1024 }) ?? "";
        const customFields = checkCustomFields(model, "smime", body);
        const order = model.enroll("smime", {
          orgId,
          profile,
          term,
          commonName: commonName === undefined || commonName === "" ? fullName : commonName,
          sans: [email],
          csrPem: csr.pem,
          keyAlgorithm: csr.keyAlgorithm,
          keySize: csr.keySize,
          comments,
          customFields,
          person: {
            email,
            firstName,
            ...(middleName === "" ? {} : { middleName }),
            lastName,
            ...(phone === undefined ? {} : { phone }),
            secondaryEmails: (secondary as string[] | null | undefined) ?? [],
            ...(eppn == null ? {} : { eppn }),
            ...(upn == null ? {} : { upn }),
          },
        });
        return json(200, clientOrderView(order));
      }),
    },
    { method: "GET", path: "/api/smime/v2/collect/order/:backendCertId", handler: scm(ctx, collect(byBackend)) },
    { method: "GET", path: "/api/smime/v2/collect/:id", handler: scm(ctx, collect(byId)) },
    { method: "POST", path: "/api/smime/v1/renew/:id", handler: scm(ctx, renew(byId)) },
    { method: "POST", path: "/api/smime/v2/renew/order/:backendCertId", handler: scm(ctx, renew(byBackend)) },
    { method: "POST", path: "/api/smime/v2/renew/serial/:serial", handler: scm(ctx, renew(bySerial)) },
    { method: "POST", path: "/api/smime/v1/revoke/manual", handler: scm(ctx, (req) => manualRevoke(model, "smime", asRecord(req.body))) },
    { method: "POST", path: "/api/smime/v1/revoke/order/:backendCertId", handler: scm(ctx, revoke(byBackend)) },
    { method: "POST", path: "/api/smime/v1/revoke/serial/:serial", handler: scm(ctx, revoke(bySerial)) },
    { method: "POST", path: "/api/smime/v1/revoke/:id", handler: scm(ctx, revoke(byId)) },
    {
      method: "POST",
      path: "/api/smime/v1/revoke",
      handler: scm(ctx, (req) => {
        const body = asRecord(req.body);
        const { reasonCode, reason } = revokeFields(body, false);
        const email = checkEmail(body, "email", { required: true })!;
        const issued = model.list("smime").filter((o) => o.person?.email.toLowerCase() === email.toLowerCase() && o.phase === "issued");
        if (issued.length === 0) throw scmFault(400, -1108, [email]);
        for (const o of issued) model.revoke(o, reasonCode, reason);
        return noContent();
      }),
    },
    {
      method: "GET",
      path: "/api/smime/v1/:id",
      handler: scm(ctx, async (req) => {
        const order = byId(req);
        await model.refresh(order);
        return json(200, clientDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
    {
      method: "DELETE",
      path: "/api/smime/v1/:id",
      handler: scm(ctx, (req) => {
        const order = byId(req);
        if (!order.imported) throw faults.onlyImportedDelete();
        model.orders.delete(order.id);
        return noContent();
      }),
    },
  ];
}
