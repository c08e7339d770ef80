// ProvisioningKey: a ZPA provisioning key for App Connector or Service Edge groups, managed
// declaratively and delivered into a Secret (issue 5).
import { z } from "zod";
import {
  Conditions,
  ConnectionReference,
  dns1123Subdomain,
  exactlyOne,
  immutable,
  ObjectMeta,
  observedGeneration,
  secretDataKey,
  SecretTemplate,
  setOnce,
  timestamp,
  withRules,
  zpaId,
} from "./common.ts";
import { API_VERSION } from "./group.ts";

/**
 * ZPA's own identifiers (path segment of the API, names in the ZPA console and Terraform) are kept
 * verbatim rather than renamed, so they can be looked up in vendor docs as they are.
 */
export const AssociationType = z.enum(["CONNECTOR_GRP", "SERVICE_EDGE_GRP"]);
export type AssociationType = z.infer<typeof AssociationType>;

/**
 * The characters CEL's `trim()` removes (Go's `unicode.IsSpace`): the ASCII blanks, NEL, NBSP and the
 * Unicode space separators. The zod check uses exactly this set, so the API server and the operator
 * agree on which names are refused.
 */
const BLANK = "[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
const EDGE_BLANKS = new RegExp(`^${BLANK}+|${BLANK}+$`, "g");

/**
 * A ZPA key name as certbridge compares it: without leading or trailing blanks. ZPA stores names
 * verbatim, but its search trims the value it is given, so " edge" and "edge" are one name to every
 * lookup; treating them as one is the only way a lookup cannot miss a key and create a duplicate.
 */
export function normalizeKeyName(name: string): string {
  return name.replace(EDGE_BLANKS, "");
}

/** The enrollment certificate used when spec.enrollmentCertificate is unset (ZPA's default names). */
export const DEFAULT_ENROLLMENT_CERTIFICATE = { CONNECTOR_GRP: "Connector", SERVICE_EDGE_GRP: "Service Edge" } as const satisfies Record<
  AssociationType,
  string
>;

function zpaObjectRef(what: string) {
  return withRules(
    z
      .object({
        id: zpaId.optional().meta({ description: `ZPA id of the ${what}.` }),
        name: z
          .string()
          .min(1)
          .max(255)
          .optional()
          .meta({ description: `Exact name of the ${what}, resolved to its id.` }),
      })
      .meta({ description: `The ${what}, by id or by name.` }),
    [exactlyOne(["id", "name"], `set exactly one of id and name for the ${what}`)],
  );
}

const ProvisioningKeySpecBase = z
  .object({
    connectionRef: ConnectionReference.meta({ description: "The ZPA connection that owns the key." }),
    associationType: immutable(
      AssociationType,
      "associationType cannot change: a ZPA key exists only under its association type; create a new ProvisioningKey",
    ).meta({ description: "CONNECTOR_GRP (App Connector group) or SERVICE_EDGE_GRP (Private Service Edge group)." }),
    name: withRules(z.string().min(1).max(255), [
      {
        rule: "self == self.trim()",
        message: "name must not begin or end with blanks: ZPA's search trims them, so such a key could not be found again",
        check: (s) => normalizeKeyName(s) === s,
      },
    ])
      .optional()
      .meta({
        description:
          "Name of the key in ZPA (no leading or trailing blanks). Default: certbridge.<namespace>.<name>, deterministic so a crashed create is found, not repeated; names of the form certbridge.<other namespace>.… are reserved for that namespace. Required for ObserveOnly.",
      }),
    group: zpaObjectRef("App Connector or Service Edge group (zcomponent) the key enrolls into").optional().meta({
      description:
        "The App Connector or Service Edge group (zcomponent) the key enrolls into, by id or by name. Required for Manage; ObserveOnly reports the key's own.",
    }),
    enrollmentCertificate: zpaObjectRef("enrollment certificate (one with a private key)")
      .optional()
      .meta({ description: 'Enrollment certificate that signs enrollments. Default: "Connector" or "Service Edge" per associationType.' }),
    maxUsage: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .optional()
      .meta({ description: "How many connectors or service edges may enroll with the key. Required for Manage; ObserveOnly reports the key's own." }),
    enabled: z.boolean().default(true).meta({ description: "Whether the key may be used to enroll." }),
    microtenantId: zpaId.optional().meta({
      description: "Microtenant of the key; unset means the connection's, else the Default microtenant. Cannot change after creation.",
    }),
    secretName: dns1123Subdomain.meta({ description: "Secret (in this namespace) the key is written to; never one the operator does not own." }),
    secretKey: secretDataKey.default("provisioningKey").meta({ description: "Key within the Secret's data holding the provisioning key." }),
    secretTemplate: SecretTemplate.optional(),
    deletionPolicy: z
      .enum(["Delete", "Orphan"])
      .default("Delete")
      .meta({ description: "On deletion of this resource: Delete the key in ZPA, or Orphan it (leave it in ZPA)." }),
    managementPolicy: z.enum(["Manage", "ObserveOnly"]).default("Manage").meta({
      description:
        "Manage: create the key and revert drift. ObserveOnly: adopt an existing key by name, only report it and deliver it to the Secret; never write to ZPA.",
    }),
    adopt: z.boolean().default(false).meta({
      description:
        "Manage: take over a key that already exists in ZPA under this name but was not created by this resource. Also needs the connection's permission: always for a VendorConnection, per spec.adoption for a ClusterVendorConnection. Without it such a key is left alone (AdoptionNotAllowed).",
    }),
    rotation: withRules(z.number().int().min(0).max(2147483647), [{ rule: "self >= oldSelf", message: "rotation may only increase" }])
      .default(0)
      .meta({ description: "Increase to rotate: the key is deleted and re-created in ZPA, then the Secret updated." }),
  })
  .meta({ description: "The provisioning key wanted in ZPA and the Secret to deliver it to." });

