// What a resource kind plugs into the managed-resource driver (ADR 0013). The driver owns the
// lifecycle — finalizer, management and deletion policies, observe / create / update / delete, the
// create-pending protection, status writes, bounded cleanup — and asks the kind only what is its own:
// how to read the resource, where its external object lives, who else may claim that object, what to
// deliver and record after a sync, and the words its messages use.
import type { ResolvedConnection } from "../../ports/connection.ts";
import type { ExternalClient, ExternalIdentity } from "../../ports/managed-resource.ts";
import type { VendorName } from "../../ports/vendor-error.ts";
import type { ResourceType } from "../../runtime/kube/resource.ts";
import type { ReconcileContext, Result } from "../../runtime/reconcile.ts";
import type { ConnectionRef } from "../shared/connections.ts";
import type { SameName } from "./create-intent.ts";
import type { SyncAction } from "./decide.ts";
import type { ManagedTools } from "./tools.ts";
import type { ManagedObject, ManagedStatus, ManagedView, Refusal, Tracked } from "./types.ts";

/** Another resource holds an object this one claims. */
export interface ClaimLoss extends Refusal {
  /** This resource recorded the object the holder holds: forget it, and withdraw what it delivered of it. */
  readonly forgetRecorded: boolean;
}

/** Who may act on which external object (ADR 0006 claims), for one reconcile of one resource. */
export interface Claims {
  /** Does the resource hold every object it claims? Otherwise why not. */
  lost(): ClaimLoss | undefined;
  /** May it act on the object with this id (found by name: someone else may have recorded it)? */
  mayUse(id: string): Refusal | undefined;
  /** On deletion: does it hold the object status recorded, and the name its intent announced? */
  holdsRecorded(): boolean;
  holdsIntent(): boolean;
}

export type Consent = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** The adoption gate: may this resource take over an object it did not create (the connection's word)? */
export type AdoptionGate = (found: ExternalIdentity | undefined, signal: AbortSignal) => Promise<Consent>;

/** What a sync did, for the kind to deliver and record. */
export interface Synced<C extends AnyClient> {
  readonly action: SyncAction;
  readonly observed: ObservedOf<C>;
  /** What the spec asked for (Manage), resolved; undefined for ObserveOnly. */
  readonly desired: DesiredOf<C> | undefined;
}

/** Any external client: the driver passes desired and observed objects through without reading them. */
export type AnyClient = ExternalClient<unknown, ExternalIdentity>;
export type ObservedOf<C> = C extends ExternalClient<unknown, infer O> ? O : never;
export type DesiredOf<C> = C extends ExternalClient<infer D, ExternalIdentity> ? D : never;

/** Sentences that name the kind's objects (the driver's own words stay generic). */
export interface ManagedWords {
  /** The vendor, as in "left in ZPA". */
  readonly system: string;
  /** What the external object is called, as in "the key left in ZPA". */
  readonly noun: string;
  /** The Warning Event reason when a blocked cleanup gives up and leaves the object. */
  readonly orphanedReason: string;
  /** "ZPA key edge (id 9)": the object status recorded, or the one its intent announced. */
  recorded(status: ManagedStatus & { readonly name?: string | undefined }): string;
  /** A found object this resource did not create. */
  preExisting(found: ExternalIdentity): string;
  /** How to ask for adoption (appended to `preExisting` when the spec did not). */
  readonly howToAdopt: string;
  /** ObserveOnly refused before any call: observing is taking over. */
  observeRefused(why: string): string;
  /** The Normal Event after the external object was deleted. */
  readonly deleted: string;
}

/** Sending what a sync found where it is used (a Secret), and taking it back. */
export interface Publisher<T extends ManagedObject, P, C extends AnyClient, D> {
  /** A refusal before any vendor call (the target is not ours to write), with when to look again. */
  blocked(ctx: ReconcileContext, t: Tracked<T>, resource: P): Promise<(Refusal & { readonly retryAfterMs: number }) | undefined>;
  /** Delivers what the sync found; its vendor errors are the driver's to handle. */
  publish(ctx: ReconcileContext, t: Tracked<T>, resource: P, client: C, synced: Synced<C>): Promise<D>;
  /** Claim lost on a recorded object: withdraw this resource's copy of the holder's object. */
  withdraw(ctx: ReconcileContext, t: Tracked<T>, resource: P): Promise<void>;
  /** The external object was deleted: what was delivered of it goes too. */
  unpublish(ctx: ReconcileContext, t: Tracked<T>, resource: P): Promise<void>;
}

/** When the vendor is talked to: only when something asks for it (a kind may poll for drift). */
export interface Schedule<T extends ManagedObject, P> {
  /** Why a sync is needed now, or when to look again; `idle` runs when none is. */
  due(t: Tracked<T>, resource: P, view: ManagedView): { readonly reason: string } | { readonly reason?: undefined; readonly nextAt: number };
  idle?(t: Tracked<T>, resource: P): void;
}

export interface ManagedKind<T extends ManagedObject, P, C extends AnyClient, D> {
  readonly type: ResourceType;
  readonly finalizer: string;
  readonly vendor: VendorName;
  readonly words: ManagedWords;
  /** How the external system compares names. */
  readonly sameName: SameName;
  parse(object: T): { readonly ok: true; readonly value: P } | { readonly ok: false; readonly message: string };
  view(resource: P): ManagedView;
  connectionRef(resource: P): ConnectionRef;
  /** A spec the schema accepts but the kind refuses (a reserved name): InvalidSpec, terminal. */
  invalid?(resource: P): string | undefined;
  /** The pluggable checks, bound to one reconcile of one resource. */
  claims(resource: P): Claims;
  adoption(resource: P): AdoptionGate;
  /** crossplane's Connect: the external client for this resource through this connection. */
  connect(connection: ResolvedConnection, resource: P, view: ManagedView): C;
  readonly schedule: Schedule<T, P>;
  readonly publisher: Publisher<T, P, C, D>;
  /** Writes the synced status and Events; returns when to look again. */
  record(ctx: ReconcileContext, t: Tracked<T>, resource: P, synced: Synced<C>, delivered: D, reason: string, tools: ManagedTools<T>): Promise<Result>;
  /** The status with everything about a recorded object removed (after a lost claim). */
  forgetRecorded(status: NonNullable<T["status"]>): NonNullable<T["status"]>;
  /** The resource is gone: drop what is remembered about it. */
  forget(key: string): void;
}
