// Every route of a certificate family, built from its table row (families.ts): list and count,
// details, update, delete, enroll, collect, revoke, renew, approve/decline, replace, locations and
// imports. Route order matters to the router: fixed segments come before `:id`.
import type { SimRequest, SimResponse, SimRoute } from "../shared/server.ts";
import { collectBody, isCollectFormat } from "./collect-formats.ts";
import { dcvFields, nameList } from "./enroll.ts";
import { faults, raise } from "./faults.ts";
import type { FamilyTable, OrderRoute } from "./families.ts";
import { lookup } from "./lookup.ts";
import { datePattern, json, noContent, pageResponse, scm, type RouteContext } from "./http.ts";
import type { Order } from "./model.ts";
import { importRoutes } from "./routes-import.ts";
import { locationRoutes } from "./routes-locations.ts";
import { manualRevoke, messageField, revokeFields } from "./routes-shared.ts";
import { applyCommonUpdate, applySslCoreUpdate } from "./update.ts";
import { asRecord, checkCsr, intField, stringField } from "./validate.ts";
import { US_DATE } from "./views.ts";

export function familyRoutes(ctx: RouteContext, table: FamilyTable): SimRoute[] {
  const { model } = ctx;
  const find = (req: SimRequest, r: OrderRoute): Order => lookup(ctx, table, req, r.by);
  const route = (method: SimRoute["method"], path: string, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>): SimRoute => ({
    method,
    path,
    handler: scm(ctx, handler),
  });

  const list = table.lists.map((l) =>
    route("GET", l.path, async (req) => {
      const pattern = datePattern(req.query, l.dates);
      const orders = model.list(table.family);
      for (const o of orders) await model.refresh(o);
      const given = Object.entries(table.filters).flatMap(([name, test]) => {
        const v = req.query.get(name);
        return v === null || v === "" ? [] : [[v, test] as const];
      });
      return pageResponse(
        orders.filter((o) => given.every(([v, test]) => test(o, v, ctx))),
        req.query,
        (o) => l.view(o, pattern),
      );
    }),
  );

  const collect = table.collect.map((r) =>
    route("GET", r.path, async (req) => {
      const format = req.query.get("format") ?? req.params["format"] ?? "base64";
      const order = find(req, r);
      if (!isCollectFormat(format)) throw table.unknownFormat(format);
      const out = collectBody(await model.collect(order), format);
      return {
        status: 200,
        headers: {
          "content-type": table.collectContentType,
          "content-disposition": `attachment; filename="${order.commonName.replace(/[^A-Za-z0-9.-]/g, "_") || "certificate"}.${out.fileExtension}"`,
        },
        body: out.body,
      };
    }),
  );

  const revoke = table.revoke.map((r) =>
    route("POST", r.path, (req) => {
      const { reasonCode, reason } = revokeFields(asRecord(req.body), table.revokeReasonRequired);
      model.revoke(find(req, r), reasonCode, reason);
      return noContent();
    }),
  );

  const renew = table.renew.map((r) =>
    route("POST", r.path, async (req) => {
      const body = asRecord(req.body);
      const old = find(req, r);
      await model.refresh(old);
      const csr = body["csr"] == null || body["csr"] === "" ? undefined : await checkCsr(body);
      if (table.family === "ssl") dcvFields(body);
      const next = model.renew(old, csr === undefined ? undefined : { pem: csr.pem, keyAlgorithm: csr.keyAlgorithm, keySize: csr.keySize });
      return r.answer === "none" ? noContent() : json(200, r.answer(next));
    }),
  );

  const decision = (path: string | undefined, act: (o: Order) => void): SimRoute[] =>
    path === undefined
      ? []
      : [
          route("POST", path, (req) => {
            messageField(asRecord(req.body));
            act(find(req, { path, by: "id" }));
            return noContent();
          }),
        ];

  const replace = route("POST", table.replace.path, async (req) => {
    const body = asRecord(req.body);
    const order = find(req, table.replace);
    await model.refresh(order);
    const csr = await checkCsr(body);
    stringField(body, "reason", { required: true, max: 512 });
    if (table.replace.body === "ssl") {
      const commonName = stringField(body, "commonName", { max: 64 });
      const sans = nameList(body, "subjectAlternativeNames");
      const dcv = dcvFields(body);
      model.replace(order, {
        csr,
        ...(commonName === undefined || commonName === "" ? {} : { commonName }),
        ...(sans === undefined ? {} : { sans }),
        ...(dcv.dcvMode === undefined ? {} : { dcvMode: dcv.dcvMode }),
        revokePrevious: false,
      });
    } else {
      const revokePrevious = body["revoke"];
      if (typeof revokePrevious !== "boolean") throw revokePrevious == null ? faults.missing("revoke") : faults.invalidField("revoke");
      model.replace(order, { csr, revokePrevious });
    }
    return noContent();
  });

  const update = route("PUT", table.update.path, async (req) => {
    const body = asRecord(req.body);
    const order =
      table.update.idInBody === undefined
        ? find(req, { path: table.update.path, by: "id" })
        : (model.get(table.family, intField(body, table.update.idInBody, true)!) ?? raise(table.notFound(String(body[table.update.idInBody]))));
    await model.refresh(order);
    if (table.family === "ssl") await applySslCoreUpdate(model, order, body);
    applyCommonUpdate(model, table.family, order, body);
    return json(200, table.detailsView(order, datePattern(req.query, US_DATE)));
  });

  return [
    ...list,
    route("POST", table.enroll.path, async (req) => json(200, table.enroll.answer(model.enroll(table.family, await table.enroll.read(model, req.body))))),
    ...collect,
    ...decision(table.approve, (o) => model.approve(o)),
    ...decision(table.decline, (o) => model.decline(o)),
    route("POST", table.revokeManual, (req) => manualRevoke(model, table.family, asRecord(req.body))),
    ...revoke,
    ...renew,
    replace,
    ...importRoutes(ctx, table),
    ...(table.only?.(ctx) ?? []),
    ...locationRoutes(ctx, table),
    update,
    route("GET", table.order, async (req) => {
      const order = find(req, { path: table.order, by: "id" });
      await model.refresh(order);
      return json(200, table.detailsView(order, datePattern(req.query, US_DATE)));
    }),
    route("DELETE", table.order, (req) => {
      const order = find(req, { path: table.order, by: "id" });
      if (!order.imported) throw faults.onlyImportedDelete();
      model.orders.delete(order.id);
      return noContent();
    }),
  ];
}
