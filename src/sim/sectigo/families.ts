// The three certificate families as SCM serves them (DIGEST §3.4–3.6, the 25.4/25.5 editions for
// the older client paths), as data: every documented route of a family is a row here, naming how
// it finds its order and how it answers. The handlers are written once, in routes-family.ts; the
// rows keep the families' real differences (API versions per call, id names, status spellings,
// which family has approvals, DCV, renew ids or persons).
import type { SimRoute } from "../shared/server.ts";
import { faults, scmFault, type ScmFault } from "./faults.ts";
import type { RouteContext } from "./http.ts";
import type { Family, Order } from "./model.ts";
import { normalizeSerial, statusText } from "./model.ts";
import { readClientEnroll, readDeviceEnroll, readSslEnroll, type EnrollReader } from "./enroll.ts";
import { sslOnlyRoutes, smimeOnlyRoutes } from "./routes-family-only.ts";
import {
  clientDetailsView,
  clientListItemView,
  clientOrderView,
  deviceDetailsView,
  deviceListItemView,
  deviceOrderView,
  ISO_DATE,
  sslDetailsView,
  sslListItemView,
  US_DATE,
} from "./views.ts";

/** How a route's path names its order. */
export type Lookup = "id" | "backendCertId" | "serial" | "renewId";

export interface OrderRoute {
  readonly path: string;
  readonly by: Lookup;
}

export interface ListRoute {
  readonly path: string;
  /** The default date pattern of the list's dates (`dateFormat` overrides it). */
  readonly dates: string;
  readonly view: (o: Order, datePattern: string) => Record<string, unknown>;
}

/** A list filter: does this order match the query value (already known to be non-empty)? */
export type ListFilter = (o: Order, value: string, ctx: RouteContext) => boolean;

export interface FamilyTable {
  readonly family: Family;
  readonly lists: readonly ListRoute[];
  readonly filters: Readonly<Record<string, ListFilter>>;
  /** GET (details) and DELETE of one order. */
  readonly order: string;
  readonly detailsView: (o: Order, datePattern: string) => Record<string, unknown>;
  /** PUT: SSL takes the id in the body (`sslId`), the others in the path. */
  readonly update: { readonly path: string; readonly idInBody?: string };
  readonly enroll: { readonly path: string; readonly read: EnrollReader; readonly answer: (o: Order) => Record<string, unknown> };
  readonly collect: readonly OrderRoute[];
  readonly collectContentType: string;
  readonly unknownFormat: (format: string) => ScmFault;
  readonly revoke: readonly OrderRoute[];
  readonly revokeManual: string;
  /** SSL wants `reason` 1..512; client and device accept an empty one. */
  readonly revokeReasonRequired: boolean;
  /** `answer` "none": 204 without the new id (SSL renew by renewId). */
  readonly renew: ReadonlyArray<OrderRoute & { readonly answer: "none" | ((next: Order) => Record<string, unknown>) }>;
  readonly approve?: string;
  readonly decline?: string;
  /** SSL: new CSR and optionally names, the order re-issued; device and client: new CSR, `revoke` the old. */
  readonly replace: OrderRoute & { readonly body: "ssl" | "revokeFlag" };
  readonly locations: string;
  readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: "json" | "zip" }>;
  /** The fault for an id that names no order of this family. */
  readonly notFound: (id: string | number) => ScmFault;
  /** Routes only this family has. */
  readonly only?: (ctx: RouteContext) => SimRoute[];
}

const serialIs = (o: Order, v: string): boolean => o.material !== undefined && normalizeSerial(o.material.serialHex) === normalizeSerial(v);
const eq = (a: string | number | undefined, v: string): boolean => a !== undefined && String(a).toLowerCase() === v.toLowerCase();

export const SSL_TABLE: FamilyTable = {
  family: "ssl",
  lists: [{ path: "/api/ssl/v1", dates: US_DATE, view: (o) => sslListItemView(o) }],
  filters: {
    commonName: (o, v) => eq(o.commonName, v),
    status: (o, v) => eq(statusText(o), v),
    subjectAlternativeName: (o, v) => o.sans.some((s) => eq(s, v)),
    sslTypeId: (o, v) => eq(o.profile.id, v),
    orgId: (o, v) => eq(o.orgId, v),
    externalRequester: (o, v) => o.externalRequester.toLowerCase().includes(v.toLowerCase()),
    serialNumber: serialIs,
  },
  order: "/api/ssl/v1/:id",
  detailsView: sslDetailsView,
  update: { path: "/api/ssl/v1", idInBody: "sslId" },
  enroll: { path: "/api/ssl/v1/enroll", read: readSslEnroll, answer: (o) => ({ sslId: o.id, renewId: o.renewId }) },
  // The legacy path form public clients still use [P13, P14, P15].
  collect: [
    { path: "/api/ssl/v1/collect/:id", by: "id" },
    { path: "/api/ssl/v1/collect/:id/:format", by: "id" },
  ],
  collectContentType: "application/octet-stream;charset=UTF-8",
  unknownFormat: (f) => faults.unknownFormat(f),
  revoke: [
    { path: "/api/ssl/v1/revoke/serial/:serial", by: "serial" },
    { path: "/api/ssl/v1/revoke/:id", by: "id" },
  ],
  revokeManual: "/api/ssl/v1/revoke/manual",
  revokeReasonRequired: true,
  renew: [
    { path: "/api/ssl/v1/renew/:renewId", by: "renewId", answer: "none" },
    { path: "/api/ssl/v1/renewById/:id", by: "id", answer: (next) => ({ sslId: next.id }) },
  ],
  approve: "/api/ssl/v1/approve/:id",
  decline: "/api/ssl/v1/decline/:id",
  replace: { path: "/api/ssl/v1/replace/:id", by: "id", body: "ssl" },
  locations: "/api/ssl/v1/:id/location",
  imports: [
    { path: "/api/ssl/v1/import", kind: "zip" },
    { path: "/api/ssl/v2/import", kind: "json" },
  ],
  notFound: (id) => faults.sslNotFound(id),
  only: sslOnlyRoutes,
};

