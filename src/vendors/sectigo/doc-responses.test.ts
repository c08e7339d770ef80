// The client's side of "the document is the fixture": every JSON response body the SCM reference
// shows for the calls we make is parsed by the client's wire schemas, and the documented certificate
// downloads are read into certificates. Keyed by the example's line in sectigo-scm-rest-api.txt.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { DocExample } from "../../sim/sectigo/doc-examples.ts";
import { x509 } from "../../pki/x509.ts";
import { orderLeafFirst, readCertificates } from "./collect.ts";
import { classifySectigoError } from "./errors.ts";
import { toCertificateDetails } from "./certificates.ts";
import {
  certProfilesSchema,
  clientOrderResponseSchema,
  customFieldDefsSchema,
  dcvSchema,
  deviceOrderResponseSchema,
  listedOrdersSchema,
  orderDetailsSchema,
  organizationsSchema,
  sslEnrollResponseSchema,
} from "./wire.ts";

const EXAMPLES = JSON.parse(readFileSync(new URL("../../sim/sectigo/fixtures/doc-examples.json", import.meta.url), "utf8")) as DocExample[];
const byLine = (line: number): DocExample => {
  const e = EXAMPLES.find((x) => x.line === line);
  if (e === undefined) throw new Error(`no example at line ${line}`);
  return e;
};

const SCHEMAS: ReadonlyArray<readonly [number, string, z.ZodType]> = [
  [457, "SSL profiles", certProfilesSchema],
  [2616, "client profiles", certProfilesSchema],
  [3961, "device profiles (term, ku, eku)", certProfilesSchema],
  [503, "SSL custom fields", customFieldDefsSchema],
  [2653, "client custom fields", customFieldDefsSchema],
  [4007, "device custom fields", customFieldDefsSchema],
  [753, "SSL list", listedOrdersSchema],
  [2848, "client list", listedOrdersSchema],
  [2964, "client list by person id", listedOrdersSchema],
  [3030, "client list by person e-mail", listedOrdersSchema],
  [4202, "device list", listedOrdersSchema],
  [861, "SSL details", orderDetailsSchema],
  [1899, "SSL update (answers details)", orderDetailsSchema],
  [1138, "SSL DCV details", dcvSchema],
  [1305, "SSL enroll", sslEnrollResponseSchema],
  [1408, "SSL enroll-keygen (same answer)", sslEnrollResponseSchema],
  [3096, "client details", orderDetailsSchema],
  [3433, "client update (answers details)", orderDetailsSchema],
  [3310, "client enroll", clientOrderResponseSchema],
  [3594, "client renew by id", clientOrderResponseSchema],
  [3624, "client renew by backend id", clientOrderResponseSchema],
  [3654, "client renew by serial", clientOrderResponseSchema],
  [4304, "device details", orderDetailsSchema],
  [4606, "device update (answers details)", orderDetailsSchema],
  [4484, "device enroll", deviceOrderResponseSchema],
  [4883, "device renew by id", deviceOrderResponseSchema],
  [4916, "device renew by serial", deviceOrderResponseSchema],
  [13995, "organizations", organizationsSchema],
  [14087, "organizations by certificate type", organizationsSchema],
];

describe("documented response bodies parse with the client's schemas", () => {
  it.each(SCHEMAS)("line %i: %s", (line, _what, schema) => {
    const body = byLine(line).response.body;
    expect(body).toBeDefined();
    const parsed = schema.safeParse(JSON.parse(body!));
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  });

  it("line 861: details read into the domain shape (US dates, odd serial kept verbatim)", () => {
    const d = toCertificateDetails(orderDetailsSchema.parse(JSON.parse(byLine(861).response.body!)), "ssl.get");
    expect(d).toMatchObject({
      id: 811,
      status: "Issued",
      commonName: "ccmqa.com",
      orgId: 8928,
      term: 365,
      backendCertId: "7344326",
      serialNumber: "00:0::11::2:2::33",
      comments: "some comments",
      renewed: false,
    });
    expect(d.requested?.toISOString()).toBe("2025-12-04T00:00:00.000Z");
    expect(d.expires?.toISOString()).toBe("2026-12-04T00:00:00.000Z");
  });

  it("line 4304/4484: device status spelled title-case in details, upper-case on enroll", () => {
    expect(orderDetailsSchema.parse(JSON.parse(byLine(4304).response.body!)).status).toBe("Approved");
    expect(deviceOrderResponseSchema.parse(JSON.parse(byLine(4484).response.body!)).status).toBe("APPROVED");
  });

  it("line 2848: the client list's ISO expires date", () => {
    expect(listedOrdersSchema.parse(JSON.parse(byLine(2848).response.body!))[0]?.expires?.toISOString()).toBe("2345-06-07T00:00:00.000Z");
  });

  it("line 1603: the documented SSL download (a PEM bundle, root first) reads leaf first", () => {
    const pems = readCertificates(Buffer.from(byLine(1603).response.body!));
    expect(pems).toHaveLength(4);
    const { ordered, leaf } = orderLeafFirst(pems);
    expect(new x509.X509Certificate(leaf!).subject).toContain("CN=test crop");
    expect(ordered.map((p) => new x509.X509Certificate(p).subject.match(/CN=([^,]+)/)?.[1])).toEqual([
      "test crop",
      "Sectigo RSA Code Signing CA",
      "USERTrust RSA Certification Authority",
      "AddTrust External CA Root",
    ]);
  });

  it("line 4523: the documented device download (PKCS#7 PEM) reads into certificates", () => {
    expect(readCertificates(Buffer.from(byLine(4523).response.body!)).length).toBeGreaterThan(0);
  });

  it("the 'Errors' section's 401 example classifies as credentials", () => {
    const err = classifySectigoError({ status: 401, headers: {}, body: JSON.parse('{"code":-16,"description":"Unknown user"}'), operation: "doc.example" });
    expect([err.kind, err.vendorCode]).toEqual(["credentials", "-16"]);
  });
});
