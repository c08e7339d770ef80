// What to do about each condition reason, in the README's words: the rows of its "Troubleshooting by
// condition reason" table (reason, where it appears, what to do). `certbridge status` and `get` print
// these sentences as the next step; next-steps.test.ts fails when the README's table and this one differ,
// so a wording change is made in both. `kinds` says which kinds a row is about (the `on` column, read
// by a person; the ManagedCertificate `Deleting` row also speaks for ProvisioningKeys).
import { type KindName, kinds } from "../../api/v1alpha1/group.ts";

export interface TroubleshootingRow {
  readonly reasons: readonly string[];
  /** The README's "on" cell, verbatim. */
  readonly on: string;
  readonly kinds: readonly KindName[];
  /** The README's "what to do" cell, verbatim (markdown); "—" when nothing is to be done. */
  readonly todo: string;
}

const ALL = Object.keys(kinds) as KindName[];
const CONNECTIONS: readonly KindName[] = ["VendorConnection", "ClusterVendorConnection"];

export const troubleshooting: readonly TroubleshootingRow[] = [
  { reasons: ["Verified"], on: "connections, Ready=True", kinds: CONNECTIONS, todo: "—" },
  { reasons: ["Issued"], on: "ManagedCertificate, Ready=True", kinds: ["ManagedCertificate"], todo: "—" },
  { reasons: ["Created", "Adopted", "Updated", "Rotated"], on: "ProvisioningKey, Synced and Ready=True", kinds: ["ProvisioningKey"], todo: "—" },
  {
    reasons: ["InvalidSpec"],
    on: "all",
    kinds: ALL,
    todo: "fix the spec; an invalid resource is not retried until it changes (one referencing an invalid connection is retried: every minute for certificates, every 5 for keys)",
  },
  {
    reasons: ["CredentialsInvalid"],
    on: "all",
    kinds: ALL,
    todo: "fix the credentials Secret; connections re-verify when it changes (re-read every 5 min), ProvisioningKeys retry after 10 min, ManagedCertificates after their backoff",
  },
  {
    reasons: ["SecretNotFound"],
    on: "all",
    kinds: ALL,
    todo: "create the Secret with the keys from [the table above](#vendor-credentials-and-connections), or set `credentialsRef.keys`; for PKCS12, create the password Secret named in the message (looked at again every minute)",
  },
  {
    reasons: ["ConnectionNotFound"],
    on: "ManagedCertificate, ProvisioningKey",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "create it or fix `connectionRef`",
  },
  {
    reasons: ["ConnectionNotPermitted"],
    on: "ManagedCertificate, ProvisioningKey",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "label the namespace, or widen the selector",
  },
  {
    reasons: ["ConnectionVendorMismatch"],
    on: "ManagedCertificate, ProvisioningKey",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "point `connectionRef` at a connection of the right vendor",
  },
  {
    reasons: ["ConnectionDeleting"],
    on: "ManagedCertificate, ProvisioningKey",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "point `connectionRef` at another connection, or delete the resource too",
  },
  { reasons: ["NamespaceTerminating"], on: "ManagedCertificate, ProvisioningKey", kinds: ["ManagedCertificate", "ProvisioningKey"], todo: "—" },
  {
    reasons: ["Deleting"],
    on: "VendorConnection, ClusterVendorConnection, Ready=False",
    kinds: CONNECTIONS,
    todo: "wait, or delete those resources (or set their policies to `Retain`/`Orphan`) first",
  },
  { reasons: ["ConnectionNotReady"], on: "—", kinds: [], todo: "—" },
  {
    reasons: ["VendorError"],
    on: "all",
    kinds: ALL,
    todo: "transient failures retry with backoff by themselves; otherwise read the message (for certificates also the Warning Event) and fix the cause at the vendor",
  },
  {
    reasons: ["RateLimited"],
    on: "ProvisioningKey",
    kinds: ["ProvisioningKey"],
    todo: "nothing: retried after at least the vendor's Retry-After; if it persists, something else shares the API client's budget",
  },
  {
    reasons: ["Conflict"],
    on: "ProvisioningKey",
    kinds: ["ProvisioningKey"],
    todo: "check for a key of the same name made outside certbridge; retried with backoff",
  },
  { reasons: ["NotFound"], on: "ProvisioningKey", kinds: ["ProvisioningKey"], todo: "fix the name/id or create it in ZPA; retried every 5 min" },
  {
    reasons: ["KeyClaimed"],
    on: "ProvisioningKey, Ready=False",
    kinds: ["ProvisioningKey"],
    todo: "choose another `spec.name`, or delete the other resource; retried when it changes and every 5 min",
  },
  {
    reasons: ["AdoptionNotAllowed"],
    on: "ProvisioningKey, Ready=False",
    kinds: ["ProvisioningKey"],
    todo: "set `spec.adopt: true` if taking the key over is intended; ask the connection's owner to admit the namespace in `adoption`; or choose another `spec.name`",
  },
  {
    reasons: ["CleanupBlocked"],
    on: "ProvisioningKey, deleting",
    kinds: ["ProvisioningKey"],
    todo: "restore the connection or its credentials, or set `spec.deletionPolicy: Orphan` to release it now; otherwise it is released 15 min after the deletion request, with a Warning Event `KeyOrphaned` naming the key left in ZPA",
  },
  {
    reasons: ["UsageExhausted"],
    on: "ProvisioningKey, Ready=False",
    kinds: ["ProvisioningKey"],
    todo: "raise `spec.maxUsage` or rotate (`spec.rotation` + 1)",
  },
  { reasons: ["Disabled"], on: "—", kinds: [], todo: "set `spec.enabled: true` (Manage)" },
  {
    reasons: ["SecretConflict"],
    on: "ManagedCertificate, ProvisioningKey",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "choose another `secretName`, or delete the foreign Secret if it is really unused",
  },
  { reasons: ["Pending"], on: "ManagedCertificate", kinds: ["ManagedCertificate"], todo: "wait; polled on a doubling backoff" },
  {
    reasons: ["OutcomeUnknown"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "wait; if it repeats, check the network path to the vendor (proxy timeouts) — nothing is paid twice meanwhile",
  },
  { reasons: ["AwaitingApproval"], on: "ManagedCertificate", kinds: ["ManagedCertificate"], todo: "approve it in Sectigo Certificate Manager" },
  {
    reasons: ["AwaitingValidation"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "complete DCV per `sectigo.dcv.mode` (CNAME/TXT record, HTTP(S) file, or the approver email)",
  },
  { reasons: ["Renewing"], on: "ManagedCertificate, Issuing=True", kinds: ["ManagedCertificate"], todo: "wait" },
  { reasons: ["Expired"], on: "ManagedCertificate, Issuing=True", kinds: ["ManagedCertificate"], todo: "wait; if it persists, look at the Ready reason" },
  {
    reasons: ["Rejected"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "fix the cause at the vendor or in the spec; the next attempt follows the backoff",
  },
  {
    reasons: ["Backoff"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "fix the cause named there (also in the Warning Event) and wait for the next attempt",
  },
  {
    reasons: ["BudgetExhausted"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "look for a re-issue loop (`kubectl get mcert -A -o wide`); raise the budget only if the volume is expected",
  },
  {
    reasons: ["DurationUnavailable"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate"],
    todo: "set `spec.duration` to a term the message lists (e.g. `8760h` for 365 days), or `spec.sectigo.term`; a valid certificate in place stays `Ready`",
  },
  {
    reasons: ["Published", "PublishFailed"],
    on: "ManagedCertificate, `Published` condition",
    kinds: ["ManagedCertificate"],
    todo: "on `PublishFailed`, check the ZPA connection's Ready condition and the message; it is retried every 10 minutes",
  },
  {
    reasons: ["SegmentNotFound"],
    on: "ManagedCertificate, `Published` condition (False)",
    kinds: ["ManagedCertificate"],
    todo: "fix the selector or create the segment; looked at again every 10 minutes and on every change",
  },
  {
    reasons: ["SegmentNotPermitted"],
    on: "ManagedCertificate, `Published` condition (False)",
    kinds: ["ManagedCertificate"],
    todo: "add the names to `spec.dnsNames`, narrow the selector, or use a namespaced VendorConnection owned by whoever owns the segment",
  },
  {
    reasons: ["UnpublishBlocked"],
    on: "ManagedCertificate, `Published` condition; `Ready` while deleting",
    kinds: ["ManagedCertificate"],
    todo: "point those segments at another certificate (or add them to `applicationSegments` so rotation moves them); the copy is deleted within a minute",
  },
  {
    reasons: ["Deleting"],
    on: "ManagedCertificate",
    kinds: ["ManagedCertificate", "ProvisioningKey"],
    todo: "restore the connection; or set `deletionPolicy: Orphan` to let it go and delete the ZPA key yourself",
  },
];

const NOTHING = "—";

/** The row for `reason` on `kind`: one about that kind, else one about no kind in particular, else any. */
export function rowFor(reason: string, kind: KindName): TroubleshootingRow | undefined {
  const rows = troubleshooting.filter((r) => r.reasons.includes(reason));
  return rows.find((r) => r.kinds.includes(kind)) ?? rows.find((r) => r.kinds.length === 0) ?? rows[0];
}

/** What to do about `reason` on `kind`, in the README's words (markdown), or undefined when nothing is. */
export function nextStepFor(reason: string, kind: KindName): string | undefined {
  const todo = rowFor(reason, kind)?.todo;
  return todo === undefined || todo === NOTHING ? undefined : todo;
}

/** The step only asks to wait (the operator gets there by itself), as opposed to asking a person to act. */
export const onlyWaits = (todo: string): boolean => /^(wait\b|nothing\b)/.test(todo);

/** Markdown as terminal text: code spans lose their backticks; a link into the README says which section. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\(#([^)]*)\)/g, (_, text: string, anchor: string) => `${text} (README: ${anchor.replace(/-/g, " ")})`)
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1");
}

/** The first clause of a step (up to the first ";"), for a table cell. */
export const firstClause = (text: string): string => text.split(";")[0]!.trim();
