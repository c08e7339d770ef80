// The CRDs on a real kube-apiserver: round trips, server-side defaults equal to zod's, every sample
// accepted, every invalid fixture rejected with the message it promises, and immutable fields held.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { GROUP, kinds, parseResource, VERSION } from "../../src/api/v1alpha1/index.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { KubeApiError } from "../../src/runtime/kube/errors.ts";
import { core, objectPath, type ResourceType } from "../../src/runtime/kube/resource.ts";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number };
  spec?: any;
  status?: any;
};

const repo = join(import.meta.dirname, "..", "..");
const samplesDir = join(repo, "deploy", "samples");
const invalidDir = join(repo, "test", "fixtures", "invalid");
const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
const readYaml = (dir: string, file: string) => load(readFileSync(join(dir, file), "utf8")) as Obj;

const client = KubeClient.fromFile(inject("kubeconfigPath"));

const suffix = () => randomBytes(3).toString("hex");

function namesOf(kind: string) {
  const names = Object.values(kinds).find((k) => k.kind === kind);
  if (names === undefined) throw new Error(`unknown kind ${kind}`);
  return names;
}

/** The API server's sentence from a failed call (Status.message), or the error itself. */
function errorMessage(error: unknown): string {
  if (error instanceof KubeApiError) return error.message;
  return String(error);
}

async function rejection(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return errorMessage(error);
  }
  throw new Error("expected the API server to reject the request, but it was accepted");
}

const clusterScoped = (o: Obj) => namesOf(o.kind).scope === "Cluster";
const typeOf = (o: Obj): ResourceType => ({ group: GROUP, version: VERSION, plural: namesOf(o.kind).plural, kind: o.kind, namespaced: !clusterScoped(o) });
const pathOf = (o: Obj, subresource?: string) => objectPath(typeOf(o), o.metadata.namespace, o.metadata.name, subresource);
const collectionOf = (o: Obj) => pathOf(o).replace(/\/[^/]+$/, "");

function create(o: Obj, opts: { dryRun?: boolean } = {}): Promise<Obj> {
  return client.call<Obj>("POST", collectionOf(o), { body: o, query: { fieldValidation: "Strict", ...(opts.dryRun ? { dryRun: "All" } : {}) } });
}

function get(o: Obj): Promise<Obj> {
  return client.call<Obj>("GET", pathOf(o));
}

function replace(o: Obj): Promise<Obj> {
  return client.call<Obj>("PUT", pathOf(o), { body: o, query: { fieldValidation: "Strict" } });
}

function replaceStatus(o: Obj): Promise<Obj> {
  return client.call<Obj>("PUT", pathOf(o, "status"), { body: o });
}

/** Places an object in `namespace` (or gives a cluster-scoped one a unique name). */
function placed(o: Obj, namespace: string): Obj {
  const copy = structuredClone(o);
  if (clusterScoped(copy)) copy.metadata = { name: `${copy.metadata.name}-${suffix()}` };
  else copy.metadata = { name: copy.metadata.name, namespace };
  return copy;
}

let namespace = "";

beforeAll(async () => {
  namespace = `crds-${suffix()}`;
  await client.create(core.namespaces, { metadata: { name: namespace } });
});

describe("round trip", () => {
  it("ManagedCertificate: create → get with server defaults → status subresource → list", async () => {
    const obj = placed(readYaml(samplesDir, "managedcertificate-cloudflare.yaml"), namespace);
    obj.metadata.name = `rt-${suffix()}`;
    const created = await create(obj);
    expect(created.spec.privateKey).toEqual({ algorithm: "ECDSA", encoding: "PKCS8", rotationPolicy: "Always" });
    expect(created.spec.connectionRef.kind).toBe("VendorConnection");

    // Writing spec through the status subresource is ignored; status through the main resource too.
    const status = {
      observedGeneration: created.metadata.generation,
      conditions: [
        { type: "Ready", status: "True", reason: "Issued", message: "Certificate issued.", lastTransitionTime: "2026-01-02T03:04:05Z", observedGeneration: 1 },
        { type: "Issuing", status: "False", reason: "Issued", message: "No issuance in flight.", lastTransitionTime: "2026-01-02T03:04:05Z" },
      ],
      notBefore: "2026-01-02T03:04:05Z",
      notAfter: "2026-04-02T03:04:05Z",
      renewalTime: "2026-03-03T03:04:05Z",
      serialNumber: "0a1b2c",
      vendorRef: "d2a7f3c0e4b14a6e9d0b7f3e2c1a5b6d",
      revision: 1,
      failedIssuanceAttempts: 0,
    };
    const withStatus = await replaceStatus({ ...created, spec: { ...created.spec, secretName: "changed-via-status" }, status });
    expect(withStatus.status).toEqual(status);
    expect(withStatus.spec.secretName).toBe(obj.spec.secretName);

    const afterMainWrite = await replace({ ...withStatus, status: { revision: 99 } });
    expect(afterMainWrite.status.revision).toBe(1);

    const fetched = await get(obj);
    expect(parseResource(fetched).ok, "what the server stores parses with zod").toBe(true);

    const list = await client.call<{ items: Obj[] }>("GET", collectionOf(obj));
    expect(list.items.map((i) => i.metadata.name)).toContain(obj.metadata.name);
  });

  it("a status the schema forbids is rejected (condition reasons must be CamelCase identifiers)", async () => {
    const obj = placed(readYaml(samplesDir, "provisioningkey-connector.yaml"), namespace);
    obj.metadata.name = `st-${suffix()}`;
    const created = await create(obj);
    const message = await rejection(
      replaceStatus({
        ...created,
        status: { conditions: [{ type: "Ready", status: "True", reason: "not a reason", message: "", lastTransitionTime: "2026-01-02T03:04:05Z" }] },
      }),
    );
    expect(message).toContain("status.conditions[0].reason");
  });
});

