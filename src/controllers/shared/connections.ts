// The connection resolver: a consumer's connectionRef → a ResolvedConnection (settings, credentials,
// fingerprint), or the reason it cannot be used, by purpose (contract C1, ADR 0007). Credentials are
// read by connection-credentials.ts; namespace facts come from connection-namespaces.ts.
import type { Logger } from "pino";
import {
  type ClusterVendorConnection,
  type Vendor,
  matchesLabelSelector,
  parseClusterVendorConnection,
  parseVendorConnection,
  problemsMessage,
  resourceTypes,
} from "../../api/v1alpha1/index.ts";
import { type ResolvedConnection, connectionSettingsOf } from "../../ports/connection.ts";
import { type Clock, systemClock } from "../../runtime/clock.ts";
import type { ReadCache } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Manager } from "../../runtime/manager.ts";
import { type ConnectionSpec, type CredentialsRead, type SecretObject, fingerprint, readCredentials } from "./connection-credentials.ts";
import { connectionChangeMatters } from "./connection-changes.ts";
import { type NamespaceObject, type NamespaceState, goneNamespace, namespaceStateOf, sharedNamespaceInformer } from "./connection-namespaces.ts";
import { TtlCache } from "./ttl-cache.ts";

// Callers (controllers, the simulation) import these from here, where they always lived.
export { type NamespaceState, namespaceStateOf, sharedNamespaceInformer, trimNamespace } from "./connection-namespaces.ts";

export interface ConnectionRef {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
}

export type ConnectionProblem =
  | "ConnectionNotFound"
  | "ConnectionNotPermitted"
  | "ConnectionVendorMismatch"
  | "SecretNotFound"
  | "InvalidSpec"
  | "ConnectionDeleting"
  | "NamespaceTerminating";

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

/** Spec, labels or annotations changed (a touch means "look again now"); a status write is not a change. */
export function connectionEdited(current: KubeObject | undefined, previous: KubeObject | undefined): boolean {
  if (current === undefined || previous === undefined) return true;
  const a = current.metadata;
  const b = previous.metadata;
  return (
    a.generation !== b.generation ||
    a.uid !== b.uid ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
  );
}

/**
 * How long a resource's resolution may use credentials read earlier. The connection's own controller
 * reads its Secret afresh every SECRET_RECHECK_MS (5 min) and stores what it read here, and any change
 * that matters to a connection (an edit, new credentials verified, Ready flipping) drops them: so a
 * resource reconciling at a resync, or 10,000 of them, reads no credentials at all (issue 13 item 6).
 */
const DEFAULT_SECRET_TTL_MS = 10 * 60_000;
/**
 * The connection's own controller reads the Secret again when what it read is older than this: its
 * 5-minute re-read, and a burst of recounts as new resources arrive, cost one read each (not one per
 * recount). Unwatched namespaces (no namespace informer, or one not seen yet) are read again after as long.
 */
const FRESH_MS = 30_000;

type Refusal = Extract<ConnectionLookup, { ok: false }>;
const refuse = (reason: ConnectionProblem, message: string): Refusal => ({ ok: false, reason, message });

/** The credentials a resolution goes on with: the user's Secret, or (cleanup only) the retained copy. */
interface Credentials {
  readonly credentials: Record<string, string>;
  readonly caBundlePem: string | undefined;
  readonly version: string;
  readonly resourceVersion?: string;
  readonly retained: boolean;
}

/**
 * Turns a connectionRef into a ResolvedConnection: the connection from the informer caches, the
 * consumer's namespace from the namespace informer (namespaceSelector admission for cluster
 * connections, TARGETS S4; teardown), and the credentials read from their Secret (a short-lived
 * cache, timed by the injected clock; credentials Secrets are not ours, so they are fetched, never watched).
 */
export class ConnectionResolver {
  readonly #client: KubeApi;
  readonly #namespaced: ReadCache<KubeObject>;
  readonly #cluster: ReadCache<KubeObject>;
  readonly #namespaces: ReadCache<KubeObject> | undefined;
  readonly #log: Logger;
  readonly #secrets: TtlCache<SecretObject | undefined>;
  readonly #namespaceStates: TtlCache<NamespaceState>;
  #retained: RetainedCredentialsReader | undefined;

