// The ProvisioningKey controller's external client (ADR 0013): the managed-resource port for ZPA
// provisioning keys. The controller drives it without knowing ZPA's fields: association types,
// microtenants, groups, certificates and usage are the client's business (vendors/zpa).
import type { ProvisioningKeySpec, ProvisioningKeyStatus } from "../api/v1alpha1/provisioningkey.ts";
import type { ResolvedConnection } from "./connection.ts";
import type { DeepReadonly } from "./deep-readonly.ts";
import type { ExternalClient } from "./managed-resource.ts";
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord } from "./provisioning-keys.ts";

/** The key the spec asks for, with the group and enrollment certificate it names resolved. */
export interface DesiredProvisioningKey {
  readonly key: ProvisioningKeyDesired;
  readonly group: NamedRef;
  readonly enrollmentCertificate: NamedRef;
}

/** What status reports about the key in ZPA. Never the key itself. */
export type ProvisioningKeyReport = Required<
  Pick<ProvisioningKeyStatus, "id" | "name" | "usageCount" | "maxUsage" | "enabled" | "group" | "enrollmentCertificate">
>;

export interface ProvisioningKeyClient extends ExternalClient<DesiredProvisioningKey, ProvisioningKeyRecord> {
  /**
   * The status fields for `observed`. `desired` (just resolved from the spec) names its group and
   * certificate; without it (ObserveOnly) they are looked up by the ids the key carries.
   */
  report(observed: ProvisioningKeyRecord, desired: DesiredProvisioningKey | undefined, signal: AbortSignal): Promise<ProvisioningKeyReport>;
  /** The provisioning key (secret material): for the Secret only, never logged. */
  secretValue(observed: ProvisioningKeyRecord): string;
}

/** The part of a ProvisioningKey that says which key it is and where it lives. */
export interface ProvisioningKeyScope {
  readonly spec: DeepReadonly<Pick<ProvisioningKeySpec, "associationType" | "microtenantId" | "group" | "enrollmentCertificate" | "enabled" | "maxUsage">>;
  /** The key's name in ZPA (spec.name, or the resource's default name). */
  readonly name: string;
}

/** Built per connection and resource (crossplane's Connect). */
export interface ProvisioningKeyClients {
  provisioningKeyClient(connection: ResolvedConnection, scope: ProvisioningKeyScope): ProvisioningKeyClient;
}