describe("deploy/samples", () => {
  it.each(yamlFiles(samplesDir))("%s is accepted, and the server's defaults equal zod's", async (file) => {
    const obj = placed(readYaml(samplesDir, file), namespace);
    const stored = await create(obj);
    const parsed = parseResource(obj);
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    expect(stored.spec).toEqual(JSON.parse(JSON.stringify(parsed.value.spec)));
  });
});

describe("test/fixtures/invalid", () => {
  it.each(yamlFiles(invalidDir))("%s is rejected with its expected message", async (file) => {
    const text = readFileSync(join(invalidDir, file), "utf8");
    const expected = text
      .split("\n")
      .find((l) => l.startsWith("# expect: "))
      ?.slice("# expect: ".length)
      .trim();
    expect(expected).toBeTruthy();
    const obj = placed(load(text) as Obj, namespace);
    const message = await rejection(create(obj, { dryRun: true }));
    expect(message).toContain(expected);
  });
});

describe("immutable fields and transition rules", () => {
  async function createSample(file: string): Promise<Obj> {
    const obj = placed(readYaml(samplesDir, file), namespace);
    if (!clusterScoped(obj)) obj.metadata.name = `im-${suffix()}`;
    return create(obj);
  }

  it.each([
    {
      reason: "a certificate cannot switch vendor",
      file: "managedcertificate-sectigo-device.yaml",
      change: (s: any) => {
        delete s.sectigo;
        s.cloudflare = {};
      },
      expected: "the vendor block cannot change",
    },
    {
      reason: "a Sectigo order type cannot change",
      file: "managedcertificate-sectigo-device.yaml",
      change: (s: any) => {
        s.sectigo.type = "SSL";
      },
      expected: "sectigo.type cannot change",
    },
    {
      reason: "a provisioning key cannot move between association types",
      file: "provisioningkey-connector.yaml",
      change: (s: any) => {
        s.associationType = "SERVICE_EDGE_GRP";
      },
      expected: "associationType cannot change",
    },
    {
      reason: "a provisioning key cannot move into a microtenant",
      file: "provisioningkey-connector.yaml",
      change: (s: any) => {
        s.microtenantId = "42";
      },
      expected: "microtenantId cannot be added, removed or changed",
    },
    {
      reason: "rotation only counts up",
      file: "provisioningkey-service-edge.yaml",
      change: (s: any) => {
        s.rotation = 3;
      },
      then: (s: any) => {
        s.rotation = 2;
      },
      expected: "rotation may only increase",
    },
    {
      reason: "a connection cannot switch vendor",
      file: "vendorconnection-cloudflare.yaml",
      change: (s: any) => {
        delete s.cloudflare;
        delete s.issuanceBudget;
        s.sectigo = { customerUri: "acme" };
      },
      expected: "the vendor of a connection cannot change",
    },
    {
      reason: "a cluster connection cannot switch vendor either",
      file: "clustervendorconnection-sectigo.yaml",
      change: (s: any) => {
        delete s.sectigo;
        s.zpa = { cloud: "PRODUCTION", customerId: "1" };
      },
      expected: "the vendor of a connection cannot change",
    },
  ])("$reason", async ({ file, change, then, expected }) => {
    let current = await createSample(file);
    if (then !== undefined) {
      // first an allowed change, then the forbidden one on top of it
      change(current.spec);
      current = await replace(current);
      then(current.spec);
    } else {
      change(current.spec);
    }
    expect(await rejection(replace(current))).toContain(expected);
  });

  it("ordinary updates pass the transition rules", async () => {
    const current = await createSample("managedcertificate-sectigo-ssl.yaml");
    current.spec.dnsNames = [...current.spec.dnsNames, "m.shop.example.com"];
    current.spec.renewBefore = "480h";
    const updated = await replace(current);
    expect(updated.spec.dnsNames).toContain("m.shop.example.com");
  });
});
