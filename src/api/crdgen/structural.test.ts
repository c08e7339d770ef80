import { describe, expect, it } from "vitest";
import { z } from "zod";
import { unknownFields } from "./prune.ts";
import { isRe2Compatible, lintStructural, toStructural } from "./structural.ts";

const d = (description: string) => ({ description });

describe("toStructural", () => {
  it.each([
    {
      reason: "a union has no single type, which a structural schema requires",
      schema: z.object({ a: z.union([z.string().max(1), z.number()]).meta(d("a")) }),
      problem: 'spec.a: "anyOf" is not allowed in a structural schema',
    },
    {
      reason: "properties and additionalProperties cannot both be set",
      schema: z.object({ a: z.string().max(1).meta(d("a")) }).catchall(z.string().max(1)),
      problem: "spec: properties and additionalProperties are mutually exclusive",
    },
    {
      reason: "RE2 has no lookahead",
      schema: z.object({
        a: z
          .string()
          .max(5)
          .regex(/^(?!x)a$/)
          .meta(d("a")),
      }),
      problem: "spec.a: pattern is not RE2-compatible",
    },
  ])("reports: $reason", ({ schema, problem }) => {
    const { problems } = toStructural(schema, "spec");
    expect(problems.join("\n")).toContain(problem);
  });

  it("drops what the API server forbids or ignores, and adds int formats", () => {
    const { schema, problems } = toStructural(
      z.strictObject({
        n: z.number().int().min(0).meta(d("n")),
        small: z.number().int().min(0).max(10).meta(d("small")),
        t: z.iso.datetime().max(64).meta(d("t")),
      }),
      "spec",
    );
    expect(problems).toEqual([]);
    expect(schema).toEqual({
      type: "object",
      properties: {
        n: { description: "n", type: "integer", format: "int64", minimum: 0 },
        small: { description: "small", type: "integer", format: "int32", minimum: 0, maximum: 10 },
        t: { description: "t", type: "string", format: "date-time", maxLength: 64 },
      },
      required: ["n", "small", "t"],
    });
  });

  it("keeps defaults and leaves defaulted fields out of required", () => {
    const { schema } = toStructural(z.object({ a: z.string().max(3).default("x").meta(d("a")) }), "spec");
    expect(schema).toEqual({ type: "object", properties: { a: { description: "a", type: "string", default: "x", maxLength: 3 } } });
  });
});

describe("lintStructural", () => {
  it.each([
    { reason: "kubectl explain needs a description", schema: z.object({ a: z.string().max(1) }), problem: "spec.a: missing description" },
    { reason: "CEL cost estimation needs bounded strings", schema: z.object({ a: z.string().meta(d("a")) }), problem: "spec.a: string without maxLength" },
    { reason: "… and bounded lists", schema: z.object({ a: z.array(z.boolean()).meta(d("a")) }), problem: "spec.a: array without maxItems" },
    {
      reason: "… and bounded maps",
      schema: z.object({ a: z.record(z.string(), z.boolean()).meta(d("a")) }),
      problem: "spec.a: map without maxProperties",
    },
  ])("reports: $reason", ({ schema, problem }) => {
    const converted = toStructural(schema, "spec");
    expect(lintStructural(converted.schema, "spec").join("\n")).toContain(problem);
  });
});

describe("isRe2Compatible", () => {
  it.each([
    ["^[a-z]+$", true, "plain classes"],
    ["^(?:a|b)$", true, "non-capturing groups are fine"],
    ["^(?=a)", false, "lookahead"],
    ["^(?!a)", false, "negative lookahead"],
    ["(?<=a)b", false, "lookbehind"],
    ["(a)\\1", false, "backreference"],
  ])("%s → %s (%s)", (pattern, ok) => {
    expect(isRe2Compatible(pattern)).toBe(ok);
  });
});

describe("unknownFields", () => {
  const schema = {
    type: "object",
    properties: {
      metadata: { type: "object" },
      spec: {
        type: "object",
        properties: { a: { type: "string" }, list: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } } },
      },
      labels: { type: "object", additionalProperties: { type: "string" } },
    },
  };
  it.each([
    { reason: "declared fields are kept", value: { spec: { a: "x" } }, unknown: [] },
    { reason: "metadata is the API server's", value: { metadata: { anything: 1 } }, unknown: [] },
    { reason: "map keys are free", value: { labels: { x: "y" } }, unknown: [] },
    { reason: "a typo is found", value: { spec: { b: "x" } }, unknown: ["spec.b"] },
    { reason: "inside list items too", value: { spec: { list: [{ k: "1" }, { z: 1 }] } }, unknown: ["spec.list[1].z"] },
  ])("$reason", ({ value, unknown }) => {
    expect(unknownFields(schema, value)).toEqual(unknown);
  });
});
