// Retry-After in the shapes vendors actually send: "13" (RFC 9110 delta-seconds), "13s" (ZPA),
// "1.5" (fractional seconds), or an HTTP-date. Past dates and negatives clamp to 0.

const SECONDS = /^\s*(-?\d+(?:\.\d+)?)\s*s?\s*$/i;

export function parseRetryAfterMs(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  const seconds = SECONDS.exec(trimmed);
  if (seconds !== null) {
    const n = Number(seconds[1]);
    if (!Number.isFinite(n)) return undefined;
    return Math.max(0, Math.round(n * 1000));
  }
  // Only accept things that look like dates (a weekday/month name or ISO form), not arbitrary text.
  if (!/[a-z]{3}|\d{4}-\d{2}-\d{2}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
