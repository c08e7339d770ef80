import { createHash } from "node:crypto";
import type { Logger } from "pino";
import {
  type ClusterVendorConnection, DEFAULT_CREDENTIAL_KEYS, type Vendor, type VendorConnection,
  matchesLabelSelector, parseClusterVendorConnection, parseVendorConnection, problemsMessage, resourceTypes,
} from "../../api/v1alpha1/index.ts";
import { type ConnectionSettings, type ResolvedConnection, connectionSettingsOf } from "../../ports/connection.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";

export interface ConnectionRef {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
}

export type ConnectionProblem =
  | "ConnectionNotFound" | "ConnectionNotPermitted" | "ConnectionVendorMismatch" | "SecretNotFound" | "InvalidSpec"
  | "ConnectionDeleting" | "NamespaceTerminating";

/**
 * Why a connection is resolved (contract C1):
 * - "provision": anything that may create or pay for a vendor object. Refused while the connection
 *   is being deleted (`ConnectionDeleting`) or the consumer's namespace is (`NamespaceTerminating`).
 * - "cleanup": a consumer's deletion path (revoke, cancel, delete keys, unpublish). Returns the
 *   connection while it is being deleted, and falls back to the operator's retained copy of its
 *   credentials when the credentials Secret is gone (ADR 0007).
 * - "inspect": the connection's own controller. No consumer rules (namespaceSelector, deletion,
 *   namespace teardown) and never the retained copy: it must see the user's Secret as it is.
 */
export type ResolvePurpose = "provision" | "cleanup" | "inspect";

export interface ResolveOptions {
  readonly purpose?: ResolvePurpose;
}

export type ConnectionLookup =
  | {
      readonly ok: true;
      readonly connection: ResolvedConnection;
      /** resourceVersion of the credentials Secret read (the connection controller records it in status). */
      readonly credentialsResourceVersion?: string;
    }
  | { readonly ok: false; readonly reason: ConnectionProblem; readonly message: string };

/** The operator's retained copy of a connection's credentials (C2), as the resolver reads it. */
export interface RetainedCredentials {
  readonly credentials: Readonly<Record<string, string>>;
  readonly caBundlePem?: string;
  /** Changes whenever the copy changes (for the fingerprint). */
  readonly version: string;
}

export interface RetainedCredentialsReader {
  read(connectionUid: string, signal: AbortSignal): Promise<RetainedCredentials | undefined>;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

interface NamespaceObject extends KubeObject {
  status?: { phase?: string };
}

/** What the resolver needs to know about a consumer's namespace. */
export interface NamespaceState {
  /** Its labels, plus kubernetes.io/metadata.name (which the API server sets; selectors may use it). */
  readonly labels: Readonly<Record<string, string>>;
  /** Being deleted (phase Terminating or a deletionTimestamp), or already gone. */
  readonly terminating: boolean;
}

export function namespaceStateOf(ns: NamespaceObject): NamespaceState {
  const name = ns.metadata.name ?? "";
  return {
    labels: { "kubernetes.io/metadata.name": name, ...(ns.metadata.labels ?? {}) },
    terminating: ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === "Terminating",
  };
}

/** The namespace informer keeps only what admission and teardown decisions read. */
export function trimNamespace(ns: KubeObject): KubeObject {
  const m = ns.metadata;
  const phase = (ns as NamespaceObject).status?.phase;
  return {
    metadata: {
      name: m.name,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(phase ? { status: { phase } } : {}),
  } as KubeObject;
}

/** Spec, labels or annotations changed (a touch means "look again now"); a status write is not a change. */
export function connectionEdited(current: KubeObject | undefined, previous: KubeObject | undefined): boolean {
  if (current === undefined || previous === undefined) return true;
  const a = current.metadata;
  const b = previous.metadata;
  return a.generation !== b.generation || a.uid !== b.uid || JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) || JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {});
}

const DEFAULT_SECRET_TTL_MS = 30_000;

type ConnectionSpec = VendorConnection["spec"] | ClusterVendorConnection["spec"];

