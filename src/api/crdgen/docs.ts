// `npm run gen:docs`: docs/api.md, the API reference, rendered from the same structural CRD schemas
// that crds/ is generated from (so the reference cannot say anything the API server does not enforce).
// Pure render below; running this file writes docs/api.md. docs.test.ts fails when the file is stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GROUP, VERSION } from "../v1alpha1/group.ts";
import { buildCrds, definitions, type KindDefinition } from "./crds.ts";
import type { JSONSchemaProps } from "./structural.ts";

export const API_DOC_PATH = join(import.meta.dirname, "..", "..", "..", "docs", "api.md");

interface Row {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: unknown;
  readonly constraints: string;
  readonly description: string;
}

interface Rule {
  readonly path: string;
  readonly message: string;
  readonly rule: string;
}

type Validation = { rule: string; message: string; fieldPath?: string };

const props = (node: JSONSchemaProps) => (node.properties as Record<string, JSONSchemaProps> | undefined) ?? {};

function typeOf(node: JSONSchemaProps): string {
  switch (node.type) {
    case "array":
      return `[]${typeOf(node.items as JSONSchemaProps)}`;
    case "object":
      return node.properties === undefined && typeof node.additionalProperties === "object"
        ? `map[string]${typeOf(node.additionalProperties as JSONSchemaProps)}`
        : "object";
    case "integer":
      return typeof node.format === "string" ? `integer (${node.format})` : "integer";
    case "string":
      return typeof node.format === "string" ? `string (${node.format})` : "string";
    default:
      return String(node.type);
  }
}

function constraintsOf(node: JSONSchemaProps): string {
  const out: string[] = [];
  if (Array.isArray(node.enum)) out.push(`one of ${node.enum.map((v) => `\`${String(v)}\``).join(", ")}`);
  const range = (lo: unknown, hi: unknown, what: string) => {
    if (lo !== undefined && hi !== undefined) out.push(lo === hi ? `${what} ${String(lo)}` : `${what} ${String(lo)}–${String(hi)}`);
    else if (lo !== undefined) out.push(`${what} ≥ ${String(lo)}`);
    else if (hi !== undefined) out.push(`${what} ≤ ${String(hi)}`);
  };
  range(node.minimum, node.maximum, "value");
  range(node.minLength, node.maxLength, "length");
  range(node.minItems, node.maxItems, "items");
  range(node.minProperties, node.maxProperties, "entries");
  const listType = node["x-kubernetes-list-type"];
  if (listType === "set") out.push("unique items");
  if (listType === "map") out.push(`list map keyed by ${(node["x-kubernetes-list-map-keys"] as string[]).map((k) => `\`${k}\``).join(", ")}`);
  // Lists of scalars get no rows of their own: say what each item must be here.
  const items = node.items as JSONSchemaProps | undefined;
  if (node.type === "array" && items !== undefined && items.type !== "object" && items.type !== "array") {
    const each = constraintsOf(items);
    if (each !== "") out.push(`each item: ${each}`);
  }
  return out.join("; ");
}

function collect(node: JSONSchemaProps, path: string, required: boolean, rows: Row[], rules: Rule[]): void {
  rows.push({
    path,
    type: typeOf(node),
    required,
    defaultValue: node.default,
    constraints: constraintsOf(node),
    description: typeof node.description === "string" ? node.description : "",
  });
  collectRules(node, path, rules);
  descend(node, path, rows, rules);
}

/** Children of a node: its properties, or the properties of its list items or map values. */
function descend(node: JSONSchemaProps, path: string, rows: Row[], rules: Rule[]): void {
  if (node.type === "array") {
    const items = node.items as JSONSchemaProps;
    collectRules(items, `${path}[]`, rules);
    descend(items, `${path}[]`, rows, rules);
    return;
  }
  if (node.type !== "object") return;
  const req = new Set((node.required as string[] | undefined) ?? []);
  for (const [name, child] of Object.entries(props(node))) collect(child, `${path}.${name}`, req.has(name), rows, rules);
}

function collectRules(node: JSONSchemaProps, path: string, rules: Rule[]): void {
  for (const v of (node["x-kubernetes-validations"] as Validation[] | undefined) ?? []) {
    // Transition rules read oldSelf: only the API server checks them, and only on update.
    const message = v.rule.includes("oldSelf") ? `${v.message} (checked on update)` : v.message;
    rules.push({ path: v.fieldPath === undefined ? path : `${path}${v.fieldPath}`, message, rule: v.rule });
  }
}

/** Markdown table cell: no line breaks, no bare pipes. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

/** Prose in a cell: `<x>` would read as an HTML tag and `*` as emphasis. */
function prose(text: string): string {
  return cell(text.replace(/</g, "&lt;").replace(/\*/g, "\\*"));
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function renderSection(title: string, root: JSONSchemaProps, base: string): string[] {
  const rows: Row[] = [];
  const rules: Rule[] = [];
  collectRules(root, base, rules);
  descend(root, base, rows, rules);
  const lines = [`### ${title}`, "", prose(String(root.description ?? "")), ""];
  lines.push("| field | type | required | default | allowed values | description |", "|---|---|---|---|---|---|");
  for (const r of rows) {
    const def = r.defaultValue === undefined ? "" : code(JSON.stringify(r.defaultValue));
    lines.push(`| ${code(r.path)} | ${r.type} | ${r.required ? "yes" : ""} | ${cell(def)} | ${cell(r.constraints)} | ${prose(r.description)} |`);
  }
  lines.push("");
  if (rules.length > 0) {
    lines.push(
      `Validation rules (CEL, enforced by the API server; the operator reports the same message as \`InvalidSpec\` where it can check it):`,
      "",
      "| where | message | rule |",
      "|---|---|---|",
    );
    for (const r of rules) lines.push(`| ${code(r.path)} | ${prose(r.message)} | ${cell(code(r.rule))} |`);
    lines.push("");
  }
  return lines;
}

