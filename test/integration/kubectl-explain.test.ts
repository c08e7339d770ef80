// What a user sees with kubectl against the installed CRDs: explain prints the field docs written in
// the CRD schemas, the short names and the certbridge category resolve through discovery.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureKubectl } from "../harness/tools.ts";
import { adminClient, freshNamespace } from "../harness/kube.ts";

const execFileAsync = promisify(execFile);

const repo = join(import.meta.dirname, "..", "..");
// A private discovery cache: short names and categories come from this server, not a stale ~/.kube.
const cacheDir = mkdtempSync(join(tmpdir(), "certbridge-kubectl-"));
let kubectlPath = "";

async function kubectl(args: readonly string[], stdin?: string): Promise<string> {
  const argv = ["--kubeconfig", inject("kubeconfigPath"), "--cache-dir", cacheDir, ...args];
  const child = execFileAsync(kubectlPath, argv, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    return (await child).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

interface SpecSchema {
  readonly description?: string;
  readonly properties: Record<string, { readonly description?: string }>;
}

function specSchemaOf(file: string): SpecSchema {
  const crd = load(readFileSync(join(repo, "crds", file), "utf8")) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: SpecSchema } } } }[] };
  };
  return crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
}

// explain wraps descriptions to the terminal width and indents them; compare word sequences.
const words = (text: string) => text.replace(/\s+/g, " ").trim();

function show(title: string, output: string, lines = 15): void {
  process.stdout.write(`[kubectl] ${title}\n${output.split("\n").slice(0, lines).join("\n")}\n…\n`);
}

beforeAll(async () => {
  kubectlPath = await ensureKubectl();
  const version = JSON.parse(await kubectl(["version", "-o", "json"])) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
  process.stdout.write(`[kubectl] client ${version.clientVersion.gitVersion}, server ${version.serverVersion.gitVersion}\n`);
});

afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("kubectl explain", () => {
  const cases = [
    {
      reason: "ManagedCertificate documents every spec field, vendor blocks included",
      resource: "managedcertificate",
      file: "certbridge.dev_managedcertificates.yaml",
    },
    { reason: "ProvisioningKey documents its ZPA fields and policies", resource: "provisioningkey", file: "certbridge.dev_provisioningkeys.yaml" },
    {
      reason: "VendorConnection documents each vendor block and the credentials reference",
      resource: "vendorconnection",
      file: "certbridge.dev_vendorconnections.yaml",
    },
  ];

  it.each(cases)("$resource.spec: $reason", async ({ resource, file }) => {
    const output = await kubectl(["explain", `${resource}.spec`]);
    show(`explain ${resource}.spec`, output);
    const schema = specSchemaOf(file);
    const fields = Object.entries(schema.properties);
    expect(fields.length).toBeGreaterThan(3);

    expect(output).toMatch(/^GROUP:\s+certbridge\.dev$/m);
    expect(output).toMatch(/^VERSION:\s+v1alpha1$/m);
    const text = words(output);
    if (schema.description) expect(text).toContain(words(schema.description));
    for (const [name, field] of fields) {
      expect(output, `field ${name} listed`).toMatch(new RegExp(`^\\s+${name}\\s+<[^>]+>`, "m"));
      expect(field.description, `CRD documents ${name}`).toBeTruthy();
      expect(text, `description of ${name}`).toContain(words(field.description!));
    }
  });

  it("descends into nested fields: managedcertificate.spec.privateKey", async () => {
    const output = await kubectl(["explain", "managedcertificate.spec.privateKey"]);
    const privateKey = specSchemaOf("certbridge.dev_managedcertificates.yaml").properties.privateKey!;
    expect(words(output)).toContain(words(privateKey.description!));
    expect(output).toMatch(/^FIELD:\s+privateKey\s+<Object>$/m);
  });
});

describe("kubectl get", () => {
  let namespace = "";
  const sample = load(readFileSync(join(repo, "deploy", "samples", "managedcertificate-cloudflare.yaml"), "utf8")) as {
    metadata: { name: string; namespace?: string };
  };

  beforeAll(async () => {
    const client = adminClient();
    try {
      namespace = await freshNamespace(client, "kubectl");
    } finally {
      await client.close();
    }
    const created = await kubectl(["create", "-o", "name", "-f", "-"], JSON.stringify({ ...sample, metadata: { ...sample.metadata, namespace } }));
    expect(created.trim()).toBe(`managedcertificate.certbridge.dev/${sample.metadata.name}`);
  });

  const shortNames = [
    { reason: "the plural", resource: "managedcertificates" },
    { reason: "the singular short name", resource: "mcert" },
    { reason: "the plural short name", resource: "mcerts" },
  ];

  it.each(shortNames)("finds the ManagedCertificate by $reason ($resource)", async ({ resource }) => {
    const output = await kubectl(["get", resource, "-n", namespace, "-o", "name"]);
    expect(output.trim()).toBe(`managedcertificate.certbridge.dev/${sample.metadata.name}`);
  });

  it("prints the table with the CRD's columns", async () => {
    const output = await kubectl(["get", "mcert", "-n", namespace]);
    show("get mcert", output);
    expect(output.split("\n")[0]).toMatch(/^NAME\s/);
    expect(output).toContain(sample.metadata.name);
  });

  it("lists every certbridge kind through the category, across namespaces", async () => {
    const output = await kubectl(["get", "certbridge", "-A", "-o", "name"]);
    show("get certbridge -A -o name", output);
    expect(output.split("\n")).toContain(`managedcertificate.certbridge.dev/${sample.metadata.name}`);
  });

  it("prints the category as tables across namespaces (kubectl get certbridge -A)", async () => {
    const output = await kubectl(["get", "certbridge", "-A"]);
    expect(output).toMatch(/^NAMESPACE\s+NAME\s/m);
    expect(output).toMatch(new RegExp(`^${namespace}\\s+managedcertificate\\.certbridge\\.dev/${sample.metadata.name}\\s`, "m"));
  });
});
