// Search and paging the way ZPA documents them: `search=<field> <LIKE|EQ> <value>` matched against the
// wire form of each object, a bare term matched against the name, 1-based `page`, `pagesize` default
// 20 and at most 500, `totalPages` as a string and `totalCount` only on search responses.

import { zpaErrors } from "./errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 500;

export type SearchFilter = (wire: Record<string, unknown>) => boolean;

const structured = /^\s*([A-Za-z][A-Za-z0-9_.]*)\s+(LIKE|EQ)\s+(.*?)\s*$/;

function fieldText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/**
 * `LIKE` is the UI's "Contains" and `EQ` its "Equals". Case handling is undocumented (inf): LIKE and
 * the bare term ignore case, EQ compares exactly except that booleans accept any case. An unknown
 * field matches nothing (inf).
 */
export function parseSearch(raw: string | undefined): SearchFilter | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const m = structured.exec(raw);
  if (m === null) {
    const term = raw.trim().toLowerCase();
    return (w) => (fieldText(w["name"]) ?? "").toLowerCase().includes(term);
  }
  const [, field = "", op, value = ""] = m;
  if (op === "LIKE") {
    const needle = value.toLowerCase();
    return (w) => (fieldText(w[field]) ?? "").toLowerCase().includes(needle);
  }
  return (w) => {
    const v = w[field];
    if (typeof v === "boolean") return String(v) === value.toLowerCase();
    if (v === undefined && (value === "false")) return false;
    return fieldText(v) === value;
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

/** Filters then pages wire objects into the ZPA envelope. An empty result omits `list` (inf, as optional fields are). */
export function pageOf(items: readonly Record<string, unknown>[], q: PageQuery): Record<string, unknown> {
  const page = positiveInt(q.page, "page", 1);
  const size = Math.min(positiveInt(q.pagesize, "pagesize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const filter = parseSearch(q.search);
  const matched = filter === undefined ? items : items.filter(filter);
  const totalPages = Math.ceil(matched.length / size);
  const slice = matched.slice((page - 1) * size, page * size);
  const out: Record<string, unknown> = { totalPages: String(totalPages) };
  if (q.search !== undefined) out["totalCount"] = String(matched.length);
  if (slice.length > 0) out["list"] = slice;
  return out;
}
