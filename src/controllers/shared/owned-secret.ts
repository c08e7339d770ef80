import { API_VERSION, MANAGED_LABEL_VALUE, annotations, labels } from "../../api/v1alpha1/index.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { Manager } from "../../runtime/manager.ts";
import { dataHashOf, digestSecret, type SecretDigest, type SecretFacts } from "./secret-digest.ts";
import { contentHash } from "./secret-hash.ts";

export { contentHash } from "./secret-hash.ts";
export { dataHashOf, dataKeysOf, hasData, hasDataValue, type SecretDigest, type SecretFacts } from "./secret-digest.ts";

/**
 * A Secret as read from the API server (`data`), or as the owned-Secret cache keeps it (`digest`
 * instead of `data`: see secret-digest.ts). Code that needs the data of a cached Secret GETs it.
 */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  digest?: SecretDigest;
}

export interface SecretOwner {
  readonly kind: "ManagedCertificate" | "ProvisioningKey";
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** absent: free to create · ours: owned by exactly this resource · foreign: anyone else's, never touched. */
export type SecretOwnership = "absent" | "ours" | "foreign";

/** The only Secrets the operator watches (TARGETS P4/S3: never all Secrets). */
export const OWNED_SECRET_SELECTOR = `${labels.managed}=${MANAGED_LABEL_VALUE}`;

export function classifySecret(secret: Secret | undefined, owner: SecretOwner): SecretOwnership {
  if (secret === undefined) return "absent";
  const l = secret.metadata.labels ?? {};
  const ours =
    l[labels.managed] === MANAGED_LABEL_VALUE && l[labels.ownerKind] === owner.kind && l[labels.ownerName] === owner.name && l[labels.ownerUid] === owner.uid;
  return ours ? "ours" : "foreign";
}

export interface OwnedSecretInput {
  readonly name: string;
  readonly type: string;
  /** base64-encoded values, as Secret.data holds them. */
  readonly data: Readonly<Record<string, string>>;
  readonly template?: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly extraAnnotations?: Readonly<Record<string, string>>;
  /** With an ownerReference, Kubernetes' garbage collector deletes the Secret with its owner (secretPolicy Delete). */
  readonly ownerReference: boolean;
}

export function buildOwnedSecret(owner: SecretOwner, input: OwnedSecretInput): Secret {
  return {
    metadata: {
      name: input.name,
      namespace: owner.namespace,
      labels: {
        ...(input.template?.labels ?? {}),
        [labels.managed]: MANAGED_LABEL_VALUE,
        [labels.ownerKind]: owner.kind,
        [labels.ownerName]: owner.name,
        [labels.ownerUid]: owner.uid,
      },
      annotations: {
        ...(input.template?.annotations ?? {}),
        ...(input.extraAnnotations ?? {}),
        [annotations.contentHash]: contentHash(input.data),
      },
      ...(input.ownerReference
        ? { ownerReferences: [{ apiVersion: API_VERSION, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: false }] }
        : {}),
    },
    type: input.type,
    data: { ...input.data },
  };
}

/** True when the Secret (live, or digested in the cache) already holds what `desired` says (data, type, our labels and annotations). */
export function secretUpToDate(current: Secret, desired: Secret): boolean {
  if (current.type !== desired.type) return false;
  if (dataHashOf(current) !== contentHash(desired.data ?? {})) return false;
  for (const [k, v] of Object.entries(desired.metadata.labels ?? {})) if (current.metadata.labels?.[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.metadata.annotations ?? {})) if (current.metadata.annotations?.[k] !== v) return false;
  const wantOwners = desired.metadata.ownerReferences ?? [];
  const haveOwners = current.metadata.ownerReferences ?? [];
  return wantOwners.every((w) => haveOwners.some((h) => h.uid === w.uid));
}

export type SecretWrite = "created" | "updated" | "unchanged" | "conflict";

/**
 * Writes an owned Secret, judged against `current` (the cache's copy, digested, or a live read): create
 * when absent (POST, so a Secret someone else created meanwhile is never taken over), server-side apply
 * when ours and different, nothing when unchanged, and nothing at all for a foreign Secret ("conflict";
 * it stays byte-identical). The apply carries the resourceVersion it was judged on: when `current` was
 * behind (AlreadyExists, 409, 404), the live Secret is read once and judged again, so a cached copy
 * saves the read in the common case without ever overwriting what it did not see.
 */
export async function writeOwnedSecret(
  client: KubeApi,
  owner: SecretOwner,
  desired: Secret,
  current: Secret | undefined,
  signal?: AbortSignal,
): Promise<SecretWrite> {
  const first = await writeJudged(client, owner, desired, current, signal, "report");
  if (first !== "stale") return first;
  // Behind: judged again on a live read; behind again, the API's error goes back to the queue.
  return (await writeJudged(
    client,
    owner,
    desired,
    await readLive(client, owner.namespace, desired.metadata.name ?? "", signal),
    signal,
    "throw",
  )) as SecretWrite;
}

/**
 * One write judged against `current`, as writeOwnedSecret's, without the second judgement: "stale" when
 * `current` was behind (AlreadyExists, 409, 404) and nothing was written. For a caller whose second
 * judgement is its own (keys.ts: a key stored meanwhile for the same revision is used, never replaced).
 */
export function writeOwnedSecretOnce(
  client: KubeApi,
  owner: SecretOwner,
  desired: Secret,
  current: Secret | undefined,
  signal?: AbortSignal,
): Promise<SecretWrite | "stale"> {
  return writeJudged(client, owner, desired, current, signal, "report");
}

async function writeJudged(
  client: KubeApi,
  owner: SecretOwner,
  desired: Secret,
  current: Secret | undefined,
  signal: AbortSignal | undefined,
  whenStale: "report" | "throw",
): Promise<SecretWrite | "stale"> {
  const ownership = classifySecret(current, owner);
  if (ownership === "foreign") return "conflict";
  if (ownership === "ours" && current !== undefined && secretUpToDate(current, desired)) return "unchanged";
  try {
    if (ownership === "absent") {
      await client.create(core.secrets, desired, signal);
      return "created";
    }
    const basedOn = current?.metadata.resourceVersion;
    const guarded = basedOn === undefined ? desired : { ...desired, metadata: { ...desired.metadata, resourceVersion: basedOn } };
    await client.apply(core.secrets, guarded, { force: true, ...(signal ? { signal } : {}) });
    return "updated";
  } catch (error) {
    if (whenStale === "report" && (isAlreadyExists(error) || isConflict(error) || isNotFound(error))) return "stale";
    throw error;
  }
}

async function readLive(client: KubeApi, namespace: string, name: string, signal: AbortSignal | undefined): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(core.secrets, namespace, name, signal);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The informer on operator-owned Secrets (label-selected), one per manager. It keeps each Secret's
 * metadata and digest, never its data (secret-digest.ts); an owner kind registers the facts its
 * policies read (registerSecretFacts) before the manager starts.
 */
export function sharedOwnedSecretInformer(manager: Manager): Informer<Secret> {
  const facts = ownedSecretFacts(manager);
  return manager.shared("informer/owned-secrets", () =>
    manager.informer<Secret>({ type: core.secrets, labelSelector: OWNED_SECRET_SELECTOR, transform: (s) => digestOwnedSecret(s, facts) }),
  );
}

/** The facts `kind`'s policies read of its Secrets, computed once per Secret change instead of the data being kept. */
export function registerSecretFacts(manager: Manager, kind: SecretOwner["kind"], facts: SecretFacts): void {
  ownedSecretFacts(manager).set(kind, facts);
}

function ownedSecretFacts(manager: Manager): Map<string, SecretFacts> {
  return manager.shared("owned-secret-facts", () => new Map<string, SecretFacts>());
}

/** The owned-Secret cache's form of a Secret: its owner kind's facts, then the data dropped. */
export function digestOwnedSecret(secret: Secret, facts: ReadonlyMap<string, SecretFacts>): Secret {
  const kind = secret.metadata.labels?.[labels.ownerKind];
  return digestSecret(secret, kind === undefined ? undefined : facts.get(kind));
}

/** Maps an owned Secret event to its owner's queue key ("ns/name"), if it belongs to `kind`. */
export function ownerKeyOf(secret: Secret | undefined, kind: SecretOwner["kind"]): string | undefined {
  const l = secret?.metadata.labels;
  if (!l || l[labels.ownerKind] !== kind || !l[labels.ownerName] || !secret?.metadata.namespace) return undefined;
  return `${secret.metadata.namespace}/${l[labels.ownerName]}`;
}
