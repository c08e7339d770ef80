// Everything `status` shows, read from the API server in one pass: the resource, its connection, its
// Secrets, its Events and (for the issuance budget) the certificates that share its connection. Secret
// values never leave this module: a Secret becomes its labels, annotations, key names and a hash.
import { keySecretNameOf } from "../../../api/v1alpha1/managedcertificate.ts";
import type { KindName } from "../../../api/v1alpha1/group.ts";
import { resourceTypes } from "../../../api/v1alpha1/group.ts";
import { contentHash } from "../../../controllers/shared/owned-secret.ts";
import type { KubeClient } from "../../../runtime/kube/client.ts";
import { isForbidden } from "../../../runtime/kube/errors.ts";
import { core } from "../../../runtime/kube/resource.ts";
import { getOptional } from "../kube.ts";
import { kindOf } from "../kinds.ts";
import type { CertificateObject, ConnectionObject, ConnectionRef, EventObject, KeyObject, ResourceObject, SecretObject } from "../objects.ts";

/** A Secret as far as the CLI may know it: no values. */
export interface SecretFacts {
  readonly name: string;
  readonly namespace: string;
  readonly present: boolean;
  readonly type?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly dataKeys?: readonly string[];
  /** sha256 of the data as the operator computes it (to check the content-hash annotation). */
  readonly computedHash?: string;
  /** Why it could not be read (e.g. access refused). */
  readonly error?: string;
}

export interface ConnectionLookup {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
  readonly namespace?: string;
  readonly object?: ConnectionObject;
  readonly error?: string;
}

export interface Gathered {
  readonly kind: KindName;
  readonly object: ResourceObject;
  readonly connection?: ConnectionLookup;
  readonly secret?: SecretFacts;
  readonly keySecret?: SecretFacts;
  readonly credentials?: SecretFacts;
  readonly events: readonly EventObject[];
  /** Certificates through the same connection (the budget is per connection); undefined when they could not be listed. */
  readonly peers?: readonly CertificateObject[];
}

const reason = (error: unknown): string => (isForbidden(error) ? "access refused" : error instanceof Error ? error.message : String(error));

/** `hash`: also the content hash (for the Secrets the operator writes; never for credentials). */
async function secretFacts(client: KubeClient, namespace: string, name: string, hash = true): Promise<SecretFacts> {
  try {
    const s = await getOptional<SecretObject>(client, core.secrets, namespace, name);
    if (s === undefined) return { name, namespace, present: false };
    const data = s.data ?? {};
    return {
      name,
      namespace,
      present: true,
      ...(s.type ? { type: s.type } : {}),
      labels: s.metadata.labels ?? {},
      annotations: s.metadata.annotations ?? {},
      dataKeys: Object.keys(data).sort(),
      ...(hash ? { computedHash: contentHash(data) } : {}),
    };
  } catch (error) {
    return { name, namespace, present: false, error: reason(error) };
  }
}

async function connectionOf(client: KubeClient, ref: ConnectionRef | undefined, namespace: string | undefined): Promise<ConnectionLookup | undefined> {
  if (ref?.name === undefined) return undefined;
  const kind = ref.kind ?? "VendorConnection";
  const type = kind === "ClusterVendorConnection" ? resourceTypes.clusterVendorConnections : resourceTypes.vendorConnections;
  const ns = kind === "ClusterVendorConnection" ? undefined : namespace;
  try {
    const object = await getOptional<ConnectionObject>(client, type, ns, ref.name);
    return { kind, name: ref.name, ...(ns ? { namespace: ns } : {}), ...(object ? { object } : {}) };
  } catch (error) {
    return { kind, name: ref.name, ...(ns ? { namespace: ns } : {}), error: reason(error) };
  }
}

/** The Events about `object` (by UID), newest first. Cluster-scoped objects' Events are in "default", where the operator writes them. */
async function eventsOf(client: KubeClient, object: ResourceObject): Promise<EventObject[]> {
  const namespace = object.metadata.namespace ?? "default";
  const uid = object.metadata.uid;
  try {
    const { items } = await client.listAll<EventObject>(core.events, { namespace, fieldSelector: `regarding.name=${object.metadata.name ?? ""}` });
    return items.filter((e) => e.regarding?.uid === uid);
  } catch {
    return []; // Events are a courtesy: no permission or an API server without the field selector shows none.
  }
}

const sameConnection = (a: ConnectionRef | undefined, b: ConnectionLookup): boolean => a?.name === b.name && (a.kind ?? "VendorConnection") === b.kind;

async function peersOf(client: KubeClient, connection: ConnectionLookup): Promise<CertificateObject[] | undefined> {
  try {
    const { items } = await client.listAll<CertificateObject>(
      resourceTypes.managedCertificates,
      connection.namespace ? { namespace: connection.namespace } : {},
    );
    return items.filter((mc) => sameConnection(mc.spec?.connectionRef, connection));
  } catch {
    return undefined;
  }
}

/** The resource and what its status screen needs, or undefined when it does not exist. */
export async function gather(client: KubeClient, kind: KindName, namespace: string, name: string): Promise<Gathered | undefined> {
  const type = kindOf(kind).type;
  const object = await getOptional<ResourceObject>(client, type, type.namespaced ? namespace : undefined, name);
  if (object === undefined) return undefined;
  const ns = object.metadata.namespace ?? namespace;
  const events = eventsOf(client, object);
  switch (kind) {
    case "ManagedCertificate": {
      const mc = object as CertificateObject;
      const connection = await connectionOf(client, mc.spec?.connectionRef, ns);
      const [secret, keySecret, peers] = await Promise.all([
        mc.spec?.secretName ? secretFacts(client, ns, mc.spec.secretName) : undefined,
        secretFacts(client, ns, keySecretNameOf(name)),
        connection?.object ? peersOf(client, connection) : undefined,
      ]);
      return { kind, object, events: await events, ...opt({ connection, secret, keySecret, peers }) };
    }
    case "ProvisioningKey": {
      const pk = object as KeyObject;
      const [connection, secret] = await Promise.all([
        connectionOf(client, pk.spec?.connectionRef, ns),
        pk.spec?.secretName ? secretFacts(client, ns, pk.spec.secretName) : undefined,
      ]);
      return { kind, object, events: await events, ...opt({ connection, secret }) };
    }
    case "VendorConnection":
    case "ClusterVendorConnection": {
      const conn = object as ConnectionObject;
      const ref = conn.spec?.credentialsRef;
      const self: ConnectionLookup = { kind, name, ...(type.namespaced ? { namespace: ns } : {}), object: conn };
      const certificateVendor = conn.spec?.sectigo !== undefined || conn.spec?.cloudflare !== undefined;
      const [credentials, peers] = await Promise.all([
        ref ? secretFacts(client, ref.namespace ?? ns, ref.name, false) : undefined,
        certificateVendor ? peersOf(client, self) : undefined,
      ]);
      return { kind, object, events: await events, ...opt({ credentials, peers }) };
    }
    default: {
      // Issuers (and kinds added later): their conditions, their connection and their Events.
      const ref = (object as { spec?: { connectionRef?: ConnectionRef } }).spec?.connectionRef;
      const connection = await connectionOf(client, ref, type.namespaced ? ns : undefined);
      return { kind, object, events: await events, ...opt({ connection }) };
    }
  }
}

/** Drops undefined members (exactOptionalPropertyTypes-friendly spreading). */
function opt<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
