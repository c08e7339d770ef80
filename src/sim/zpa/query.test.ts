import { describe, expect, test } from "vitest";
import { ZpaSimError } from "./errors.ts";
import { MAX_PAGE_SIZE, pageOf, parseSearch } from "./query.ts";

const item = (over: Record<string, unknown> = {}) => ({ id: "1", name: "Connector Group A", maxUsage: "2", privateKeyPresent: true, ...over });

describe("parseSearch", () => {
  const cases: Array<{ reason: string; search: string; wire: Record<string, unknown>; match: boolean }> = [
    { reason: "LIKE is Contains: substring of name", search: "name LIKE group", wire: item(), match: true },
    { reason: "LIKE ignores case (inf)", search: "name LIKE CONNECTOR", wire: item(), match: true },
    { reason: "LIKE misses when absent", search: "name LIKE edge", wire: item(), match: false },
    { reason: "EQ on a numeric-string field, as the maxUsage example", search: "maxUsage EQ 2", wire: item(), match: true },
    { reason: "EQ is exact, not a prefix", search: "maxUsage EQ 20", wire: item(), match: false },
    { reason: "EQ on a boolean, as privateKeyPresent EQ true", search: "privateKeyPresent EQ true", wire: item(), match: true },
    { reason: "EQ false on a true boolean", search: "privateKeyPresent EQ false", wire: item(), match: false },
    { reason: "EQ with spaces in the value takes the rest of the string", search: "name EQ Connector Group A", wire: item(), match: true },
    { reason: "a bare term is matched against the name (SDK sends bare names)", search: "group a", wire: item(), match: true },
    { reason: "a bare term that is not in the name", search: "edge", wire: item(), match: false },
    { reason: "an unknown field matches nothing (inf)", search: "colour EQ red", wire: item(), match: false },
  ];
  test.each(cases)("$reason", ({ search, wire, match }) => {
    expect(parseSearch(search)!(wire)).toBe(match);
  });

  test("no search means no filter", () => {
    expect(parseSearch(undefined)).toBeUndefined();
    expect(parseSearch("  ")).toBeUndefined();
  });
});

describe("pageOf", () => {
  const items = Array.from({ length: 45 }, (_, i) => item({ id: String(i + 1), name: `item-${i + 1}` }));
  const cases: Array<{ reason: string; q: Parameters<typeof pageOf>[1]; totalPages: string; ids: string[]; totalCount?: string }> = [
    { reason: "default pagesize is 20", q: {}, totalPages: "3", ids: items.slice(0, 20).map((i) => i.id) },
    { reason: "page is 1-based", q: { page: "3" }, totalPages: "3", ids: ["41", "42", "43", "44", "45"] },
    { reason: "a page past the end is empty (list omitted)", q: { page: "9" }, totalPages: "3", ids: [] },
    { reason: "pagesize is honoured", q: { pagesize: "10", page: "2" }, totalPages: "5", ids: items.slice(10, 20).map((i) => i.id) },
    { reason: "search adds totalCount as a string", q: { search: "name LIKE item-4" }, totalPages: "1", ids: ["4", "40", "41", "42", "43", "44", "45"], totalCount: "7" },
  ];
  test.each(cases)("$reason", ({ q, totalPages, ids, totalCount }) => {
    const p = pageOf(items, q);
    expect(p["totalPages"]).toBe(totalPages);
    expect(((p["list"] as Array<{ id: string }> | undefined) ?? []).map((i) => i.id)).toEqual(ids);
    expect(p["totalCount"]).toBe(totalCount);
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
