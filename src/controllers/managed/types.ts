// The shapes the managed-resource driver and its kinds share (ADR 0013).
import type { VendorName } from "../../ports/vendor-error.ts";
import type { ReadCache } from "../../runtime/informer.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { ConnectionLookup, ConnectionRef } from "../shared/connections.ts";
import type { CreateIntent } from "./create-intent.ts";
import type { DeletionPolicy, ManagementPolicy } from "./decide.ts";

/** An informer's cache, as the driver reads it (no listening). */
export type ObjectCache<T> = Pick<ReadCache<T>, "get" | "list">;

export interface ConnectionLookupPort {
  /** purpose "cleanup" only on the deletion path (contract C1); the default is "provision". */
  resolve(
    ref: ConnectionRef,
    namespace: string,
    expectedVendor: VendorName,
    signal: AbortSignal,
    opts?: { purpose?: "provision" | "cleanup" },
  ): Promise<ConnectionLookup>;
}

/** The status fields the driver itself reads and writes; a kind's status has these and its own. */
export interface ManagedStatus {
  readonly conditions?: readonly unknown[] | undefined;
  /** The external object recorded as this resource's. */
  readonly id?: string | undefined;
  readonly createIntent?: CreateIntent | undefined;
}

export type ManagedObject<S extends ManagedStatus = ManagedStatus> = KubeObject & { status?: S };

/** The resource as the driver sees it: its policies and what it has recorded. */
export interface ManagedView {
  readonly management: ManagementPolicy;
  readonly deletion: DeletionPolicy;
  /** Manage: the spec asks to take over an external object that existed before this resource. */
  readonly adopt: boolean;
  /** The name the external object has: looked up by it, created under it. */
  readonly externalName: string;
  readonly recordedId: string | undefined;
  readonly intent: CreateIntent | undefined;
  /** A replacement (a rotation) is asked for and not carried out yet. */
  readonly replaceRequested: boolean;
}

/** A check said no: the resource shows `reason` and makes no vendor call for the object. */
export interface Refusal {
  readonly reason: string;
  readonly message: string;
}

/** The resource being reconciled, as last read or written: writes replace `object`, later ones build on it. */
export interface Tracked<T> {
  readonly key: string;
  object: T;
}
