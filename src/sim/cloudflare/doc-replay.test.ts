// Every example in the Cloudflare doc [S2] replayed against the simulator. The doc file is parsed
// at test time: its parameters, examples and response schemas are the fixture.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUDFLARE_SIM_CREDENTIALS as CREDS } from "./credentials.ts";
import { examplesUnder, parseCloudflareDoc, validateAgainst, type CloudflareDocOperation, type JsonSchema } from "./doc-fixture.ts";
import { startCloudflareSimulator, type CloudflareSimulator } from "./index.ts";
import { call, sampleCsr } from "./test-support.ts";

const doc: CloudflareDocOperation = parseCloudflareDoc();
const ok200 = doc.responses["200"]!.content["application/json"].schema;
const fail4xx = doc.responses["4xx"]!.content["application/json"].schema;
const param = (name: string) => doc.parameters.find((p) => p.name === name)!;
const itemSchema: JsonSchema = ok200.allOf!.find((s) => s.properties?.["result"]?.items?.properties !== undefined)!.properties!["result"]!.items!;
// The doc's path template, rooted where the simulator serves the v4 API.
const docPath = (zone: string) => `/client/v4${doc.path.replace("{zone_identifier}", zone)}`;

let sim: CloudflareSimulator;
beforeAll(async () => {
  sim = await startCloudflareSimulator();
  const csr = await sampleCsr("Cloudflare");
  for (let i = 0; i < 25; i++) {
    const r = await call(sim.url, "POST", docPath(CREDS.zoneId), { json: { csr, validity_days: 3650 } });
    expect(r.status).toBe(200);
  }
});
afterAll(() => sim.close());

