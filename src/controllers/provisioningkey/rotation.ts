// Rotation: replacing the key in ZPA (delete, then create) when spec.rotation or the rotate-request
// annotation asks for it. The managed driver carries it out as a replacement; this says whether one is asked. Pure.
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";

export interface RotationRequest {
  /** True when spec.rotation or the rotate annotation asks for a rotation not yet carried out. */
  readonly requested: boolean;
  /** What to record in status once the key in ZPA is a new one. */
  readonly rotation: number;
  readonly rotateRequest: string | undefined;
}

/**
 * Is a rotation asked for? spec.rotation above status.observedRotation, or a rotate-request
 * annotation value other than the one already carried out. A first reconcile has nothing to
 * rotate: the key it creates is new anyway.
 */
export function rotationRequest(pk: Pick<ProvisioningKey, "metadata" | "spec" | "status">): RotationRequest {
  const rotation = pk.spec.rotation;
  const rotateRequest = pk.metadata.annotations?.[annotations.rotateRequest] || undefined;
  const status = pk.status ?? {};
  const byCounter = rotation > (status.observedRotation ?? 0);
  const byAnnotation = rotateRequest !== undefined && rotateRequest !== status.observedRotateRequest;
  return { requested: status.id !== undefined && (byCounter || byAnnotation), rotation, rotateRequest };
}
