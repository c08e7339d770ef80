// Lookups: organizations (with departments), certificate profiles and custom fields per family.
import type { SimRoute } from "../shared/server.ts";
import { faults } from "./faults.ts";
import { json, pathId, scm, type RouteContext } from "./http.ts";
import type { Family } from "./model.ts";
import type { SeedOrganization } from "./seed.ts";
import { profileView } from "./views.ts";

function orgView(o: SeedOrganization): Record<string, unknown> {
  return { id: o.id, name: o.name, departments: o.departments.map((d) => ({ id: d.id, parentName: o.name, name: d.name })) };
}

const REPORT_TYPES = ["SSL", "Client", "Device", "CodeSign"];

export function commonRoutes(ctx: RouteContext): SimRoute[] {
  const { model } = ctx;
  const perFamily = (family: Family): SimRoute[] => [
    {
      method: "GET",
      path: `/api/${family}/v1/types`,
      handler: scm(ctx, (req) => {
        const org = req.query.get("organizationId");
        if (org !== null && org !== "" && (!/^\d+$/.test(org) || !model.orgExists(Number(org)))) return json(200, []);
        return json(
          200,
          model.seed.profiles[family].map((p) => profileView(p, family)),
        );
      }),
    },
    {
      method: "GET",
      path: `/api/${family}/v1/customFields`,
      handler: scm(ctx, () =>
        json(
          200,
          model.seed.customFields[family].map((f) => ({ id: f.id, name: f.name, mandatory: f.mandatory })),
        ),
      ),
    },
  ];
  return [
    { method: "GET", path: "/api/organization/v1", handler: scm(ctx, () => json(200, model.seed.organizations.map(orgView))) },
    {
      method: "GET",
      path: "/api/organization/v1/report-type/:type",
      handler: scm(ctx, (req) => {
        if (!REPORT_TYPES.includes(req.params["type"] ?? "")) throw faults.invalidField("type");
        return json(200, model.seed.organizations.map(orgView));
      }),
    },
    {
      method: "GET",
      path: "/api/organization/v1/:id",
      handler: scm(ctx, (req) => {
        const id = pathId(req);
        const org = model.seed.organizations.find((o) => o.id === id);
        if (org === undefined) throw faults.orgNotFound(id);
        return json(200, { ...orgView(org), certTypes: ["SSL", "Client", "Device"], ...org.details, sslCertsApiEnabled: true, clientCertsApiEnabled: true });
      }),
    },
    ...perFamily("ssl"),
    ...perFamily("smime"),
    ...perFamily("device"),
  ];
}
