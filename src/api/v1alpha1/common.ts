// Building blocks shared by every kind: Kubernetes-shaped references, selectors, conditions, and the
// one mechanism that attaches CEL rules (x-kubernetes-validations) to a zod schema so the API server
// and the operator enforce the same rule from one declaration.
import { isIP } from "node:net";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------
// CEL rules

/** The `reason` values the API server accepts on an x-kubernetes-validations rule. */
export type CelReason = "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";

export interface CelRule<T> {
  /** CEL evaluated by the API server; `self` is the value of the schema the rule is attached to. */
  readonly rule: string;
  /** Sentence shown to the user by both the API server and the operator's `InvalidSpec` condition. */
  readonly message: string;
  readonly reason?: CelReason;
  /** JSONPath-ish (".a.b") relative to `self`; also where the zod twin reports its issue. */
  readonly fieldPath?: string;
  /**
   * The same rule evaluated by zod on parse. Omitted only for transition rules (they read `oldSelf`,
   * which only the API server has) — those cannot be checked on a single object.
   */
  readonly check?: (self: T) => boolean;
}

const VALIDATIONS = "x-kubernetes-validations";

type Meta = Record<string, unknown>;

function metaOf(schema: z.ZodType): Meta {
  return (schema.meta() as Meta | undefined) ?? {};
}

function fieldPathToZodPath(fieldPath: string | undefined): PropertyKey[] {
  if (fieldPath === undefined) return [];
  return fieldPath.split(".").filter((part) => part !== "");
}

/**
 * Attaches CEL rules to a schema: they land in the generated CRD as `x-kubernetes-validations`, and
 * every rule with a `check` is also enforced by zod, reporting at the rule's `fieldPath`.
 */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CelRule<z.output<S>>[]): S {
  const previous = metaOf(schema);
  const existing = (previous[VALIDATIONS] as unknown[] | undefined) ?? [];
  const cel = rules.map(({ rule, message, reason, fieldPath }) => ({
    rule,
    message,
    ...(reason === undefined ? {} : { reason }),
    ...(fieldPath === undefined ? {} : { fieldPath }),
  }));
  const checked = rules.filter((r) => r.check !== undefined);
  const refined =
    checked.length === 0
      ? schema
      : (schema.superRefine((value, ctx) => {
          for (const r of checked) {
            if (!r.check!(value as z.output<S>)) {
              ctx.addIssue({ code: "custom", message: r.message, path: fieldPathToZodPath(r.fieldPath) });
            }
          }
        }) as unknown as S);
  return refined.meta({ ...previous, [VALIDATIONS]: [...existing, ...cel] }) as S;
}

/** A field that may not change once set (`self == oldSelf`, checked by the API server on update). */
export function immutable<S extends z.ZodType>(schema: S, message: string): S {
  return withRules(schema, [{ rule: "self == oldSelf", message }]);
}

/**
 * An optional field that may be neither added nor removed after creation, nor changed. Attach to the
 * parent object: a field-level `self == oldSelf` does not run when the field appears or disappears.
 */
export function setOnce<T>(field: string, message: string): CelRule<T> {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message,
    fieldPath: `.${field}`,
  };
}

/** Exactly one of the named optional fields is set. */
export function exactlyOne<T extends object>(fields: readonly string[], message: string): CelRule<T> {
  const terms = fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(" + ");
  return {
    rule: `${terms} == 1`,
    message,
    check: (self) => fields.filter((f) => (self as Record<string, unknown>)[f] !== undefined).length === 1,
  };
}

// ---------------------------------------------------------------------------------------------------
// Strings and names

/** RFC 1123 subdomain: what Kubernetes accepts as a Secret or object name. */
export const dns1123Subdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
export const dns1123Label = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** A key inside a Secret's `data`. */
export const secretDataKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/);

/** ZPA ids are 64-bit decimals (above 2^53), so they stay strings end to end. */
export const zpaId = z
  .string()
  .min(1)
  .max(20)
  .regex(/^[0-9]+$/);

/** An http(s) URL (vendor endpoints, proxies, token endpoints). */
export const httpUrl = withRules(z.url({ protocol: /^https?$/ }).max(2048), [
  { rule: "isURL(self) && url(self).getScheme() in ['http', 'https']", message: "must be an http or https URL" },
]);

/** A DNS name as it appears in a certificate SAN: lower-case, optionally one leading wildcard label. */
export const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);

/** An IPv4 or IPv6 address in its textual form. */
export const ipAddress = withRules(
  z
    .string()
    .min(2)
    .max(45)
    .refine((v) => isIP(v) !== 0, { message: "must be an IPv4 or IPv6 address" }),
  [{ rule: "isIP(self)", message: "must be an IPv4 or IPv6 address" }],
);

/** RFC 3339 timestamp as `metav1.Time` serialises it. */
export const timestamp = z.iso.datetime({ offset: true }).max(64);

// ---------------------------------------------------------------------------------------------------
// Durations (Go `time.ParseDuration` syntax, the same one CEL's `duration()` and metav1.Duration use)

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;
const DURATION_WHOLE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go-style duration ("2160h", "1h30m"); undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

export const duration = withRules(
  z.string().min(2).max(32).regex(DURATION_WHOLE, { message: 'must be a duration such as "2160h" or "90m" (units h, m, s, ms)' }),
  [{ rule: "duration(self) > duration('0s')", message: "must be a positive duration", check: (v) => (parseDuration(v) ?? 0) > 0 }],
);

// ---------------------------------------------------------------------------------------------------
// Maps

