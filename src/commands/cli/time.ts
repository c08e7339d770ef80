// Durations and times as a person reads them: ages like kubectl's ("45s", "3m12s", "5h20m", "12d"),
// times relative to now ("in 3h", "5m ago"), instants in UTC to the minute.

/** A compact duration: seconds under 2 minutes, minutes and seconds under 10, hours and minutes under a day, days and hours under a month. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  const d = Math.floor(h / 24);
  if (d < 30) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

const parse = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/** How long ago `iso` was ("5m"), or "" when it is not a time. */
export function ageOf(iso: string | undefined, now: Date): string {
  const t = parse(iso);
  return t === undefined ? "" : shortDuration(now.getTime() - t);
}

/** "in 3h5m" or "5m ago" ("now" within a second). */
export function relative(iso: string | undefined, now: Date): string {
  const t = parse(iso);
  if (t === undefined) return "";
  const delta = t - now.getTime();
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${shortDuration(delta)}` : `${shortDuration(-delta)} ago`;
}

/** "2026-03-01 12:00 UTC (in 87d)". */
export function instant(iso: string | undefined, now: Date): string {
  const t = parse(iso);
  if (t === undefined) return "";
  const utc = new Date(t).toISOString().replace("T", " ").slice(0, 16);
  return `${utc} UTC (${relative(iso, now)})`;
}

/** The time `ms` after `iso`, as ISO, or undefined. */
export function plusMs(iso: string | undefined, ms: number): string | undefined {
  const t = parse(iso);
  return t === undefined ? undefined : new Date(t + ms).toISOString();
}
