// The order marker ties an SCM order to the Kubernetes object (UID), the spec revision and the spec
// (a hash prefix) that asked for it, so that after a crash or an unanswered enroll we can find exactly
// that order instead of paying for a second one. It lives in `comments`: every family has that field
// (≤1024 chars), it is echoed in details (and in the client list), and unlike custom fields it needs
// no admin to create it first. The marker goes at the end, after any human comment. Markers written
// before the spec hash was added (`[certbridge uid=… rev=…]`) still parse.

export interface OrderMarker {
  /** metadata.uid of the requesting object. */
  readonly uid: string;
  /** The spec revision (e.g. metadata.generation or a revision counter) the order was made for. */
  readonly revision: number;
  /** The first 16 hex digits of the hash of the spec the order was made for. */
  readonly spec?: string;
}

export const MAX_COMMENTS = 1024;
const PATTERN = /\[certbridge uid=([A-Za-z0-9-]{1,64}) rev=(\d{1,15})(?: spec=([0-9a-f]{16}))?\]/;
const UID = /^[A-Za-z0-9-]{1,64}$/;
const SPEC = /^[0-9a-f]{16}$/;

export function formatOrderMarker(m: OrderMarker): string {
  if (!UID.test(m.uid)) throw new Error("order marker uid must be 1-64 characters of [A-Za-z0-9-]");
  if (!Number.isSafeInteger(m.revision) || m.revision < 0) throw new Error("order marker revision must be a non-negative integer");
  if (m.spec !== undefined && !SPEC.test(m.spec)) throw new Error("order marker spec must be 16 lowercase hex digits");
  return `[certbridge uid=${m.uid} rev=${m.revision}${m.spec === undefined ? "" : ` spec=${m.spec}`}]`;
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
  return { uid: m[1]!, revision: Number(m[2]), ...(m[3] === undefined ? {} : { spec: m[3] }) };
}

/**
 * Same object; the same revision unless `want.revision` is omitted (any revision of that object);
 * the same spec when both the marker and `want` name one (a marker from before spec hashes matches on
 * UID and revision, which were unique per order then too).
 */
export function markerMatches(comments: string | undefined, want: { readonly uid: string; readonly revision?: number; readonly spec?: string }): boolean {
  const got = parseOrderMarker(comments);
  if (got === undefined || got.uid !== want.uid) return false;
  if (want.revision !== undefined && got.revision !== want.revision) return false;
  return want.spec === undefined || got.spec === undefined || got.spec === want.spec;
}
