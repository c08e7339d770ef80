// SCM lists page with `position` (0-based offset) and `size` (max 200; the default for an omitted
// size is undocumented, so we always send one). The total is in `X-Total-Count`.

export const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  readonly position?: number;
  readonly size?: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** From `X-Total-Count`; undefined if the header was missing. */
  readonly total: number | undefined;
  readonly position: number;
  readonly size: number;
}

export function pageParams(req: PageRequest): { position: number; size: number } {
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(req.size ?? MAX_PAGE_SIZE)));
  const position = Math.max(0, Math.floor(req.position ?? 0));
  return { position, size };
}

/** Hard stop against a server that never ends a listing (for example a total that keeps growing). */
const MAX_PAGES = 500;

/** Every item across pages: stops on a short page or once `position >= X-Total-Count`. */
export async function collectAll<T>(fetchPage: (position: number, size: number) => Promise<Page<T>>, size = MAX_PAGE_SIZE): Promise<T[]> {
  const out: T[] = [];
  let position = 0;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await fetchPage(position, size);
    out.push(...page.items);
    position += page.items.length;
    if (page.items.length < page.size) break;
    if (page.total !== undefined && position >= page.total) break;
  }
  return out;
}
