// What `status` reports about one resource, as data: the text screen (render.ts) and `-o json|yaml`
// print the same report. Times stay ISO 8601; the renderer makes them relative to now.
import type { KindName } from "../../../api/v1alpha1/group.ts";

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime?: string;
}

export type SecretOwner = "this" | "previous" | "other" | "foreign";

export interface SecretView {
  readonly name: string;
  readonly namespace: string;
  readonly present: boolean;
  readonly type?: string;
  /** this: owned by this resource; previous: by an earlier resource of the same name (re-adopted); other: another certbridge resource; foreign: not certbridge's. */
  readonly owner?: SecretOwner;
  readonly ownerText?: string;
  readonly contentHash?: string;
  /** The content-hash annotation matches the data (false: edited since the operator wrote it). */
  readonly hashMatches?: boolean;
  readonly revision?: string;
  readonly vendorRef?: string;
  readonly dataKeys?: readonly string[];
  readonly error?: string;
}

export interface ConnectionView {
  readonly kind: "VendorConnection" | "ClusterVendorConnection";
  readonly name: string;
  readonly namespace?: string;
  readonly found: boolean;
  readonly error?: string;
  readonly vendor?: string;
  readonly ready?: ConditionView;
  readonly lastVerifiedTime?: string;
  readonly consumers?: number;
  readonly deleting?: boolean;
}

export interface BudgetView {
  readonly perHour: number;
  /** true: the connection's issuanceBudget.maxPerHour; false: the default. */
  readonly fromSpec: boolean;
  /** Paid orders placed within the last hour that status still shows (in-flight intents); the operator counts the rest in memory. */
  readonly placedWithinHour?: number;
  /** Certificates through the connection reporting BudgetExhausted. */
  readonly exhaustedOn: readonly string[];
}

export interface CertificateView {
  readonly vendor?: string;
  readonly revision?: number;
  readonly vendorRef?: string;
  readonly serialNumber?: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly renewalTime?: string;
}

export interface OrderView {
  readonly revision: number;
  readonly state: string;
  readonly vendorRef?: string;
  readonly startedTime?: string;
  readonly submits?: number;
  readonly settleDeadline?: string;
  readonly pollCount?: number;
  readonly nextPollTime?: string;
}

export interface BackoffView {
  readonly failedAttempts: number;
  readonly lastFailureTime?: string;
  readonly lastFailureMessage?: string;
  readonly nextAttemptTime?: string;
}

export interface KeyView {
  readonly zpaName?: string;
  readonly id?: string;
  readonly usageCount?: number;
  readonly maxUsage?: number;
  readonly enabled?: boolean;
  readonly group?: string;
  readonly lastSyncTime?: string;
  readonly managementPolicy?: string;
  readonly deletionPolicy?: string;
  readonly rotation: { readonly requested: number; readonly done: number };
  readonly rotateRequest?: { readonly requested?: string; readonly done?: string };
  readonly createIntent?: { readonly name: string; readonly since: string };
}

export interface PublishView {
  readonly condition?: ConditionView;
  readonly certificateId?: string;
  readonly zpaName?: string;
  readonly serialNumber?: string;
  readonly lastPublishTime?: string;
}

export interface EventView {
  readonly time?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly note?: string;
  readonly count?: number;
}

export interface NextStep {
  /** The condition reason the step answers, when it comes from the troubleshooting table. */
  readonly reason?: string;
  /** What the step is about: "Ready", "Issuing", "connection VendorConnection web/cf", … */
  readonly about: string;
  /** Markdown, in the README's words where it has them. */
  readonly todo: string;
  /** The operator gets there by itself; nobody needs to act. */
  readonly waitsOnly: boolean;
}

export interface StatusReport {
  readonly kind: KindName;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  readonly ready: "True" | "False" | "Unknown";
  readonly readyReason?: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly deletionTimestamp?: string;
  readonly finalizers: readonly string[];
  readonly conditions: readonly ConditionView[];
  readonly certificate?: CertificateView;
  readonly order?: OrderView;
  readonly backoff?: BackoffView;
  readonly key?: KeyView;
  readonly publish?: PublishView;
  readonly connection?: ConnectionView;
  readonly credentials?: SecretView;
  readonly budget?: BudgetView;
  readonly secret?: SecretView;
  readonly keySecret?: SecretView;
  readonly events: readonly EventView[];
  readonly nextStep?: NextStep;
}
