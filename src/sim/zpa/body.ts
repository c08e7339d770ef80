// Reading request bodies and microtenant scopes the way ZPA does: numbers and booleans may arrive as
// strings (the documented examples send "300" and "true"), ids above 2^53 only survive as strings,
// and a JSON null is the same as an omitted field (the official SDKs send nulls back on PUT: recorded
// server-group update in zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/TestServerGroup.yaml).

import { zpaErrors } from "./errors.ts";
import { DEFAULT_MICROTENANT } from "./model.ts";

export type Body = Record<string, unknown>;

/** `undefined` or `"null"` on a read means every microtenant; anything else selects one. */
export type MicrotenantScope = string | undefined;

export const visibleIn = (objectTenant: string, scope: MicrotenantScope): boolean =>
  scope === undefined || scope === "null" || scope === "" || scope === objectTenant;

/** The microtenant a write lands in: the query parameter, else the body's microtenantId, else Default. */
export const writeTenant = (query: string | undefined, body: unknown): string => {
  if (query !== undefined && query !== "" && query !== "null") return query;
  const b = body as { microtenantId?: unknown } | undefined;
  if (typeof b?.microtenantId === "string" && b.microtenantId !== "") return b.microtenantId;
  if (typeof b?.microtenantId === "number") return String(b.microtenantId);
  return DEFAULT_MICROTENANT;
};

export function asObject(body: unknown): Body {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw zpaErrors.invalid("Request body must be a JSON object");
  return body as Body;
}

/** True when the field carries a value (null counts as omitted). */
export const present = (body: Body, field: string): boolean => body[field] !== undefined && body[field] !== null;

export function requiredString(body: Body, field: string): string {
  const v = body[field];
  if (typeof v === "string" && v.trim() !== "") return v;
  throw zpaErrors.invalid(`${field} is required`, field);
}

export function optionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw zpaErrors.invalid(`${field} must be a string`, field);
}

/** ZPA accepts numeric fields as JSON strings or numbers (the doc examples send strings). */
export function requiredInteger(body: Body, field: string): number {
  const v = body[field];
  const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : undefined;
  if (text === undefined || text === "") throw zpaErrors.invalid(`${field} is required`, field);
  if (!/^\d+$/.test(text)) throw zpaErrors.invalid(`${field} must be an integer`, field);
  return Number(text);
}

export function requiredId(body: Body, field: string): string {
  const v = body[field];
  // An id sent as a JSON number above 2^53 has already lost precision; ZPA would then look up a
  // different id and answer not-found, which the callers' lookups do too.
  const text = typeof v === "number" && Number.isInteger(v) ? BigInt(v).toString() : typeof v === "string" ? v.trim() : undefined;
  if (text === undefined || text === "") throw zpaErrors.invalid(`${field} is required`, field);
  if (!/^\d+$/.test(text)) throw zpaErrors.invalid(`${field} must be an integer`, field);
  return text;
}

export function optionalId(body: Body, field: string): string | undefined {
  return present(body, field) ? requiredId(body, field) : undefined;
}

export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw zpaErrors.invalid(`${field} must be a boolean`, field);
}

export function optionalStringList(body: Body, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" || typeof x === "number"))
    throw zpaErrors.invalid(`${field} must be a list of strings`, field);
  return v.map(String);
}

/** A list of objects (serverGroups, clientlessApps, appConnectorGroups). */
export function optionalObjectList(body: Body, field: string): Body[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x)))
    throw zpaErrors.invalid(`${field} must be a list of objects`, field);
  return v as Body[];
}

export function oneOf<T extends string>(body: Body, field: string, allowed: readonly T[]): T | undefined {
  const v = optionalString(body, field);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw zpaErrors.invalid(`${field} must be one of ${allowed.join(", ")}`, field);
  return v as T;
}
