// The status report as one screen of text: a verdict line, the conditions with reasons and ages, one
// labelled line per fact, the last Events, and the next step. Coloured and wrapped on a terminal only.
import { plainText } from "../next-steps.ts";
import { type Style, conditionColour, renderTable, wrapText } from "../style.ts";
import { ageOf, instant, relative } from "../time.ts";
import type { BudgetView, ConditionView, SecretView, StatusReport } from "./report.ts";

export interface RenderOptions {
  readonly style: Style;
  readonly now: Date;
  /** Terminal width; undefined when piped (nothing is wrapped or cut). */
  readonly width: number | undefined;
}

const LABEL = 14;
const INDENT = " ".repeat(LABEL + 2);

export function renderStatus(r: StatusReport, o: RenderOptions): string {
  const { style: s, now } = o;
  const out: string[] = [];
  const field = (label: string, value: string) => out.push(`  ${s.bold(label.padEnd(LABEL))}${wrapText(value, o.width, INDENT)}`);
  const more = (value: string) => out.push(`${INDENT}${wrapText(value, o.width, INDENT)}`);
  const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const readyCondition = r.conditions.find((c) => c.type === "Ready");
  const verdict = r.ready === "True" ? "Ready" : r.ready === "False" ? "Not Ready" : "Ready unknown";
  const since = readyCondition?.lastTransitionTime ? `, ${ageOf(readyCondition.lastTransitionTime, now)}` : "";
  out.push(`${s.bold(`${r.kind} ${where}`)}  ${conditionColour(s, r.ready)(verdict)}${r.readyReason ? ` (${r.readyReason}${since})` : ""}`);
  if (r.deletionTimestamp)
    out.push(
      s.yellow(`  being deleted since ${relative(r.deletionTimestamp, now).replace(/ ago$/, "")} ago; finalizers: ${r.finalizers.join(", ") || "none"}`),
    );
  if (r.generation !== undefined && r.observedGeneration !== undefined && r.observedGeneration < r.generation)
    out.push(s.yellow(`  the operator has not acted on the latest spec yet (generation ${r.generation}, observed ${r.observedGeneration})`));
  out.push("");

  out.push(s.bold("conditions"));
  if (r.conditions.length === 0) out.push(`  ${s.dim("none yet")}`);
  for (const c of r.conditions) conditionLines(c, o).forEach((l) => out.push(l));
  out.push("");

  const cert = r.certificate;
  if (cert) {
    const parts = [cert.vendor, cert.revision !== undefined ? `revision ${cert.revision}` : "not issued yet", cert.vendorRef && `vendor ref ${cert.vendorRef}`];
    field("certificate", [...parts, cert.serialNumber && `serial ${cert.serialNumber}`].filter(Boolean).join(", "));
    if (cert.notBefore) field("  not before", instant(cert.notBefore, now));
    if (cert.notAfter) field("  not after", instant(cert.notAfter, now));
    if (cert.renewalTime) field("  renews at", instant(cert.renewalTime, now));
  }
  if (r.order) {
    const p = r.order;
    const placed = p.startedTime ? `intent recorded ${relative(p.startedTime, now)}` : undefined;
    const polls = p.pollCount ? `asked ${p.pollCount} time${p.pollCount === 1 ? "" : "s"}` : undefined;
    const next = p.nextPollTime ? `next poll ${relative(p.nextPollTime, now)}` : undefined;
    const settle = p.settleDeadline ? `looked up (never ordered again) until ${relative(p.settleDeadline, now)}` : undefined;
    field(
      "order",
      [
        `revision ${p.revision}: ${p.state}`,
        p.vendorRef && `vendor ref ${p.vendorRef}`,
        placed,
        p.submits && `${p.submits} paid call${p.submits === 1 ? "" : "s"}`,
        polls,
        next,
        settle,
      ]
        .filter(Boolean)
        .join(", "),
    );
  } else if (r.kind === "ManagedCertificate") field("order", s.dim("none pending"));
  if (r.backoff) {
    const b = r.backoff;
    const next = b.nextAttemptTime ? `next attempt ${relative(b.nextAttemptTime, now)}` : "next attempt due now";
    field(
      "backoff",
      s.yellow(`${b.failedAttempts} failed attempt${b.failedAttempts === 1 ? "" : "s"} in a row, last ${relative(b.lastFailureTime, now)}; ${next}`),
    );
    if (b.lastFailureMessage) more(b.lastFailureMessage);
  }
  if (r.key) {
    const k = r.key;
    const usage = k.usageCount !== undefined ? `usage ${k.usageCount} of ${k.maxUsage ?? "?"}` : undefined;
    field(
      "zpa key",
      [
        k.zpaName ? `"${k.zpaName}"` : "not created yet",
        k.id && `id ${k.id}`,
        k.group && `group ${k.group}`,
        k.enabled === false ? s.yellow("disabled") : k.enabled ? "enabled" : undefined,
        usage,
      ]
        .filter(Boolean)
        .join(", "),
    );
    const sync = k.lastSyncTime ? `last synced ${relative(k.lastSyncTime, now)}` : "never synced";
    field(
      "",
      [sync, k.managementPolicy && `managementPolicy ${k.managementPolicy}`, k.deletionPolicy && `deletionPolicy ${k.deletionPolicy}`]
        .filter(Boolean)
        .join(", "),
    );
    const rr = k.rotateRequest;
    const request = rr
      ? `; rotate-request ${rr.requested ?? "(none)"} ${rr.requested === undefined || rr.requested === rr.done ? "done" : s.yellow("pending")}`
      : "";
    field("rotation", `spec.rotation ${k.rotation.requested} (done ${k.rotation.done})${request}`);
    if (k.createIntent) field("create", s.yellow(`a create of "${k.createIntent.name}" may be in flight since ${relative(k.createIntent.since, now)}`));
  }
  if (r.connection) {
    const c = r.connection;
    const name = `${c.kind} ${c.namespace ? `${c.namespace}/` : ""}${c.name}`;
    if (c.error) field("connection", `${name}: ${s.yellow(`cannot read it (${c.error})`)}`);
    else if (!c.found) field("connection", `${name}: ${s.red("does not exist")}`);
    else field("connection", `${name}: ${connectionHealth(c.ready, c.vendor, c.lastVerifiedTime, o)}${c.deleting ? s.yellow(", being deleted") : ""}`);
  }
  if (r.kind.endsWith("VendorConnection")) {
    const conn = r.conditions.find((c) => c.type === "Ready");
    field("health", connectionHealth(conn, undefined, undefined, o));
    if (r.credentials) field("credentials", credentialsLine(r.credentials, o.style));
    if (r.finalizers.length > 0) field("finalizers", r.finalizers.join(", "));
  }
  if (r.budget) field("budget", budgetLine(r.budget, o.style));
  if (r.secret) field("secret", secretLine(r.secret, o.style));
  if (r.secret?.present && r.secret.contentHash) more(hashLine(r.secret, o.style));
  if (r.keySecret)
    field(
      "key secret",
      r.keySecret.present ? `${r.keySecret.namespace}/${r.keySecret.name}: present` : s.dim(`${r.keySecret.namespace}/${r.keySecret.name}: absent`),
    );
  if (r.publish) {
    const p = r.publish;
    const state = p.condition
      ? `${conditionColour(s, p.condition.status)(p.condition.reason)} (${ageOf(p.condition.lastTransitionTime, now)})`
      : s.dim("not yet");
    const what = [
      p.certificateId && `certificate ${p.certificateId}`,
      p.zpaName && `"${p.zpaName}"`,
      p.lastPublishTime && `uploaded ${relative(p.lastPublishTime, now)}`,
    ];
    field("publish", `ZPA: ${state}${what.some(Boolean) ? `, ${what.filter(Boolean).join(", ")}` : ""}`);
  }
  out.push("");

  out.push(s.bold("events") + s.dim(" (newest first)"));
  if (r.events.length === 0) out.push(`  ${s.dim("none (Events expire after an hour)")}`);
  else {
    const rows = r.events.map((e) => [
      ageOf(e.time, now),
      e.type === "Warning" ? s.yellow(e.type) : (e.type ?? ""),
      e.reason ?? "",
      `${e.note ?? ""}${e.count ? ` (×${e.count})` : ""}`,
    ]);
    out.push(
      ...renderTable(["AGE", "TYPE", "REASON", "NOTE"], rows, o.width === undefined ? undefined : o.width - 2)
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  out.push("");
  const step = r.nextStep;
  if (step === undefined) field("next step", s.green("nothing to do"));
  else {
    const text = plainText(step.todo);
    const about = step.reason ? `${step.about} ${step.reason}: ` : "";
    field("next step", `${about}${step.waitsOnly ? text : s.cyan(text)}`);
  }
  return `${out.join("\n")}\n`;
}

function conditionLines(c: ConditionView, o: RenderOptions): string[] {
  const { style: s, now } = o;
  const head = `  ${c.type.padEnd(10)} ${conditionColour(s, c.status)(c.status.padEnd(7))} ${c.reason}${c.lastTransitionTime ? s.dim(` (${ageOf(c.lastTransitionTime, now)})`) : ""}`;
  return c.message ? [head, `${" ".repeat(13)}${wrapText(c.message, o.width, " ".repeat(13))}`] : [head];
}

function connectionHealth(ready: ConditionView | undefined, vendor: string | undefined, verified: string | undefined, o: RenderOptions): string {
  const { style: s, now } = o;
  if (ready === undefined) return `${vendor ? `${vendor}, ` : ""}${s.yellow("not verified yet")}`;
  const state = conditionColour(s, ready.status)(ready.status === "True" ? "Ready" : "Not Ready");
  return `${vendor ? `${vendor}, ` : ""}${state} (${ready.reason}, ${ageOf(ready.lastTransitionTime, now)})${verified ? `, credentials verified ${relative(verified, now)}` : ""}`;
}

function credentialsLine(c: SecretView, s: Style): string {
  const where = `Secret ${c.namespace}/${c.name}`;
  if (c.error) return `${where}: ${s.yellow(`cannot read it (${c.error})`)}`;
  if (!c.present) return `${where}: ${s.red("absent")}`;
  return `${where}: present, keys ${(c.dataKeys ?? []).join(", ") || "(none)"} (values not shown)`;
}

function budgetLine(b: BudgetView, s: Style): string {
  const limit = `${b.perHour} paid issuances per hour (${b.fromSpec ? "issuanceBudget.maxPerHour" : "default"}; the operator counts them in memory)`;
  const seen =
    b.placedWithinHour === undefined ? "" : `; in flight through it: ${b.placedWithinHour} order${b.placedWithinHour === 1 ? "" : "s"} placed within the hour`;
  const spent = b.exhaustedOn.length > 0 ? `; ${s.red(`spent: BudgetExhausted on ${b.exhaustedOn.join(", ")}`)}` : "; none reports BudgetExhausted";
  return `${limit}${seen}${spent}`;
}

function secretLine(x: SecretView, s: Style): string {
  const where = `${x.namespace}/${x.name}`;
  if (x.error) return `${where}: ${s.yellow(`cannot read it (${x.error})`)}`;
  if (!x.present) return `${where}: ${s.yellow("absent")}`;
  const owner =
    x.owner === "this" || x.owner === "previous"
      ? `owned by ${x.ownerText}`
      : x.owner === "other"
        ? s.red(`owned by ${x.ownerText}`)
        : s.red(x.ownerText ?? "");
  return `${where}: present${x.type ? ` (${x.type})` : ""}, ${owner}`;
}

function hashLine(x: SecretView, s: Style): string {
  const hash = `content hash ${x.contentHash!.slice(0, 12)}…`;
  const check = x.hashMatches ? "matches the data" : s.red("does not match the data (edited by someone else?)");
  return [`${hash} (${check})`, x.revision && `revision ${x.revision}`, x.vendorRef && `vendor ref ${x.vendorRef}`].filter(Boolean).join(", ");
}
