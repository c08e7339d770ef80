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
        name: z.string().min(1).max(255).optional().meta({ description: `Exact name of the ${what}, resolved to its id.` }),
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
    name: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .meta({
        description:
          "Name of the key in ZPA. Default: certbridge.<namespace>.<name>, deterministic so a crashed create is found, not repeated. Required for ObserveOnly.",
      }),
    group: zpaObjectRef("App Connector or Service Edge group (zcomponent) the key enrolls into"),
    enrollmentCertificate: zpaObjectRef("enrollment certificate (one with a private key)")
      .optional()
      .meta({ description: 'Enrollment certificate that signs enrollments. Default: "Connector" or "Service Edge" per associationType.' }),
    maxUsage: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .meta({ description: "How many connectors or service edges may enroll with the key." }),
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
    managementPolicy: z
      .enum(["Manage", "ObserveOnly"])
      .default("Manage")
      .meta({
        description:
          "Manage: create the key and revert drift. ObserveOnly: adopt an existing key by name, only report it and deliver it to the Secret; never write to ZPA.",
      }),
    rotation: withRules(z.number().int().min(0).max(2147483647), [
      { rule: "self >= oldSelf", message: "rotation may only increase" },
    ])
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
  // The key lives in one microtenant; "moving" it would mean an unannounced delete and re-create.
  setOnce("microtenantId", "microtenantId cannot be added, removed or changed after creation"),
]);
export type ProvisioningKeySpec = z.infer<typeof ProvisioningKeySpec>;

const resolvedRef = (what: string) =>
  z
    .object({
      id: zpaId.optional().meta({ description: `ZPA id of the ${what}.` }),
      name: z.string().max(255).optional().meta({ description: `Name of the ${what} in ZPA.` }),
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
    observedRotateRequest: z
      .string()
      .max(256)
      .optional()
      .meta({ description: "The certbridge.dev/rotate-request annotation value already carried out." }),
    secretName: dns1123Subdomain.optional().meta({ description: "The Secret last written (to clean up after spec.secretName changes)." }),
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
