/** What "the same ZPA key name" means on both sides of this port (blanks at either end ignored). */
export { normalizeKeyName } from "../api/v1alpha1/provisioningkey.ts";

/** A ZPA provisioning key as the controller sees it. `value` is secret material: never log it. */
export interface ProvisioningKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly associationType: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP";
  readonly value: string;
  readonly enabled: boolean;
  readonly maxUsage: number;
  readonly usageCount: number;
  readonly enrollmentCertId: string;
  readonly groupId: string;
  readonly microtenantId?: string;
  /** When ZPA made the key (epoch ms), when it says; tells a key we just created from an older one. */
  readonly createdAt?: number;
}

export interface ProvisioningKeyDesired {
  readonly name: string;
  readonly associationType: "CONNECTOR_GRP" | "SERVICE_EDGE_GRP";
  readonly enabled: boolean;
  readonly maxUsage: number;
  readonly enrollmentCertId: string;
  readonly groupId: string;
  readonly microtenantId?: string;
}

export interface NamedRef {
  readonly id: string;
  readonly name: string;
}

/** ZPA provisioning keys and the lookups they need. Throws VendorError; delete of a missing key is success. */
export interface ProvisioningKeyService {
  /**
   * The key whose name equals `name` once leading and trailing blanks are ignored on both sides
   * (`normalizeKeyName`), after reading every page: ZPA stores names verbatim but trims search values,
   * so a server-side match alone can miss " name". An exact match wins over a blank-padded one; among
   * several padded ones, the lowest id (the same answer every time).
   */
  findByName(
    type: ProvisioningKeyDesired["associationType"],
    name: string,
    microtenantId: string | undefined,
    signal: AbortSignal,
  ): Promise<ProvisioningKeyRecord | undefined>;
  get(
    type: ProvisioningKeyDesired["associationType"],
    id: string,
    microtenantId: string | undefined,
    signal: AbortSignal,
  ): Promise<ProvisioningKeyRecord | undefined>;
  create(desired: ProvisioningKeyDesired, signal: AbortSignal): Promise<ProvisioningKeyRecord>;
  update(id: string, desired: ProvisioningKeyDesired, signal: AbortSignal): Promise<void>;
  delete(type: ProvisioningKeyDesired["associationType"], id: string, microtenantId: string | undefined, signal: AbortSignal): Promise<void>;
  /** Resolves a group by id or name (cached by the adapter). */
  resolveGroup(
    type: ProvisioningKeyDesired["associationType"],
    ref: { id?: string; name?: string },
    microtenantId: string | undefined,
    signal: AbortSignal,
  ): Promise<NamedRef | undefined>;
  /** Resolves an enrollment certificate that has a private key, by id or name, or the default for the type. */
  resolveEnrollmentCertificate(
    type: ProvisioningKeyDesired["associationType"],
    ref: { id?: string; name?: string } | undefined,
    signal: AbortSignal,
  ): Promise<NamedRef | undefined>;
}

/** ZPA browser-access certificates, for ManagedCertificate spec.publish.zpa. */
export interface BrowserCertificateStore {
  upload(
    input: { name: string; description?: string; certificatePem: string; privateKeyPem: string; microtenantId?: string },
    signal: AbortSignal,
  ): Promise<NamedRef>;
  findByName(name: string, microtenantId: string | undefined, signal: AbortSignal): Promise<NamedRef | undefined>;
  delete(id: string, microtenantId: string | undefined, signal: AbortSignal): Promise<void>;
}
