// The operator's retained copy of a connection's credentials (contract C2, ADR 0007): one Secret per
// connection UID in the operator's own namespace, written only while resources use the connection,
// deleted when its in-use finalizer is released. It lets a consumer's finalizer revoke or delete at
// the vendor after a namespace deletion or a GitOps prune removed the user's credentials Secret.
// Users' Secrets are never touched; credentials go nowhere else.
import { annotations, labels } from "../../api/v1alpha1/index.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isAlreadyExists, isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { RetainedCredentials, RetainedCredentialsReader } from "../shared/connections.ts";
import { type ConnectionId, connectionIdKey, parseConnectionIdKey } from "../shared/connection-consumers.ts";
import { contentHash } from "../shared/owned-secret.ts";

export const RETAINED_SELECTOR = `${labels.retainedCredentials}=true`;
/** The data key of a CA bundle that came from a Secret (an inline caBundle stays in the connection's spec). */
const CA_KEY = "ca.crt";

export interface RetainedData {
  /** Canonical credential names (apiToken, clientId, login, …) → values. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly caBundlePem?: string;
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export function retainedSecretName(connectionUid: string): string {
  return `certbridge-retained-${connectionUid}`;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** The Secret that holds the copy: labels to select and match it, the connection it is for, a content hash. */
export function desiredRetainedSecret(namespace: string, id: ConnectionId, connectionUid: string, data: RetainedData): SecretObject {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(data.credentials)) encoded[k] = b64(v);
  if (data.caBundlePem !== undefined) encoded[CA_KEY] = b64(data.caBundlePem);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: retainedSecretName(connectionUid),
      namespace,
      labels: { [labels.retainedCredentials]: "true", [labels.connectionUid]: connectionUid, "app.kubernetes.io/managed-by": "certbridge" },
      annotations: { [annotations.retainedFor]: connectionIdKey(id), [annotations.contentHash]: contentHash(encoded) },
    },
    type: "Opaque",
    data: encoded,
  };
}

/** Ours: carries the retained label and the UID it is named after (anything else is never touched). */
export function isRetainedCopy(secret: KubeObject | undefined, connectionUid?: string): boolean {
  const l = secret?.metadata.labels ?? {};
  const uid = l[labels.connectionUid];
  if (l[labels.retainedCredentials] !== "true" || uid === undefined) return false;
  if (secret?.metadata.name !== retainedSecretName(uid)) return false;
  return connectionUid === undefined || uid === connectionUid;
}

/** The connection a retained copy belongs to (from its annotation). */
export function retainedFor(secret: KubeObject | undefined): ConnectionId | undefined {
  const v = secret?.metadata.annotations?.[annotations.retainedFor];
  return v === undefined ? undefined : parseConnectionIdKey(v);
}

/**
 * Reads and writes retained copies. Reads come from a label-selected informer on the operator's
 * namespace (a GET when the cache has not seen it); writes happen only when the content hash differs.
 */
export class RetainedCredentialsStore implements RetainedCredentialsReader {
  readonly namespace: string;
  readonly #client: KubeApi;
  readonly #cache: Pick<Informer<KubeObject>, "get" | "list"> | undefined;

  constructor(init: { client: KubeApi; namespace: string; cache?: Pick<Informer<KubeObject>, "get" | "list"> }) {
    this.#client = init.client;
    this.namespace = init.namespace;
    this.#cache = init.cache;
  }

  async read(connectionUid: string, signal: AbortSignal): Promise<RetainedCredentials | undefined> {
    const secret = await this.#get(connectionUid, signal);
    if (!isRetainedCopy(secret, connectionUid)) return undefined;
    const credentials: Record<string, string> = {};
    let caBundlePem: string | undefined;
    for (const [k, v] of Object.entries(secret!.data ?? {})) {
      if (k === CA_KEY) caBundlePem = unb64(v);
      else credentials[k] = unb64(v);
    }
    return {
      credentials,
      ...(caBundlePem === undefined ? {} : { caBundlePem }),
      version: `${secret!.metadata.uid ?? ""}/${secret!.metadata.resourceVersion ?? ""}`,
    };
  }

  /**
   * Writes the copy when absent, or when different and `replace` is not false; returns whether it
   * wrote. Never overwrites a Secret that is not a retained copy.
   */
  async ensure(id: ConnectionId, connectionUid: string, data: RetainedData, signal: AbortSignal, opts: { replace?: boolean } = {}): Promise<boolean> {
    const desired = desiredRetainedSecret(this.namespace, id, connectionUid, data);
    const current = await this.#get(connectionUid, signal);
    if (current !== undefined && !isRetainedCopy(current, connectionUid))
      throw new Error(`Secret ${this.namespace}/${desired.metadata.name} exists and is not a certbridge retained copy; it is left alone`);
    if (current !== undefined && (opts.replace === false || upToDate(current, desired))) return false;
    if (current === undefined) {
      try {
        await this.#client.create(core.secrets, desired, signal);
        return true;
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        const live = await this.#client.get<SecretObject>(core.secrets, this.namespace, desired.metadata.name ?? "", signal);
        if (!isRetainedCopy(live, connectionUid))
          throw new Error(`Secret ${this.namespace}/${desired.metadata.name} exists and is not a certbridge retained copy; it is left alone`);
        if (upToDate(live, desired)) return false;
      }
    }
    await this.#client.apply(core.secrets, desired, { force: true, signal });
    return true;
  }

  /** Deletes the copies of a connection, all of them or all but the one of `keepUid` (a re-created namesake's). */
  async remove(id: ConnectionId, keepUid: string | undefined, signal: AbortSignal, knownUid?: string): Promise<number> {
    const key = connectionIdKey(id);
    const doomed = new Map<string, string | undefined>();
    for (const s of this.#cache?.list() ?? []) {
      if (!isRetainedCopy(s) || s.metadata.annotations?.[annotations.retainedFor] !== key) continue;
      const uid = s.metadata.labels?.[labels.connectionUid];
      if (uid !== undefined && uid !== keepUid) doomed.set(s.metadata.name ?? "", s.metadata.uid);
    }
    // Without a cache, the copy of the UID we know of is found by name. (With one, a copy the cache
    // has not seen yet arrives as an event that brings this connection back here.)
    if (this.#cache === undefined && knownUid !== undefined && knownUid !== keepUid) {
      const live = await this.#get(knownUid, signal);
      if (isRetainedCopy(live, knownUid)) doomed.set(live!.metadata.name ?? "", live!.metadata.uid);
    }
    for (const [name, uid] of doomed) {
      try {
        await this.#client.delete(core.secrets, this.namespace, name, { signal, ...(uid ? { preconditionUid: uid } : {}) });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return doomed.size;
  }

  async #get(connectionUid: string, signal: AbortSignal): Promise<SecretObject | undefined> {
    const name = retainedSecretName(connectionUid);
    const cached = this.#cache?.get(`${this.namespace}/${name}`) as SecretObject | undefined;
    if (cached !== undefined) return cached;
    try {
      return await this.#client.get<SecretObject>(core.secrets, this.namespace, name, signal);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function upToDate(current: SecretObject, desired: SecretObject): boolean {
  const want = desired.metadata.annotations?.[annotations.contentHash];
  if (current.metadata.annotations?.[annotations.contentHash] !== want) return false;
  // The hash is ours to write; trust it only if the data still hashes to it.
  return (
    contentHash(current.data ?? {}) === want &&
    current.metadata.annotations?.[annotations.retainedFor] === desired.metadata.annotations?.[annotations.retainedFor]
  );
}
