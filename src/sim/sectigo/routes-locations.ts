// Custom certificate locations (every family; `{base}/{id}/location[/{locationId}]`): key-value details
// an admin records where a certificate is installed. Create answers 201 with the new location's URL
// in `Location`, update 200 without a body, delete 204. An unknown location id is inferred as -1601.
import type { SimRequest, SimRoute } from "../shared/server.ts";
import { faults } from "./faults.ts";
import type { FamilyTable } from "./families.ts";
import { json, noContent, pathId, scm, type RouteContext } from "./http.ts";
import type { Location, Order } from "./model.ts";
import { lookup } from "./lookup.ts";
import { asRecord, type Json } from "./validate.ts";

/** `details`: an object of strings (values of other JSON types are kept as their text). */
function detailsOf(body: Json): Record<string, string> {
  const d = body["details"];
  if (d === undefined || d === null) throw faults.missing("details");
  if (typeof d !== "object" || Array.isArray(d)) throw faults.invalidField("details");
  return Object.fromEntries(Object.entries(d as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function view(l: Location): Record<string, unknown> {
  return { id: l.id, locationType: l.locationType, name: l.name, details: l.details };
}

export function locationRoutes(ctx: RouteContext, table: FamilyTable): SimRoute[] {
  const base = table.locations;
  const order = (req: SimRequest): Order => lookup(ctx, table, req, "id");
  const location = (req: SimRequest): { order: Order; location: Location } => {
    const o = order(req);
    const id = pathId(req, "locationId");
    const l = o.locations.find((x) => x.id === id);
    if (l === undefined) throw faults.invalidField("locationId");
    return { order: o, location: l };
  };
  return [
    { method: "GET", path: base, handler: scm(ctx, (req) => json(200, order(req).locations.map(view))) },
    {
      method: "POST",
      path: base,
      handler: scm(ctx, (req) => {
        const o = order(req);
        const l = ctx.model.addLocation(o, detailsOf(asRecord(req.body)));
        const host = req.headers["host"] ?? "localhost";
        return { status: 201, headers: { location: `https://${host}${req.path.replace(/\/+$/, "")}/${l.id}` } };
      }),
    },
    { method: "GET", path: `${base}/:locationId`, handler: scm(ctx, (req) => json(200, view(location(req).location))) },
    {
      method: "PUT",
      path: `${base}/:locationId`,
      handler: scm(ctx, (req) => {
        const { location: l } = location(req);
        l.details = detailsOf(asRecord(req.body));
        return { status: 200 };
      }),
    },
    {
      method: "DELETE",
      path: `${base}/:locationId`,
      handler: scm(ctx, (req) => {
        const { order: o, location: l } = location(req);
        o.locations.splice(o.locations.indexOf(l), 1);
        return noContent();
      }),
    },
  ];
}
