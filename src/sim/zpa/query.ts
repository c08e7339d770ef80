// Search and paging the way ZPA answers them.
//
// How a search arrives. ZPA runs behind a Java servlet stack, so the query string is form-decoded
// before the search grammar sees it: `+` becomes a space and `%2B` a literal `+`. The shared simulator
// server decodes the same way (URLSearchParams). What clients send, and what it decodes to:
// - the documents: `search=name%20LIKE%20client` → "name LIKE client" (zpa-certificates.txt);
// - zscaler-sdk-python and zscaler-sdk-go over OneAPI: `search=name%2BEQ%2BService+Edge`
//   → "name+EQ+Service Edge" (recorded: zscaler/zscaler-sdk-python,
//   tests/integration/zpa/cassettes/TestServiceEdgeGroupProvisioningKey.yaml, answered with the
//   "Service Edge" certificate and totalCount "1");
// - zscaler-sdk-go legacy client: the same with `%20` for the space (zscaler/zpa/v2_client.go,
//   getRequest: url.Values encoding, then every `+` replaced by `%20`) → the same decoded string.
// So the separator between field, operator and value is one space or one `+`, and the value is the
// rest of the string, spaces and `+` included ("name+EQ+a+b" means name EQ "a+b").
//
// How it is parsed. The token after the field is checked as the operator: a bare multi-word term
// fails with 400 filtering.input.invalid.operand naming that token (recorded in zscaler-sdk-go,
// zpa/services/trustednetwork GetByName: params ["-"] for "Corp - Trusted - Networks", params [""]
// for "Corp++Trusted++Networks"; and CHANGELOG PR #380, which moved every SDK lookup to name+EQ+<value>
// because multi-word bare names failed that way). A single bare word still works (the SDKs sent one
// for years) and is matched as "name contains" (inf).
//
// Operators: LIKE and EQ are documented ("Contains"/"Equals"); the SDKs also name NE, GT, LT, GE, LE,
// CONTAINS, STARTSWITH, ENDSWITH as ZPA filter operators (zscaler-sdk-go zpa/services/common/common.go,
// convertZPASearchToFilter). Case handling is undocumented (inf): string comparisons ignore case, so a
// client that trusts the server's EQ instead of checking the name itself is caught by a near-duplicate.
//
// Paging: 1-based `page`, `pagesize` default 20 and at most 500, `totalPages` as a string. totalCount
// per profile (see profile.ts).

import { zpaErrors } from "./errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 500;

export type SearchFilter = (wire: Record<string, unknown>) => boolean;

export const SEARCH_OPERATORS = ["EQ", "NE", "LIKE", "CONTAINS", "STARTSWITH", "ENDSWITH", "GT", "LT", "GE", "LE"] as const;
type Operator = (typeof SEARCH_OPERATORS)[number];

const isSeparator = (c: string | undefined): boolean => c === " " || c === "+";

function fieldTexts(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (typeof v === "number" || typeof v === "boolean") return [String(v)];
  // A list field (domainNames) matches when any element does (inf).
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === "string" || typeof x === "number" ? [String(x)] : []));
  return [];
}

const lower = (s: string): string => s.toLowerCase();
const numeric = (s: string): number | undefined => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : undefined);

function compare(op: Operator, actual: string, wanted: string): boolean {
  switch (op) {
    case "EQ":
      return lower(actual) === lower(wanted);
    case "NE":
      return lower(actual) !== lower(wanted);
    case "LIKE":
    case "CONTAINS":
      return lower(actual).includes(lower(wanted));
    case "STARTSWITH":
      return lower(actual).startsWith(lower(wanted));
    case "ENDSWITH":
      return lower(actual).endsWith(lower(wanted));
    default: {
      const a = numeric(actual);
      const w = numeric(wanted);
      if (a === undefined || w === undefined) return false;
      return op === "GT" ? a > w : op === "LT" ? a < w : op === "GE" ? a >= w : a <= w;
    }
  }
}

/** The decoded expression split as ZPA splits it: field, one separator, operator, one separator, rest. */
export function splitSearch(decoded: string): { bare: string } | { field: string; operator: string; value: string } {
  const trimmed = decoded.trim();
  if (trimmed !== "" && ![...trimmed].some(isSeparator)) return { bare: trimmed };
  let i = 0;
  while (i < decoded.length && !isSeparator(decoded[i])) i++;
  const field = decoded.slice(0, i);
  let j = i + 1;
  while (j < decoded.length && !isSeparator(decoded[j])) j++;
  const operator = decoded.slice(i + 1, j);
  const value = j < decoded.length ? decoded.slice(j + 1) : "";
  return { field, operator, value };
}

/** A filter for an already form-decoded `search` value, or undefined for no search. Throws ZPA's 400 on a bad operator. */
export function parseSearch(decoded: string | undefined): SearchFilter | undefined {
  if (decoded === undefined || decoded.trim() === "") return undefined;
  const parts = splitSearch(decoded);
  if ("bare" in parts) {
    const term = lower(parts.bare);
    return (w) => fieldTexts(w["name"]).some((n) => lower(n).includes(term));
  }
  const op = parts.operator as Operator;
  if (!(SEARCH_OPERATORS as readonly string[]).includes(op)) throw zpaErrors.invalidOperand(parts.operator);
  const { field, value } = parts;
  return (w) => {
    const texts = fieldTexts(w[field]);
    // An absent field (a missing boolean reads false, as ZPA omits false flags) matches only by NE (inf).
    if (texts.length === 0) return op === "NE";
    return op === "NE" ? texts.every((t) => compare("NE", t, value)) : texts.some((t) => compare(op, t, value));
  };
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw zpaErrors.invalid(`Invalid value for ${name}`, name);
  const n = Number(raw);
  if (n < 1) throw zpaErrors.invalid(`Invalid value for ${name}`, name);
  return n;
}

export type PageQuery = { page?: string | undefined; pagesize?: string | undefined; search?: string | undefined };
export type PageOptions = {
  /** Recorded traffic carries totalCount on every list; the documents only on search responses. */
  readonly totalCountAlways?: boolean;
  /** A fixed totalCount, for endpoints that answer a constant (getAppsByType answers "0" with items). */
  readonly totalCountOverride?: string;
};

/** Filters then pages wire objects into the ZPA envelope. An empty result omits `list` (inf, as optional fields are). */
export function pageOf(items: readonly Record<string, unknown>[], q: PageQuery, opts: PageOptions = {}): Record<string, unknown> {
  const page = positiveInt(q.page, "page", 1);
  const size = Math.min(positiveInt(q.pagesize, "pagesize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const filter = parseSearch(q.search);
  const matched = filter === undefined ? items : items.filter(filter);
  const totalPages = Math.ceil(matched.length / size);
  const slice = matched.slice((page - 1) * size, page * size);
  const out: Record<string, unknown> = { totalPages: String(totalPages) };
  if (opts.totalCountOverride !== undefined) out["totalCount"] = opts.totalCountOverride;
  else if (q.search !== undefined || opts.totalCountAlways === true) out["totalCount"] = String(matched.length);
  if (slice.length > 0) out["list"] = slice;
  return out;
}
