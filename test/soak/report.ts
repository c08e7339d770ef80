// The one-line summary and the human-readable report of a soak run.
import type { SoakResult } from "./soak.ts";

const s = (ms: number | undefined) => (ms === undefined ? "never" : `${(ms / 1000).toFixed(1)}s`);
const iso = (t: number) => new Date(t).toISOString();

export function summaryLine(r: SoakResult): string {
  const c = r.chaos.counters;
  const o = r.check.orders;
  const verdict = r.violations.length === 0 ? "PASS" : `FAIL (${r.violations.length} violation${r.violations.length === 1 ? "" : "s"})`;
  return [
    `soak seed=${r.options.seed}`,
    `chaos=${s(r.options.durationMs)}`,
    `kills=${c.kills} (leader ${c.leaderKills})`,
    `failovers=${r.leadership.failovers}`,
    `api-outages=${r.chaos.outages.length}`,
    `orders=cloudflare:${o.cloudflare},sectigo:${o.sectigo},zpa-keys:${o.zpaKeys}`,
    `duplicates=${r.check.duplicates + r.zpaCreatesBeyondIntents}`,
    `leaks=${r.check.leaks}`,
    `convergence=${s(r.convergenceMs)}`,
    `max-leader-gap=${s(r.leadership.maxGapMs)} (settle ${s(r.leadership.maxSettleMs)})`,
    verdict,
  ].join(" ");
}

