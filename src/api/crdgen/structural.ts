// zod → a structural OpenAPI v3 schema as the API server requires it for CRDs: every node typed, no
// $ref/anyOf/oneOf, additionalProperties only for maps, bounds on strings/lists/maps so CEL cost
// estimation passes, and RE2-compatible patterns. Pure: no I/O.
import { z } from "zod";

export type JSONSchemaProps = { [key: string]: unknown };

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** Keys the apiextensions JSONSchemaProps type knows; anything else would be dropped or rejected. */
const ALLOWED_KEYS = new Set([
  "description",
  "type",
  "format",
  "title",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "properties",
  "additionalProperties",
  "nullable",
  "example",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

/** Output order: what a reader of the YAML looks for first. */
const KEY_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "items",
  "properties",
  "additionalProperties",
  "required",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
];

function ordered(node: JSONSchemaProps): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const key of KEY_ORDER) if (key in node) out[key] = node[key];
  for (const key of Object.keys(node)) if (!(key in out)) out[key] = node[key];
  return out;
}

/** Go's RE2 (the API server's regex engine) has no lookaround or backreferences. */
export function isRe2Compatible(pattern: string): boolean {
  return !/\(\?[=!<]|\\[1-9]/.test(pattern);
}

export interface Conversion {
  readonly schema: JSONSchemaProps;
  /** Anything that would make the API server reject or silently change the schema; empty when fine. */
  readonly problems: readonly string[];
}

/** Converts one zod schema (a spec or status) into a structural schema rooted at `path`. */
export function toStructural(schema: z.ZodType, path: string): Conversion {
  const problems: string[] = [];
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input", // defaulted fields are optional on input, and carry `default`
    unrepresentable: "throw",
    cycles: "throw",
    reused: "inline",
  }) as JSONSchemaProps;
  delete json.$schema;
  return { schema: normalize(json, path, problems), problems };
}

function normalize(node: JSONSchemaProps, path: string, problems: string[]): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "id" || key === "$id") continue;
    if (!ALLOWED_KEYS.has(key)) {
      problems.push(`${path}: "${key}" is not allowed in a structural schema`);
      continue;
    }
    out[key] = value;
  }

  switch (out.type) {
    case "object":
      normalizeObject(out, path, problems);
      break;
    case "array":
      if (out.items === undefined || Array.isArray(out.items)) problems.push(`${path}: an array needs a single items schema`);
      else out.items = normalize(out.items as JSONSchemaProps, `${path}[*]`, problems);
      break;
    case "integer":
      // zod bounds ints to ±MAX_SAFE_INTEGER; the API server's ints are int64, and those bounds are noise.
      if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
      if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
      if (out.format === undefined || out.format === "safeint") {
        const fits32 = typeof out.maximum === "number" && typeof out.minimum === "number" && out.maximum <= INT32_MAX && out.minimum >= INT32_MIN;
        out.format = fits32 ? "int32" : "int64";
      }
      break;
    case "string":
      if (typeof out.pattern === "string" && (out.format === "date-time" || !isRe2Compatible(out.pattern))) {
        // The format is validated by the API server; zod's own regex for it may use lookarounds RE2 lacks.
        if (out.format === undefined) problems.push(`${path}: pattern is not RE2-compatible: ${out.pattern}`);
        delete out.pattern;
      }
      break;
    case "boolean":
    case "number":
      break;
    default:
      if (out["x-kubernetes-int-or-string"] !== true && out["x-kubernetes-preserve-unknown-fields"] !== true) {
        problems.push(`${path}: every node needs a type (got ${JSON.stringify(out.type)})`);
      }
  }
  return ordered(out);
}

function normalizeObject(out: JSONSchemaProps, path: string, problems: string[]): void {
  // zod's strictObject says additionalProperties: false; the API server prunes instead and forbids it.
  if (out.additionalProperties === false) delete out.additionalProperties;
  const properties = out.properties as Record<string, JSONSchemaProps> | undefined;
  const additional = out.additionalProperties as JSONSchemaProps | boolean | undefined;
  if (properties !== undefined && additional !== undefined) {
    problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
  }
  if (properties !== undefined) {
    const next: Record<string, JSONSchemaProps> = {};
    for (const [name, child] of Object.entries(properties)) next[name] = normalize(child, `${path}.${name}`, problems);
    out.properties = next;
    if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  } else if (typeof additional === "object") {
    out.additionalProperties = normalize(additional, `${path}[*]`, problems);
  }
}

// ---------------------------------------------------------------------------------------------------
// Checks that go beyond what the API server enforces, but that this project promises.

/**
 * Every property has a description (kubectl explain teaches the API) and a type; strings, lists and
 * maps are bounded (CEL cost estimation).
 */
export function lintStructural(schema: JSONSchemaProps, path: string): string[] {
  const problems: string[] = [];
  walk(schema, path, true, problems);
  return problems;
}

function walk(node: JSONSchemaProps, path: string, isField: boolean, problems: string[]): void {
  if (isField && (typeof node.description !== "string" || node.description.trim() === "")) {
    problems.push(`${path}: missing description`);
  }
  if (typeof node.type !== "string") problems.push(`${path}: missing type`);
  switch (node.type) {
    case "string":
      if (node.maxLength === undefined && node.enum === undefined) problems.push(`${path}: string without maxLength or enum`);
      break;
    case "array": {
      if (node.maxItems === undefined) problems.push(`${path}: array without maxItems`);
      const items = node.items as JSONSchemaProps;
      walk(items, `${path}[*]`, false, problems);
      break;
    }
    case "object": {
      const properties = node.properties as Record<string, JSONSchemaProps> | undefined;
      const additional = node.additionalProperties as JSONSchemaProps | undefined;
      if (properties !== undefined) for (const [name, child] of Object.entries(properties)) walk(child, `${path}.${name}`, true, problems);
      else if (additional !== undefined) {
        if (node.maxProperties === undefined) problems.push(`${path}: map without maxProperties`);
        walk(additional, `${path}[*]`, false, problems);
      }
      break;
    }
  }
  for (const v of (node["x-kubernetes-validations"] as { rule?: unknown; message?: unknown }[] | undefined) ?? []) {
    if (typeof v.rule !== "string" || typeof v.message !== "string") problems.push(`${path}: a CEL rule needs rule and message`);
  }
}
