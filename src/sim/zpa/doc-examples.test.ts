// Every example request and response in the three ZPA documents, replayed against the simulator's
// "documented" profile (recorded traffic differs in places: recorded.test.ts). The
// examples are read out of the .txt files at test time (doc-examples.ts); each row below says which
// example it is, how the request is made, and what the documents show.
import { afterEach, describe, expect, test } from "vitest";
import { docCertBlobSample, extractExamples, type DocExample, type ZpaDoc } from "./doc-examples.ts";
import { mergeSeeds, seedFromExample, emptySeed } from "./import-wire.ts";
import { PROVISIONING_KEY_FORMAT } from "./key-value.ts";
import type { AssociationType } from "./model.ts";
import { startZpaSimulator, type ZpaSimulator } from "./server.ts";
import type { SeedData } from "./seed.ts";
import { raw, signIn } from "./testing.ts";

let sim: ZpaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const examples = (doc: ZpaDoc) => extractExamples(doc);
const customerOf = (url: string) => /customers\/(\d+)/.exec(url)![1]!;
const typeOf = (url: string): AssociationType => (url.includes("SERVICE_EDGE_GRP") ? "SERVICE_EDGE_GRP" : "CONNECTOR_GRP");

/**
 * Documented typos fixed before replay (DIGEST §1.2, §1.3): `…&search=` must be `?search=`, and the
 * enrollment-cert search example names v1 although the list exists only under v2.
 */
function fixDocUrl(url: string): string {
  let u = url.replace("&search=", "?search=");
  if (/\/v1\/admin\/customers\/\d+\/enrollmentCert\?search=/.test(u)) u = u.replace("/v1/", "/v2/");
  return u;
}

/** Fields some examples show and others omit; the simulator may add them. */
const OPTIONAL_EXTRAS = new Set(["appConnectorGroupName", "microtenantName"]);

function expectLikeExample(actual: Record<string, unknown>, example: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(example)) expect(actual[k], `field ${k}`).toEqual(v);
  for (const k of Object.keys(actual)) if (!(k in example)) expect(OPTIONAL_EXTRAS.has(k), `unexpected field ${k}`).toBe(true);
}

function expectEnvelopeLikeExample(actual: Record<string, unknown>, example: Record<string, unknown>): void {
  // totalPages describes the documenter's tenant (e.g. "38" for 2 shown items); its type is the contract.
  expect(actual["totalPages"]).toMatch(/^\d+$/);
  expect("totalCount" in actual).toBe("totalCount" in example);
  const list = (actual["list"] ?? []) as Array<Record<string, unknown>>;
  const exampleList = example["list"] as Array<Record<string, unknown>>;
  expect(list.map((i) => i["id"]).sort()).toEqual(exampleList.map((i) => i["id"]).sort());
  for (const ex of exampleList) expectLikeExample(list.find((i) => i["id"] === ex["id"])!, ex);
}

async function simFor(customerId: string, seed: SeedData): Promise<{ sim: ZpaSimulator; token: string }> {
  sim = await startZpaSimulator({ customerId, seed, rateLimits: false, profile: "documented" });
  return { sim, token: await signIn(sim) };
}

type ReadCase = { reason: string; doc: ZpaDoc; kind: "provisioningKey" | "enrollmentCert" | "certificate" };
const readDocs: ReadCase[] = [
  { reason: "provisioning keys: list, paginated list, search, get", doc: "provisioningKeys", kind: "provisioningKey" },
  { reason: "enrollment certificates: list, paginated, search, get", doc: "enrollmentCertificates", kind: "enrollmentCert" },
  { reason: "certificates: deprecated and V2 issued lists, list all, search, deprecated get, get", doc: "certificates", kind: "certificate" },
];

describe.each(readDocs)("documented GET responses replay: $reason", ({ doc, kind }) => {
  const cases = examples(doc)
    .filter((e) => e.role === "response")
    .filter((e): e is DocExample & { exampleUrl: string } => e.exampleUrl !== undefined)
    // Create responses are replayed below with their request payloads.
    .filter((e) => !isCreateResponse(doc, e));
  test.each(cases.map((e) => ({ ...e, name: `${doc} example #${e.index} GET ${e.exampleUrl}` })))("$name", async (e) => {
    const { sim, token } = await simFor(customerOf(e.exampleUrl), seedFromExample(kind, e.json, typeOf(e.exampleUrl)));
    const r = await raw(sim, "GET", fixDocUrl(e.exampleUrl), { token });
    expect(r.status).toBe(200);
    const example = e.json as Record<string, unknown>;
    if ("list" in example) expectEnvelopeLikeExample(r.json as Record<string, unknown>, example);
    else expectLikeExample(r.json as Record<string, unknown>, example);
  });
});