/** The credential key names each vendor needs, by auth mode (canonical name → default key). */
function credentialNames(block: ConnectionSettings): Array<keyof typeof DEFAULT_CREDENTIAL_KEYS> {
  switch (block.vendor) {
    case "zpa":
      return ["clientId", "clientSecret"];
    case "cloudflare":
      return block.settings.authMode === "APIKey" ? ["email", "apiKey"] : ["apiToken"];
    case "sectigo":
      return block.settings.authMode === "ClientCertificate" ? ["login", "tlsCert", "tlsKey"] : ["login", "password"];
  }
}

type CredentialsRead =
  | { readonly ok: true; readonly credentials: Record<string, string>; readonly caBundlePem: string | undefined; readonly secret: SecretObject }
  | { readonly ok: false; readonly message: string };

/**
 * Turns a connectionRef into a ResolvedConnection: the connection from the informer caches, the
 * consumer's namespace from the namespace informer (namespaceSelector admission for cluster
 * connections, TARGETS S4; teardown), and the credentials read from their Secret (a short-lived
 * cache; credentials Secrets are not ours, so they are fetched, never watched).
 */
export class ConnectionResolver {
  readonly #client: KubeApi;
  readonly #namespaced: Informer<KubeObject>;
  readonly #cluster: Informer<KubeObject>;
  readonly #namespaces: Informer<KubeObject> | undefined;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #secrets = new Map<string, { at: number; secret: SecretObject | undefined }>();
  readonly #namespaceStates = new Map<string, { at: number; state: NamespaceState }>();
  #retained: RetainedCredentialsReader | undefined;

  constructor(init: {
    client: KubeApi;
    vendorConnections: Informer<KubeObject>;
    clusterVendorConnections: Informer<KubeObject>;
    /** Without it, namespaces are read with GET (cached for the Secret TTL). */
    namespaces?: Informer<KubeObject>;
    retained?: RetainedCredentialsReader;
    log: Logger;
    secretTtlMs?: number;
  }) {
    this.#client = init.client;
    this.#namespaced = init.vendorConnections;
    this.#cluster = init.clusterVendorConnections;
    this.#namespaces = init.namespaces;
    this.#retained = init.retained;
    this.#log = init.log.child({ component: "connection-resolver" });
    this.#ttlMs = init.secretTtlMs ?? DEFAULT_SECRET_TTL_MS;
  }

  get vendorConnections(): Informer<KubeObject> {
    return this.#namespaced;
  }

  get clusterVendorConnections(): Informer<KubeObject> {
    return this.#cluster;
  }

  get namespaces(): Informer<KubeObject> | undefined {
    return this.#namespaces;
  }

  /** The connection controllers hand over the retained-copy store once they are set up. */
  useRetainedCredentials(reader: RetainedCredentialsReader): void {
    this.#retained = reader;
  }

  /** Forget cached Secrets and namespaces (e.g. when a connection changed). */
  invalidate(): void {
    this.#secrets.clear();
    this.#namespaceStates.clear();
  }

