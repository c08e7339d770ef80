import { describe, expect, test } from "vitest";
import { ZpaSimError } from "./errors.ts";
import { MAX_PAGE_SIZE, pageOf, parseSearch } from "./query.ts";

const item = (over: Record<string, unknown> = {}) => ({ id: "1", name: "Connector Group A", maxUsage: "2", privateKeyPresent: true, ...over });

describe("parseSearch (the value is already form-decoded, as the servlet stack decodes it)", () => {
  const cases: Array<{ reason: string; search: string; wire: Record<string, unknown>; match: boolean }> = [
    { reason: "LIKE is Contains: substring of name", search: "name LIKE group", wire: item(), match: true },
    { reason: "LIKE ignores case (inf)", search: "name LIKE CONNECTOR", wire: item(), match: true },
    { reason: "LIKE misses when absent", search: "name LIKE edge", wire: item(), match: false },
    { reason: "EQ on a numeric-string field, as the maxUsage example", search: "maxUsage EQ 2", wire: item(), match: true },
    { reason: "EQ is exact, not a prefix", search: "maxUsage EQ 20", wire: item(), match: false },
    { reason: "EQ on a boolean, as privateKeyPresent EQ true", search: "privateKeyPresent EQ true", wire: item(), match: true },
    { reason: "EQ false on a true boolean", search: "privateKeyPresent EQ false", wire: item(), match: false },
    { reason: "EQ with spaces in the value takes the rest of the string", search: "name EQ Connector Group A", wire: item(), match: true },
    {
      reason: "EQ ignores case (inf), so near-duplicates come back and clients must compare names themselves",
      search: "name EQ connector group a",
      wire: item(),
      match: true,
    },
    { reason: "the SDKs' form: '+' separators (name%2BEQ%2B… decodes to name+EQ+…)", search: "name+EQ+Connector Group A", wire: item(), match: true },
    { reason: "the SDK form with a '+' in the value: the value is the rest of the string", search: "name+EQ+a+b", wire: item({ name: "a+b" }), match: true },
    { reason: "the documented form with a '+' in the value (our client's %2B)", search: "name EQ a+b", wire: item({ name: "a+b" }), match: true },
    { reason: "'a+b' is not 'a b'", search: "name+EQ+a+b", wire: item({ name: "a b" }), match: false },
    { reason: "'%' and '&' are literal characters (inf)", search: "name+EQ+100% & more", wire: item({ name: "100% & more" }), match: true },
    { reason: "unicode survives decoding", search: "name+EQ+Zürich Ünïcødé", wire: item({ name: "Zürich Ünïcødé" }), match: true },
    { reason: "the value keeps a leading blank: ' x' is not 'x' (inf)", search: "name+EQ+ x", wire: item({ name: "x" }), match: false },
    { reason: "STARTSWITH (an operator the SDKs list)", search: "name+STARTSWITH+Connector", wire: item(), match: true },
    { reason: "NE", search: "name+NE+Connector Group A", wire: item(), match: false },
    { reason: "GT compares numbers", search: "maxUsage+GT+1", wire: item(), match: true },
    {
      reason: "a list field matches by any element (inf)",
      search: "domainNames+EQ+b.example",
      wire: item({ domainNames: ["a.example", "b.example"] }),
      match: true,
    },
    { reason: "a single bare word is matched against the name (inf; older SDKs sent one)", search: "group", wire: item(), match: true },
    { reason: "a bare word that is not in the name", search: "edge", wire: item(), match: false },
    { reason: "an unknown field matches nothing (inf)", search: "colour EQ red", wire: item(), match: false },
  ];
  test.each(cases)("$reason", ({ search, wire, match }) => {
    expect(parseSearch(search)!(wire)).toBe(match);
  });

  test("no search means no filter", () => {
    expect(parseSearch(undefined)).toBeUndefined();
    expect(parseSearch("  ")).toBeUndefined();
  });

  // Recorded in zscaler-sdk-go (zpa/services/trustednetwork GetByName): the token after the field is
  // checked as the operator, so bare multi-word names fail.
  test.each([
    { reason: "'Corp - Trusted - Networks' → operand '-'", search: "Corp - Trusted - Networks", operand: "-" },
    { reason: "'Corp++Trusted++Networks' decodes to double spaces → operand ''", search: "Corp  Trusted  Networks", operand: "" },
    { reason: "a two-word bare name", search: "Connector Group", operand: "Group" },
    { reason: "a lower-case operator is not one (inf)", search: "name eq x", operand: "eq" },
  ])("400 filtering.input.invalid.operand: $reason", ({ search, operand }) => {
    const e = (() => {
      try {
        parseSearch(search);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ZpaSimError);
    expect((e as ZpaSimError).status).toBe(400);
    expect((e as ZpaSimError).body).toEqual({
      params: [operand],
      id: "filtering.input.invalid.operand",
      reason: `Invalid operand:${operand} in Filtering criteria.`,
    });
  });
});

describe("pageOf", () => {
  const items = Array.from({ length: 45 }, (_, i) => item({ id: String(i + 1), name: `item-${i + 1}` }));
  const cases: Array<{ reason: string; q: Parameters<typeof pageOf>[1]; totalPages: string; ids: string[]; totalCount?: string }> = [
    { reason: "default pagesize is 20", q: {}, totalPages: "3", ids: items.slice(0, 20).map((i) => i.id) },
    { reason: "page is 1-based", q: { page: "3" }, totalPages: "3", ids: ["41", "42", "43", "44", "45"] },
    { reason: "a page past the end is empty (list omitted)", q: { page: "9" }, totalPages: "3", ids: [] },
    { reason: "pagesize is honoured", q: { pagesize: "10", page: "2" }, totalPages: "5", ids: items.slice(10, 20).map((i) => i.id) },
    {
      reason: "search adds totalCount as a string",
      q: { search: "name LIKE item-4" },
      totalPages: "1",
      ids: ["4", "40", "41", "42", "43", "44", "45"],
      totalCount: "7",
    },
    {
      reason: "the SDK search form pages the same way",
      q: { search: "name+LIKE+item-4", pagesize: "5" },
      totalPages: "2",
      ids: ["4", "40", "41", "42", "43"],
      totalCount: "7",
    },
  ];
  test.each(cases)("$reason", ({ q, totalPages, ids, totalCount }) => {
    const p = pageOf(items, q);
    expect(p["totalPages"]).toBe(totalPages);
    expect(((p["list"] as Array<{ id: string }> | undefined) ?? []).map((i) => i.id)).toEqual(ids);
    expect(p["totalCount"]).toBe(totalCount);
  });

  test("recorded traffic carries totalCount without a search too; getAppsByType answers a constant", () => {
    expect(pageOf(items, {}, { totalCountAlways: true })["totalCount"]).toBe("45");
    expect(pageOf(items, {}, { totalCountOverride: "0" })["totalCount"]).toBe("0");
  });

  test("pagesize above 500 is clamped to 500", () => {
    const many = Array.from({ length: 700 }, (_, i) => item({ id: String(i) }));
    const p = pageOf(many, { pagesize: "1000" });
    expect((p["list"] as unknown[]).length).toBe(MAX_PAGE_SIZE);
    expect(p["totalPages"]).toBe("2");
  });

  test.each([
    { reason: "page 0", q: { page: "0" } },
    { reason: "non-numeric pagesize", q: { pagesize: "lots" } },
  ])("invalid paging is a 400: $reason", ({ q }) => {
    expect(() => pageOf(items, q)).toThrow(ZpaSimError);
  });
});
