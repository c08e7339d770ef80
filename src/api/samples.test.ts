// deploy/samples must be accepted and test/fixtures/invalid rejected; the integration suite proves the
// same against a real API server. Here: zod, plus the API server's pruning (unknown fields).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { buildCrds } from "./crdgen/crds.ts";
import { unknownFields } from "./crdgen/prune.ts";
import type { JSONSchemaProps } from "./crdgen/structural.ts";
import { parseResource } from "./v1alpha1/index.ts";

const repo = join(import.meta.dirname, "..", "..");
const samplesDir = join(repo, "deploy", "samples");
const invalidDir = join(repo, "test", "fixtures", "invalid");

const schemaByKind = new Map(
  buildCrds().map((b) => {
    const spec = b.crd.spec as { names: { kind: string }; versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] };
    return [spec.names.kind, spec.versions[0]!.schema.openAPIV3Schema] as const;
  }),
);

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();

function problemsOf(obj: unknown): string[] {
  const parsed = parseResource(obj);
  const kind = (obj as { kind?: string }).kind ?? "";
  const schema = schemaByKind.get(kind);
  const unknown = schema === undefined ? [] : unknownFields(schema, obj).map((f) => `unknown field "${f}"`);
  return [...(parsed.ok ? [] : parsed.problems), ...unknown];
}

describe("deploy/samples", () => {
  const files = yamlFiles(samplesDir);

  it("cover every kind, each vendor, Sectigo SSL/Client/Device and both association types", () => {
    const docs = files.map((f) => load(readFileSync(join(samplesDir, f), "utf8")) as { kind: string; spec: Record<string, unknown> });
    const covered = new Set(
      docs.map((d) => {
        const s = d.spec;
        if (d.kind === "ManagedCertificate") return s.sectigo ? `mcert/sectigo/${(s.sectigo as { type: string }).type}` : "mcert/cloudflare";
        if (d.kind === "ProvisioningKey") return `pkey/${String(s.associationType)}`;
        return `${d.kind}/${["zpa", "cloudflare", "sectigo"].find((v) => v in s)}`;
      }),
    );
    for (const want of [
      "mcert/sectigo/SSL",
      "mcert/sectigo/Client",
      "mcert/sectigo/Device",
      "mcert/cloudflare",
      "pkey/CONNECTOR_GRP",
      "pkey/SERVICE_EDGE_GRP",
      "VendorConnection/zpa",
      "VendorConnection/cloudflare",
      "VendorConnection/sectigo",
      "ClusterVendorConnection/sectigo",
    ]) {
      expect(covered, want).toContain(want);
    }
  });

  it.each(files)("%s parses and has no field the API server would prune", (file) => {
    const obj = load(readFileSync(join(samplesDir, file), "utf8"));
    expect(problemsOf(obj)).toEqual([]);
  });
});

describe("test/fixtures/invalid", () => {
  const files = yamlFiles(invalidDir);

  it("exist", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)("%s says what the API server will answer and is rejected here too", (file) => {
    const text = readFileSync(join(invalidDir, file), "utf8");
    const expectLine = text.split("\n").find((l) => l.startsWith("# expect: "));
    expect(expectLine, "needs a '# expect: <substring of the API server error>' line").toBeDefined();
    // A fixture only the API server can reject (a transition rule) says so with "# cel-only: <why>".
    if (text.includes("# cel-only:")) return;
    expect(problemsOf(load(text)), "zod (or pruning) should reject it too").not.toEqual([]);
  });
});