function isCreateResponse(doc: ZpaDoc, e: DocExample): boolean {
  const prev = examples(doc)[e.index - 1];
  return e.role === "response" && prev?.role === "payload";
}

describe("documented writes replay", () => {
  test("provisioning keys: the sample create payload → 201 with exactly the documented response fields", async () => {
    const ex = examples("provisioningKeys");
    const payload = ex.find((e) => e.role === "payload")!;
    const response = ex[payload.index + 1]!.json as Record<string, unknown>;
    const body = payload.json as Record<string, string>;
    const seed = mergeSeeds(emptySeed(), {
      ...emptySeed(),
      groups: [{ id: body["zcomponentId"]!, type: "CONNECTOR_GRP", name: "g", enabled: true, microtenantId: "0", creationTime: 1, modifiedBy: "1" }],
      enrollmentCerts: [
        { id: body["enrollmentCertId"]!, name: "c", creationTime: 1, modifiedBy: "1", allowSigning: true, privateKeyPresent: true, clientCertType: "NONE" },
      ],
    });
    const { sim, token } = await simFor(customerOf(payload.exampleUrl!), seed);
    const r = await raw(sim, "POST", payload.exampleUrl!, { token, json: body });
    expect(r.status).toBe(201);
    const got = r.json as Record<string, unknown>;
    expect(Object.keys(got).sort()).toEqual(Object.keys(response).sort());
    expect(got).toMatchObject({
      name: body["name"],
      maxUsage: body["maxUsage"],
      enrollmentCertId: body["enrollmentCertId"],
      zcomponentId: body["zcomponentId"],
      usageCount: "0",
      enabled: true,
    });
    expect(got["provisioningKey"]).toMatch(PROVISIONING_KEY_FORMAT);
    expect(response["provisioningKey"]).toMatch(PROVISIONING_KEY_FORMAT);
    expect(sim.state().created.provisioningKey).toEqual({ CONNECTOR_GRP: 1, SERVICE_EDGE_GRP: 0 });
  });

  test("provisioning keys: the payload templates (placeholders, not numbers) → 400 on create and update", async () => {
    const ex = examples("provisioningKeys");
    const getExample = ex.find((e) => e.exampleUrl?.endsWith("/provisioningKey/6211") && e.role === "response")!;
    const { sim, token } = await simFor(customerOf(getExample.exampleUrl!), seedFromExample("provisioningKey", getExample.json));
    for (const t of ex.filter((e) => e.role === "template")) {
      const method = t.exampleUrl!.endsWith("/6211") ? "PUT" : "POST";
      const r = await raw(sim, method, t.exampleUrl!, { token, json: t.json });
      expect(r.status, `${method} ${t.exampleUrl}`).toBe(400);
    }
    expect(sim.state().rejectedWrites).toBe(2);
  });

  test("provisioning keys: update with the sample payload → 204, delete → 204, then not found", async () => {
    const ex = examples("provisioningKeys");
    const getExample = ex.find((e) => e.exampleUrl?.endsWith("/provisioningKey/6211") && e.role === "response")!;
    const sample = ex.find((e) => e.role === "payload")!.json as Record<string, string>;
    const seed = mergeSeeds(seedFromExample("provisioningKey", getExample.json), {
      ...emptySeed(),
      groups: [{ id: sample["zcomponentId"]!, type: "CONNECTOR_GRP", name: "g2", enabled: true, microtenantId: "0", creationTime: 1, modifiedBy: "1" }],
      enrollmentCerts: [
        { id: sample["enrollmentCertId"]!, name: "c2", creationTime: 1, modifiedBy: "1", allowSigning: true, privateKeyPresent: true, clientCertType: "NONE" },
      ],
    });
    const { sim, token } = await simFor(customerOf(getExample.exampleUrl!), seed);
    const url = getExample.exampleUrl!;
    const before = (await raw(sim, "GET", url, { token })).json as Record<string, unknown>;
    const u = await raw(sim, "PUT", url, { token, json: sample });
    expect([u.status, u.text]).toEqual([204, ""]);
    const after = (await raw(sim, "GET", url, { token })).json as Record<string, unknown>;
    expect(after).toMatchObject({
      name: sample["name"],
      maxUsage: sample["maxUsage"],
      zcomponentId: sample["zcomponentId"],
      provisioningKey: before["provisioningKey"],
      usageCount: before["usageCount"],
    });
    const d = await raw(sim, "DELETE", url, { token });
    expect([d.status, d.text]).toEqual([204, ""]);
    expect((await raw(sim, "GET", url, { token })).status).toBe(400);
  });

  test("certificates: the sample certBlob (armor repaired) → 200 with the documented parsed fields; the private key is not echoed", async () => {
    const ex = examples("certificates");
    const payload = ex.find((e) => e.role === "payload" && "certBlob" in (e.json as object))!;
    const response = ex[payload.index + 1]!.json as Record<string, unknown>;
    const { sim, token } = await simFor(customerOf(payload.exampleUrl!), emptySeed());
    const r = await raw(sim, "POST", payload.exampleUrl!, { token, json: { ...(payload.json as object), certBlob: docCertBlobSample().repaired } });
    expect(r.status).toBe(200);
    const got = r.json as Record<string, unknown>;
    expect(Object.keys(got).sort()).toEqual(Object.keys(response).sort());
    for (const f of ["cName", "microtenantName", "validFromInEpochSec", "validToInEpochSec", "issuedTo", "issuedBy", "serialNo", "san"])
      expect(got[f], f).toEqual(response[f]);
    expect(got["name"]).toBe((payload.json as Record<string, unknown>)["name"]);
    expect(r.text).not.toContain("PRIVATE KEY");
  });

  test("certificates: the sample certBlob exactly as printed (mangled armor) → 400", async () => {
    const ex = examples("certificates");
    const payload = ex.find((e) => e.role === "payload" && "certBlob" in (e.json as object))!;
    const { sim, token } = await simFor(customerOf(payload.exampleUrl!), emptySeed());
    expect((await raw(sim, "POST", payload.exampleUrl!, { token, json: payload.json })).status).toBe(400);
  });

  test("certificates: the create templates ({certBlob:'string'…}) → 400", async () => {
    const ex = examples("certificates");
    const templates = ex.filter((e) => e.role === "template" && "certBlob" in (e.json as object));
    expect(templates).toHaveLength(2);
    const { sim, token } = await simFor(customerOf(templates[0]!.exampleUrl!), emptySeed());
    for (const t of templates) expect((await raw(sim, "POST", t.exampleUrl!, { token, json: t.json })).status).toBe(400);
    expect(sim.state().created.certificate).toBe(0);
  });

  test("certificates: update with the sample payload → 204 and only name/description change; delete → 204", async () => {
    const ex = examples("certificates");
    const update = ex.find((e) => e.role === "payload" && !("certBlob" in (e.json as object)))!;
    const getExample = ex.find((e) => e.exampleUrl?.includes("/certificate/144118148382064931") && e.role === "response")!;
    const { sim, token } = await simFor(customerOf(update.exampleUrl!), seedFromExample("certificate", getExample.json));
    const u = await raw(sim, "PUT", update.exampleUrl!, { token, json: update.json });
    expect([u.status, u.text]).toEqual([204, ""]);
    const after = (await raw(sim, "GET", update.exampleUrl!, { token })).json as Record<string, unknown>;
    expect(after).toMatchObject({ ...(update.json as object), cName: "ak", serialNo: "1" });
    expect(after["modifiedTime"]).not.toBe((getExample.json as Record<string, unknown>)["modifiedTime"]);
    const d = await raw(sim, "DELETE", update.exampleUrl!, { token });
    expect([d.status, d.text]).toEqual([204, ""]);
  });
});

test("the extractor finds every example in the three documents", () => {
  const count = (doc: ZpaDoc, role: DocExample["role"]) => examples(doc).filter((e) => e.role === role).length;
  expect([count("provisioningKeys", "response"), count("provisioningKeys", "payload"), count("provisioningKeys", "template")]).toEqual([5, 1, 2]);
  expect(count("enrollmentCertificates", "response")).toBe(4);
  expect([count("certificates", "response"), count("certificates", "payload"), count("certificates", "template")]).toEqual([10, 2, 3]);
});