/** A string→string map with a bounded size (CEL cost estimation needs the bound). */
export function stringMap(maxProperties: number, description: string) {
  return z
    .record(z.string().min(1).max(317), z.string().max(4096))
    .refine((v) => Object.keys(v).length <= maxProperties, { message: `must have at most ${maxProperties} entries` })
    .meta({ description, maxProperties });
}

// ---------------------------------------------------------------------------------------------------
// References

export const LocalObjectReference = z
  .object({
    name: dns1123Subdomain.meta({ description: "Name of the referent in the same namespace." }),
  })
  .meta({ description: "A reference to an object in the same namespace." });
export type LocalObjectReference = z.infer<typeof LocalObjectReference>;

export const SecretKeySelector = z
  .object({
    name: dns1123Subdomain.meta({ description: "Name of the Secret in the same namespace as the referring object." }),
    key: secretDataKey.meta({ description: "Key within the Secret's data." }),
  })
  .meta({ description: "A key of a Secret in the same namespace." });
export type SecretKeySelector = z.infer<typeof SecretKeySelector>;

/** Which connection a resource uses: one in its own namespace, or a cluster-scoped one. */
export const ConnectionKind = z
  .enum(["VendorConnection", "ClusterVendorConnection"])
  .meta({ description: "VendorConnection (same namespace) or ClusterVendorConnection (cluster-scoped)." });
export type ConnectionKind = z.infer<typeof ConnectionKind>;

export const ConnectionReference = z
  .object({
    kind: ConnectionKind.default("VendorConnection").meta({
      description:
        "Kind of the connection: VendorConnection in the resource's own namespace, or a ClusterVendorConnection whose namespaceSelector admits the resource's namespace.",
    }),
    name: dns1123Subdomain.meta({ description: "Name of the connection." }),
  })
  .meta({ description: "The connection (vendor endpoint and credentials) used to talk to the vendor." });
export type ConnectionReference = z.infer<typeof ConnectionReference>;

export const SecretTemplate = z
  .object({
    labels: stringMap(64, "Labels copied onto the Secret (in addition to the operator's own).").optional(),
    annotations: stringMap(64, "Annotations copied onto the Secret (in addition to the operator's own).").optional(),
  })
  .meta({ description: "Labels and annotations the operator puts on the Secret it writes." });
export type SecretTemplate = z.infer<typeof SecretTemplate>;

// ---------------------------------------------------------------------------------------------------
// Label selector (metav1.LabelSelector)

export const LabelSelectorRequirement = withRules(
  z
    .object({
      key: z.string().min(1).max(317).meta({ description: "The label key the requirement applies to." }),
      operator: z
        .enum(["In", "NotIn", "Exists", "DoesNotExist"])
        .meta({ description: "How the key relates to the values: In, NotIn, Exists or DoesNotExist." }),
      values: z
        .array(z.string().max(63))
        .max(64)
        .optional()
        .meta({ description: "Values for In and NotIn (non-empty); must be empty for Exists and DoesNotExist." }),
    })
    .meta({ description: "A label requirement: a key, an operator and values." }),
  [
    {
      rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
      message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
      check: (r) => (r.operator === "In" || r.operator === "NotIn" ? (r.values?.length ?? 0) > 0 : (r.values?.length ?? 0) === 0),
    },
  ],
);

export const LabelSelector = z
  .object({
    matchLabels: stringMap(64, "Labels that must all match exactly (ANDed with matchExpressions).").optional(),
    matchExpressions: z.array(LabelSelectorRequirement).max(32).optional().meta({ description: "Label requirements, all of which must hold." }),
  })
  .meta({ description: "A Kubernetes label selector; an empty selector matches everything." });
export type LabelSelector = z.infer<typeof LabelSelector>;

/** Does a label set satisfy a selector? (Kubernetes semantics: empty selector matches all.) */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(value!)) return false;
        break;
      case "NotIn":
        if (has && values.includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Conditions (metav1.Condition)

export const Condition = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .meta({ description: "Type of the condition, in CamelCase (Ready, Issuing, Synced, Published)." }),
    status: z.enum(["True", "False", "Unknown"]).meta({ description: "Status of the condition: True, False or Unknown." }),
    observedGeneration: z.number().int().min(0).optional().meta({ description: "The .metadata.generation the condition was computed from." }),
    lastTransitionTime: timestamp.meta({ description: "When the status last changed (not when the condition was last written)." }),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .meta({ description: "Machine-readable CamelCase reason for the last transition." }),
    message: z.string().max(32768).meta({ description: "Human-readable sentence explaining the condition." }),
  })
  .meta({ description: "The state of one aspect of the resource." });
export type Condition = z.infer<typeof Condition>;

export const Conditions = z
  .array(Condition)
  .max(16)
  .meta({
    description: "Current state of the resource as conditions; Ready summarises it.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  });

export const observedGeneration = z.number().int().min(0).meta({ description: "The .metadata.generation the operator last acted on." });

// ---------------------------------------------------------------------------------------------------
// Object metadata: enough of metav1.ObjectMeta for the operator; unknown fields pass through.

export const ObjectMeta = z.looseObject({
  name: z.string().max(253).optional(),
  generateName: z.string().max(253).optional(),
  namespace: z.string().max(63).optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string() })).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** Non-empty unique items (for `x-kubernetes-list-type: set` lists, whose duplicates the API server rejects). */
export function uniqueSet<S extends z.ZodType<string>>(item: S, maxItems: number, description: string) {
  return z
    .array(item)
    .min(1)
    .max(maxItems)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
    .meta({ description, "x-kubernetes-list-type": "set" });
}