function anchor(kind: string): string {
  return kind.toLowerCase();
}

function renderKind(def: KindDefinition, crd: JSONSchemaProps): string[] {
  const version = (crd as { spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] } }).spec.versions[0]!;
  const root = version.schema.openAPIV3Schema;
  const n = def.names;
  const lines = [
    `## ${n.kind}`,
    "",
    def.description,
    "",
    `- scope: ${n.scope}; plural \`${n.plural}\`; short names ${n.shortNames.map((s) => `\`${s}\``).join(", ")}; category \`certbridge\``,
    `- \`kubectl get ${n.plural}\` columns: ${def.printerColumns.map((c) => `${c.name}${c.priority ? " (-o wide)" : ""}`).join(", ")}`,
    "",
  ];
  lines.push(...renderSection("spec", props(root).spec!, "spec"));
  lines.push(...renderSection("status", props(root).status!, "status"));
  return lines;
}

export function renderApiDoc(): string {
  const built = buildCrds();
  const lines = [
    `# API reference: \`${GROUP}/${VERSION}\``,
    "",
    "<!-- Generated by `npm run gen:docs` (src/api/crdgen/docs.ts) from the zod schemas in src/api/v1alpha1,",
    "     through the same structural schemas as crds/. Do not edit by hand. -->",
    "",
    "Every field of every kind, as the API server validates it. Paths use `[]` for list items;",
    "regular expressions on strings are in the generated CRDs (`crds/`).",
    "`required` is relative to the parent object; defaults are applied by the API server on create.",
    "Examples and explanations are in the [README](../README.md).",
    "",
    ...definitions.map((d) => `- [${d.names.kind}](#${anchor(d.names.kind)})`),
    "",
  ];
  definitions.forEach((def, i) => lines.push(...renderKind(def, built[i]!.crd)));
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

if (import.meta.main) {
  writeFileSync(API_DOC_PATH, renderApiDoc());
  console.log("wrote docs/api.md");
}
