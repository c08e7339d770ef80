// The Cloudflare doc beside the vendor digest is the test fixture: this reads its OpenAPI fragments
// (summary, path, method, …, parameters, request body, responses, security) and checks values
// against its schemas, so tests replay exactly what the doc documents.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLOUDFLARE_DOC_PATH = fileURLToPath(new URL("../../../../shared/vendor-docs/cloudflare-mtls-client-certificates.txt", import.meta.url));

export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly allOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly nullable?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly example?: unknown;
  readonly default?: unknown;
}

export interface DocParameter {
  readonly in: "path" | "query";
  readonly name: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface CloudflareDocOperation {
  readonly summary: string;
  readonly path: string;
  readonly method: string;
  readonly operationId: string;
  readonly plans: Record<string, boolean>;
  readonly permissions: JsonSchema;
  readonly parameters: readonly DocParameter[];
  readonly requestBody: unknown;
  readonly responses: Record<string, { description: string; content: { "application/json": { schema: JsonSchema } } }>;
  readonly security: ReadonlyArray<Record<string, unknown>>;
}

/** Split text into its top-level JSON values (objects, arrays, null), skipping the plain-text lines. */
function jsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (text.startsWith("null", i) && (i === 0 || /\s/.test(text[i - 1]!))) {
      out.push(null);
      i += 4;
      continue;
    }
    if (ch !== "{" && ch !== "[") {
      i++;
      continue;
    }
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inString) {
        if (c === "\\") j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) break;
      }
    }
    out.push(JSON.parse(text.slice(i, j + 1)));
    i = j + 1;
  }
  return out;
}

export function parseCloudflareDoc(text: string = readFileSync(CLOUDFLARE_DOC_PATH, "utf8")): CloudflareDocOperation {
  const lines = text.split("\n");
  const [summary, path, method, , operationId] = lines;
  const firstJson = text.indexOf(lines.slice(0, 5).join("\n")) + lines.slice(0, 5).join("\n").length;
  const [plans, permissions, parameters, requestBody, responses, security] = jsonValues(text.slice(firstJson));
  return {
    summary: summary!.trim(),
    path: path!.trim(),
    method: method!.trim().toUpperCase(),
    operationId: operationId!.trim(),
    plans: plans as Record<string, boolean>,
    permissions: permissions as JsonSchema,
    parameters: parameters as DocParameter[],
    requestBody,
    responses: responses as CloudflareDocOperation["responses"],
    security: security as Array<Record<string, unknown>>,
  };
}

/** A small JSON-schema check for the keywords the doc uses. Returns the violations (paths + rule). */
export function validateAgainst(schema: JsonSchema, value: unknown, at = "$"): string[] {
  const errs: string[] = [];
  if (value === null) {
    if (schema.nullable === true || schema.enum?.includes(null) === true) return [];
    if (schema.type !== undefined || schema.properties !== undefined || schema.items !== undefined) return [`${at}: null not allowed`];
  }
  for (const sub of schema.allOf ?? []) errs.push(...validateAgainst(sub, value, at));
  if (schema.anyOf !== undefined && !schema.anyOf.some((s) => validateAgainst(s, value, at).length === 0)) errs.push(`${at}: matches no anyOf branch`);
  if (schema.enum !== undefined && !schema.enum.includes(value)) errs.push(`${at}: ${JSON.stringify(value)} not in enum`);
  switch (schema.type) {
    case "object":
      if (typeof value !== "object" || value === null || Array.isArray(value)) errs.push(`${at}: expected object`);
      break;
    case "array":
      if (!Array.isArray(value)) errs.push(`${at}: expected array`);
      break;
    case "string":
      if (typeof value !== "string") errs.push(`${at}: expected string`);
      break;
    case "integer":
      if (!Number.isInteger(value)) errs.push(`${at}: expected integer`);
      break;
    case "number":
      if (typeof value !== "number") errs.push(`${at}: expected number`);
      break;
    case "boolean":
      if (typeof value !== "boolean") errs.push(`${at}: expected boolean`);
      break;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${at}: below minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${at}: above maximum ${schema.maximum}`);
  }
  if (typeof value === "string" && schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${at}: longer than ${schema.maxLength}`);
  // The doc puts minLength on the errors array; read it as minItems.
  if (Array.isArray(value) && schema.minLength !== undefined && value.length < schema.minLength) errs.push(`${at}: fewer than ${schema.minLength} items`);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errs.push(`${at}.${r}: required`);
    for (const [k, s] of Object.entries(schema.properties ?? {})) if (k in obj) errs.push(...validateAgainst(s, obj[k], `${at}.${k}`));
  }
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((v, i) => errs.push(...validateAgainst(schema.items!, v, `${at}[${i}]`)));
  return errs;
}

/** Every property schema with an example, found anywhere under `schema` (for shape comparisons). */
export function examplesUnder(schema: JsonSchema, prefix = ""): Array<{ path: string; schema: JsonSchema }> {
  const out: Array<{ path: string; schema: JsonSchema }> = [];
  for (const s of [...(schema.allOf ?? []), ...(schema.anyOf ?? [])]) out.push(...examplesUnder(s, prefix));
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (s.example !== undefined) out.push({ path: `${prefix}${k}`, schema: s });
    out.push(...examplesUnder(s, `${prefix}${k}.`));
  }
  if (schema.items !== undefined) out.push(...examplesUnder(schema.items, `${prefix}[].`));
  return out;
}
