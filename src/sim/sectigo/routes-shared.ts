// Request pieces several families share: revoke bodies, approve/decline messages, manual revoke.
import { faults } from "./faults.ts";
import { noContent } from "./http.ts";
import type { Family, SectigoModel } from "./model.ts";
import { intField, stringField, type Json } from "./validate.ts";
import type { SimResponse } from "../shared/server.ts";

const REASON_CODES = [0, 1, 3, 4, 5];

/** `reasonCode` ∈ {0,1,3,4,5}; `reason` 1..512 for SSL, ≤512 and possibly empty for client/device. */
export function revokeFields(body: Json, reasonRequired: boolean): { reasonCode: number; reason: string } {
  const raw = body["reasonCode"];
  const reasonCode = raw === undefined || raw === null ? 0 : typeof raw === "number" ? raw : NaN;
  if (!REASON_CODES.includes(reasonCode)) throw faults.invalidField("reasonCode");
  const reason = stringField(body, "reason", { required: reasonRequired, max: 512 }) ?? "";
  return { reasonCode, reason };
}

/** Approve/decline `message`: must not be empty, 1..512. */
export function messageField(body: Json): string {
  return stringField(body, "message", { required: true, max: 512 })!;
}

/** Manual revoke: `certId`, or `serialNumber` + `issuer`. Marks revoked without contacting the CA. */
export function manualRevoke(model: SectigoModel, family: Family, body: Json): SimResponse {
  const reasonCode = revokeFields({ reasonCode: body["reasonCode"], reason: "manual" }, false).reasonCode;
  const certId = intField(body, "certId", false);
  const serial =
    typeof body["serialNumber"] === "string" ? body["serialNumber"] : typeof body["serialNumber"] === "number" ? String(body["serialNumber"]) : undefined;
  let order;
  if (certId !== undefined) order = model.get(family, certId);
  else if (serial !== undefined && body["issuer"] != null) order = model.bySerial(family, serial);
  else throw faults.missing("certId");
  if (order === undefined) throw faults.certNotFound(certId ?? serial ?? "");
  model.revoke(order, reasonCode, "", true);
  return noContent();
}
