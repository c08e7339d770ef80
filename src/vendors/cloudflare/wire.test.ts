import { describe, expect, it } from "vitest";
import { examplesUnder, parseCloudflareDoc } from "../../sim/cloudflare/doc-fixture.ts";
import { CertificateListEnvelope, ClientCertificateSchema, SingleCertificateEnvelope } from "./wire.ts";

describe("Cloudflare wire schemas", () => {
  it("parse a certificate assembled from the doc's own example values [S2]", () => {
    const doc = parseCloudflareDoc();
    const item = doc.responses["200"]!.content["application/json"].schema.allOf!.find((s) => s.properties?.["result"]?.items?.properties !== undefined)!
      .properties!["result"]!.items!;
    const example: Record<string, unknown> = {};
    for (const { path, schema } of examplesUnder(item)) {
      const keys = path.split(".");
      let o = example;
      for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
      o[keys.at(-1)!] = schema.example;
    }
    const c = ClientCertificateSchema.parse(example);
    expect(c).toMatchObject({
      id: "023e105f4ecef8ad9ca31a8372d0c353",
      status: "active",
      validityDays: 3650,
      ski: "8e375af1389a069a0f921f8cc8e1eb12d784b949",
      certificateAuthority: { name: "Cloudflare Managed CA for account" },
    });
    expect(c.expiresOn?.toISOString()).toBe("2033-02-20T23:18:00.000Z");
    expect(c.issuedOn?.toISOString()).toBe("2023-02-23T23:18:00.000Z");
  });

  it("tolerates a null list result, missing result_info and extra fields", () => {
    const r = CertificateListEnvelope.parse({ success: true, errors: [], messages: [], result: null });
    expect(r.result).toEqual([]);
    expect(r.result_info).toBeUndefined();
    const s = SingleCertificateEnvelope.parse({
      success: true,
      errors: [],
      messages: [],
      result: { id: "a", status: "active", future_field: 1, documentation_url: "x" },
    });
    expect(s.result.id).toBe("a");
  });

  it("keeps unknown statuses as 'unknown' instead of failing", () => {
    expect(ClientCertificateSchema.parse({ id: "a", status: "suspended" }).status).toBe("unknown");
  });

  it("reads empty strings and nulls as absent", () => {
    const c = ClientCertificateSchema.parse({ id: "a", status: "active", country: "", organization: null });
    expect([c.country, c.organization]).toEqual([undefined, undefined]);
  });

  it("rejects a certificate without id or with a bad date", () => {
    expect(ClientCertificateSchema.safeParse({ status: "active" }).success).toBe(false);
    expect(ClientCertificateSchema.safeParse({ id: "a", status: "active", expires_on: "someday" }).success).toBe(false);
  });
});