  /**
   * `namespace` is the consumer's namespace. For a ClusterVendorConnection, `undefined` means "no
   * consumer" (the connection's own controller verifying it), as purpose "inspect" does.
   */
  async resolve(ref: ConnectionRef, namespace: string | undefined, expectedVendor: Vendor | undefined, signal: AbortSignal, opts: ResolveOptions = {}): Promise<ConnectionLookup> {
    const cluster = ref.kind === "ClusterVendorConnection";
    const purpose: ResolvePurpose = namespace === undefined ? "inspect" : (opts.purpose ?? "provision");
    if (!cluster && namespace === undefined) return { ok: false, reason: "ConnectionNotFound", message: `VendorConnection ${ref.name} needs a namespace` };
    let ns: NamespaceState | undefined;
    if (purpose === "provision") {
      ns = await this.#namespaceState(namespace as string, signal);
      // Nothing new is ordered while a namespace is torn down; its resources' finalizers still clean up.
      if (ns.terminating) return { ok: false, reason: "NamespaceTerminating", message: `namespace ${namespace} is being deleted; nothing new is ordered` };
    }
    const raw = cluster ? this.#cluster.get(ref.name) : this.#namespaced.get(`${namespace}/${ref.name}`);
    const described = `${ref.kind} ${cluster ? ref.name : `${namespace}/${ref.name}`}`;
    if (raw === undefined) return { ok: false, reason: "ConnectionNotFound", message: `${described} does not exist` };
    const parsed = cluster ? parseClusterVendorConnection(raw) : parseVendorConnection(raw);
    if (!parsed.ok) return { ok: false, reason: "InvalidSpec", message: `${ref.kind} ${ref.name} is invalid: ${problemsMessage(parsed.problems)}` };
    const spec = parsed.value.spec as ConnectionSpec;
    const block = connectionSettingsOf(spec);
    if (block === undefined) return { ok: false, reason: "InvalidSpec", message: `${ref.kind} ${ref.name} names no vendor` };
    const vendor = block.vendor;
    if (expectedVendor !== undefined && vendor !== expectedVendor) {
      return { ok: false, reason: "ConnectionVendorMismatch", message: `${ref.kind} ${ref.name} is a ${vendor} connection; this resource needs ${expectedVendor}` };
    }
    if (cluster && purpose !== "inspect") {
      // Cleanup is admitted exactly as provisioning: the selector is the connection owner's boundary.
      ns ??= await this.#namespaceState(namespace as string, signal);
      const selector = (spec as ClusterVendorConnection["spec"]).namespaceSelector;
      if (!matchesLabelSelector(selector, ns.labels)) {
        return { ok: false, reason: "ConnectionNotPermitted", message: `ClusterVendorConnection ${ref.name} does not admit namespace ${namespace} (namespaceSelector)` };
      }
    }
    const deleting = raw.metadata.deletionTimestamp !== undefined;
    if (deleting && purpose === "provision") {
      return { ok: false, reason: "ConnectionDeleting", message: `${described} is being deleted; it serves only the cleanup of what was made through it` };
    }
    const read = await this.#credentials(spec, block, cluster, namespace, signal);
    let credentials: Record<string, string>;
    let caBundlePem: string | undefined;
    let version: string;
    let credentialsResourceVersion: string | undefined;
    let retained = false;
    if (read.ok) {
      ({ credentials, caBundlePem } = read);
      version = `${read.secret.metadata.uid ?? ""}/${read.secret.metadata.resourceVersion ?? ""}`;
      credentialsResourceVersion = read.secret.metadata.resourceVersion;
    } else {
      const copy = purpose === "cleanup" && raw.metadata.uid ? await this.#retained?.read(raw.metadata.uid, signal) : undefined;
      if (copy === undefined) return { ok: false, reason: "SecretNotFound", message: read.message };
      // The user's Secret is gone (a namespace or GitOps teardown): finish the cleanup with our copy.
      this.#log.debug({ connection: described }, "credentials Secret unavailable; cleanup uses the retained copy");
      credentials = { ...copy.credentials };
      caBundlePem = spec.caBundleSecretRef ? copy.caBundlePem : spec.caBundle;
      version = `retained/${copy.version}`;
      retained = true;
    }
    const connection: ResolvedConnection = {
      kind: ref.kind,
      ...(cluster ? {} : { namespace }),
      name: ref.name,
      ...block,
      credentials,
      ...(caBundlePem ? { caBundlePem } : {}),
      ...(spec.proxyUrl ? { proxyUrl: spec.proxyUrl } : {}),
      ...(spec.rateLimit ? { rateLimit: spec.rateLimit } : {}),
      ...(spec.issuanceBudget ? { issuanceBudgetPerHour: spec.issuanceBudget.maxPerHour } : {}),
      fingerprint: fingerprint(ref, raw, version, credentials, caBundlePem),
      ...(deleting ? { deleting: true } : {}),
      ...(retained ? { retainedCredentials: true } : {}),
    };
    return { ok: true, connection, ...(credentialsResourceVersion ? { credentialsResourceVersion } : {}) };
  }

