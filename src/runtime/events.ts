import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, systemClock } from "./clock.ts";
import type { KubeApi } from "./kube/api.ts";
import { type KubeObject, type ResourceType, apiVersionOf, core } from "./kube/resource.ts";
import { scrubString } from "../observability/redact.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records an event about `regarding`. Call on transitions only; repeats within the window are dropped. */
  record(regarding: { type: ResourceType; object: KubeObject }, event: { type: EventType; reason: string; action: string; note: string }): void;
}

const DEDUP_WINDOW_MS = 10 * 60_000;
const MAX_NOTE = 1024; // events.k8s.io/v1 rejects longer notes

function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Writes events.k8s.io/v1 Events without blocking the reconcile; failures are logged, never thrown. */
export class KubeEventRecorder implements EventRecorder {
  readonly #client: Pick<KubeApi, "create">;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #controller: string;
  readonly #instance: string;
  readonly #recent = new Map<string, number>();
  #seq = 0;

  constructor(init: { client: Pick<KubeApi, "create">; log: Logger; controller: string; instance: string; clock?: Clock }) {
    this.#client = init.client;
    this.#clock = init.clock ?? systemClock;
    this.#log = init.log.child({ component: "events" });
    this.#controller = init.controller;
    this.#instance = init.instance.slice(0, 128);
  }

  record(regarding: { type: ResourceType; object: KubeObject }, event: { type: EventType; reason: string; action: string; note: string }): void {
    const meta = regarding.object.metadata;
    const note = scrubString(event.note).slice(0, MAX_NOTE);
    // A digest of the note, not the note: 10,000 resources' recent Events are remembered for ten minutes.
    const dedupKey = `${meta.uid}|${event.reason}|${createHash("sha256").update(note).digest("base64url").slice(0, 16)}`;
    const now = this.#clock.now().getTime();
    const last = this.#recent.get(dedupKey);
    if (last !== undefined && now - last < DEDUP_WINDOW_MS) return;
    this.#recent.set(dedupKey, now);
    if (this.#recent.size > 10_000) this.#prune(now);
    const namespace = meta.namespace ?? "default";
    const body = {
      // As client-go names them: "<object>.<hex time>" (a generateName ending in "." is invalid here).
      metadata: { name: `${meta.name ?? "object"}.${(BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`, namespace },
      eventTime: microTime(new Date(now)),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note,
      regarding: {
        apiVersion: apiVersionOf(regarding.type),
        kind: regarding.type.kind,
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    };
    this.#client.create(core.events, body as unknown as KubeObject).catch((error: unknown) => {
      this.#log.warn({ err: error instanceof Error ? error.message : String(error), reason: event.reason }, "could not record event");
    });
  }

  #prune(now: number): void {
    for (const [k, at] of this.#recent) if (now - at >= DEDUP_WINDOW_MS) this.#recent.delete(k);
  }
}

/** The recorder a controller reports through: Events from `certbridge.dev/<controller>`, sent by this process. */
export function eventRecorderFor(
  host: { readonly client: Pick<KubeApi, "create">; readonly log: Logger; readonly clock: Clock },
  controller: string,
  instance: string | undefined,
): KubeEventRecorder {
  return new KubeEventRecorder({
    client: host.client,
    log: host.log,
    controller: `certbridge.dev/${controller}`,
    instance: instance ?? "certbridge",
    clock: host.clock,
  });
}
