// Organizations and their departments: the `orgId` an enroll needs may name either.
import type { VendorHttp } from "../shared/http.ts";
import { sig, type CallOptions } from "./common.ts";
import { organizationsSchema, type Organization } from "./wire.ts";

export type OrgCertType = "SSL" | "Client" | "Device" | "CodeSign";

export class OrganizationClient {
  readonly #http: VendorHttp;
  constructor(http: VendorHttp) {
    this.#http = http;
  }

  /** GET /api/organization/v1 → `[{id, name, departments: [{id, name, parentName}]}]`. */
  async list(o?: CallOptions): Promise<Organization[]> {
    const res = await this.#http.request({ operation: "organization.list", method: "GET", path: "/api/organization/v1", schema: organizationsSchema, ...sig(o) });
    return res.data;
  }

  /** GET /api/organization/v1/report-type/{SSL|Client|Device|CodeSign}: organizations usable for that type. */
  async listByCertType(type: OrgCertType, o?: CallOptions): Promise<Organization[]> {
    const res = await this.#http.request({ operation: "organization.listByCertType", method: "GET", path: `/api/organization/v1/report-type/${type}`, schema: organizationsSchema, ...sig(o) });
    return res.data;
  }

  /** Whether `orgId` names an organization or one of its departments. */
  static contains(orgs: readonly Organization[], orgId: number): boolean {
    return orgs.some((org) => org.id === orgId || org.departments.some((d) => d.id === orgId));
  }
}
