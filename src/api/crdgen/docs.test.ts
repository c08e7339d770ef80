import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { definitions } from "./crds.ts";
import { API_DOC_PATH, renderApiDoc } from "./docs.ts";

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
      ["| `spec.privateKey.algorithm` | string |  | `\"RSA\"` | one of `RSA`, `ECDSA`, `Ed25519` |", "a default and an enum"],
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
