// Lenient zod pieces for the quirks vendors document: numbers sent as strings, 64-bit ids,
// epochs in seconds or milliseconds, fields that are omitted, null or empty. Parse once, here.
import { z } from "zod";

const NUMERIC = /^\s*-?\d+(?:\.\d+)?\s*$/;

/** A number, or a string holding one ("15" → 15). */
export const numberish = z.union([
  z.number().refine(Number.isFinite, "expected a finite number"),
  z
    .string()
    .regex(NUMERIC, "expected a numeric string")
    .transform((s) => Number(s.trim())),
]);

/** An integer, or a string holding one. */
export const integerish = numberish.refine(Number.isInteger, "expected an integer");

/**
 * An identifier kept as a string. Numbers are accepted only when they are safe integers, because a
 * 64-bit id that went through a JSON number has already lost digits.
 */
export const idString = z.union([
  z.string().min(1),
  z
    .number()
    .refine(Number.isSafeInteger, "numeric id is not a safe integer (precision lost)")
    .transform((n) => String(n)),
]);

/** A boolean, or "true"/"false". */
export const booleanish = z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")]);

/** Values above this are treated as epoch milliseconds (1e11 s is the year 5138). */
export const EPOCH_MS_THRESHOLD = 1e11;

/** Epoch seconds as string or number; a value > 1e11 is milliseconds. Returns a Date. */
export const epochSeconds = numberish.transform((n, ctx) => {
  const ms = n > EPOCH_MS_THRESHOLD ? n : n * 1000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) {
    ctx.issues.push({ code: "custom", message: "invalid epoch", input: n });
    return z.NEVER;
  }
  return d;
});

/** An RFC 3339 / ISO 8601 timestamp string → Date. */
export const isoDate = z.string().transform((s, ctx) => {
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    ctx.issues.push({ code: "custom", message: "invalid timestamp", input: s });
    return z.NEVER;
  }
  return new Date(t);
});

/** `schema`, but missing, null and "" all read as undefined (vendors use all three for "none"). */
export function optionalOmitted<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null || v === "" ? undefined : v), schema.optional());
}

/** `schema`, but missing and null read as undefined. */
export function nullishToUndefined<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

/** An array that may be missing or null on the wire; reads as []. */
export function arrayOrEmpty<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);
}

/** Any JSON body, used where a call's response is ignored (for example 204). */
export const ignoredBody = z.unknown().transform(() => undefined);
