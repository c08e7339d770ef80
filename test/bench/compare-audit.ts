// API requests per controller, counted by the API server: its audit log names the user of every request,
// and each controller runs under a user of its own, so both systems are counted the same way whatever
// their clients count (or forget to count) themselves.
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface AuditSetup {
  /** kube-apiserver flags (ControlPlane.start's extraApiServerArgs). */
  readonly apiServerArgs: string[];
  readonly logPath: string;
}

/**
 * A Metadata-level audit log in `dir`, one line per finished request: RequestReceived would log each
 * twice, ResponseStarted each watch twice. A watch is logged when it ends, so read the log after the
 * controller has stopped.
 */
export async function auditTo(dir: string): Promise<AuditSetup> {
  const policy = join(dir, "audit-policy.yaml");
  const logPath = join(dir, "audit.log");
  await writeFile(
    policy,
    ["apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived, ResponseStarted]", "rules:", "  - level: Metadata", ""].join("\n"),
  );
  return { apiServerArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${logPath}`, "--audit-log-format=json", "--audit-log-maxsize=0"], logPath };
}

export interface RequestCounts {
  readonly requests: number;
  /** create, update, patch, delete, deletecollection. */
  readonly writes: number;
  /** Answered 4xx/5xx: conflicts (409) on stale writes, mostly. They cost the API server all the same. */
  readonly refused: number;
  /** "verb resource[/subresource]" → count, largest first. */
  readonly byKind: Record<string, number>;
  /** The same for the refused ones alone. */
  readonly refusedByKind: Record<string, number>;
}

interface AuditEvent {
  auditID?: string;
  user?: { username?: string };
  verb?: string;
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp?: string;
  responseStatus?: { code?: number };
}

const READS = new Set(["get", "list", "watch"]);

/** Counts the events of `user` received in [from, to) (ms since the epoch); pure, for a line source. */
export function countEvents(events: Iterable<AuditEvent>, user: string, from: number, to: number): RequestCounts {
  const seen = new Set<string>();
  const byKind = new Map<string, number>();
  const refusedByKind = new Map<string, number>();
  let writes = 0;
  let refused = 0;
  for (const e of events) {
    if (e.user?.username !== user) continue;
    const at = Date.parse(e.requestReceivedTimestamp ?? "");
    if (!(at >= from && at < to)) continue;
    if (e.auditID !== undefined) {
      if (seen.has(e.auditID)) continue;
      seen.add(e.auditID);
    }
    const verb = e.verb ?? "?";
    if (!READS.has(verb)) writes++;
    const kind = `${verb} ${e.objectRef?.resource ?? "?"}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    if ((e.responseStatus?.code ?? 0) >= 400) {
      refused++;
      refusedByKind.set(kind, (refusedByKind.get(kind) ?? 0) + 1);
    }
  }
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
  return { requests: seenCount(byKind), writes, refused, byKind: sorted(byKind), refusedByKind: sorted(refusedByKind) };
}

const seenCount = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Reads the audit log at `logPath` and counts `user`'s requests received in [from, to). */
export async function countRequests(logPath: string, user: string, from: number, to: number): Promise<RequestCounts> {
  const events: AuditEvent[] = [];
  const lines = createInterface({ input: createReadStream(logPath, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    // Cheap filter first: the log holds every identity's requests, the bench client's included.
    if (line.includes(`"${user}"`)) events.push(JSON.parse(line) as AuditEvent);
  }
  return countEvents(events, user, from, to);
}
