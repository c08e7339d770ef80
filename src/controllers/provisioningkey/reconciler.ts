// The ProvisioningKey reconciler: a ZPA key kept in line with its spec and delivered into a Secret,
// by the generic managed-resource driver (controllers/managed, ADR 0013) with this kind plugged in
// (kind.ts). Tenancy (ADR 0006): before any vendor call the resource must hold its claim on the key,
// its Secret must not be foreign, and a key it did not create is taken over only when spec.adopt asks
// and the connection allows it (ObserveOnly always counts as taking over). A create is announced in
// status first and a create whose answer was lost is looked up, never repeated, for the settle window.
import { resourceTypes, type ProvisioningKeyStatus } from "../../api/v1alpha1/index.ts";
import type { ProvisioningKeyClients } from "../../ports/managed-provisioning-keys.ts";
import { systemClock, type Clock } from "../../runtime/clock.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import { StatusApplier } from "../../runtime/status.ts";
import { DEFAULT_CLEANUP_GRACE_MS } from "../managed/decide.ts";
import { ManagedReconciler } from "../managed/reconciler.ts";
import { ManagedTools, type ManagedStep } from "../managed/tools.ts";
import type { ConnectionLookupPort, ObjectCache } from "../managed/types.ts";
import type { Secret } from "../shared/owned-secret.ts";
import { scanningClaims, type ClaimsPort } from "./claims-check.ts";
import { SecretDelivery } from "./delivery.ts";
import { DriftChecks } from "./drift-check.ts";
import { KEY_WORDS, provisioningKeyKind, type Raw } from "./kind.ts";
import type { UsageMetrics } from "./metrics.ts";
import { connectionIdentityTenancy, type TenancyPort } from "./tenancy.ts";

export const CONTROLLER_NAME = "provisioningkey";

/**
 * The await points of a reconcile, in order. Tests stop a reconcile at each one (as a SIGKILL
 * would) and check that the next run neither duplicates nor leaks a key.
 */
export type Checkpoint =
  | "finalizer-added"
  | "connection-resolved"
  | "references-resolved"
  | "looked-up"
  | "intent-recorded"
  | "created"
  | "rotation-deleted"
  | "updated"
  | "secret-written"
  | "status-written";

/** The driver's step names, as this controller's crash tests know them (a replacement is a rotation). */
const STEP_NAMES: Readonly<Record<ManagedStep, Checkpoint>> = {
  "finalizer-added": "finalizer-added",
  "connection-resolved": "connection-resolved",
  "references-resolved": "references-resolved",
  "looked-up": "looked-up",
  "intent-recorded": "intent-recorded",
  created: "created",
  "replace-deleted": "rotation-deleted",
  updated: "updated",
};

export type { ClaimsPort } from "./claims-check.ts";
export type { ConnectionLookupPort, ObjectCache } from "../managed/types.ts";

export interface ProvisioningKeyReconcilerDeps {
  readonly client: KubeApi;
  readonly keys: ObjectCache<KubeObject>;
  /** Operator-owned Secrets (label-selected); a foreign Secret is never in here. */
  readonly secrets: ObjectCache<Secret>;
  readonly connections: ConnectionLookupPort;
  /** Looked up per reconcile, so the composition root may provide it after controllers register. */
  readonly ports: () => ProvisioningKeyClients;
  readonly events: EventRecorder;
  readonly metrics: UsageMetrics;
  /** How often ZPA is checked for drift and usage (jittered by up to 20 %). */
  readonly driftIntervalMs: number;
  /** Default: a scan of `keys` with connection identities as tenants (setup passes the index). */
  readonly claims?: ClaimsPort;
  /** Default: connectionIdentityTenancy (a ClusterVendorConnection never allows adoption). */
  readonly tenancy?: TenancyPort;
  /** How long a deletion whose ZPA key cannot be deleted holds the finalizer (default 15 min). */
  readonly cleanupGraceMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** A seam for crash tests; throwing here stops the reconcile exactly as a kill would. */
  readonly checkpoint?: (step: Checkpoint, key: string) => void | Promise<void>;
}

export class ProvisioningKeyReconciler implements Reconciler {
  readonly name = CONTROLLER_NAME;
  readonly #managed: Reconciler;
  readonly #delivery: SecretDelivery;

  constructor(deps: ProvisioningKeyReconcilerDeps) {
    const clock = deps.clock ?? systemClock;
    const tenancy = deps.tenancy ?? connectionIdentityTenancy;
    const checkpoint = async (step: Checkpoint, key: string) => {
      await deps.checkpoint?.(step, key);
    };
    const tools = new ManagedTools<Raw>({
      applier: new StatusApplier<Raw, ProvisioningKeyStatus>({ api: deps.client, type: resourceTypes.provisioningKeys }),
      events: deps.events,
      clock,
      system: KEY_WORDS.system,
      checkpoint: (step, key) => checkpoint(STEP_NAMES[step], key),
    });
    this.#delivery = new SecretDelivery({ api: deps.client, secrets: deps.secrets, tools, secretWritten: (key) => checkpoint("secret-written", key) });
    const kind = provisioningKeyKind({
      ports: deps.ports,
      tenancy,
      claims: deps.claims ?? scanningClaims(deps.keys, tenancy),
      secrets: deps.secrets,
      delivery: this.#delivery,
      drift: new DriftChecks(deps.driftIntervalMs, deps.random ?? Math.random),
      metrics: deps.metrics,
      clock,
      statusWritten: (key) => checkpoint("status-written", key),
    });
    this.#managed = new ManagedReconciler({
      name: CONTROLLER_NAME,
      kind,
      api: deps.client,
      cache: deps.keys as ObjectCache<Raw>,
      connections: deps.connections,
      tools,
      cleanupGraceMs: deps.cleanupGraceMs ?? DEFAULT_CLEANUP_GRACE_MS,
    });
  }

  /** The Secret cache reported a change to `secretKey` ("ns/name"): it is no longer behind our write. */
  secretObserved(secretKey: string): void {
    this.#delivery.observed(secretKey);
  }

  reconcile(ctx: ReconcileContext, key: string): Promise<Result> {
    return this.#managed.reconcile(ctx, key);
  }
}
