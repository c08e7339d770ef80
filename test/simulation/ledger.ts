// What the invariants need beyond the models' final state: violations noticed while the schedule
// ran (an order sent after the task saw a deletion, a namespace reaching another's objects), and
// history (which vendor references a resource ever recorded as its certificate, which resources
// were deleted and under which policy).

export interface Violation {
  readonly invariant: InvariantName;
  readonly detail: string;
  /** Virtual time (ms since the schedule started) when it was noticed. */
  readonly at: number;
}

export const Invariant = {
  /** ≤ 1 live vendor order per (resource, intended revision); extras must end revoked/cancelled. */
  OneOrderPerRevision: "one-order-per-revision",
  /** Every live vendor object is one a resource tracks (or tracked and kept by policy). */
  NoUntrackedVendorObject: "no-untracked-vendor-object",
  /** A Ready resource's Secret holds exactly the vendor object its status names, for its current spec. */
  SecretMatchesVendor: "secret-matches-vendor",
  /** A namespace's resources never read into their Secrets/status, nor write, another namespace's vendor objects or Secrets. */
  NoCrossNamespaceAccess: "no-cross-namespace-access",
  /** No paid order or key create is sent by a reconcile that had seen its resource/namespace/connection being deleted. */
  NoOrderAfterDelete: "no-order-after-delete",
  /** After faults stop: every resource is Ready, or not Ready with a reason and message; deleted ones are gone. */
  Converges: "converges",
  /** Cleanup per policy happened: revoke/delete on delete, superseded revoked, pending orders cancelled. */
  CleanupPerPolicy: "cleanup-per-policy",
  /** Reconcilers read time and randomness only through what they are given (C4). */
  InjectedClock: "injected-clock",
} as const;
export type InvariantName = (typeof Invariant)[keyof typeof Invariant];

export interface DeletedResource {
  readonly kind: "ManagedCertificate" | "ProvisioningKey";
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The spec as it was when the resource went away. */
  readonly spec: Record<string, unknown>;
  readonly status: Record<string, unknown> | undefined;
}

export class Ledger {
  readonly violations: Violation[] = [];
  readonly #start: number;
  readonly #now: () => number;
  /** vendorRef → the ManagedCertificate (uid, namespace/name) that recorded it as its issued certificate. */
  readonly recordedCertificates = new Map<string, { readonly uid: string; readonly key: string }>();
  /** ZPA key id → uid of the ProvisioningKey that recorded it in status.id. */
  readonly recordedKeys = new Map<string, string>();
  readonly deleted = new Map<string, DeletedResource>();
  /** Controller code that read the global clock: site → count. */
  readonly globalReads = new Map<string, number>();
  /** The last error each resource's reconcile failed with ("kind ns/name" → message), for the reports. */
  readonly lastErrors = new Map<string, string>();

  constructor(start: number, now: () => number) {
    this.#start = start;
    this.#now = now;
  }

  flag(invariant: InvariantName, detail: string): void {
    if (this.violations.some((v) => v.invariant === invariant && v.detail === detail)) return;
    this.violations.push({ invariant, detail, at: this.#now() - this.#start });
  }
}
