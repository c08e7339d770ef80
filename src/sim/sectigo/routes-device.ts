// Device certificates: /api/device/v1. Revoke and renew by id sit under `/order/{id}`.
import type { SimRequest, SimRoute } from "../shared/server.ts";
import { collectBody, isCollectFormat } from "./collect-formats.ts";
import { faults, scmFault } from "./faults.ts";
import { datePattern, eqi, json, noContent, pageResponse, pathId, scm, type RouteContext } from "./http.ts";
import { normalizeSerial, statusText, type Order } from "./model.ts";
import { manualRevoke, messageField, revokeFields } from "./routes-shared.ts";
import { asRecord, checkCsr, checkCustomFields, checkOrg, checkProfile, checkTerm, stringField } from "./validate.ts";
import { deviceDetailsView, deviceListItemView, deviceOrderView, US_DATE } from "./views.ts";

const OPTIONAL_FIELD = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

export function deviceRoutes(ctx: RouteContext): SimRoute[] {
  const { model } = ctx;
  const byId = (req: SimRequest): Order => {
    const id = pathId(req);
    const o = model.get("device", id);
    if (o === undefined) throw faults.certNotFound(id);
    return o;
  };
  const bySerial = (req: SimRequest): Order => {
    const s = req.params["serial"] ?? "";
    const o = model.bySerial("device", s);
    if (o === undefined) throw faults.certNotFound(s);
    return o;
  };
  const renew = (pick: (req: SimRequest) => Order) => async (req: SimRequest) => {
    const old = pick(req);
    await model.refresh(old);
    return json(200, deviceOrderView(model.renew(old)));
  };
  const revoke = (pick: (req: SimRequest) => Order) => (req: SimRequest) => {
    const { reasonCode, reason } = revokeFields(asRecord(req.body), false);
    model.revoke(pick(req), reasonCode, reason);
    return noContent();
  };

  return [
    {
      method: "GET",
      path: "/api/device/v1",
      handler: scm(ctx, async (req) => {
        const q = req.query;
        const orders = model.list("device");
        for (const o of orders) await model.refresh(o);
        const serial = q.get("serialNumber");
        const matching = orders.filter(
          (o) =>
            eqi(o.commonName, q.get("commonName")) &&
            eqi(statusText(o, "list"), q.get("status") === "AWAITING_APPROVAL" ? "REQUESTED" : q.get("status")) &&
            (q.get("orgId") === null || String(o.orgId) === q.get("orgId")) &&
            (q.get("certTypeId") === null || String(o.profile.id) === q.get("certTypeId")) &&
            (q.get("backendCertId") === null || o.backendCertId === q.get("backendCertId")) &&
            (serial === null || (o.material !== undefined && normalizeSerial(o.material.serialHex) === normalizeSerial(serial))),
        );
        return pageResponse(matching, q, deviceListItemView);
      }),
    },
    {
      method: "POST",
      path: "/api/device/v1/enroll",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const orgId = checkOrg(model, body);
        const profile = checkProfile(model, "device", body);
        const term = checkTerm(profile, body);
        const csr = await checkCsr(body);
        const comments = stringField(body, "comments", { max: 1024 }) ?? "";
        const customFields = checkCustomFields(model, "device", body);
        const rawOptional = body["optionalFields"];
        if (rawOptional != null && !Array.isArray(rawOptional)) throw faults.invalidField("optionalFields");
        const optionalFields = ((rawOptional as unknown[] | null | undefined) ?? []).map((f) => {
          const r = asRecord(f);
          if (typeof r["name"] !== "string" || !OPTIONAL_FIELD.test(r["name"])) throw faults.optionalFieldInvalid();
          return { name: r["name"], value: typeof r["value"] === "string" ? r["value"] : "" };
        });
        const commonName = optionalFields.find((f) => f.name === "commonName")?.value || csr.commonName;
        if (commonName === undefined || commonName === "") throw faults.missing("commonName");
        const order = model.enroll("device", { orgId, profile, term, commonName, sans: csr.dnsNames, csrPem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize, comments, customFields, optionalFields });
        return json(200, deviceOrderView(order));
      }),
    },
    {
      method: "GET",
      path: "/api/device/v1/collect/:id",
      handler: scm(ctx, async (req) => {
        const format = req.query.get("format") ?? "base64";
        const order = byId(req);
        if (!isCollectFormat(format)) throw scmFault(400, -1450, [format]);
        const out = collectBody(await model.collect(order), format);
        return {
          status: 200,
          headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="${order.commonName.replace(/[^A-Za-z0-9.-]/g, "_")}.${out.fileExtension}"` },
          body: out.body,
        };
      }),
    },
    {
      method: "POST",
      path: "/api/device/v1/approve/:id",
      handler: scm(ctx, (req) => {
        messageField(asRecord(req.body));
        model.approve(byId(req));
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/device/v1/decline/:id",
      handler: scm(ctx, (req) => {
        messageField(asRecord(req.body));
        model.decline(byId(req));
        return noContent();
      }),
    },
    { method: "POST", path: "/api/device/v1/revoke/manual", handler: scm(ctx, (req) => manualRevoke(model, "device", asRecord(req.body))) },
    { method: "POST", path: "/api/device/v1/revoke/order/:id", handler: scm(ctx, revoke(byId)) },
    { method: "POST", path: "/api/device/v1/revoke/serial/:serial", handler: scm(ctx, revoke(bySerial)) },
    { method: "POST", path: "/api/device/v1/renew/order/:id", handler: scm(ctx, renew(byId)) },
    { method: "POST", path: "/api/device/v1/renew/serial/:serial", handler: scm(ctx, renew(bySerial)) },
    {
      method: "GET",
      path: "/api/device/v1/:id",
      handler: scm(ctx, async (req) => {
        const order = byId(req);
        await model.refresh(order);
        return json(200, deviceDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
    {
      method: "DELETE",
      path: "/api/device/v1/:id",
      handler: scm(ctx, (req) => {
        const order = byId(req);
        if (!order.imported) throw faults.onlyImportedDelete();
        model.orders.delete(order.id);
        return noContent();
      }),
    },
  ];
}
