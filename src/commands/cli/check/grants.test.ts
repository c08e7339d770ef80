import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { accessesOf, operatorGrants } from "./grants.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RbacDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const MANIFESTS = join(import.meta.dirname, "..", "..", "..", "..", "deploy", "manifests", "operator", "certbridge.yaml");

/** "group resource verb scope [name]" for every permission the rendered chart grants the operator. */
function rendered(): string[] {
  const docs = loadAll(readFileSync(MANIFESTS, "utf8")) as Array<RbacDoc | null>;
  const lines = new Set<string>();
  for (const doc of docs) {
    if (doc === null || (doc.kind !== "ClusterRole" && doc.kind !== "Role")) continue;
    const scope = doc.kind === "ClusterRole" ? "cluster" : "operator";
    // The Lease's name is the chart's value ("lease" in the table); other names are fixed.
    for (const rule of doc.rules ?? [])
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs)
            for (const name of resource === "leases" ? [rule.resourceNames ? "lease" : ""] : (rule.resourceNames ?? [""]))
              lines.add(`${group} ${resource} ${verb} ${scope}${name ? ` ${name}` : ""}`);
  }
  return [...lines].sort();
}

describe("the operator's grants `check` asks about", () => {
  it("are what the rendered chart grants, no more and no less (a chart RBAC change goes into check/grants.ts too)", () => {
    const table = accessesOf(operatorGrants).map(
      (a) =>
        `${a.group} ${a.resource}${a.subresource ? `/${a.subresource}` : ""} ${a.verb} ${a.scope}${a.resourceName ? " lease" : a.name ? ` ${a.name}` : ""}`,
    );
    expect([...new Set(table)].sort()).toEqual(rendered());
  });

  it("flatten to one question per verb, with the subresource apart", () => {
    expect(accessesOf([{ group: "certbridge.dev", resource: "managedcertificates/status", verbs: ["patch"], scope: "cluster" }])).toEqual([
      { group: "certbridge.dev", resource: "managedcertificates", subresource: "status", verb: "patch", scope: "cluster" },
    ]);
  });
});
