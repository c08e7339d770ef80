// The ProvisioningKey controller's external client over ZPA (ports/managed-provisioning-keys.ts):
// what is ZPA's own about a key is decided here, so the controller never looks at it — the association
// type and microtenant every call is scoped to, resolving the spec's group and enrollment certificate,
// which fields the controller manages, what status reports, and when a key is used up. Built on the
// ProvisioningKeyService port (provisioning-keys.ts), whose behaviour it does not change.
import { zpaMicrotenantOf, type ResolvedConnection } from "../../ports/connection.ts";
import type { Availability, Resolution } from "../../ports/managed-resource.ts";
import type { DesiredProvisioningKey, ProvisioningKeyClient, ProvisioningKeyReport, ProvisioningKeyScope } from "../../ports/managed-provisioning-keys.ts";
import type { NamedRef, ProvisioningKeyDesired, ProvisioningKeyRecord, ProvisioningKeyService } from "../../ports/provisioning-keys.ts";

/** The fields the controller owns in ZPA; anything else (usageCount) is ZPA's. */
export const MANAGED_FIELDS = ["name", "enabled", "maxUsage", "enrollmentCertId", "groupId"] as const;
export type ManagedField = (typeof MANAGED_FIELDS)[number];

/** Managed fields where ZPA differs from the spec; empty means no update is needed. */
export function driftedFields(desired: ProvisioningKeyDesired, observed: ProvisioningKeyRecord): ManagedField[] {
  return MANAGED_FIELDS.filter((f) => desired[f] !== observed[f]);
}

/** A key whose usage reached maxUsage enrolls nothing more. */
export function usageExhausted(k: Pick<ProvisioningKeyRecord, "usageCount" | "maxUsage">): boolean {
  return k.usageCount >= k.maxUsage;
}

/** Ready's reason for a used-up key (api/v1alpha1 conditions: UsageExhausted). */
const USAGE_EXHAUSTED = "UsageExhausted";

const GROUP_WORDS = { CONNECTOR_GRP: "App Connector", SERVICE_EDGE_GRP: "Service Edge" } as const;

type Ref = { readonly id?: string | undefined; readonly name?: string | undefined };

/** The client for one resource's key, through one connection (crossplane's Connect). */
export function zpaProvisioningKeyClient(service: ProvisioningKeyService, connection: ResolvedConnection, scope: ProvisioningKeyScope): ProvisioningKeyClient {
  const spec = scope.spec;
  const type = spec.associationType;
  // The spec's microtenant, else the connection's, else ZPA's Default microtenant.
  const microtenantId = spec.microtenantId ?? zpaMicrotenantOf(connection);

  return {
    async resolve(signal): Promise<Resolution<DesiredProvisioningKey>> {
      // Only Manage resolves (ObserveOnly reports the key's own group and maxUsage); its schema requires both.
      const { group: groupRef, maxUsage } = spec;
      if (groupRef === undefined || maxUsage === undefined)
        return { ok: false, message: "spec.group and spec.maxUsage are required with managementPolicy Manage" };
      const group = await service.resolveGroup(type, refOf(groupRef), microtenantId, signal);
      if (group === undefined) return { ok: false, message: `${GROUP_WORDS[type]} group ${describeRef(groupRef)} does not exist in ZPA` };
      const certRef = spec.enrollmentCertificate === undefined ? undefined : refOf(spec.enrollmentCertificate);
      const enrollmentCertificate = await service.resolveEnrollmentCertificate(type, certRef, signal);
      if (enrollmentCertificate === undefined) {
        const which = spec.enrollmentCertificate ? describeRef(spec.enrollmentCertificate) : `(default for ${type})`;
        return { ok: false, message: `enrollment certificate ${which} does not exist in ZPA or has no private key` };
      }
      const key: ProvisioningKeyDesired = {
        name: scope.name,
        associationType: type,
        enabled: spec.enabled,
        maxUsage,
        enrollmentCertId: enrollmentCertificate.id,
        groupId: group.id,
        ...(microtenantId === undefined ? {} : { microtenantId }),
      };
      return { ok: true, desired: { key, group, enrollmentCertificate } };
    },
    get: (id, signal) => service.get(type, id, microtenantId, signal),
    find: (name, signal) => service.findByName(type, name, microtenantId, signal),
    diff: (desired, observed) => driftedFields(desired.key, observed),
    create: (desired, signal) => service.create(desired.key, signal),
    async update(observed, desired, signal) {
      await service.update(observed.id, desired.key, signal);
      // ZPA answers an update with no body: the key is now the desired fields on ZPA's own id, value and usage.
      return { ...observed, ...desired.key, id: observed.id, value: observed.value, usageCount: observed.usageCount };
    },
    delete: (id, signal) => service.delete(type, id, microtenantId, signal),
    availability(k): Availability {
      if (usageExhausted(k))
        return {
          usable: false,
          reason: USAGE_EXHAUSTED,
          message: `usageCount ${k.usageCount} has reached maxUsage ${k.maxUsage}: no more enrollments with this key; raise maxUsage or rotate`,
        };
      return k.enabled ? { usable: true } : { usable: true, note: "the key is disabled in ZPA" };
    },
    async report(k, desired, signal): Promise<ProvisioningKeyReport> {
      const group: NamedRef | undefined = desired?.group ?? (await service.resolveGroup(type, { id: k.groupId }, microtenantId, signal));
      const cert: NamedRef | undefined =
        desired?.enrollmentCertificate ?? (await service.resolveEnrollmentCertificate(type, { id: k.enrollmentCertId }, signal));
      return {
        id: k.id,
        name: k.name,
        usageCount: k.usageCount,
        maxUsage: k.maxUsage,
        enabled: k.enabled,
        group: group ?? { id: k.groupId },
        enrollmentCertificate: cert ?? { id: k.enrollmentCertId },
      };
    },
    secretValue: (k) => k.value,
    absent: (name) => `no ${type} provisioning key named ${name} exists in ZPA to observe`,
  };
}

function refOf(ref: Ref): { id?: string; name?: string } {
  return { ...(ref.id === undefined ? {} : { id: ref.id }), ...(ref.name === undefined ? {} : { name: ref.name }) };
}

function describeRef(ref: Ref): string {
  return ref.id !== undefined ? `id ${ref.id}` : `"${ref.name ?? ""}"`;
}
