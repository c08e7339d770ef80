// What a detection pass does with each optional part, from what it learnt of the part's kinds — pure.
// A kind is served, absent, or not permitted: RBAC refused to list its CRD. "Not permitted" is not
// "absent" (the CRD may well be there) and not "not synced yet" (waiting would never end): the part
// waits, the operator says once which rule is missing, and the pass is tried again with a backoff, as
// nothing else would wake it (a granted Role produces no event the operator can watch).
import { backoffDelay } from "../../runtime/timers.ts";

export type KindState = "served" | "absent" | "forbidden";

/** What a part is, as the metric and the logs say it. */
export type PartStatus = "running" | "not_served" | "not_permitted" | "waiting";

export type PartAction = "start" | "stop" | "keep" | "wait";

export interface PartView {
  readonly running: boolean;
  /** The part can stop (and start again) when a kind it needs goes; otherwise it runs for the process's life. */
  readonly stoppable: boolean;
  /** An earlier part is not running: this one reads what that one serves, so it waits. */
  readonly earlierWaiting: boolean;
  /** The state of each kind the part needs; empty for a part that runs for good (its kinds are no longer looked at). */
  readonly kinds: readonly KindState[];
}

export function decidePart(view: PartView): { readonly action: PartAction; readonly status: PartStatus } {
  if (view.running) {
    // Only a kind seen absent stops a part: a refused read says nothing of whether the CRD is still
    // there, and stopping would leave our finalizers on its objects unreleased.
    if (view.stoppable && view.kinds.includes("absent")) return { action: "stop", status: "not_served" };
    return { action: "keep", status: "running" };
  }
  if (view.kinds.includes("forbidden")) return { action: "wait", status: "not_permitted" };
  if (view.kinds.includes("absent")) return { action: "wait", status: "not_served" };
  if (view.earlierWaiting) return { action: "wait", status: "waiting" };
  return { action: "start", status: "running" };
}

/** Retries while a CRD may not be read: soon at first (a fix is often applied right after the warning), then every minute. */
export const NOT_PERMITTED_RETRY = { baseMs: 2_000, maxMs: 60_000 } as const;

/** The delay before the `attempt`-th retry (0 = the first) of a pass that found a CRD it may not read. */
export const notPermittedRetryMs = (attempt: number): number => backoffDelay(NOT_PERMITTED_RETRY, attempt);

/** The RBAC rule that lets detection watch these CRDs: by name only (ADR 0017), as the chart grants it. */
export function crdRule(crds: readonly string[]) {
  return { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], resourceNames: [...crds], verbs: ["list", "watch"] };
}

/** The one Warning said when RBAC refuses a CRD read: what is missing, how to grant it, what still works. */
export function notPermittedWarning(crds: readonly string[]): string {
  return (
    `cert-manager support is not permitted to read its CRDs: grant list and watch on customresourcedefinitions (apiextensions.k8s.io) ` +
    `with resourceNames ${crds.join(", ")} — the chart grants it with rbac.create=true and certManager.enabled=true (the defaults), ` +
    "or add that rule to the operator's ClusterRole — or turn cert-manager support off (--cert-manager=false, chart certManager.enabled=false). " +
    "VendorIssuers and cert-manager CertificateRequests are not served until then; ManagedCertificates, ProvisioningKeys and " +
    "VendorConnections are, and the operator is ready. Retrying with backoff; a granted rule is picked up without a restart"
  );
}
