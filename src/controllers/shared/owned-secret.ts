import { createHash } from "node:crypto";
import { API_VERSION, MANAGED_LABEL_VALUE, annotations, labels } from "../../api/v1alpha1/index.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isAlreadyExists } from "../../runtime/kube/errors.ts";
import { type KubeObject, core } from "../../runtime/kube/resource.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { Manager } from "../../runtime/manager.ts";

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
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

/** sha256 over the sorted data keys and values: what workload reloaders watch, and how we skip no-op writes. */
export function contentHash(data: Readonly<Record<string, string>>): string {
  const h = createHash("sha256");
  for (const key of Object.keys(data).sort()) h.update(`${key}\0${data[key]}\0`);
  return h.digest("hex");
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

/** True when the live Secret already holds what `desired` says (data, type, our labels and annotations). */
export function secretUpToDate(current: Secret, desired: Secret): boolean {
  if (current.type !== desired.type) return false;
  const cur = current.data ?? {};
  const want = desired.data ?? {};
  if (Object.keys(cur).length !== Object.keys(want).length) return false;
  for (const [k, v] of Object.entries(want)) if (cur[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.metadata.labels ?? {})) if (current.metadata.labels?.[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.metadata.annotations ?? {})) if (current.metadata.annotations?.[k] !== v) return false;
  const wantOwners = desired.metadata.ownerReferences ?? [];
  const haveOwners = current.metadata.ownerReferences ?? [];
  return wantOwners.every((w) => haveOwners.some((h) => h.uid === w.uid));
}

export type SecretWrite = "created" | "updated" | "unchanged" | "conflict";

/**
 * Writes an owned Secret: create when absent (POST, so a Secret someone else created meanwhile is
 * never taken over), server-side apply when ours and different, nothing when unchanged, and nothing
 * at all for a foreign Secret ("conflict"; it stays byte-identical).
 */
export async function writeOwnedSecret(
  client: KubeApi,
  owner: SecretOwner,
  desired: Secret,
  current: Secret | undefined,
  signal?: AbortSignal,
): Promise<SecretWrite> {
  const ownership = classifySecret(current, owner);
  if (ownership === "foreign") return "conflict";
  if (ownership === "ours" && current && secretUpToDate(current, desired)) return "unchanged";
  if (ownership === "absent") {
    try {
      await client.create(core.secrets, desired, signal);
      return "created";
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      // Our cache was behind: judge the live object instead of overwriting it.
      const live = await client.get<Secret>(core.secrets, owner.namespace, desired.metadata.name ?? "", signal);
      if (classifySecret(live, owner) !== "ours") return "conflict";
      if (secretUpToDate(live, desired)) return "unchanged";
    }
  }
  await client.apply(core.secrets, desired, { force: true, ...(signal ? { signal } : {}) });
  return "updated";
}

/** The informer on operator-owned Secrets (label-selected), one per manager. */
export function sharedOwnedSecretInformer(manager: Manager): Informer<Secret> {
  return manager.shared("informer/owned-secrets", () => manager.informer<Secret>({ type: core.secrets, labelSelector: OWNED_SECRET_SELECTOR }));
}

/** Maps an owned Secret event to its owner's queue key ("ns/name"), if it belongs to `kind`. */
export function ownerKeyOf(secret: Secret | undefined, kind: SecretOwner["kind"]): string | undefined {
  const l = secret?.metadata.labels;
  if (!l || l[labels.ownerKind] !== kind || !l[labels.ownerName] || !secret?.metadata.namespace) return undefined;
  return `${secret.metadata.namespace}/${l[labels.ownerName]}`;
}
