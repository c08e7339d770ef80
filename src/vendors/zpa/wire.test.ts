// Lenient parsing of what ZPA sends: numbers as strings, 64-bit ids, epochs in s or ms, omitted fields.
import { describe, expect, test } from "vitest";
import { extractExamples } from "../../sim/zpa/doc-examples.ts";
import { certificateSchema, enrollmentCertSchema, pageSchema, provisioningKeyPayload, provisioningKeySchema } from "./wire.ts";

const key = (over: Record<string, unknown> = {}) => ({
  id: "6211",
  creationTime: "1617747326",
  modifiedBy: "72057594038008981",
  name: "k",
  usageCount: "5",
  maxUsage: "1000",
  zcomponentId: "217246660303024864",
  enabled: true,
  provisioningKey: "3|sample.test.net|abc",
  enrollmentCertId: "2858",
  ...over,
});

describe("provisioningKeySchema", () => {
  const cases: Array<{ reason: string; wire: Record<string, unknown>; expect: Record<string, unknown> }> = [
    { reason: "numbers as strings become numbers", wire: key(), expect: { usageCount: 5, maxUsage: 1000 } },
    { reason: "numbers as numbers are accepted too", wire: key({ usageCount: 5, maxUsage: 1000 }), expect: { usageCount: 5, maxUsage: 1000 } },
    { reason: "a 64-bit id stays an exact string", wire: key({ zcomponentId: "217246660303024864" }), expect: { zcomponentId: "217246660303024864" } },
    { reason: "epoch seconds become a Date", wire: key(), expect: { creationTime: new Date(1617747326_000) } },
    { reason: "epoch milliseconds are recognised", wire: key({ creationTime: "1617747326000" }), expect: { creationTime: new Date(1617747326_000) } },
    { reason: "an omitted modifiedTime reads as undefined", wire: key(), expect: { modifiedTime: undefined } },
    { reason: "an omitted boolean reads as false (documented drift cause)", wire: key({ enabled: undefined }), expect: { enabled: false } },
    { reason: "an omitted usageCount reads as 0", wire: key({ usageCount: undefined }), expect: { usageCount: 0 } },
    {
      reason: "null optional fields read as undefined",
      wire: key({ zcomponentName: null, modifiedTime: null }),
      expect: { zcomponentName: undefined, modifiedTime: undefined },
    },
    { reason: "unknown extra fields are ignored", wire: key({ ipAcl: ["10.0.0.0/8"], uiConfig: "x" }), expect: { name: "k" } },
  ];
  test.each(cases)("$reason", ({ wire, expect: want }) => {
    const parsed = provisioningKeySchema.parse(wire) as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) expect(parsed[k], k).toEqual(v);
  });

  test.each([
    { reason: "an id sent as an unsafe JSON number (precision already lost)", wire: key({ zcomponentId: 217246660303024864 }) },
    { reason: "a missing key value", wire: key({ provisioningKey: undefined }) },
    { reason: "maxUsage that is not a number", wire: key({ maxUsage: "lots" }) },
  ])("rejects $reason", ({ wire }) => {
    expect(provisioningKeySchema.safeParse(wire).success).toBe(false);
  });
});

describe("page envelope", () => {
  test.each([
    { reason: "totalPages as a string", wire: { totalPages: "15", list: [] }, pages: 15 },
    { reason: "unreliable totalCount is parsed but not trusted", wire: { totalPages: "526", totalCount: "0", list: [] }, pages: 526 },
    { reason: "an empty result without list", wire: { totalPages: "0" }, pages: 0 },
    { reason: "no totalPages at all", wire: {}, pages: 0 },
  ])("$reason", ({ wire, pages }) => {
    const p = pageSchema(provisioningKeySchema).parse(wire);
    expect(p.totalPages).toBe(pages);
    expect(p.list).toEqual([]);
  });
});

describe("every documented response parses with the client schemas", () => {
  const docs = [
    { doc: "provisioningKeys", schema: provisioningKeySchema },
    { doc: "enrollmentCertificates", schema: enrollmentCertSchema },
    { doc: "certificates", schema: certificateSchema },
  ] as const;
  test.each(docs)("$doc", ({ doc, schema }) => {
    const responses = extractExamples(doc).filter((e) => e.role === "response");
    expect(responses.length).toBeGreaterThan(3);
    for (const e of responses) {
      const body = e.json as Record<string, unknown>;
      const result = "list" in body ? pageSchema(schema).safeParse(body) : schema.safeParse(body);
      expect(result.success, `example #${e.index}`).toBe(true);
    }
  });

  test("the millisecond validFromInEpochSec in the deprecated list normalises to the same instant", () => {
    const e = extractExamples("certificates")[0]!.json as { list: unknown[] };
    const parsed = pageSchema(certificateSchema).parse(e);
    expect(parsed.list[1]!.validFromInEpochSec).toEqual(new Date(1519963049000));
  });
});

test("payloads send numbers as strings, like the documented sample", () => {
  expect(provisioningKeyPayload({ name: "n", maxUsage: 300, enrollmentCertId: "22115", zcomponentId: "217306507451045314" })).toEqual({
    name: "n",
    maxUsage: "300",
    enrollmentCertId: "22115",
    zcomponentId: "217306507451045314",
    enabled: true,
  });
});
