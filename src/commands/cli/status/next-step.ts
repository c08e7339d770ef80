// The one next step `status` suggests, decided from the report (pure). The wording comes from the
// README's troubleshooting table (next-steps.ts) wherever it has a row; the rest says where to look.
import { nextStepFor, onlyWaits } from "../next-steps.ts";
import type { ConditionView, NextStep, StatusReport } from "./report.ts";

const fromTable = (report: StatusReport, about: string, c: Pick<ConditionView, "reason">, kind = report.kind): NextStep | undefined => {
  const todo = nextStepFor(c.reason, kind);
  return todo === undefined ? undefined : { reason: c.reason, about, todo, waitsOnly: onlyWaits(todo) };
};

const own = (about: string, todo: string, waitsOnly = false): NextStep => ({ about, todo, waitsOnly });

const condition = (report: StatusReport, type: string) => report.conditions.find((c) => c.type === type);

/**
 * In order: a resource being deleted; no status yet (is the operator running?); Ready not True, by its
 * reason; on a Ready resource, an issuance or publication that needs a person, or a connection that
 * stopped working; a spec the operator has not caught up with. undefined: nothing to do.
 */
export function decideNextStep(report: Omit<StatusReport, "nextStep">): NextStep | undefined {
  const r = report as StatusReport;
  const ready = condition(r, "Ready");
  if (r.deletionTimestamp !== undefined) {
    const why = ready?.status === "False" ? fromTable(r, "Ready", ready) : undefined;
    return why ?? fromTable(r, "deletion", { reason: "Deleting" }) ?? own("deletion", "wait for the finalizers to finish their cleanup");
  }
  if (ready === undefined)
    return own(
      "status",
      "the operator has not reported on this resource yet: is it running and watching this namespace? (`certbridge check` tells; `certbridge check --operator-namespace NS` where it runs)",
    );
  if (ready.status !== "True")
    return fromTable(r, "Ready", ready) ?? own("Ready", `read the Ready message above (reason ${ready.reason}) and the Events below`);
  for (const type of ["Issuing", "Synced"]) {
    const c = condition(r, type);
    const step = c && c.status !== (type === "Synced" ? "True" : "False") ? fromTable(r, type, c) : undefined;
    if (step !== undefined && !step.waitsOnly) return step;
  }
  const published = condition(r, "Published");
  if (published?.status === "False") return fromTable(r, "Published", published);
  const conn = r.connection;
  if (conn !== undefined && !conn.found && conn.error === undefined) return fromTable(r, `${conn.kind} ${conn.name}`, { reason: "ConnectionNotFound" });
  if (conn?.ready !== undefined && conn.ready.status !== "True") {
    const step = fromTable(r, `${conn.kind} ${conn.name}`, conn.ready, conn.kind);
    if (step !== undefined) return step;
  }
  if (r.generation !== undefined && r.observedGeneration !== undefined && r.observedGeneration < r.generation)
    return own("spec", `wait: the operator has not acted on the latest spec yet (generation ${r.generation}, observed ${r.observedGeneration})`, true);
  return undefined;
}
