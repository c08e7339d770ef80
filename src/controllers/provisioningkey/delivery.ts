// Delivering the key into its Secret (the managed driver's publisher): the Secret must be absent or
// this resource's before anything is asked of ZPA (ADR 0006 §4: a key that can never be delivered is
// not created, its value not even read); after a sync the key is written there, the Secret of an
// earlier spec.secretName goes, and on deletion or a lost claim the copy is taken back.
import { annotations, Reason, type ProvisioningKey, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyClient, ProvisioningKeyReport } from "../../ports/managed-provisioning-keys.ts";
import type { Availability } from "../../ports/managed-resource.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import { isNotFound } from "../../runtime/kube/errors.ts";
import { core } from "../../runtime/kube/resource.ts";
import type { ReconcileContext } from "../../runtime/reconcile.ts";
import type { Publisher, Synced } from "../managed/kind.ts";
import type { ManagedTools } from "../managed/tools.ts";
import type { ManagedObject, ObjectCache, Tracked } from "../managed/types.ts";
import { classifySecret, writeOwnedSecret, type Secret, type SecretOwner, type SecretOwnership } from "../shared/owned-secret.ts";
import { desiredSecret } from "./secret.ts";

/** How long a Secret we wrote may be missing from the cache before it counts as deleted. */
const SECRET_CACHE_GRACE_MS = 10_000;
const SECRET_CONFLICT_RETRY_MS = 60_000;

/** What a sync delivered: the report for status, and whether the Secret could take the key. */
export interface Delivered {
  readonly report: ProvisioningKeyReport;
  readonly availability: Availability;
  readonly secret: "delivered" | "conflict";
}

type Raw = ManagedObject<ProvisioningKeyStatus>;

export function ownerOf(pk: Pick<ProvisioningKey, "metadata">): SecretOwner {
  return { kind: "ProvisioningKey", namespace: pk.metadata.namespace ?? "", name: pk.metadata.name ?? "", uid: pk.metadata.uid ?? "" };
}

export class SecretDelivery implements Publisher<Raw, ProvisioningKey, ProvisioningKeyClient, Delivered> {
  readonly #api: KubeApi;
  readonly #secrets: ObjectCache<Secret>;
  readonly #tools: ManagedTools<Raw>;
  readonly #secretWritten: (key: string) => Promise<void>;
  /** Secrets written but not yet seen by the Secret cache (cleared by `observed`). */
  readonly #pending = new Map<string, number>();

  constructor(init: { api: KubeApi; secrets: ObjectCache<Secret>; tools: ManagedTools<Raw>; secretWritten: (key: string) => Promise<void> }) {
    this.#api = init.api;
    this.#secrets = init.secrets;
    this.#tools = init.tools;
    this.#secretWritten = init.secretWritten;
  }

  /** The Secret cache reported a change to `secretKey` ("ns/name"): it is no longer behind our write. */
  observed(secretKey: string): void {
    this.#pending.delete(secretKey);
  }

  /** We wrote this Secret moments ago and the cache may not show it yet: trust our write. */
  pending(secretKey: string, now: number): boolean {
    return now - (this.#pending.get(secretKey) ?? -Infinity) < SECRET_CACHE_GRACE_MS;
  }

  cached(secretKey: string): Secret | undefined {
    return this.#secrets.get(secretKey);
  }

  async blocked(ctx: ReconcileContext, _t: Tracked<Raw>, pk: ProvisioningKey): Promise<{ reason: string; message: string; retryAfterMs: number } | undefined> {
    const owner = ownerOf(pk);
    const secretKey = `${owner.namespace}/${pk.spec.secretName}`;
    if (this.pending(secretKey, this.#tools.now())) return undefined;
    if ((await this.#ownership(this.#secrets.get(secretKey), owner, pk.spec.secretName, ctx.signal)) !== "foreign") return undefined;
    const message = `Secret ${pk.spec.secretName} exists and is not owned by this ProvisioningKey; it is left untouched and nothing is done in ZPA until it is free (choose another secretName or delete that Secret)`;
    return { reason: Reason.SecretConflict, message, retryAfterMs: SECRET_CONFLICT_RETRY_MS };
  }

  async publish(
    ctx: ReconcileContext,
    t: Tracked<Raw>,
    pk: ProvisioningKey,
    client: ProvisioningKeyClient,
    synced: Synced<ProvisioningKeyClient>,
  ): Promise<Delivered> {
    const report = await client.report(synced.observed, synced.desired, ctx.signal);
    const owner = ownerOf(pk);
    const secretKey = `${owner.namespace}/${pk.spec.secretName}`;
    const secret = desiredSecret(owner, pk.spec, { id: report.id, value: client.secretValue(synced.observed) });
    const write = await writeOwnedSecret(this.#api, owner, secret, this.#secrets.get(secretKey), ctx.signal);
    if (write === "created" || write === "updated") this.#pending.set(secretKey, this.#tools.now());
    await this.#secretWritten(t.key);
    if (write !== "conflict") await this.#removeStale(pk, owner, ctx.signal);
    if ((write === "created" || write === "updated") && synced.action === "InSync" && pk.status?.id !== undefined) {
      this.#tools.event(
        t,
        "Normal",
        "SecretRestored",
        "Restore",
        `Secret ${pk.spec.secretName} was missing or altered; restored from ZPA without rotating the key`,
      );
    }
    return { report, availability: client.availability(synced.observed), secret: write === "conflict" ? "conflict" : "delivered" };
  }

  async withdraw(ctx: ReconcileContext, _t: Tracked<Raw>, pk: ProvisioningKey): Promise<void> {
    const owner = ownerOf(pk);
    const secretName = pk.status?.secretName ?? pk.spec.secretName;
    // Only a Secret that holds the very key another resource holds.
    if (this.#secrets.get(`${owner.namespace}/${secretName}`)?.metadata.annotations?.[annotations.vendorRef] === pk.status?.id)
      await this.#deleteOwned(secretName, owner, ctx.signal);
  }

  async unpublish(ctx: ReconcileContext, _t: Tracked<Raw>, pk: ProvisioningKey): Promise<void> {
    await this.#deleteOwned(pk.status?.secretName ?? pk.spec.secretName, ownerOf(pk), ctx.signal);
  }

  /** After spec.secretName changed, the Secret we wrote before goes (only if it is still ours). */
  async #removeStale(pk: ProvisioningKey, owner: SecretOwner, signal: AbortSignal): Promise<void> {
    const previous = pk.status?.secretName;
    if (previous === undefined || previous === pk.spec.secretName) return;
    await this.#deleteOwned(previous, owner, signal);
  }

  async #deleteOwned(secretName: string, owner: SecretOwner, signal: AbortSignal): Promise<void> {
    const secret = this.#secrets.get(`${owner.namespace}/${secretName}`);
    if (classifySecret(secret, owner) !== "ours") return;
    try {
      await this.#api.delete(core.secrets, owner.namespace, secretName, { signal, ...(secret?.metadata.uid ? { preconditionUid: secret.metadata.uid } : {}) });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** The owned-Secret cache holds only labelled Secrets: one it does not hold may be absent or foreign. */
  async #ownership(cached: Secret | undefined, owner: SecretOwner, secretName: string, signal: AbortSignal): Promise<SecretOwnership> {
    const fromCache = classifySecret(cached, owner);
    if (fromCache !== "absent") return fromCache;
    try {
      return classifySecret(await this.#api.get<Secret>(core.secrets, owner.namespace, secretName, signal), owner);
    } catch (e) {
      if (isNotFound(e)) return "absent";
      throw e;
    }
  }
}
