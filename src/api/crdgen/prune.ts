// What the API server would prune from an object (or reject under fieldValidation=Strict): fields the
// structural schema does not declare. zod strips those silently, so samples are checked with this.
import type { JSONSchemaProps } from "./structural.ts";

export function unknownFields(schema: JSONSchemaProps, value: unknown, path = ""): string[] {
  if (Array.isArray(value)) {
    const items = schema.items as JSONSchemaProps | undefined;
    return items === undefined ? [] : value.flatMap((v, i) => unknownFields(items, v, `${path}[${i}]`));
  }
  if (typeof value !== "object" || value === null) return [];
  const properties = schema.properties as Record<string, JSONSchemaProps> | undefined;
  const additional = schema.additionalProperties as JSONSchemaProps | undefined;
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (properties !== undefined) {
      const sub = properties[key];
      if (sub === undefined) out.push(at);
      else out.push(...unknownFields(sub, child, at));
    } else if (typeof additional === "object") {
      out.push(...unknownFields(additional, child, at));
    }
    // neither: an opaque object such as metadata, which the API server handles itself
  }
  return out;
}
