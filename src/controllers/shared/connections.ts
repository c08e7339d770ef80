import { createHash } from "node:crypto";
import type { Logger } from "pino";
import {
  type ClusterVendorConnection, DEFAULT_CREDENTIAL_KEYS, type Vendor, type VendorConnection,
  matchesLabelSelector, parseClusterVendorConnection, parseVendorConnection, problemsMessage, resourceTypes, vendorOf,
} from "../../api/v1alpha1/index.ts";
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeClient } from "../../runtime/kube/client.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";

export interface ConnectionRef {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
}

export type ConnectionProblem = "ConnectionNotFound" | "ConnectionNotPermitted" | "ConnectionVendorMismatch" | "SecretNotFound" | "InvalidSpec";

export type ConnectionLookup =
  | {
      readonly ok: true;
      readonly connection: ResolvedConnection;
      /** resourceVersion of the credentials Secret read (the connection controller records it in status). */
      readonly credentialsResourceVersion?: string;
    }
  | { readonly ok: false; readonly reason: ConnectionProblem; readonly message: string };

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

interface Namespace extends KubeObject {}

const DEFAULT_SECRET_TTL_MS = 30_000;

type ConnectionSpec = VendorConnection["spec"] | ClusterVendorConnection["spec"];

/** The credential key names each vendor needs, by auth mode (canonical name → default key). */
function credentialNames(vendor: Vendor, settings: Record<string, unknown>): Array<keyof typeof DEFAULT_CREDENTIAL_KEYS> {
  const mode = String(settings.authMode ?? "");
  switch (vendor) {
    case "zpa":
      return ["clientId", "clientSecret"];
    case "cloudflare":
      return mode === "APIKey" ? ["email", "apiKey"] : ["apiToken"];
    case "sectigo":
      return mode === "ClientCertificate" ? ["login", "tlsCert", "tlsKey"] : ["login", "password"];
  }
}

/**
 * Turns a connectionRef into a ResolvedConnection: the connection from the informer caches, the
 * namespace check for cluster connections (TARGETS S4), and the credentials read from their Secret
 * (a short-lived cache; credentials Secrets are not ours, so they are fetched, never watched).
 */
export class ConnectionResolver {
  readonly #client: KubeClient;
  readonly #namespaced: Informer<KubeObject>;
  readonly #cluster: Informer<KubeObject>;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #secrets = new Map<string, { at: number; secret: SecretObject | undefined }>();
  readonly #namespaceLabels = new Map<string, { at: number; labels: Record<string, string> }>();

  constructor(init: { client: KubeClient; vendorConnections: Informer<KubeObject>; clusterVendorConnections: Informer<KubeObject>; log: Logger; secretTtlMs?: number }) {
    this.#client = init.client;
    this.#namespaced = init.vendorConnections;
    this.#cluster = init.clusterVendorConnections;
    this.#log = init.log.child({ component: "connection-resolver" });
    this.#ttlMs = init.secretTtlMs ?? DEFAULT_SECRET_TTL_MS;
  }

  get vendorConnections(): Informer<KubeObject> {
    return this.#namespaced;
  }

  get clusterVendorConnections(): Informer<KubeObject> {
    return this.#cluster;
  }

  /** Forget cached Secrets and namespaces (e.g. when a connection changed). */
  invalidate(): void {
    this.#secrets.clear();
    this.#namespaceLabels.clear();
  }

