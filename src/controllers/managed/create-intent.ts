// The create-pending protection (ADR 0006 §2, ADR 0013), as pure decisions. crossplane writes a
// "create pending" annotation before Create and refuses to go on when a create's outcome is unknown;
// we write an intent (name, time) to status before every create instead, and treat it as an answer:
// an object found under the intent's name and made within the intent's window is this resource's own
// create that lost its answer, and until the settle window has passed "not found" means "look again",
// never "create again".

/** Written to status before a create is sent; cleared once the created object is recorded. */
export interface CreateIntent {
  readonly name: string;
  /** When the first create for it was about to be sent (RFC 3339, seconds). */
  readonly since: string;
}

/** How the external system compares names (ZPA ignores blanks at either end, say). */
export type SameName = (a: string, b: string) => boolean;

export const exactName: SameName = (a, b) => a === b;

/**
 * How long after a create was sent the vendor may still commit it when its answer was lost (our
 * clients give up after 30 s). Until then "not found" means "look again", never "create again".
 */
export const CREATE_SETTLE_MS = 2 * 60_000;
/** Vendors' creation times have second precision and their clocks are not ours. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** While a create's outcome is unknown, how often the vendor is asked whether it landed. */
export const SETTLE_LOOK_MS = 15_000;

/** Where a found object came from, as far as this resource can tell. */
export type Origin = "recorded" | "createdByUs" | "preExisting";

/**
 * Ours if status recorded it; ours if our create intent names it and the vendor made it in the
 * intent's window (a create that ran but was not recorded, say before a crash); anything else
 * pre-existed (made in a console, by Terraform, by another resource) and may only be adopted.
 */
export function originOf(
  found: { readonly id: string; readonly name: string; readonly createdAt?: number | undefined },
  recordedId: string | undefined,
  intent: CreateIntent | undefined,
  sameName: SameName = exactName,
): Origin {
  if (recordedId !== undefined && found.id === recordedId) return "recorded";
  if (intent === undefined || !sameName(intent.name, found.name)) return "preExisting";
  const since = Date.parse(intent.since);
  if (found.createdAt === undefined || !Number.isFinite(since)) return "createdByUs";
  return found.createdAt >= since - CLOCK_SKEW_MS && found.createdAt <= since + CREATE_SETTLE_MS + CLOCK_SKEW_MS ? "createdByUs" : "preExisting";
}

/**
 * Nothing found under `name`, but a create for it was announced less than CREATE_SETTLE_MS ago: its
 * outcome is unknown (a lost answer, a crash), so how long to keep looking before creating again.
 * Undefined when creating now is safe.
 */
export function createSettlingMs(intent: CreateIntent | undefined, name: string, now: number, sameName: SameName = exactName): number | undefined {
  if (intent === undefined || !sameName(intent.name, name)) return undefined;
  const left = Date.parse(intent.since) + CREATE_SETTLE_MS - now;
  return Number.isFinite(left) && left > 0 ? left : undefined;
}

/** When to look again while a create settles: every SETTLE_LOOK_MS, sooner at the window's end, never in a busy loop. */
export function nextSettleLookMs(settlingMs: number): number {
  return Math.max(1000, Math.min(SETTLE_LOOK_MS, settlingMs));
}

/**
 * The intent to write before a create. A recent one for the same name keeps its time: the create it
 * announced may still land. One older than CREATE_SETTLE_MS is renewed: whatever it announced would
 * have landed by now, and the lookup just before this create found nothing.
 */
export function createIntentFor(current: CreateIntent | undefined, name: string, now: Date, sameName: SameName = exactName): CreateIntent {
  const since = current === undefined ? Number.NaN : Date.parse(current.since);
  const recent = Number.isFinite(since) && now.getTime() - since < CREATE_SETTLE_MS;
  if (current !== undefined && recent && sameName(current.name, name)) return current;
  return { name, since: now.toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** Vendor error kinds that answer "the create did not happen" (as opposed to no answer: transient, timeouts). */
const CREATE_REFUSED: ReadonlySet<string> = new Set(["rateLimited", "credentials", "invalid", "conflict", "notFound", "blocked"]);

/** A create refused with this kind cannot land later: its intent is withdrawn, the next attempt need not wait. */
export function createRefused(kind: string): boolean {
  return CREATE_REFUSED.has(kind);
}
