// How a route's path names its order (id, backend id, serial, renew id), and each family's
// documented answer when it names none.
import type { SimRequest } from "../shared/server.ts";
import { faults, raise } from "./faults.ts";
import type { FamilyTable, Lookup } from "./families.ts";
import { pathId, type RouteContext } from "./http.ts";
import type { Order } from "./model.ts";

/** The order a route's path names, or the family's documented "not found". */
export function lookup(ctx: RouteContext, table: FamilyTable, req: SimRequest, by: Lookup): Order {
  const { model } = ctx;
  switch (by) {
    case "id": {
      const id = pathId(req);
      return model.get(table.family, id) ?? raise(table.notFound(id));
    }
    case "backendCertId": {
      // The older client paths name the order number, which equals the backend id in every example.
      const b = req.params["backendCertId"] ?? "";
      return model.byBackendId(table.family, b) ?? model.list(table.family).find((o) => String(o.orderNumber) === b) ?? raise(faults.certNotFound(b));
    }
    case "serial": {
      const s = req.params["serial"] ?? "";
      return model.bySerial(table.family, s) ?? raise(faults.certNotFound(s));
    }
    case "renewId":
      return (table.family === "ssl" ? model.byRenewId(req.params["renewId"] ?? "") : undefined) ?? raise(faults.renewTargetNull());
  }
}
