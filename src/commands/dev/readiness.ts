// Whether the dev samples have become Ready, from their status conditions: what `certbridge dev`
// reports once after start-up, so a user sees at a glance that every sample works (or which does not
// and why) without reading operator logs.

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface SampleStatus {
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly generation?: number };
  readonly status?: { readonly conditions?: readonly Condition[]; readonly observedGeneration?: number };
}

export interface Readiness {
  readonly ready: string[];
  /** "Kind name: Reason: message" (or "no Ready condition yet"), per sample not Ready. */
  readonly waiting: string[];
}

/** Ready means Ready=True describing the current spec (not a status left from an earlier generation). */
export function readiness(samples: readonly SampleStatus[]): Readiness {
  const ready: string[] = [];
  const waiting: string[] = [];
  for (const s of samples) {
    const name = `${s.kind} ${s.metadata.name ?? ""}`;
    const c = s.status?.conditions?.find((x) => x.type === "Ready");
    const current = s.metadata.generation === undefined || s.status?.observedGeneration === s.metadata.generation;
    if (c?.status === "True" && current) ready.push(name);
    else if (c === undefined) waiting.push(`${name}: no Ready condition yet`);
    else if (!current)
      waiting.push(`${name}: status describes generation ${s.status?.observedGeneration ?? "(none)"}, the spec is at ${s.metadata.generation}`);
    else waiting.push(`${name}: Ready=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`);
  }
  return { ready, waiting };
}
