// The Secret a ProvisioningKey delivers: one data key holding the provisioning key, owner labels, a
// content hash and the ZPA id of the key it holds.
import { annotations, type ProvisioningKeySpec } from "../../api/v1alpha1/index.ts";
import { buildOwnedSecret, classifySecret, dataHashOf, dataKeysOf, hasDataValue, type Secret, type SecretOwner } from "../shared/owned-secret.ts";

export const SECRET_TYPE = "Opaque";

export function desiredSecret(
  owner: SecretOwner,
  spec: Pick<ProvisioningKeySpec, "secretName" | "secretKey" | "secretTemplate">,
  key: { id: string; value: string },
): Secret {
  return buildOwnedSecret(owner, {
    name: spec.secretName,
    type: SECRET_TYPE,
    data: { [spec.secretKey]: Buffer.from(key.value, "utf8").toString("base64") },
    ...(spec.secretTemplate === undefined ? {} : { template: spec.secretTemplate }),
    extraAnnotations: { [annotations.vendorRef]: key.id },
    ownerReference: true,
  });
}

/**
 * Can the Secret be trusted without asking ZPA for the key value? It must be ours, hold exactly the
 * one data key, name the key recorded in status, and its data must still match the content hash we
 * wrote (an edit of the data shows as a mismatch). Anything else is repaired from ZPA; a change that
 * also forges the hash is caught by the next drift check, which compares the value itself.
 */
export function secretIntact(
  secret: Secret | undefined,
  owner: SecretOwner,
  spec: Pick<ProvisioningKeySpec, "secretKey">,
  recordedId: string | undefined,
): boolean {
  if (secret === undefined || recordedId === undefined || classifySecret(secret, owner) !== "ours") return false;
  // From the data, or from the digest the owned-Secret cache keeps instead (the key value is never cached).
  const keys = dataKeysOf(secret);
  if (keys.length !== 1 || keys[0] !== spec.secretKey || !hasDataValue(secret, spec.secretKey)) return false;
  const a = secret.metadata.annotations ?? {};
  return a[annotations.vendorRef] === recordedId && a[annotations.contentHash] === dataHashOf(secret);
}
