// The order marker ties an SCM order to the Kubernetes object (UID) and spec revision that asked for
// it, so that after a crash between "enroll sent" and "id persisted" we can find the order instead of
// paying for a second one. It lives in `comments`: every family has that field (≤1024 chars), it is
// echoed in details (and in the client list), and unlike custom fields it needs no admin to create it
// first. The marker goes at the end, after any human comment.

export interface OrderMarker {
  /** metadata.uid of the requesting object. */
  readonly uid: string;
  /** The spec revision (e.g. metadata.generation or a revision counter) the order was made for. */
  readonly revision: number;
}

export const MAX_COMMENTS = 1024;
const PATTERN = /\[certbridge uid=([A-Za-z0-9-]{1,64}) rev=(\d{1,15})\]/;
const UID = /^[A-Za-z0-9-]{1,64}$/;

export function formatOrderMarker(m: OrderMarker): string {
  if (!UID.test(m.uid)) throw new Error("order marker uid must be 1-64 characters of [A-Za-z0-9-]");
  if (!Number.isSafeInteger(m.revision) || m.revision < 0) throw new Error("order marker revision must be a non-negative integer");
  return `[certbridge uid=${m.uid} rev=${m.revision}]`;
}

/** `comments` for an enroll: the human text (trimmed to fit) followed by the marker. */
export function commentsWithMarker(marker: OrderMarker, human = ""): string {
  const tag = formatOrderMarker(marker);
  const room = MAX_COMMENTS - tag.length - 1;
  const text = human.replace(PATTERN, "").trim().slice(0, Math.max(0, room));
  return text === "" ? tag : `${text} ${tag}`;
}

export function parseOrderMarker(comments: string | undefined): OrderMarker | undefined {
  if (comments === undefined) return undefined;
  const m = PATTERN.exec(comments);
  if (m === null) return undefined;
  return { uid: m[1]!, revision: Number(m[2]) };
}

/** Same object; and the same revision unless `want.revision` is omitted (any revision of that object). */
export function markerMatches(comments: string | undefined, want: { readonly uid: string; readonly revision?: number }): boolean {
  const got = parseOrderMarker(comments);
  if (got === undefined || got.uid !== want.uid) return false;
  return want.revision === undefined || got.revision === want.revision;
}