describe("Cloudflare doc: list client certificates [S2]", () => {
  it("the doc describes the operation the simulator serves", () => {
    expect(doc.method).toBe("GET");
    expect(doc.path).toBe("/zones/{zone_identifier}/client_certificates");
    expect(doc.operationId).toBe("client-certificate-for-a-zone-list-client-certificates");
    expect(doc.requestBody).toBeNull();
    expect(param("zone_identifier").schema.example).toBe(CREDS.zoneId);
  });

  it("replays the request built from every parameter example and validates the 200 schema", async () => {
    const query = doc.parameters
      .filter((p) => p.in === "query" && p.schema.example !== undefined)
      .map((p) => `${p.name}=${encodeURIComponent(String(p.schema.example))}`)
      .join("&");
    expect(query).toBe("status=all&limit=10&offset=10");
    const r = await call(sim.url, "GET", `${docPath(String(param("zone_identifier").schema.example))}?${query}`);
    expect(r.status).toBe(200);
    expect(validateAgainst(ok200, r.body)).toEqual([]);
    expect((r.body.result as unknown[]).length).toBe(10);
  });

  it("applies the documented defaults: page 1, per_page 20", async () => {
    const r = await call(sim.url, "GET", docPath(CREDS.zoneId));
    expect(validateAgainst(ok200, r.body)).toEqual([]);
    expect(r.body.result_info).toMatchObject({ page: param("page").schema.default, per_page: param("per_page").schema.default, count: 20, total_count: 25 });
  });

  it.each((param("status").schema.enum ?? []) as string[])("status=%s is accepted and filters", async (status) => {
    const r = await call(sim.url, "GET", `${docPath(CREDS.zoneId)}?status=${status}`);
    expect(r.status).toBe(200);
    expect(validateAgainst(ok200, r.body)).toEqual([]);
    for (const c of r.body.result as Array<{ status: string }>) if (status !== "all") expect(c.status).toBe(status);
  });

  const bounds = [
    { name: "per_page", value: param("per_page").schema.minimum!, ok: true, reason: "documented minimum" },
    { name: "per_page", value: param("per_page").schema.maximum!, ok: true, reason: "documented maximum" },
    { name: "per_page", value: param("per_page").schema.minimum! - 1, ok: false, reason: "below minimum (inf: rejected)" },
    { name: "per_page", value: param("per_page").schema.maximum! + 1, ok: false, reason: "above maximum (inf: rejected)" },
    { name: "page", value: param("page").schema.minimum!, ok: true, reason: "documented minimum" },
    { name: "page", value: param("page").schema.minimum! - 1, ok: false, reason: "below minimum (inf: rejected)" },
  ];
  it.each(bounds)("$name=$value ($reason)", async ({ name, value, ok }) => {
    const r = await call(sim.url, "GET", `${docPath(CREDS.zoneId)}?${name}=${value}`);
    if (ok) {
      expect(r.status).toBe(200);
      expect(validateAgainst(ok200, r.body)).toEqual([]);
    } else {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(validateAgainst(fail4xx, r.body)).toEqual([]);
    }
  });

  it("answers the documented 4xx example for an unknown route", async () => {
    const example = (fail4xx.allOf![0]!.properties!["errors"] as JsonSchema & { example: unknown[] }).example;
    const r = await call(sim.url, "GET", "/client/v4/zones/no/such/route");
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(validateAgainst(fail4xx, r.body)).toEqual([]);
    expect(r.body.errors).toEqual(example);
  });

  it("every documented example field comes back in the documented shape", async () => {
    const r = await call(sim.url, "GET", `${docPath(CREDS.zoneId)}?per_page=5`);
    const cert = (r.body.result as Array<Record<string, unknown>>)[0]!;
    const checked: string[] = [];
    for (const { path, schema } of examplesUnder(itemSchema)) {
      const value = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cert);
      expect(value, path).not.toBeUndefined();
      expect(validateAgainst(schema, value, path), path).toEqual([]);
      const ex = schema.example;
      if (typeof ex === "string" && /^[0-9a-f]+$/.test(ex)) expect(value, path).toMatch(new RegExp(`^[0-9a-f]{${ex.length}}$`));
      if (typeof ex === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ex)) expect(value, path).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      if (typeof ex === "string" && ex.startsWith("-----BEGIN ")) expect(String(value).startsWith(ex.slice(0, ex.indexOf("\\n"))), path).toBe(true);
      checked.push(path);
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        "certificate",
        "certificate_authority.id",
        "certificate_authority.name",
        "common_name",
        "csr",
        "expires_on",
        "fingerprint_sha256",
        "id",
        "issued_on",
        "serial_number",
        "signature",
        "ski",
        "status",
        "validity_days",
      ]),
    );
    // Fields the doc's example values name exactly.
    expect(cert["certificate_authority"]).toMatchObject({ name: "Cloudflare Managed CA for account" });
    expect(cert["signature"]).toBe("SHA256WithRSA");
    expect([cert["common_name"], cert["country"], cert["state"], cert["location"], cert["organization"], cert["organizational_unit"]]).toEqual([
      "Cloudflare",
      "US",
      "CA",
      "Somewhere",
      "Organization",
      "Organizational Unit",
    ]);
    expect(cert["validity_days"]).toBe(3650);
  });

  it("honours the documented security scheme (api_email + api_key)", async () => {
    expect(doc.security).toEqual([{ api_email: [], api_key: [] }]);
    const r = await call(sim.url, "GET", docPath(CREDS.zoneId), { headers: { "x-auth-email": CREDS.email, "x-auth-key": CREDS.globalApiKey } });
    expect(r.status).toBe(200);
    expect(validateAgainst(ok200, r.body)).toEqual([]);
  });

  it("needs only #ssl:read: a read-only token may list", async () => {
    expect(doc.permissions.enum).toEqual(["#ssl:read"]);
    const r = await call(sim.url, "GET", docPath(CREDS.zoneId), { headers: { authorization: `Bearer ${CREDS.readOnlyApiToken}` } });
    expect(r.status).toBe(200);
  });

  it("the 4xx schema describes every failure the simulator sends", async () => {
    const failures = await Promise.all([
      call(sim.url, "GET", docPath(CREDS.zoneId), { headers: { authorization: "Bearer nope" } }),
      call(sim.url, "GET", docPath(CREDS.zoneId), { headers: { authorization: `Bearer ${"z".repeat(40)}` } }),
      call(sim.url, "GET", `${docPath(CREDS.zoneId)}?status=bogus`),
      call(sim.url, "GET", `${docPath(CREDS.zoneId)}/${"0".repeat(32)}`),
    ]);
    for (const f of failures) {
      expect(f.status).toBeGreaterThanOrEqual(400);
      expect(validateAgainst(fail4xx, f.body)).toEqual([]);
    }
  });
});