export function fullReport(r: SoakResult): string {
  const c = r.chaos.counters;
  const w = r.workload.counts;
  const o = r.options;
  const lines: string[] = [];
  const h = (t: string) => lines.push("", t, "-".repeat(t.length));
  lines.push(`certbridge soak report — ${iso(r.startedAt)}`, "", summaryLine(r));
  lines.push(
    "",
    `reproduce: npm run soak -- --seed ${o.seed} --duration ${Math.round(o.durationMs / 1000)}s --kill-rate ${o.killsPerMinute} --fault-rate ${o.faultsPerMinute} --api-restart-rate ${o.apiRestartsPerMinute} --action-rate ${o.actionsPerMinute} --resources ${o.vendors.map((v) => `${v}=${o.resources[v]}`).join(",")} --vendors ${o.vendors.join(",")} --order-settle ${o.orderSettleMs === undefined ? "vendor" : `${o.orderSettleMs / 1000}s`}`,
  );
  lines.push(`(the seed fixes every choice — which replica, which fault, which resource and action; timing still depends on the machine)`);
  lines.push(`logs: ${r.outDir} (replica-a.log, replica-b.log, simulators.log, timeline.txt)`);

  h("Verdict");
  if (r.violations.length === 0)
    lines.push("No violations: 0 duplicates, 0 leaks, every live resource Ready with its Secret matching the vendor, deleted resources cleaned up per policy.");
  for (const v of r.violations) lines.push(`- ${v}`);

  h("Chaos");
  lines.push(
    `operator SIGKILLs: ${c.kills} (of the leader: ${c.leaderKills}; restarted as a new identity: ${c.freshIdentityRestarts}; skipped, no replica alive: ${c.skippedKills})`,
  );
  lines.push(
    `kills while each vendor had resources: ${o.vendors.map((v) => `${v} ${c.killsWithVendorWork[v]}`).join(", ")}; while it had work in flight (a resource not Ready, pending or deleting): ${o.vendors.map((v) => `${v} ${c.killsWithVendorBusy[v]}`).join(", ")}`,
  );
  lines.push(
    `kill rate achieved: ${(c.kills / (o.durationMs / 60_000)).toFixed(1)}/min (asked ${o.killsPerMinute}/min; a kill aimed at the leader waits for one to be elected)`,
  );
  lines.push(`most operator processes alive at once: ${r.replicas.maxConcurrent} (two replicas)`);
  lines.push(`operator exits on its own (lease lost during an API outage, crash): ${r.replicas.selfExits}`);
  lines.push(`API server restarts: ${r.chaos.outages.length}, down ${r.chaos.outages.map((x) => s((x.to ?? x.from) - x.from)).join(", ") || "-"}`);
  lines.push(
    `simulator fault windows: ${c.faultWindows}: ${
      Object.entries(c.faultsByName)
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ") || "-"
    }`,
  );
  lines.push(
    `workload: create ${w.create}, edit ${w.edit}, touch (no vendor effect) ${w.touch}, renew/rotate ${w.renew}, delete ${w.delete}; unconfirmed changes ${r.workload.unconfirmed}; failed steps ${c.workloadErrors}`,
  );

  h("Leadership");
  lines.push(`leader changes: ${r.leadership.leaderChanges}; failovers to the other replica: ${r.leadership.failovers}`);
  lines.push(
    `max gap ${s(r.leadership.maxGapMs)} (leaderless with a replica alive, API-unreachable time excluded); max settle ${s(r.leadership.maxSettleMs)} (from the last kill, replica start or API recovery inside a gap to its end; bound 20s)`,
  );
  const worst = [...r.leadership.gaps].sort((a, b) => b.ms - a.ms).slice(0, 5);
  for (const g of worst) lines.push(`  gap ${s(g.ms)} (settle ${s(g.settleMs)}) from ${iso(g.from)} to ${iso(g.to)}`);

  h("Vendor objects");
  lines.push(
    `orders/keys attributed to soak resources: Cloudflare ${r.check.orders.cloudflare} (the simulator holds ${r.cloudflareSimCount ?? "-"} in all), Sectigo ${r.check.orders.sectigo}, ZPA keys ${r.check.orders.zpaKeys}`,
  );
  for (const v of o.vendors) {
    const rs = r.workload.resources.filter((x) => x.vendor === v);
    const intents = v === "zpa" ? rs.reduce((n, x) => n + x.keyIntents, 0) : rs.reduce((n, x) => n + [...x.intents.values()].reduce((a, b) => a + b, 0), 0);
    lines.push(
      `  ${v}: ${rs.length} resources created, ${rs.filter((x) => x.phase === "gone").length} deleted, ${rs.filter((x) => x.phase === "live").length} live; ${intents} ${v === "zpa" ? "keys" : "orders"} asked for (upper bound: edits and renewals may be coalesced)`,
    );
  }
  lines.push(`duplicates: ${r.check.duplicates} (per content version / per key name) + ${r.zpaCreatesBeyondIntents} ZPA creates beyond all intents`);
  lines.push(`leaks: ${r.check.leaks}`);
  lines.push(`ZPA rate-limit violations seen by the simulator: ${r.zpaRateLimitViolations}`);
  lines.push(`convergence after faults off: ${s(r.convergenceMs)}`);

  const involved = new Set(r.check.findings.map((f) => f.resource));
  if (involved.size > 0) {
    h("Resources with findings (their history)");
    for (const res of r.workload.resources.filter((x) => involved.has(x.name))) {
      lines.push(
        `${res.kind} ${res.namespace}/${res.name} uid=${res.uid} phase=${res.phase} policy=${JSON.stringify(res.policy)} version=${res.version} intents=${JSON.stringify([...res.intents])} keyIntents=${res.keyIntents} lastVendorRef=${res.lastVendorRef} seen=${[...res.seenVendorRefs].join(",")}`,
      );
      for (const f of r.check.findings.filter((x) => x.resource === res.name))
        lines.push(`  ! ${f.class}: ${f.message}${f.vendorObjects ? ` [${f.vendorObjects.join(", ")}]` : ""}`);
      for (const e of res.history) lines.push(`  ${e}`);
    }
  }

  const fatal = r.replicas.events.filter((e) => e.kind === "fatal");
  if (fatal.length > 0) {
    h("Operator fatal log lines");
    for (const e of fatal.slice(0, 20)) lines.push(`${iso(e.at)} ${e.identity}: ${e.detail}`);
  }
  return `${lines.join("\n")}\n`;
}

export function timelineText(r: SoakResult): string {
  const entries = [
    ...r.chaos.timeline.map((t) => ({ at: t.at, what: t.what })),
    ...r.replicas.events.filter((e) => e.kind !== "fatal").map((e) => ({ at: e.at, what: `${e.identity}: ${e.kind}${e.detail ? ` ${e.detail}` : ""}` })),
  ].sort((a, b) => a.at - b.at);
  return `${entries.map((e) => `${iso(e.at)} ${e.what}`).join("\n")}\n`;
}