  /**
   * `namespace` is the consumer's namespace. For a ClusterVendorConnection, `undefined` means "no
   * consumer" (the connection's own controller verifying it): the namespaceSelector is not checked.
   */
  async resolve(ref: ConnectionRef, namespace: string | undefined, expectedVendor: Vendor | undefined, signal: AbortSignal): Promise<ConnectionLookup> {
    const cluster = ref.kind === "ClusterVendorConnection";
    if (!cluster && namespace === undefined) return { ok: false, reason: "ConnectionNotFound", message: `VendorConnection ${ref.name} needs a namespace` };
    const raw = cluster ? this.#cluster.get(ref.name) : this.#namespaced.get(`${namespace}/${ref.name}`);
    if (raw === undefined) {
      return { ok: false, reason: "ConnectionNotFound", message: `${ref.kind} ${cluster ? ref.name : `${namespace}/${ref.name}`} does not exist` };
    }
    const parsed = cluster ? parseClusterVendorConnection(raw) : parseVendorConnection(raw);
    if (!parsed.ok) return { ok: false, reason: "InvalidSpec", message: `${ref.kind} ${ref.name} is invalid: ${problemsMessage(parsed.problems)}` };
    const spec = parsed.value.spec as ConnectionSpec;
    const vendor = vendorOf(spec);
    if (vendor === undefined) return { ok: false, reason: "InvalidSpec", message: `${ref.kind} ${ref.name} names no vendor` };
    if (expectedVendor !== undefined && vendor !== expectedVendor) {
      return { ok: false, reason: "ConnectionVendorMismatch", message: `${ref.kind} ${ref.name} is a ${vendor} connection; this resource needs ${expectedVendor}` };
    }
    if (cluster && namespace !== undefined) {
      const selector = (spec as ClusterVendorConnection["spec"]).namespaceSelector;
      const labels = await this.#labelsOf(namespace, signal);
      if (!matchesLabelSelector(selector, labels)) {
        return { ok: false, reason: "ConnectionNotPermitted", message: `ClusterVendorConnection ${ref.name} does not admit namespace ${namespace} (namespaceSelector)` };
      }
    }
    const secretNamespace = cluster ? (spec.credentialsRef as { namespace: string }).namespace : (namespace as string);
    const secret = await this.#secret(secretNamespace, spec.credentialsRef.name, signal);
    if (secret === undefined) {
      return { ok: false, reason: "SecretNotFound", message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} does not exist` };
    }
    const settings = (spec[vendor] ?? {}) as Record<string, unknown>;
    const keys = { ...DEFAULT_CREDENTIAL_KEYS, ...(spec.credentialsRef.keys ?? {}) } as Record<string, string>;
    const credentials: Record<string, string> = {};
    for (const name of credentialNames(vendor, settings)) {
      const key = keys[name] ?? name;
      const value = secret.data?.[key];
      if (value === undefined || value === "") {
        return { ok: false, reason: "SecretNotFound", message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} lacks key "${key}"` };
      }
      credentials[name] = Buffer.from(value, "base64").toString("utf8");
    }
    let caBundlePem = spec.caBundle;
    if (spec.caBundleSecretRef) {
      const ref = spec.caBundleSecretRef as { name: string; namespace?: string; key: string };
      const caNamespace = cluster ? (ref.namespace ?? "") : (namespace as string);
      const caSecret = await this.#secret(caNamespace, ref.name, signal);
      const value = caSecret?.data?.[ref.key];
      if (value === undefined) return { ok: false, reason: "SecretNotFound", message: `CA bundle Secret ${caNamespace}/${ref.name} lacks key "${ref.key}"` };
      caBundlePem = Buffer.from(value, "base64").toString("utf8");
    }
    const connection: ResolvedConnection = {
      kind: ref.kind,
      ...(cluster ? {} : { namespace }),
      name: ref.name,
      vendor,
      settings,
      credentials,
      ...(caBundlePem ? { caBundlePem } : {}),
      ...(spec.proxyUrl ? { proxyUrl: spec.proxyUrl } : {}),
      ...(spec.rateLimit ? { rateLimit: spec.rateLimit } : {}),
      ...(spec.issuanceBudget ? { issuanceBudgetPerHour: spec.issuanceBudget.maxPerHour } : {}),
      fingerprint: fingerprint(ref, raw, secret, credentials, caBundlePem),
    };
    return { ok: true, connection, ...(secret.metadata.resourceVersion ? { credentialsResourceVersion: secret.metadata.resourceVersion } : {}) };
  }

  async #secret(namespace: string, name: string, signal: AbortSignal): Promise<SecretObject | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.#secrets.get(key);
    if (cached && Date.now() - cached.at < this.#ttlMs) return cached.secret;
    let secret: SecretObject | undefined;
    try {
      secret = await this.#client.get<SecretObject>(core.secrets, namespace, name, signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.#log.debug({ secret: key }, "credentials Secret not found");
    }
    this.#secrets.set(key, { at: Date.now(), secret });
    return secret;
  }

  async #labelsOf(namespace: string, signal: AbortSignal): Promise<Record<string, string>> {
    const cached = this.#namespaceLabels.get(namespace);
    if (cached && Date.now() - cached.at < this.#ttlMs) return cached.labels;
    const ns = await this.#client.get<Namespace>(core.namespaces, undefined, namespace, signal);
    // The API server sets kubernetes.io/metadata.name on every namespace; selectors may use it.
    const labels = { "kubernetes.io/metadata.name": namespace, ...(ns.metadata.labels ?? {}) };
    this.#namespaceLabels.set(namespace, { at: Date.now(), labels });
    return labels;
  }
}

function fingerprint(ref: ConnectionRef, connection: KubeObject, secret: SecretObject, credentials: Record<string, string>, ca: string | undefined): string {
  const h = createHash("sha256");
  h.update(`${ref.kind}/${connection.metadata.namespace ?? ""}/${ref.name}/${connection.metadata.generation ?? ""}/${connection.metadata.uid ?? ""}\n`);
  h.update(`${secret.metadata.uid ?? ""}/${secret.metadata.resourceVersion ?? ""}\n`);
  for (const [k, v] of Object.entries(credentials).sort()) h.update(`${k}=${createHash("sha256").update(v).digest("hex")}\n`);
  h.update(ca ?? "");
  return h.digest("hex").slice(0, 32);
}

/** The connection informers and resolver, one set per manager, shared by every controller. */
export function sharedConnectionResolver(manager: Manager): ConnectionResolver {
  return manager.shared("connection-resolver", () => new ConnectionResolver({
    client: manager.client,
    vendorConnections: manager.shared("informer/vendorconnections", () => manager.informer<KubeObject>({ type: resourceTypes.vendorConnections })),
    clusterVendorConnections: manager.shared("informer/clustervendorconnections", () => manager.informer<KubeObject>({ type: resourceTypes.clusterVendorConnections })),
    log: manager.log,
  }));
}