  /** The credentials (canonical names) and the CA bundle, from the user's Secrets. */
  async #credentials(spec: ConnectionSpec, block: ConnectionSettings, cluster: boolean, namespace: string | undefined, signal: AbortSignal): Promise<CredentialsRead> {
    const secretNamespace = cluster ? (spec.credentialsRef as { namespace: string }).namespace : (namespace as string);
    const secret = await this.#secret(secretNamespace, spec.credentialsRef.name, signal);
    if (secret === undefined) return { ok: false, message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} does not exist` };
    const keys = { ...DEFAULT_CREDENTIAL_KEYS, ...(spec.credentialsRef.keys ?? {}) } as Record<string, string>;
    const credentials: Record<string, string> = {};
    for (const name of credentialNames(block)) {
      const key = keys[name] ?? name;
      const value = secret.data?.[key];
      if (value === undefined || value === "") return { ok: false, message: `credentials Secret ${secretNamespace}/${spec.credentialsRef.name} lacks key "${key}"` };
      credentials[name] = Buffer.from(value, "base64").toString("utf8");
    }
    let caBundlePem = spec.caBundle;
    if (spec.caBundleSecretRef) {
      const ref = spec.caBundleSecretRef as { name: string; namespace?: string; key: string };
      const caNamespace = cluster ? (ref.namespace ?? "") : (namespace as string);
      const caSecret = await this.#secret(caNamespace, ref.name, signal);
      const value = caSecret?.data?.[ref.key];
      if (value === undefined) return { ok: false, message: `CA bundle Secret ${caNamespace}/${ref.name} lacks key "${ref.key}"` };
      caBundlePem = Buffer.from(value, "base64").toString("utf8");
    }
    return { ok: true, credentials, caBundlePem, secret };
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

  /** From the namespace informer; a GET when it has not seen the namespace (yet) or there is none. */
  async #namespaceState(namespace: string, signal: AbortSignal): Promise<NamespaceState> {
    const watched = this.#namespaces?.get(namespace);
    if (watched !== undefined) return namespaceStateOf(watched);
    const cached = this.#namespaceStates.get(namespace);
    if (cached && Date.now() - cached.at < this.#ttlMs) return cached.state;
    let state: NamespaceState;
    try {
      state = namespaceStateOf(await this.#client.get<NamespaceObject>(core.namespaces, undefined, namespace, signal));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // A namespace that is already gone is as good as terminating.
      state = { labels: { "kubernetes.io/metadata.name": namespace }, terminating: true };
    }
    this.#namespaceStates.set(namespace, { at: Date.now(), state });
    return state;
  }
}

function fingerprint(ref: ConnectionRef, connection: KubeObject, credentialsVersion: string, credentials: Record<string, string>, ca: string | undefined): string {
  const h = createHash("sha256");
  h.update(`${ref.kind}/${connection.metadata.namespace ?? ""}/${ref.name}/${connection.metadata.generation ?? ""}/${connection.metadata.uid ?? ""}\n`);
  h.update(`${credentialsVersion}\n`);
  for (const [k, v] of Object.entries(credentials).sort()) h.update(`${k}=${createHash("sha256").update(v).digest("hex")}\n`);
  h.update(ca ?? "");
  return h.digest("hex").slice(0, 32);
}

/** The connection and namespace informers and the resolver, one set per manager, shared by every controller. */
export function sharedConnectionResolver(manager: Manager): ConnectionResolver {
  return manager.shared("connection-resolver", () => {
    const resolver = new ConnectionResolver({
      client: manager.client,
      vendorConnections: manager.shared("informer/vendorconnections", () => manager.informer<KubeObject>({ type: resourceTypes.vendorConnections })),
      clusterVendorConnections: manager.shared("informer/clustervendorconnections", () => manager.informer<KubeObject>({ type: resourceTypes.clusterVendorConnections })),
      namespaces: sharedNamespaceInformer(manager),
      log: manager.log,
    });
    // An edit or a touch (annotation) means "look again now": drop the cached Secrets. A status write
    // (a re-verification, a consumer count) is not a change.
    const onConnection = (_key: string, current: KubeObject | undefined, previous: KubeObject | undefined) => {
      if (connectionEdited(current, previous)) resolver.invalidate();
    };
    resolver.vendorConnections.onChange(onConnection);
    resolver.clusterVendorConnections.onChange(onConnection);
    return resolver;
  });
}

/**
 * Namespaces, cluster-wide (they are cluster-scoped; `--namespaces` does not narrow them): labels for
 * ClusterVendorConnection admission and the phase for teardown, nothing else kept.
 */
export function sharedNamespaceInformer(manager: Manager): Informer<KubeObject> {
  return manager.shared("informer/namespaces", () => manager.informer<KubeObject>({ type: core.namespaces, transform: trimNamespace }));
}
