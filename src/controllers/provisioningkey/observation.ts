// An observation asked for with the certbridge.dev/observe-request annotation: look at the key in ZPA
// now (usage, existence, drift) instead of at the next drift check. Like renew-request and
// rotate-request: any new value asks once, and status.observedObserveRequest acknowledges it after a
// sync that looked. Pure.
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";

export interface ObservationRequest {
  /** A value not yet acted on. */
  readonly requested: boolean;
  /** The annotation's value now: recorded in status once ZPA was looked at. */
  readonly value: string | undefined;
}

export function observationRequest(pk: Pick<ProvisioningKey, "metadata" | "status">): ObservationRequest {
  const value = pk.metadata.annotations?.[annotations.observeRequest] || undefined;
  return { requested: value !== undefined && value !== pk.status?.observedObserveRequest, value };
}
