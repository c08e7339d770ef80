// Counting the operator's API requests from the API server's audit log (benchmarks only). The audit
// log sees every request of one identity, whatever the operator's code counts or forgets to count, so
// the same figure is measured the same way before and after a change to the operator.
import { createReadStream } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";

export interface AuditedRequest {
  /** When the API server received it (ms since the epoch). */
  readonly at: number;
  readonly verb: string;
  /** resource, or resource/subresource (e.g. managedcertificates/status). */
  readonly resource: string;
  readonly code: number;
}

/** kube-apiserver flags for a Metadata-level audit log in `dir` (one line per finished request). */
export async function auditFlags(dir: string): Promise<{ args: string[]; logPath: string }> {
  const policy = join(dir, "audit-policy.yaml");
  const logPath = join(dir, "audit.log");
  // Watches are logged once, when they end; RequestReceived would log every request twice. The log
  // is never rotated (maxsize 0 would mean lumberjack's 100 MB); readAudit reads rotated files anyway.
  await writeFile(
    policy,
    ["apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived, ResponseStarted]", "rules:", "  - level: Metadata", ""].join("\n"),
  );
  return { args: [`--audit-policy-file=${policy}`, `--audit-log-path=${logPath}`, "--audit-log-format=json", "--audit-log-maxsize=1000000"], logPath };
}

/** The requests `user` made, in the order the log holds them. */
export async function readAudit(logPath: string, user: string): Promise<AuditedRequest[]> {
  const out: AuditedRequest[] = [];
  const stem = basename(logPath, ".log");
  const files = (await readdir(dirname(logPath))).filter((f) => f.startsWith(stem) && f.endsWith(".log")).map((f) => join(dirname(logPath), f));
  for (const file of files) await readOne(file, user, out);
  return out.sort((a, b) => a.at - b.at);
}

async function readOne(file: string, user: string, out: AuditedRequest[]): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes(user)) continue;
    const e = JSON.parse(line) as {
      user?: { username?: string };
      verb?: string;
      objectRef?: { resource?: string; subresource?: string };
      requestReceivedTimestamp?: string;
      responseStatus?: { code?: number };
    };
    if (e.user?.username !== user) continue;
    const resource = `${e.objectRef?.resource ?? "?"}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    out.push({ at: Date.parse(e.requestReceivedTimestamp ?? ""), verb: e.verb ?? "?", resource, code: e.responseStatus?.code ?? 0 });
  }
}

/** Requests received in [from, to). */
export function within(requests: readonly AuditedRequest[], from: number, to: number): AuditedRequest[] {
  return requests.filter((r) => r.at >= from && r.at < to);
}

const READS = new Set(["get", "list", "watch"]);

export const isWrite = (r: AuditedRequest): boolean => !READS.has(r.verb);

/** "verb resource" → count, largest first (e.g. "patch managedcertificates/status": 3000). */
export function breakdown(requests: readonly AuditedRequest[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(`${r.verb} ${r.resource}`, (counts.get(`${r.verb} ${r.resource}`) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** The same, divided by `n` (per issuance, per resource), two decimals. */
export function perUnit(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, +(v / Math.max(1, n)).toFixed(2)]));
}
