import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { settings } from "../../config/operator.ts";
import { API_VERSION, parseResource, Reason } from "../v1alpha1/index.ts";
import { buildCrds, definitions } from "./crds.ts";
import { API_DOC_PATH, renderApiDoc } from "./docs.ts";
import { unknownFields } from "./prune.ts";
import type { JSONSchemaProps } from "./structural.ts";

const rendered = renderApiDoc();

describe("docs/api.md, the API reference generated from the zod schemas", () => {
  it("matches a fresh render (run npm run gen:docs after changing src/api/v1alpha1)", () => {
    const onDisk = readFileSync(API_DOC_PATH, "utf8");
    expect(onDisk === rendered, "docs/api.md is stale: run npm run gen:docs").toBe(true);
  });

  it.each(definitions.map((d) => [d.names.kind, d] as const))("%s: has a section with its spec and status tables", (kind) => {
    const section = rendered.split(/^## /m).find((s) => s.startsWith(`${kind}\n`));
    expect(section, `no section for ${kind}`).toBeDefined();
    expect(section).toContain("### spec");
    expect(section).toContain("### status");
    expect(section).toContain("| `spec.");
    expect(section).toContain("| `status.conditions[].reason`");
  });

  it("documents defaults, enum values and CEL messages from the schemas", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['| `spec.privateKey.algorithm` | string |  | `"RSA"` | one of `RSA`, `ECDSA`, `Ed25519` |', "a default and an enum"],
      ["| `spec.sectigo.profile` | set exactly one of profile.id and profile.name |", "a CEL rule's message at its path"],
      ["rotation may only increase (checked on update)", "a transition rule is marked as checked on update"],
      ["| `spec.namespaceSelector` | object | yes |", "the cluster kind's required selector"],
    ];
    for (const [text, why] of cases) expect(rendered, why).toContain(text);
  });

  it("keeps every table row on one line with escaped pipes", () => {
    const rows = rendered.split("\n").filter((l) => l.startsWith("| `"));
    const unescapedPipesPerRow = rows.map((l) => l.replace(/\\\|/g, "").split("|").length);
    expect(new Set(unescapedPipesPerRow.filter((n) => n !== 8 && n !== 5))).toEqual(new Set());
  });
});

// The README teaches the API by example and lists reasons, flags and metrics: hold it to the code.
describe("README.md and deploy/prometheus/alerts.yaml agree with the code", () => {
  const repo = join(import.meta.dirname, "..", "..", "..");
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const alerts = readFileSync(join(repo, "deploy", "prometheus", "alerts.yaml"), "utf8");

  const schemaByKind = new Map(
    buildCrds().map((b) => {
      const spec = b.crd.spec as { names: { kind: string }; versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] };
      return [spec.names.kind, spec.versions[0]!.schema.openAPIV3Schema] as const;
    }),
  );
  const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .flatMap((m) => loadAll(m[1]!) as Array<{ apiVersion?: string; kind?: string; metadata?: { name?: string } }>)
    .filter((d) => d?.apiVersion === API_VERSION);

  it("has a YAML example of every kind", () => {
    expect(new Set(examples.map((d) => d.kind))).toEqual(new Set(definitions.map((d) => d.names.kind)));
  });

  it.each(examples.map((d) => [`${d.kind}/${d.metadata?.name}`, d] as const))("example %s parses and has no field the API server would prune", (_n, doc) => {
    const parsed = parseResource(doc);
    const unknown = unknownFields(schemaByKind.get(doc.kind ?? "")!, doc);
    expect([...(parsed.ok ? [] : parsed.problems), ...unknown.map((f) => `unknown field ${f}`)]).toEqual([]);
  });

  it("names every condition reason in the troubleshooting table", () => {
    const table = readme.slice(readme.indexOf("### Troubleshooting by condition reason"), readme.indexOf("## Security model"));
    const missing = Object.values(Reason).filter((r) => !table.includes(`\`${r}\``));
    expect(missing, "reasons in conditions.ts without a troubleshooting row").toEqual([]);
  });

  it("lists every run flag and its environment variable", () => {
    const missing = Object.values(settings).filter((s) => !readme.includes(`| \`--${s.flag}\` | \`${s.env}\` |`));
    expect(missing.map((s) => s.flag)).toEqual([]);
  });

  it("names only metrics the operator registers", () => {
    const sources = [
      "src/observability/metrics.ts",
      "src/controllers/managedcertificate/metrics.ts",
      "src/controllers/provisioningkey/metrics.ts",
      "src/controllers/certificaterequest/status-metric.ts",
    ]
      .map((f) => readFileSync(join(repo, f), "utf8"))
      .join("\n");
    const registered = new Set([...sources.matchAll(/name: "(certbridge_[a-z_]+)"/g)].map((m) => m[1]!));
    // Node's default process metrics, registered with the certbridge_ prefix.
    const isDefault = (n: string) => /^certbridge_(process|nodejs)_/.test(n);
    const named = (text: string) => new Set([...text.matchAll(/\bcertbridge_[a-z_]+/g)].map((m) => m[0]).filter((n) => !n.endsWith("_")));
    const unknownIn = (text: string) => [...named(text)].filter((n) => !registered.has(n) && !isDefault(n));
    expect(unknownIn(readme), "README").toEqual([]);
    expect(unknownIn(alerts), "alerts.yaml").toEqual([]);
    expect(
      [...registered].filter((n) => !readme.includes(`\`${n}\``)),
      "registered metrics missing from the README",
    ).toEqual([]);
  });
});