// Current calls are v2 for list, collect and renew by order/serial; v1 for the rest. The older v1
// list, collect-by-backend-id and per-person paths (25.4/25.5 editions, python-cert_manager and
// hm-edu/sectigo-client still call them) are served too.
export const SMIME_TABLE: FamilyTable = {
  family: "smime",
  lists: [
    { path: "/api/smime/v2", dates: ISO_DATE, view: clientListItemView },
    { path: "/api/smime/v1", dates: ISO_DATE, view: clientListItemView },
  ],
  filters: {
    state: (o, v) => eq(statusText(o), v),
    email: (o, v) => eq(o.person?.email, v),
    personId: (o, v, ctx) => o.person !== undefined && eq(ctx.model.personId(o.person.email), v),
    certTypeId: (o, v) => eq(o.profile.id, v),
    backendCertId: (o, v) => o.backendCertId === v,
    serialNumber: serialIs,
  },
  order: "/api/smime/v1/:id",
  detailsView: clientDetailsView,
  update: { path: "/api/smime/v1/:id" },
  enroll: { path: "/api/smime/v1/enroll", read: readClientEnroll, answer: clientOrderView },
  collect: [
    { path: "/api/smime/v2/collect/order/:backendCertId", by: "backendCertId" },
    { path: "/api/smime/v2/collect/:id", by: "id" },
    { path: "/api/smime/v1/collect/:backendCertId", by: "backendCertId" },
  ],
  collectContentType: "application/octet-stream",
  unknownFormat: (f) => scmFault(400, -1450, [f]),
  revoke: [
    { path: "/api/smime/v1/revoke/order/:backendCertId", by: "backendCertId" },
    { path: "/api/smime/v1/revoke/serial/:serial", by: "serial" },
    { path: "/api/smime/v1/revoke/:id", by: "id" },
  ],
  revokeManual: "/api/smime/v1/revoke/manual",
  revokeReasonRequired: false,
  renew: [
    { path: "/api/smime/v1/renew/:id", by: "id", answer: clientOrderView },
    { path: "/api/smime/v2/renew/order/:backendCertId", by: "backendCertId", answer: clientOrderView },
    { path: "/api/smime/v2/renew/serial/:serial", by: "serial", answer: clientOrderView },
  ],
  // Not in the reference: python-cert_manager's SMIME.replace sends {csr, reason, revoke} here.
  replace: { path: "/api/smime/v2/replace/order/:id", by: "id", body: "revokeFlag" },
  locations: "/api/smime/v2/:id/location",
  imports: [{ path: "/api/smime/v2/import", kind: "json" }],
  notFound: (id) => faults.certNotFound(id),
  only: smimeOnlyRoutes,
};

// Revoke, renew and replace by id sit under `/order/{id}` although they take the deviceCertId.
export const DEVICE_TABLE: FamilyTable = {
  family: "device",
  lists: [{ path: "/api/device/v1", dates: US_DATE, view: (o) => deviceListItemView(o) }],
  filters: {
    commonName: (o, v) => eq(o.commonName, v),
    // AWAITING_APPROVAL is deprecated and falls back to REQUESTED.
    status: (o, v) => eq(statusText(o, "list"), v.toUpperCase() === "AWAITING_APPROVAL" ? "REQUESTED" : v),
    orgId: (o, v) => eq(o.orgId, v),
    certTypeId: (o, v) => eq(o.profile.id, v),
    backendCertId: (o, v) => o.backendCertId === v,
    serialNumber: serialIs,
  },
  order: "/api/device/v1/:id",
  detailsView: deviceDetailsView,
  update: { path: "/api/device/v1/:id" },
  enroll: { path: "/api/device/v1/enroll", read: readDeviceEnroll, answer: deviceOrderView },
  collect: [{ path: "/api/device/v1/collect/:id", by: "id" }],
  collectContentType: "application/octet-stream",
  unknownFormat: (f) => scmFault(400, -1450, [f]),
  revoke: [
    { path: "/api/device/v1/revoke/order/:id", by: "id" },
    { path: "/api/device/v1/revoke/serial/:serial", by: "serial" },
  ],
  revokeManual: "/api/device/v1/revoke/manual",
  revokeReasonRequired: false,
  renew: [
    { path: "/api/device/v1/renew/order/:id", by: "id", answer: deviceOrderView },
    { path: "/api/device/v1/renew/serial/:serial", by: "serial", answer: deviceOrderView },
  ],
  approve: "/api/device/v1/approve/:id",
  decline: "/api/device/v1/decline/:id",
  replace: { path: "/api/device/v1/replace/order/:id", by: "id", body: "revokeFlag" },
  locations: "/api/device/v1/:id/location",
  imports: [{ path: "/api/device/v1/import", kind: "json" }],
  notFound: (id) => faults.certNotFound(id),
};

export const FAMILY_TABLES: readonly FamilyTable[] = [SSL_TABLE, SMIME_TABLE, DEVICE_TABLE];
