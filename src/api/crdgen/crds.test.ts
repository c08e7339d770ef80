import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { buildCrds } from "./crds.ts";
import type { JSONSchemaProps } from "./structural.ts";

const crdDir = join(import.meta.dirname, "..", "..", "..", "crds");
const built = buildCrds();

function* nodes(schema: JSONSchemaProps, path: string): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties as Record<string, JSONSchemaProps> | undefined) ?? {})) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (typeof schema.items === "object") yield* nodes(schema.items as JSONSchemaProps, `${path}[*]`);
  if (typeof schema.additionalProperties === "object") yield* nodes(schema.additionalProperties as JSONSchemaProps, `${path}{*}`);
}

const rootOf = (crd: JSONSchemaProps) =>
  (crd as { spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] } }).spec.versions[0]!.schema.openAPIV3Schema;

describe("CRDs generated from the zod schemas", () => {
  it("match the checked-in crds/*.yaml exactly (run `npm run gen:crds` after changing src/api/v1alpha1)", () => {
    const onDisk = readdirSync(crdDir)
      .filter((f) => f.startsWith("certbridge.dev_") && f.endsWith(".yaml"))
      .sort();
    expect(onDisk, "the set of CRD files differs; run npm run gen:crds").toEqual(built.map((b) => b.fileName).sort());
    for (const b of built) {
      const disk = load(readFileSync(join(crdDir, b.fileName), "utf8"));
      expect(disk, `${b.fileName} is stale; run npm run gen:crds`).toEqual(b.crd);
    }
  });

  it.each(built.map((b) => [b.fileName, b] as const))("%s has no structural, description or bound problems", (_name, b) => {
    expect(b.problems).toEqual([]);
  });

  it.each(built.map((b) => [b.fileName, b] as const))("%s: every property has a type and a description, nothing non-structural", (_n, b) => {
    const problems: string[] = [];
    for (const [path, node] of nodes(rootOf(b.crd), "")) {
      if (typeof node.type !== "string") problems.push(`${path}: no type`);
      for (const banned of ["$ref", "anyOf", "oneOf", "allOf", "not", "nullable", "$schema"]) {
        if (banned in node) problems.push(`${path}: has ${banned}`);
      }
      if (node["x-kubernetes-preserve-unknown-fields"] !== undefined) problems.push(`${path}: preserves unknown fields`);
    }
    for (const [path, node] of nodes(rootOf(b.crd), "")) {
      for (const [name, child] of Object.entries((node.properties as Record<string, JSONSchemaProps> | undefined) ?? {})) {
        if (path === "" && name === "metadata") continue; // the API server's own
        if (typeof child.description !== "string" || child.description.length < 3) problems.push(`${path}.${name}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(built.map((b) => [b.fileName, b] as const))("%s: conditions are a list map keyed by type", (_n, b) => {
    const conditions = (rootOf(b.crd).properties as Record<string, JSONSchemaProps>).status!.properties as Record<string, JSONSchemaProps>;
    expect(conditions.conditions).toMatchObject({
      type: "array",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
      items: { required: expect.arrayContaining(["type", "status", "lastTransitionTime", "reason", "message"]) },
    });
  });

  it("names, scope, categories, status subresource and printer columns are as documented", () => {
    const summary = built.map((b) => {
      const spec = b.crd.spec as {
        scope: string;
        names: { shortNames: string[]; categories: string[] };
        versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[];
      };
      return {
        file: b.fileName,
        scope: spec.scope,
        shortNames: spec.names.shortNames,
        categories: spec.names.categories,
        subresources: spec.versions[0]!.subresources,
        columns: spec.versions[0]!.additionalPrinterColumns.map((c) => c.name),
      };
    });
    expect(summary).toEqual([
      {
        file: "certbridge.dev_managedcertificates.yaml",
        scope: "Namespaced",
        shortNames: ["mcert", "mcerts"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Ready", "Secret", "Expires", "Reason", "Renewal", "Age"],
      },
      {
        file: "certbridge.dev_provisioningkeys.yaml",
        scope: "Namespaced",
        shortNames: ["pkey", "pkeys"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Ready", "Secret", "Usage", "Max", "Reason", "ZPA ID", "Age"],
      },
      {
        file: "certbridge.dev_vendorconnections.yaml",
        scope: "Namespaced",
        shortNames: ["vconn", "vconns"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Vendor", "Ready", "Reason", "Age"],
      },
      {
        file: "certbridge.dev_clustervendorconnections.yaml",
        scope: "Cluster",
        shortNames: ["cvconn", "cvconns"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Vendor", "Ready", "Reason", "Age"],
      },
      {
        file: "certbridge.dev_vendorissuers.yaml",
        scope: "Namespaced",
        shortNames: ["vissuer", "vissuers"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Vendor", "Connection", "Ready", "Reason", "Age"],
      },
      {
        file: "certbridge.dev_clustervendorissuers.yaml",
        scope: "Cluster",
        shortNames: ["cvissuer", "cvissuers"],
        categories: ["certbridge"],
        subresources: { status: {} },
        columns: ["Vendor", "Connection", "Ready", "Reason", "Age"],
      },
    ]);
  });

  it("defaults the server applies: nested policy objects default to complete values (the server checks defaults against CEL)", () => {
    const spec = (rootOf(built[0]!.crd).properties as Record<string, JSONSchemaProps>).spec!.properties as Record<string, JSONSchemaProps>;
    expect(spec.privateKey!.default).toEqual({ algorithm: "RSA", encoding: "PKCS8", rotationPolicy: "Always" });
    expect(spec.revocationPolicy!.default).toEqual({ onDelete: "Retain", superseded: "Retain" });
    expect((spec.privateKey!.properties as Record<string, JSONSchemaProps>).algorithm!.default).toBe("RSA");
  });

  it("only the namespaced connection forbids credentialsRef.namespace; the cluster one requires it", () => {
    const credentials = (i: number) =>
      ((rootOf(built[i]!.crd).properties as Record<string, JSONSchemaProps>).spec!.properties as Record<string, JSONSchemaProps>).credentialsRef!;
    expect(Object.keys(credentials(2).properties as object)).not.toContain("namespace");
    expect(credentials(3).required).toEqual(expect.arrayContaining(["name", "namespace"]));
  });
});