export const ProvisioningKeySpec = withRules(ProvisioningKeySpecBase, [
  {
    rule: "self.managementPolicy != 'ObserveOnly' || has(self.name)",
    message: "name is required with managementPolicy ObserveOnly (it names the existing key to adopt)",
    fieldPath: ".name",
    check: (s) => s.managementPolicy !== "ObserveOnly" || s.name !== undefined,
  },
  {
    // ObserveOnly never writes ZPA: a group or maxUsage it would ignore need not be invented.
    rule: "self.managementPolicy == 'ObserveOnly' || has(self.group)",
    message: "group is required with managementPolicy Manage (the key is created in it)",
    fieldPath: ".group",
    check: (s) => s.managementPolicy === "ObserveOnly" || s.group !== undefined,
  },
  {
    rule: "self.managementPolicy == 'ObserveOnly' || has(self.maxUsage)",
    message: "maxUsage is required with managementPolicy Manage",
    fieldPath: ".maxUsage",
    check: (s) => s.managementPolicy === "ObserveOnly" || s.maxUsage !== undefined,
  },
  // The key lives in one microtenant; "moving" it would mean an unannounced delete and re-create.
  setOnce("microtenantId", "microtenantId cannot be added, removed or changed after creation"),
]);
export type ProvisioningKeySpec = z.infer<typeof ProvisioningKeySpec>;

const resolvedRef = (what: string) =>
  z
    .object({
      id: zpaId.optional().meta({ description: `ZPA id of the ${what}.` }),
      name: z
        .string()
        .max(255)
        .optional()
        .meta({ description: `Name of the ${what} in ZPA.` }),
    })
    .meta({ description: `The ${what} as resolved in ZPA.` });

export const ProvisioningKeyStatus = z
  .object({
    conditions: Conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    id: zpaId.optional().meta({ description: "ZPA id of the key." }),
    name: z.string().max(255).optional().meta({ description: "Name of the key in ZPA." }),
    usageCount: z.number().int().min(0).optional().meta({ description: "How many enrollments have used the key." }),
    maxUsage: z.number().int().min(0).optional().meta({ description: "The key's maxUsage in ZPA." }),
    enabled: z.boolean().optional().meta({ description: "Whether the key is enabled in ZPA." }),
    group: resolvedRef("group").optional(),
    enrollmentCertificate: resolvedRef("enrollment certificate").optional(),
    lastSyncTime: timestamp.optional().meta({ description: "When the key was last observed in ZPA." }),
    observedRotation: z.number().int().min(0).optional().meta({ description: "The spec.rotation value already carried out." }),
    observedRotateRequest: z.string().max(256).optional().meta({ description: "The certbridge.dev/rotate-request annotation value already carried out." }),
    observedObserveRequest: z
      .string()
      .max(256)
      .optional()
      .meta({ description: "The certbridge.dev/observe-request annotation value already acted on (the key was looked at in ZPA)." }),
    secretName: dns1123Subdomain.optional().meta({ description: "The Secret last written (to clean up after spec.secretName changes)." }),
    createIntent: z
      .object({
        name: z.string().max(255).meta({ description: "Name of the key about to be created." }),
        since: timestamp.meta({ description: "When the first create for it was about to be sent." }),
      })
      .optional()
      .meta({
        description:
          "Written before a create is sent and cleared once the key is recorded: after a crash, a key found under this name and made in this window is this resource's own, not a pre-existing one.",
      }),
  })
  .meta({ description: "Observed state of the key in ZPA." });
export type ProvisioningKeyStatus = z.infer<typeof ProvisioningKeyStatus>;

export const ProvisioningKey = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("ProvisioningKey"),
  metadata: ObjectMeta,
  spec: ProvisioningKeySpec,
  status: ProvisioningKeyStatus.optional(),
});
export type ProvisioningKey = z.infer<typeof ProvisioningKey>;
