// SSL certificates: /api/ssl/v1. Route order matters: fixed segments before `:id`.
import type { SimRequest, SimRoute } from "../shared/server.ts";
import { collectBody, isCollectFormat } from "./collect-formats.ts";
import { faults } from "./faults.ts";
import { datePattern, eqi, json, noContent, pageResponse, pathId, scm, type RouteContext } from "./http.ts";
import { normalizeSerial, statusText, type Order } from "./model.ts";
import { asRecord, checkCsr, checkCustomFields, checkEmail, checkExternalRequester, checkOrg, checkProfile, checkTerm, DCV_MODES, stringField, type Json } from "./validate.ts";
import { formatDate, sslDetailsView, sslListItemView, US_DATE } from "./views.ts";
import { revokeFields, manualRevoke, messageField } from "./routes-shared.ts";

export function sslRoutes(ctx: RouteContext): SimRoute[] {
  const { model } = ctx;
  const find = (req: SimRequest, name = "id"): Order => {
    const id = pathId(req, name);
    const o = model.get("ssl", id);
    if (o === undefined) throw faults.sslNotFound(id);
    return o;
  };
  const dcvFields = (body: Json): { dcvMode?: string; dcvEmail?: string } => {
    const mode = stringField(body, "dcvMode");
    if (mode !== undefined && mode !== "" && !(DCV_MODES as readonly string[]).includes(mode)) throw faults.invalidField("dcvMode");
    const email = checkEmail(body, "dcvEmail");
    if (mode === "EMAIL" && (email === undefined || email === "")) throw faults.missing("dcvEmail");
    return { ...(mode === undefined || mode === "" ? {} : { dcvMode: mode }), ...(email === undefined || email === "" ? {} : { dcvEmail: email }) };
  };
  const collect = async (req: SimRequest) => {
    const format = req.query.get("format") ?? req.params["format"] ?? "base64";
    const order = find(req);
    if (!isCollectFormat(format)) throw faults.unknownFormat(format);
    const m = await model.collect(order);
    const out = collectBody(m, format);
    return {
      status: 200,
      headers: { "content-type": "application/octet-stream;charset=UTF-8", "content-disposition": `attachment; filename="${fileBase(order.commonName)}.${out.fileExtension}"` },
      body: out.body,
    };
  };

  return [
    {
      method: "GET",
      path: "/api/ssl/v1",
      handler: scm(ctx, async (req) => {
        const q = req.query;
        const orders = model.list("ssl");
        for (const o of orders) await model.refresh(o);
        const serial = q.get("serialNumber");
        const matching = orders.filter(
          (o) =>
            eqi(o.commonName, q.get("commonName")) &&
            eqi(statusText(o), q.get("status")) &&
            (q.get("subjectAlternativeName") === null || o.sans.some((s) => s.toLowerCase() === q.get("subjectAlternativeName")!.toLowerCase())) &&
            (q.get("sslTypeId") === null || String(o.profile.id) === q.get("sslTypeId")) &&
            (q.get("orgId") === null || String(o.orgId) === q.get("orgId")) &&
            (q.get("externalRequester") === null || o.externalRequester.toLowerCase().includes(q.get("externalRequester")!.toLowerCase())) &&
            (serial === null || (o.material !== undefined && normalizeSerial(o.material.serialHex) === normalizeSerial(serial))),
        );
        return pageResponse(matching, q, sslListItemView);
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/enroll",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const orgId = checkOrg(model, body);
        const profile = checkProfile(model, "ssl", body);
        const term = checkTerm(profile, body);
        const csr = await checkCsr(body);
        const comments = stringField(body, "comments", { max: 1024 }) ?? "";
        const externalRequester = checkExternalRequester(body);
        const customFields = checkCustomFields(model, "ssl", body);
        const sanText = stringField(body, "subjAltNames") ?? "";
        const sans = sanText.split(",").map((s) => s.trim()).filter((s) => s !== "");
        const commonName = csr.commonName ?? sans[0];
        if (commonName === undefined) throw faults.missing("commonName");
        const dcv = dcvFields(body);
        const unvalidated = [commonName, ...sans].find((n) => !model.isValidated(n));
        if (unvalidated !== undefined && dcv.dcvMode === undefined) throw faults.dcvIncomplete(unvalidated);
        const order = model.enroll("ssl", { orgId, profile, term, commonName, sans, csrPem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize, comments, customFields, externalRequester, ...dcv });
        return json(200, { sslId: order.id, renewId: order.renewId });
      }),
    },
    { method: "GET", path: "/api/ssl/v1/collect/:id", handler: scm(ctx, collect) },
    // The legacy path form public clients still use [P13, P14, P15].
    { method: "GET", path: "/api/ssl/v1/collect/:id/:format", handler: scm(ctx, collect) },
    {
      method: "POST",
      path: "/api/ssl/v1/approve/:id",
      handler: scm(ctx, (req) => {
        messageField(asRecord(req.body));
        model.approve(find(req));
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/decline/:id",
      handler: scm(ctx, (req) => {
        messageField(asRecord(req.body));
        model.decline(find(req));
        return noContent();
      }),
    },
    { method: "POST", path: "/api/ssl/v1/revoke/manual", handler: scm(ctx, (req) => manualRevoke(model, "ssl", asRecord(req.body))) },
    {
      method: "POST",
      path: "/api/ssl/v1/revoke/serial/:serial",
      handler: scm(ctx, (req) => {
        const { reasonCode, reason } = revokeFields(asRecord(req.body), true);
        const order = model.bySerial("ssl", req.params["serial"] ?? "");
        if (order === undefined) throw faults.certNotFound(req.params["serial"] ?? "");
        model.revoke(order, reasonCode, reason);
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/revoke/:id",
      handler: scm(ctx, (req) => {
        const { reasonCode, reason } = revokeFields(asRecord(req.body), true);
        const order = find(req);
        model.revoke(order, reasonCode, reason);
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/renew/manual/:id",
      handler: scm(ctx, (req) => {
        const order = find(req);
        order.renewed = true;
        order.renewedAt = model.now();
        const next = asRecord(req.body)["id"];
        if (typeof next === "number") order.renewedTo = next;
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/renew/:renewId",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const old = model.byRenewId(req.params["renewId"] ?? "");
        if (old === undefined) throw faults.renewTargetNull();
        await model.refresh(old);
        const csr = body["csr"] === undefined || body["csr"] === null ? undefined : await checkCsr(body);
        model.renew(old, csr === undefined ? undefined : { pem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize });
        return noContent();
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/renewById/:id",
      handler: scm(ctx, async (req) => {
        const body = asRecord(req.body);
        const old = find(req);
        await model.refresh(old);
        const csr = body["csr"] === undefined || body["csr"] === null ? undefined : await checkCsr(body);
        dcvFields(body);
        const next = model.renew(old, csr === undefined ? undefined : { pem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize });
        return json(200, { sslId: next.id });
      }),
    },
    {
      method: "GET",
      path: "/api/ssl/v1/:id/dcv",
      handler: scm(ctx, async (req) => {
        const order = find(req);
        await model.refresh(order);
        const names = [...new Set([order.commonName, ...order.sans])];
        const pending = new Set(order.dcvPending);
        const lastCheck = formatDate(model.now(), "yyyy-MM-dd HH:mm:ss");
        const nextCheck = formatDate(model.now() + 3_600_000, "yyyy-MM-dd HH:mm:ss");
        return json(200, {
          dcvLog: {
            error: { code: 0, description: null },
            log: names.map((n) => ({
              domainName: n,
              dcvStatus: pending.has(n) ? "Awaiting Validation" : "Validated",
              dcvMethod: order.dcvMode === "EMAIL" ? "EMAIL" : `${order.dcvMode ?? "CNAME"}_CSR_HASH`,
              lastCheck,
              nextCheck,
              dcvEmailRefNumber: order.dcvMode === "EMAIL" ? order.orderNumber : 0,
            })),
          },
          instructions: [...pending].map((n) => dcvInstruction(order, n)),
        });
      }),
    },
    {
      method: "POST",
      path: "/api/ssl/v1/:id/dcv/recheck",
      handler: scm(ctx, (req) => {
        find(req);
        return { status: 202 };
      }),
    },
    {
      method: "GET",
      path: "/api/ssl/v1/:id",
      handler: scm(ctx, async (req) => {
        const order = find(req);
        await model.refresh(order);
        return json(200, sslDetailsView(order, datePattern(req.query, US_DATE)));
      }),
    },
    {
      method: "DELETE",
      path: "/api/ssl/v1/:id",
      handler: scm(ctx, (req) => {
        const order = find(req);
        if (!order.imported) throw faults.onlyImportedDelete();
        model.orders.delete(order.id);
        return noContent();
      }),
    },
  ];
}

function dcvInstruction(order: Order, domainName: string): Record<string, unknown> {
  const mode = order.dcvMode ?? "CNAME";
  switch (mode) {
    case "EMAIL":
      return { domainName, dcvMode: mode, dcvEmail: order.dcvEmail ?? `admin@${domainName}` };
    case "HTTP":
    case "HTTPS":
      return { domainName, dcvMode: mode, url: `${mode.toLowerCase()}://${domainName}/.well-known/pki-validation/${order.backendCertId}.txt`, file: `${order.backendCertId}\nsectigo.com` };
    case "TXT":
      return { domainName, dcvMode: mode, host: `_pki-validation.${domainName}.`, point: `${order.backendCertId}.sectigo.com.` };
    default:
      return { domainName, dcvMode: mode, host: `_${order.backendCertId}.${domainName}.`, point: `${order.backendCertId}.sectigo.com.` };
  }
}

function fileBase(cn: string): string {
  return cn.replace(/[^A-Za-z0-9.-]/g, "_") || "certificate";
}