  constructor(init: {
    client: KubeApi;
    vendorConnections: ReadCache<KubeObject>;
    clusterVendorConnections: ReadCache<KubeObject>;
    /** Without it, namespaces are read with GET (cached for the Secret TTL). */
    namespaces?: ReadCache<KubeObject>;
    retained?: RetainedCredentialsReader;
    log: Logger;
    secretTtlMs?: number;
    clock?: Clock;
  }) {
    this.#client = init.client;
    this.#namespaced = init.vendorConnections;
    this.#cluster = init.clusterVendorConnections;
    this.#namespaces = init.namespaces;
    this.#retained = init.retained;
    this.#log = init.log.child({ component: "connection-resolver" });
    const clock = init.clock ?? systemClock;
    this.#secrets = new TtlCache(clock, init.secretTtlMs ?? DEFAULT_SECRET_TTL_MS);
    this.#namespaceStates = new TtlCache(clock, FRESH_MS);
  }

  get vendorConnections(): ReadCache<KubeObject> {
    return this.#namespaced;
  }

  get clusterVendorConnections(): ReadCache<KubeObject> {
    return this.#cluster;
  }

  get namespaces(): ReadCache<KubeObject> | undefined {
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
  async resolve(
    ref: ConnectionRef,
    namespace: string | undefined,
    expectedVendor: Vendor | undefined,
    signal: AbortSignal,
    opts: ResolveOptions = {},
  ): Promise<ConnectionLookup> {
    const cluster = ref.kind === "ClusterVendorConnection";
    const purpose: ResolvePurpose = namespace === undefined ? "inspect" : (opts.purpose ?? "provision");
    if (!cluster && namespace === undefined) return refuse("ConnectionNotFound", `VendorConnection ${ref.name} needs a namespace`);
    let ns: NamespaceState | undefined;
    if (purpose === "provision") {
      ns = await this.#namespaceState(namespace as string, signal);
      // Nothing new is ordered while a namespace is torn down; its resources' finalizers still clean up.
      if (ns.terminating) return refuse("NamespaceTerminating", `namespace ${namespace} is being deleted; nothing new is ordered`);
    }
    const raw = cluster ? this.#cluster.get(ref.name) : this.#namespaced.get(`${namespace}/${ref.name}`);
    const described = `${ref.kind} ${cluster ? ref.name : `${namespace}/${ref.name}`}`;
    if (raw === undefined) return refuse("ConnectionNotFound", `${described} does not exist`);
    const parsed = cluster ? parseClusterVendorConnection(raw) : parseVendorConnection(raw);
    if (!parsed.ok) return refuse("InvalidSpec", `${ref.kind} ${ref.name} is invalid: ${problemsMessage(parsed.problems)}`);
    const spec = parsed.value.spec as ConnectionSpec;
    const block = connectionSettingsOf(spec);
    if (block === undefined) return refuse("InvalidSpec", `${ref.kind} ${ref.name} names no vendor`);
    if (expectedVendor !== undefined && block.vendor !== expectedVendor) {
      return refuse("ConnectionVendorMismatch", `${ref.kind} ${ref.name} is a ${block.vendor} connection; this resource needs ${expectedVendor}`);
    }
    if (cluster && purpose !== "inspect") {
      // Cleanup is admitted exactly as provisioning: the selector is the connection owner's boundary.
      ns ??= await this.#namespaceState(namespace as string, signal);
      if (!matchesLabelSelector((spec as ClusterVendorConnection["spec"]).namespaceSelector, ns.labels)) {
        return refuse("ConnectionNotPermitted", `ClusterVendorConnection ${ref.name} does not admit namespace ${namespace} (namespaceSelector)`);
      }
    }
    const deleting = raw.metadata.deletionTimestamp !== undefined;
    if (deleting && purpose === "provision")
      return refuse("ConnectionDeleting", `${described} is being deleted; it serves only the cleanup of what was made through it`);
    // The connection's own controller reads afresh (within FRESH_MS), refreshing what resources read from the cache.
    const read = await readCredentials(spec, block, { cluster, namespace }, (secretNamespace, name) =>
      this.#secret(secretNamespace, name, signal, purpose === "inspect"),
    );
    const creds = read.ok ? fromSecret(read) : await this.#retainedCopy(purpose, raw, spec, described, signal);
    if (creds === undefined) return refuse("SecretNotFound", (read as Extract<CredentialsRead, { ok: false }>).message);
    const connection: ResolvedConnection = {
      kind: ref.kind,
      ...(cluster ? {} : { namespace }),
      name: ref.name,
      ...block,
      credentials: creds.credentials,
      ...(creds.caBundlePem ? { caBundlePem: creds.caBundlePem } : {}),
      ...(spec.proxyUrl ? { proxyUrl: spec.proxyUrl } : {}),
      ...(spec.rateLimit ? { rateLimit: spec.rateLimit } : {}),
      ...(spec.issuanceBudget ? { issuanceBudgetPerHour: spec.issuanceBudget.maxPerHour } : {}),
      fingerprint: fingerprint(ref, raw, creds.version, creds.credentials, creds.caBundlePem),
      ...(deleting ? { deleting: true } : {}),
      ...(creds.retained ? { retainedCredentials: true } : {}),
    };
    return { ok: true, connection, ...(creds.resourceVersion ? { credentialsResourceVersion: creds.resourceVersion } : {}) };
  }

  /** The user's Secret is gone (a namespace or GitOps teardown): a cleanup finishes with our copy. */
  async #retainedCopy(
    purpose: ResolvePurpose,
    raw: KubeObject,
    spec: ConnectionSpec,
    described: string,
    signal: AbortSignal,
  ): Promise<Credentials | undefined> {
    const copy = purpose === "cleanup" && raw.metadata.uid ? await this.#retained?.read(raw.metadata.uid, signal) : undefined;
    if (copy === undefined) return undefined;
    this.#log.debug({ connection: described }, "credentials Secret unavailable; cleanup uses the retained copy");
    return {
      credentials: { ...copy.credentials },
      caBundlePem: spec.caBundleSecretRef ? copy.caBundlePem : spec.caBundle,
      version: `retained/${copy.version}`,
      retained: true,
    };
  }

