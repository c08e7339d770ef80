// Organizations and their departments: the `orgId` an enroll needs may name either. Listing them is
// also the cheapest authenticated call, which is how a connection is verified.
import type { VendorHttp } from "../shared/http.ts";
import { sig, type CallOptions } from "./common.ts";
import { organizationsSchema, type Organization } from "./wire.ts";

export class OrganizationClient {
  readonly #http: VendorHttp;
  constructor(http: VendorHttp) {
    this.#http = http;
  }

  /** GET /api/organization/v1 → `[{id, name, departments: [{id, name, parentName}]}]`. */
  async list(o?: CallOptions): Promise<Organization[]> {
    const res = await this.#http.request({
      operation: "organization.list",
      method: "GET",
      path: "/api/organization/v1",
      schema: organizationsSchema,
      ...sig(o),
    });
    return res.data;
  }
}
