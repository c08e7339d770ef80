// Builders for what a scenario puts in the cluster, and the user actions a schedule interleaves.
// A user action changes the Kubernetes model directly (it is not the operator's call, so it never
// faults) and says what it did for the trace.
import { annotations, resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import { keySecretName } from "../../../src/controllers/managedcertificate/keys.ts";
import { core, type KubeObject } from "../../../src/runtime/kube/resource.ts";
import type { Expectations } from "../invariants.ts";
import type { Rng } from "../rng.ts";
import { credentialData, IN_USE_FINALIZER } from "../operator/connections.ts";
import { OPERATOR_NAMESPACE } from "../operator/process.ts";
import { USER, type World } from "../world.ts";

export type Vendor = "cloudflare" | "sectigo" | "zpa";

export interface UserAction {
  readonly name: string;
  /** Applies the action; returns what it did, or undefined when it had nothing to act on. */
  readonly run: (world: World, rng: Rng) => string | undefined;
}

export interface Family {
  /** Stable number: seeds of this family are id × 1,000,000 + n, so a seed alone names its family. Never reuse one. */
  readonly id: number;
  readonly name: string;
  readonly description: string;
  /** Puts namespaces, connections, credentials and resources in place; configures the vendors. */
  readonly setup: (world: World, rng: Rng) => void;
  /** Actions drawn for the fault phase, with weights. */
  readonly actions: ReadonlyArray<readonly [UserAction, number]>;
  /** How many user actions a schedule draws: [min, max]. */
  readonly actionCount: readonly [number, number];
  /** What the end state should be, where it is not "every resource Ready". */
  readonly expect?: Expectations;
  /** Invariants of this family alone, checked with the others. */
  readonly check?: (world: World) => void;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export function namespace(w: World, name: string, labels: Record<string, string> = {}): void {
  if (w.model.peek(core.namespaces, undefined, name) !== undefined) return;
  w.model.create(core.namespaces, { metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } }, USER, "kubectl");
}

/** A credentials Secret: the credential keys of the vendor, each naming the tenant the models serve. */
export function credentials(w: World, ns: string, name: string, vendor: Vendor, tenant: string): void {
  const data = Object.fromEntries(Object.entries(credentialData(vendor, tenant)).map(([k, v]) => [k, b64(v)]));
  w.model.create(core.secrets, { metadata: { name, namespace: ns }, type: "Opaque", data } as KubeObject, USER, "kubectl");
}

/** The connection's vendor block (valid for the API schemas; the endpoints are never called). */
const VENDOR_BLOCK: Record<Vendor, Record<string, unknown>> = {
  cloudflare: { zoneId: "0123456789abcdef0123456789abcdef" },
  sectigo: { customerUri: "simulation", orgId: 1 },
  zpa: { customerId: "216196257331281920", cloud: "PRODUCTION" },
};

export function vendorConnection(w: World, ns: string, name: string, vendor: Vendor, tenant: string): void {
  credentials(w, ns, `${name}-credentials`, vendor, tenant);
  const conn = w.model.create(
    resourceTypes.vendorConnections,
    {
      metadata: { name, namespace: ns, finalizers: [IN_USE_FINALIZER] },
      spec: { [vendor]: VENDOR_BLOCK[vendor], credentialsRef: { name: `${name}-credentials` } },
    } as KubeObject,
    USER,
    "kubectl",
  );
  // Resources use it from the start: the connection controller has copied its credentials (C2).
  w.connections.retain(conn.metadata.uid ?? "", credentialData(vendor, tenant));
}

export function clusterVendorConnection(
  w: World,
  name: string,
  vendor: Vendor,
  tenant: string,
  admit: Record<string, string>,
  extra: Record<string, unknown> = {},
): void {
  namespace(w, OPERATOR_NAMESPACE);
  credentials(w, OPERATOR_NAMESPACE, `${name}-credentials`, vendor, tenant);
  const conn = w.model.create(
    resourceTypes.clusterVendorConnections,
    {
      metadata: { name, finalizers: [IN_USE_FINALIZER] },
      spec: {
        [vendor]: VENDOR_BLOCK[vendor],
        credentialsRef: { name: `${name}-credentials`, namespace: OPERATOR_NAMESPACE },
        namespaceSelector: { matchLabels: admit },
        ...extra,
      },
    } as KubeObject,
    USER,
    "kubectl",
  );
  w.connections.retain(conn.metadata.uid ?? "", credentialData(vendor, tenant));
}

export interface CertificateShape {
  readonly secretName: string;
  readonly vendor: "cloudflare" | "sectigo";
  readonly connection: { readonly kind: "VendorConnection" | "ClusterVendorConnection"; readonly name: string };
  readonly dnsNames: readonly string[];
  readonly rotationNever?: boolean;
  readonly revokeOnDelete?: boolean;
  readonly revokeSuperseded?: boolean;
  readonly deleteSecret?: boolean;
  /** Renew this long after issuance (a short renewBefore on a 1-day certificate). */
  readonly renewAfter?: string;
}

export function certificateSpec(c: CertificateShape): Record<string, unknown> {
  const lifetime = c.renewAfter !== undefined ? 1 : 30;
  return {
    connectionRef: c.connection,
    secretName: c.secretName,
    commonName: c.dnsNames[0],
    dnsNames: [...c.dnsNames],
    privateKey: { algorithm: "ECDSA", size: 256, ...(c.rotationNever ? { rotationPolicy: "Never" } : {}) },
    ...(c.vendor === "cloudflare" ? { cloudflare: { validityDays: lifetime } } : { sectigo: { type: "SSL", profile: { id: 101 }, term: lifetime } }),
    ...(c.renewAfter !== undefined ? { renewBefore: c.renewAfter } : {}),
    revocationPolicy: { onDelete: c.revokeOnDelete ? "Revoke" : "Retain", superseded: c.revokeSuperseded ? "Revoke" : "Retain" },
    secretPolicy: { onDelete: c.deleteSecret ? "Delete" : "Retain" },
  };
}

/** A Secret a user made (not the operator's): what a resource must never touch or take over. */
export function foreignSecret(w: World, ns: string, name: string): void {
  w.model.create(
    core.secrets,
    { metadata: { name, namespace: ns, labels: { app: "someone-elses" } }, type: "Opaque", data: { "tls.crt": b64("theirs") } } as KubeObject,
    USER,
    "kubectl",
  );
}

export function managedCertificate(w: World, ns: string, name: string, spec: Record<string, unknown>): void {
  w.model.create(resourceTypes.managedCertificates, { metadata: { name, namespace: ns }, spec } as KubeObject, USER, "kubectl");
}

export function provisioningKey(w: World, ns: string, name: string, spec: Record<string, unknown>): void {
  w.model.create(resourceTypes.provisioningKeys, { metadata: { name, namespace: ns }, spec } as KubeObject, USER, "kubectl");
}

type Live = KubeObject & { spec?: Record<string, unknown> };

/** A live (not deleting) resource of the kind, chosen at random. */
export function anyLive(w: World, rng: Rng, type: typeof resourceTypes.managedCertificates | typeof resourceTypes.provisioningKeys): Live | undefined {
  const live = w.model.all<Live>(type).filter((o) => o.metadata.deletionTimestamp === undefined);
  return live.length === 0 ? undefined : rng.pick(live);
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

function patch(w: World, type: typeof resourceTypes.managedCertificates | typeof resourceTypes.provisioningKeys, o: KubeObject, body: unknown): void {
  w.model.mergePatch(type, o.metadata.namespace, o.metadata.name ?? "", body, undefined, USER);
}

// ------------------------------------------------------------------ ManagedCertificate actions

export const mcActions = {
  changeNames: {
    name: "change dnsNames",
    run: (w, rng) => {
      const mc = anyLive(w, rng, resourceTypes.managedCertificates);
      if (mc === undefined) return undefined;
      const base = String((mc.spec?.["dnsNames"] as string[])[0]).replace(/^v\d+\./, "");
      const names = [`v${1 + rng.int(1000)}.${base}`];
      patch(w, resourceTypes.managedCertificates, mc, { spec: { commonName: names[0], dnsNames: names } });
      return `user changes ${keyOf(mc)} dnsNames to ${names[0]}`;
    },
  },
  renew: {
    name: "renew request",
    run: (w, rng) => {
      const mc = anyLive(w, rng, resourceTypes.managedCertificates);
      if (mc === undefined) return undefined;
      const value = `r${w.clock.now()}`;
      patch(w, resourceTypes.managedCertificates, mc, { metadata: { annotations: { [annotations.renewRequest]: value } } });
      return `user requests renewal of ${keyOf(mc)} (${value})`;
    },
  },
  deleteTlsSecret: {
    name: "delete the TLS Secret",
    run: (w, rng) => deleteSecretOf(w, rng, (mc) => String(mc.spec?.["secretName"])),
  },
  corruptTlsSecret: {
    name: "overwrite the TLS Secret's certificate",
    run: (w, rng) => {
      const mc = anyLive(w, rng, resourceTypes.managedCertificates);
      if (mc === undefined) return undefined;
      const name = String(mc.spec?.["secretName"]);
      if (w.model.peek(core.secrets, mc.metadata.namespace, name) === undefined) return undefined;
      w.model.mergePatch(core.secrets, mc.metadata.namespace, name, { data: { "tls.crt": b64("not a certificate") } }, undefined, USER);
      return `user overwrites tls.crt in Secret ${mc.metadata.namespace}/${name}`;
    },
  },
  deleteKeySecret: {
    name: "delete the key Secret",
    run: (w, rng) => deleteSecretOf(w, rng, (mc) => keySecretName(mc.metadata.name ?? "")),
  },
  deleteResource: {
    name: "delete a ManagedCertificate",
    run: (w, rng) => deleteResource(w, rng, resourceTypes.managedCertificates),
  },
  recreate: {
    name: "delete and re-apply a ManagedCertificate",
    run: (w, rng) => {
      const mc = anyLive(w, rng, resourceTypes.managedCertificates);
      if (mc === undefined) return undefined;
      w.model.delete(resourceTypes.managedCertificates, mc.metadata.namespace, mc.metadata.name ?? "", undefined, USER);
      const spec = structuredClone(mc.spec ?? {});
      const ns = mc.metadata.namespace ?? "";
      const name = mc.metadata.name ?? "";
      w.scheduler.at(w.clock.now() + 1000 + rng.int(60_000), `user re-applies ${ns}/${name}`, () => {
        if (w.model.peek(resourceTypes.managedCertificates, ns, name) !== undefined) {
          w.scheduler.at(w.clock.now() + 5_000, `user re-applies ${ns}/${name} (again)`, () => tryCreate(w, resourceTypes.managedCertificates, ns, name, spec));
          return;
        }
        tryCreate(w, resourceTypes.managedCertificates, ns, name, spec);
      });
      return `user deletes ${keyOf(mc)} and will apply it again (GitOps prune + re-create)`;
    },
  },
  replace: {
    name: "kubectl replace a ManagedCertificate",
    run: (w, rng) => {
      // A replace (kubectl replace, a GitOps replace-sync) PUTs the user's manifest: the operator's
      // annotations and finalizers go, status stays. One whose first order is in flight is the one at risk.
      const live = w.model.all<Live>(resourceTypes.managedCertificates).filter((o) => o.metadata.deletionTimestamp === undefined);
      const inFlight = live.filter((o) => o.metadata.annotations?.[annotations.orderIntent] !== undefined);
      const mc = inFlight.length > 0 ? rng.pick(inFlight) : live.length > 0 ? rng.pick(live) : undefined;
      if (mc === undefined) return undefined;
      patch(w, resourceTypes.managedCertificates, mc, { metadata: { annotations: null, finalizers: null } });
      return `user replaces ${keyOf(mc)} (its annotations and finalizers are dropped, status kept)`;
    },
  },
} satisfies Record<string, UserAction>;

function tryCreate(
  w: World,
  type: typeof resourceTypes.managedCertificates | typeof resourceTypes.provisioningKeys,
  ns: string,
  name: string,
  spec: Record<string, unknown>,
): void {
  if (w.model.peek(type, ns, name) !== undefined) return;
  try {
    w.model.create(type, { metadata: { name, namespace: ns }, spec } as KubeObject, USER, "kubectl");
  } catch {
    // the namespace is going away
  }
}

function deleteSecretOf(w: World, rng: Rng, nameOf: (mc: Live) => string): string | undefined {
  const mc = anyLive(w, rng, resourceTypes.managedCertificates);
  if (mc === undefined) return undefined;
  const name = nameOf(mc);
  if (w.model.peek(core.secrets, mc.metadata.namespace, name) === undefined) return undefined;
  w.model.delete(core.secrets, mc.metadata.namespace, name, undefined, USER);
  return `user deletes Secret ${mc.metadata.namespace}/${name}`;
}

function deleteResource(w: World, rng: Rng, type: typeof resourceTypes.managedCertificates | typeof resourceTypes.provisioningKeys): string | undefined {
  const o = anyLive(w, rng, type);
  if (o === undefined) return undefined;
  w.model.delete(type, o.metadata.namespace, o.metadata.name ?? "", undefined, USER);
  return `user deletes ${type.kind} ${keyOf(o)}`;
}

// ------------------------------------------------------------------ shared actions

export const sharedActions = {
  deleteNamespace: {
    name: "delete a namespace",
    run: (w, rng) => {
      const candidates = w.model.all(core.namespaces).filter((n) => n.metadata.deletionTimestamp === undefined && n.metadata.name !== "certbridge-system");
      if (candidates.length === 0) return undefined;
      const ns = rng.pick(candidates).metadata.name ?? "";
      w.model.delete(core.namespaces, undefined, ns, undefined, USER);
      return `user deletes namespace ${ns}`;
    },
  },
} satisfies Record<string, UserAction>;

// ------------------------------------------------------------------ ProvisioningKey actions

export const pkActions = {
  changeMaxUsage: {
    name: "change maxUsage",
    run: (w, rng) => {
      const pk = anyLive(w, rng, resourceTypes.provisioningKeys);
      if (pk === undefined) return undefined;
      const maxUsage = 1 + rng.int(500);
      patch(w, resourceTypes.provisioningKeys, pk, { spec: { maxUsage } });
      return `user sets ${keyOf(pk)} maxUsage to ${maxUsage}`;
    },
  },
  toggleEnabled: {
    name: "toggle enabled",
    run: (w, rng) => {
      const pk = anyLive(w, rng, resourceTypes.provisioningKeys);
      if (pk === undefined) return undefined;
      const enabled = pk.spec?.["enabled"] === false;
      patch(w, resourceTypes.provisioningKeys, pk, { spec: { enabled } });
      return `user sets ${keyOf(pk)} enabled=${enabled}`;
    },
  },
  rotate: {
    name: "rotate (spec.rotation + 1)",
    run: (w, rng) => {
      const pk = anyLive(w, rng, resourceTypes.provisioningKeys);
      if (pk === undefined || pk.spec?.["managementPolicy"] === "ObserveOnly") return undefined;
      const rotation = Number(pk.spec?.["rotation"] ?? 0) + 1;
      patch(w, resourceTypes.provisioningKeys, pk, { spec: { rotation } });
      return `user rotates ${keyOf(pk)} (rotation ${rotation})`;
    },
  },
  rotateAnnotation: {
    name: "rotate (annotation)",
    run: (w, rng) => {
      const pk = anyLive(w, rng, resourceTypes.provisioningKeys);
      if (pk === undefined || pk.spec?.["managementPolicy"] === "ObserveOnly") return undefined;
      const value = `r${w.clock.now()}`;
      patch(w, resourceTypes.provisioningKeys, pk, { metadata: { annotations: { [annotations.rotateRequest]: value } } });
      return `user asks ${keyOf(pk)} to rotate (${value})`;
    },
  },
  deleteSecret: {
    name: "delete the key's Secret",
    run: (w, rng) => {
      const pk = anyLive(w, rng, resourceTypes.provisioningKeys);
      if (pk === undefined) return undefined;
      const name = String(pk.spec?.["secretName"]);
      if (w.model.peek(core.secrets, pk.metadata.namespace, name) === undefined) return undefined;
      w.model.delete(core.secrets, pk.metadata.namespace, name, undefined, USER);
      return `user deletes Secret ${pk.metadata.namespace}/${name}`;
    },
  },
  deleteResource: {
    name: "delete a ProvisioningKey",
    run: (w, rng) => deleteResource(w, rng, resourceTypes.provisioningKeys),
  },
  consoleEdit: {
    name: "someone edits a key in the ZPA console",
    run: (w, rng) => {
      const live = w.zpa.live().filter((k) => k.creator.namespace !== "(console)");
      if (live.length === 0) return undefined;
      const k = rng.pick(live);
      k.maxUsage = 1 + rng.int(1000);
      return `ZPA console: key ${k.id} maxUsage set to ${k.maxUsage}`;
    },
  },
  consoleDelete: {
    name: "someone deletes a key in the ZPA console",
    run: (w, rng) => {
      const live = w.zpa.live().filter((k) => k.creator.namespace !== "(console)");
      if (live.length === 0) return undefined;
      const k = rng.pick(live);
      k.deletedAt = w.clock.now();
      k.deletedBy = "(console)";
      return `ZPA console: key ${k.id} deleted`;
    },
  },
} satisfies Record<string, UserAction>;
