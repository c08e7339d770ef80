// The three certificate families SCM serves, as data (DIGEST §3.4–3.6): where each call the operator
// makes goes, and what the enroll body and answer look like. The families really differ — the API
// version of each call, the id names, the lookup field, whether an empty revoke reason or a decline
// exists — and each difference is one cell of this table; the calls themselves are written once, in
// certificates.ts.
import type { z } from "zod";
import type { OrderMarker } from "./order-marker.ts";
import {
  clientOrderResponseSchema,
  deviceOrderResponseSchema,
  sslEnrollResponseSchema,
  type ClientOrderResponse,
  type CustomFieldValue,
  type DcvMode,
  type DeviceOrderResponse,
  type SslEnrollResponse,
} from "./wire.ts";

export type FamilyKey = "ssl" | "smime" | "device";

/** What every family's enroll carries. */
export interface EnrollBase {
  /** Organization or department id. */
  readonly orgId: number;
  /** PEM CSR. */
  readonly csr: string;
  /** Certificate profile id (`certType` on the wire). */
  readonly certType: number;
  /** Days; must be one of the profile's `terms` (otherwise -36). */
  readonly term: number;
  readonly comments?: string;
  /** Must include every mandatory custom field (otherwise -62). */
  readonly customFields?: readonly CustomFieldValue[];
  /** Appended to `comments` so the order can be found again after a crash. */
  readonly marker?: OrderMarker;
}

export interface SslEnrollRequest extends EnrollBase {
  /** Sent as one comma-separated `subjAltNames` string. */
  readonly subjAltNames?: readonly string[];
  /** E-mail addresses; sent comma-separated (≤512 characters). */
  readonly externalRequester?: readonly string[];
  /** Required when DCV pre-validation is disabled for the names. */
  readonly dcvMode?: DcvMode;
  /** Required with dcvMode EMAIL. */
  readonly dcvEmail?: string;
}

export interface ClientEnrollRequest extends EnrollBase {
  /** The person: e-mail (≤128) and first + last name are required; first+middle+last is 1..64. */
  readonly email: string;
  readonly firstName: string;
  readonly middleName?: string;
  readonly lastName: string;
  readonly phone?: string;
  readonly secondaryEmails?: readonly string[];
  /** ≤64; built from the person's name when omitted. */
  readonly commonName?: string;
  readonly eppn?: string;
  readonly upn?: string;
}

export interface DeviceEnrollRequest extends EnrollBase {
  /** e.g. `{name: "commonName", value: "device-1"}`. */
  readonly optionalFields?: readonly CustomFieldValue[];
}

/** Per family: the enroll request and answer types. */
export interface FamilyTypes {
  readonly ssl: { readonly enroll: SslEnrollRequest; readonly placed: SslEnrollResponse };
  readonly smime: { readonly enroll: ClientEnrollRequest; readonly placed: ClientOrderResponse };
  readonly device: { readonly enroll: DeviceEnrollRequest; readonly placed: DeviceOrderResponse };
}

export interface FamilySpec<F extends FamilyKey> {
  readonly family: F;
  /** `GET …/types?organizationId=`: the certificate profiles. */
  readonly profilesPath: string;
  readonly enrollPath: string;
  /** The family's part of the enroll body (orgId, csr, certType, term, comments and custom fields are common). */
  readonly enrollFields: (req: FamilyTypes[F]["enroll"]) => Record<string, unknown>;
  readonly enrollAnswer: z.ZodType<FamilyTypes[F]["placed"]>;
  readonly detailsPath: (id: number) => string;
  readonly listPath: string;
  /** The list filter that finds an intent's orders: the common name, or the person's e-mail. */
  readonly lookupFilter: "commonName" | "email";
  /** Client lists carry `comments`, so the marker is read there; SSL and device lists do not. */
  readonly markerIn: "list" | "details";
  readonly collectPath: (id: number) => string;
  readonly revokePath: (id: number) => string;
  /** SSL wants a revoke reason of 1..512 characters; client and device accept an empty one. */
  readonly revokeReasonRequired: boolean;
  /** Orders waiting for approval can be declined (SSL, device); client orders never wait. */
  readonly declinePath?: (id: number) => string;
  /** Per-domain DCV state (SSL): a pending order names the domains it waits for. */
  readonly dcvPath?: (id: number) => string;
}

const joined = (list: readonly string[] | undefined): string | undefined => (list === undefined || list.length === 0 ? undefined : list.join(","));

export const SSL: FamilySpec<"ssl"> = {
  family: "ssl",
  profilesPath: "/api/ssl/v1/types",
  enrollPath: "/api/ssl/v1/enroll",
  enrollFields: (r) => ({ subjAltNames: joined(r.subjAltNames), externalRequester: joined(r.externalRequester), dcvMode: r.dcvMode, dcvEmail: r.dcvEmail }),
  enrollAnswer: sslEnrollResponseSchema,
  detailsPath: (id) => `/api/ssl/v1/${id}`,
  listPath: "/api/ssl/v1",
  lookupFilter: "commonName",
  markerIn: "details",
  collectPath: (id) => `/api/ssl/v1/collect/${id}`,
  revokePath: (id) => `/api/ssl/v1/revoke/${id}`,
  revokeReasonRequired: true,
  declinePath: (id) => `/api/ssl/v1/decline/${id}`,
  dcvPath: (id) => `/api/ssl/v1/${id}/dcv`,
};

// The version split is documented and deliberate: details, enroll and revoke are v1; list and
// collect are v2. A collect before issuance answers -183 "Certificate is not collectable.".
export const SMIME: FamilySpec<"smime"> = {
  family: "smime",
  profilesPath: "/api/smime/v1/types",
  enrollPath: "/api/smime/v1/enroll",
  enrollFields: (r) => ({
    email: r.email,
    firstName: r.firstName,
    middleName: r.middleName ?? "",
    lastName: r.lastName,
    phone: r.phone,
    secondaryEmails: r.secondaryEmails ?? [],
    commonName: r.commonName,
    eppn: r.eppn,
    upn: r.upn,
  }),
  enrollAnswer: clientOrderResponseSchema,
  detailsPath: (id) => `/api/smime/v1/${id}`,
  listPath: "/api/smime/v2",
  lookupFilter: "email",
  markerIn: "list",
  collectPath: (id) => `/api/smime/v2/collect/${id}`,
  revokePath: (id) => `/api/smime/v1/revoke/${id}`,
  revokeReasonRequired: false,
};

// Revoke by id lives under `/order/{id}` although it takes the deviceCertId.
export const DEVICE: FamilySpec<"device"> = {
  family: "device",
  profilesPath: "/api/device/v1/types",
  enrollPath: "/api/device/v1/enroll",
  enrollFields: (r) => ({ optionalFields: r.optionalFields ?? [] }),
  enrollAnswer: deviceOrderResponseSchema,
  detailsPath: (id) => `/api/device/v1/${id}`,
  listPath: "/api/device/v1",
  lookupFilter: "commonName",
  markerIn: "details",
  collectPath: (id) => `/api/device/v1/collect/${id}`,
  revokePath: (id) => `/api/device/v1/revoke/order/${id}`,
  revokeReasonRequired: false,
  declinePath: (id) => `/api/device/v1/decline/${id}`,
};
