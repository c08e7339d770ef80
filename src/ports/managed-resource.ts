// The external-client port of the managed-resource driver (controllers/managed): what a controller
// needs from a vendor to keep one external object in line with one Kubernetes resource — crossplane's
// ExternalClient (observe, create, update, delete) — in terms that carry none of the vendor's own
// values. The driver reads an observed object's identity and nothing else; everything that needs the
// vendor's fields (what differs, what status reports, what is delivered, whether the object is
// usable) is answered by the client. Methods throw VendorError; "does not exist" is a value.

/** How the external system knows an object. */
export interface ExternalIdentity {
  readonly id: string;
  readonly name: string;
  /** When the system made it (epoch ms), when it says: tells an object we just created from an older one. */
  readonly createdAt?: number;
}

/** The spec's references (a group, a certificate) resolved to the system's ids, or why they could not be. */
export type Resolution<D> = { readonly ok: true; readonly desired: D } | { readonly ok: false; readonly message: string };

/** Whether an existing object can serve its purpose; `note` qualifies a usable one ("disabled"). */
export type Availability = { readonly usable: true; readonly note?: string } | { readonly usable: false; readonly reason: string; readonly message: string };

/**
 * One kind of external object, bound to one connection and one resource's scope (crossplane's
 * Connect): every call already knows where in the vendor's tenant it acts. `D` is what the spec asks
 * for once resolved, `O` an observed object; both are opaque to the driver beyond `O`'s identity.
 */
export interface ExternalClient<D, O extends ExternalIdentity> {
  /** What the spec asks for, its references resolved by name or id. */
  resolve(signal: AbortSignal): Promise<Resolution<D>>;
  /** The object with this id; undefined when it does not exist. */
  get(id: string, signal: AbortSignal): Promise<O | undefined>;
  /** The object with this name, as the system compares names; undefined when there is none. */
  find(name: string, signal: AbortSignal): Promise<O | undefined>;
  /** Names of the fields where `observed` differs from `desired`; empty when it is up to date. Never values. */
  diff(desired: D, observed: O): readonly string[];
  create(desired: D, signal: AbortSignal): Promise<O>;
  /** Returns the object as it is after the update. */
  update(observed: O, desired: D, signal: AbortSignal): Promise<O>;
  /** Deleting what is already gone is success. */
  delete(id: string, signal: AbortSignal): Promise<void>;
  /** Can the object serve its purpose (not used up, say)? Pure: from what was observed. */
  availability(observed: O): Availability;
  /** The sentence for "nothing by this name exists" (what was looked for, and where). */
  absent(name: string): string;
}