  async #secret(namespace: string, name: string, signal: AbortSignal, fresh: boolean): Promise<SecretObject | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.#secrets.get(key, fresh ? FRESH_MS : undefined);
    if (cached !== undefined) return cached.value;
    let secret: SecretObject | undefined;
    try {
      secret = await this.#client.get<SecretObject>(core.secrets, namespace, name, signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.#log.debug({ secret: key }, "credentials Secret not found");
    }
    this.#secrets.set(key, secret);
    return secret;
  }

  /** From the namespace informer; a GET when it has not seen the namespace (yet) or there is none. */
  async #namespaceState(namespace: string, signal: AbortSignal): Promise<NamespaceState> {
    const watched = this.#namespaces?.get(namespace);
    if (watched !== undefined) return namespaceStateOf(watched);
    const cached = this.#namespaceStates.get(namespace);
    if (cached !== undefined) return cached.value;
    let state: NamespaceState;
    try {
      state = namespaceStateOf(await this.#client.get<NamespaceObject>(core.namespaces, undefined, namespace, signal));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      state = goneNamespace(namespace);
    }
    this.#namespaceStates.set(namespace, state);
    return state;
  }
}

function fromSecret(read: Extract<CredentialsRead, { ok: true }>): Credentials {
  const m = read.secret.metadata;
  return {
    credentials: read.credentials,
    caBundlePem: read.caBundlePem,
    version: `${m.uid ?? ""}/${m.resourceVersion ?? ""}`,
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    retained: false,
  };
}

/** The connection and namespace informers and the resolver, one set per manager, shared by every controller. */
export function sharedConnectionResolver(manager: Manager): ConnectionResolver {
  return manager.shared("connection-resolver", () => {
    const vendorConnections = manager.shared("informer/vendorconnections", () => manager.informer<KubeObject>({ type: resourceTypes.vendorConnections }));
    const clusterVendorConnections = manager.shared("informer/clustervendorconnections", () =>
      manager.informer<KubeObject>({ type: resourceTypes.clusterVendorConnections }),
    );
    const resolver = new ConnectionResolver({
      client: manager.client,
      vendorConnections,
      clusterVendorConnections,
      namespaces: sharedNamespaceInformer(manager),
      log: manager.log,
      clock: manager.clock,
    });
    // An edit or a touch (annotation) means "look again now", and so do new credentials verified or
    // Ready flipping (the connection's controller saw the Secret change): drop the cached Secrets. A
    // re-verification that changed nothing else, or a consumer count, is not a change.
    const onConnection = (_key: string, current: KubeObject | undefined, previous: KubeObject | undefined) => {
      if (connectionEdited(current, previous) || connectionChangeMatters(current, previous)) resolver.invalidate();
    };
    vendorConnections.onChange(onConnection);
    clusterVendorConnections.onChange(onConnection);
    return resolver;
  });
}
