// One reconciler per issuer kind: parse the issuer, resolve the connection it names (as a request in
// its namespace would, for a VendorIssuer; as the connection itself, for a ClusterVendorIssuer, whose
// admission is decided per request), and write Ready from the connection's health. No vendor call: the
// connection's own controller verifies credentials; an issuer only reports whether it can be used.
import { Reason } from "../../api/v1alpha1/conditions.ts";
import type { VendorIssuerStatus } from "../../api/v1alpha1/vendorissuer.ts";
import { type Clock, systemClock } from "../../runtime/clock.ts";
import { type ConditionInput, setCondition } from "../../runtime/conditions.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { Key, ReconcileContext, Reconciler, Result } from "../../runtime/reconcile.ts";
import type { StatusApplied } from "../../runtime/status.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import { type IssuerKind, parseIssuer } from "./issuer.ts";
import { type ConnectionHealth, issuerReadiness } from "./readiness.ts";

export type IssuerObject = KubeObject & { spec?: unknown; status?: VendorIssuerStatus };

/** Issuers are looked at again this often besides every connection or namespace change (a safety net). */
export const ISSUER_RESYNC_MS = 10 * 60_000;

export interface IssuerReconcilerDeps {
  readonly kind: IssuerKind;
  readonly get: (key: Key) => KubeObject | undefined;
  /** The shared connection resolver (namespace undefined: the connection itself, for a cluster issuer). */
  readonly resolve: (ref: ConnectionRef, namespace: string | undefined, vendor: "sectigo" | "cloudflare", signal: AbortSignal) => Promise<ConnectionLookup>;
  /** The connection's own Ready condition, from the connection caches. */
  readonly health: (ref: ConnectionRef, namespace: string | undefined) => ConnectionHealth;
  readonly status: {
    apply(object: IssuerObject, status: VendorIssuerStatus, opts: { signal?: AbortSignal }): Promise<StatusApplied<IssuerObject>>;
    freshest(key: string, cached: IssuerObject | undefined): IssuerObject | undefined;
    forget(key: string): void;
  };
  readonly clock?: Clock;
  readonly resyncMs?: number;
}

export class IssuerReconciler implements Reconciler {
  readonly name: string;
  readonly #d: IssuerReconcilerDeps;

  constructor(deps: IssuerReconcilerDeps) {
    this.#d = deps;
    this.name = deps.kind.toLowerCase();
  }

  async reconcile(ctx: ReconcileContext, key: Key): Promise<Result> {
    const d = this.#d;
    const obj = d.status.freshest(key, d.get(key) as IssuerObject | undefined);
    if (obj === undefined || obj.metadata.deletionTimestamp !== undefined) {
      d.status.forget(key);
      return {};
    }
    const namespace = d.kind === "VendorIssuer" ? obj.metadata.namespace : undefined;
    const parsed = parseIssuer(d.kind, obj);
    let ready: ConditionInput;
    let vendor: "sectigo" | "cloudflare" | undefined;
    if (!parsed.ok) {
      ready = { type: "Ready", status: "False", reason: Reason.InvalidSpec, message: parsed.message };
    } else {
      const { connectionRef, options } = parsed.issuer;
      vendor = options.vendor;
      const lookup = await d.resolve(connectionRef, namespace, vendor, ctx.signal);
      const label =
        connectionRef.kind === "VendorConnection"
          ? `VendorConnection ${namespace ?? ""}/${connectionRef.name}`
          : `ClusterVendorConnection ${connectionRef.name}`;
      ready = issuerReadiness(lookup, d.health(connectionRef, namespace), label, vendor);
    }
    const generation = obj.metadata.generation;
    const now = (d.clock ?? systemClock).now();
    const next: VendorIssuerStatus = {
      ...obj.status,
      conditions: setCondition(obj.status?.conditions, ready, generation, now),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      ...(vendor === undefined ? {} : { vendor }),
    };
    await d.status.apply(obj, next, { signal: ctx.signal });
    return { requeueAfterMs: d.resyncMs ?? ISSUER_RESYNC_MS };
  }
}
