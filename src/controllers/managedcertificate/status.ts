// Status writes go through the toolkit's StatusApplier (runtime/status.ts): once, through the status
// subresource, skipped when nothing changed, always conditional on the resourceVersion we read (a
// stale cache fails with 409 instead of ordering twice or erasing a recorded intent), remembered for
// read-your-writes. What a write tells others is added here: the Ready metric, an Event when Ready
// flips or changes reason (not for a new resource's first Pending), and one Event per re-issue (the write that records a new lastIssuance over
// an earlier certificate: revision, serial, why). (The conditions themselves are computed in readiness.ts.)
// The port also patches the object itself, guarded the same way and remembered the same way: the
// cleanup finalizer, and a first intent with it (intent.ts, ADR 0020).
import { Reason } from "../../api/v1alpha1/conditions.ts";
import { resourceTypes } from "../../api/v1alpha1/group.ts";
import { finalizers } from "../../api/v1alpha1/labels.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { StatusApplier } from "../../runtime/status.ts";
import type { CertificateObject, ResourcePort, Status } from "./context.ts";
import type { CertificateMetrics } from "./metrics.ts";
import { readyOf } from "./readiness.ts";

export class CertificateStatus {
  readonly #api: KubeApi;
  readonly #applier: StatusApplier<CertificateObject, Status>;
  readonly #events: EventRecorder | undefined;
  readonly #metrics: CertificateMetrics | undefined;

  constructor(init: {
    api: KubeApi;
    applier: StatusApplier<CertificateObject, Status>;
    events?: EventRecorder | undefined;
    metrics?: CertificateMetrics | undefined;
  }) {
    this.#api = init.api;
    this.#applier = init.applier;
    this.#events = init.events;
    this.#metrics = init.metrics;
  }

  async save(obj: CertificateObject, status: Status, signal: AbortSignal): Promise<CertificateObject> {
    const before = readyOf(obj.status);
    const applied = await this.#applier.apply(obj, status, { signal });
    const after = readyOf(status);
    if (after !== undefined) this.#metrics?.setReady(obj.metadata.namespace ?? "", obj.metadata.name ?? "", after.status);
    const reissue = applied.written ? reissueNote(obj.status, status) : undefined;
    if (reissue !== undefined)
      this.#events?.record(
        { type: resourceTypes.managedCertificates, object: applied.object },
        { type: "Normal", reason: "Reissued", action: "Issue", note: reissue },
      );
    // Pending is where every new resource starts: its first status is no transition worth an Event
    // (Ready and Issuing say it), so a first issuance records one Event, when Ready turns True (issue 13).
    const firstPending = before === undefined && after?.reason === Reason.Pending;
    if (after !== undefined && applied.written && !firstPending && (before?.status !== after.status || before.reason !== after.reason)) {
      this.#events?.record(
        { type: resourceTypes.managedCertificates, object: applied.object },
        {
          type: after.status === "True" || after.reason === Reason.Pending ? "Normal" : "Warning",
          reason: after.reason,
          action: "Reconcile",
          note: after.message,
        },
      );
    }
    return applied.object;
  }

  /** A merge patch of the object itself, remembered for read-your-writes like a status write. */
  async #patch(obj: CertificateObject, body: Record<string, unknown>, signal: AbortSignal): Promise<CertificateObject> {
    const basedOn = obj.metadata.resourceVersion;
    const answer = await this.#api.mergePatch<CertificateObject>(resourceTypes.managedCertificates, obj.metadata.namespace, obj.metadata.name ?? "", body, {
      signal,
    });
    const written: CertificateObject = { ...obj, ...(answer ?? {}), metadata: { ...obj.metadata, ...(answer?.metadata ?? {}) } };
    this.#applier.remember(written, basedOn);
    return written;
  }

  /** A port for one reconcile: the object as last written, its status writer and its Events. */
  port(obj: CertificateObject, signal: AbortSignal): ResourcePort {
    let current = obj;
    const events = this.#events;
    return {
      get obj() {
        return current;
      },
      get status() {
        return current.status ?? {};
      },
      save: async (status) => {
        current = await this.save(current, status, signal);
      },
      patch: async (body) => {
        current = await this.#patch(current, body, signal);
      },
      // Guarded by the resourceVersion read and never retried on a fresh copy here (runtime/finalizers.ts
      // does): the caller's decisions were made on this copy, so a conflict goes back to the queue.
      ensureFinalizer: async () => {
        const list = current.metadata.finalizers ?? [];
        if (list.includes(finalizers.cleanup) || current.metadata.deletionTimestamp !== undefined) return;
        current = await this.#patch(
          current,
          { metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: [...list, finalizers.cleanup] } },
          signal,
        );
      },
      record: (event) => events?.record({ type: resourceTypes.managedCertificates, object: current }, event),
    };
  }
}

/** Why a revision was issued, in the words a person uses. */
const REISSUE_WORDS: Readonly<Record<string, string>> = {
  NotIssued: "first issuance",
  Renewing: "renewal due",
  Expired: "the certificate had expired",
  SpecChanged: "the spec changed",
  KeyChanged: "key rotation (spec.privateKey changed)",
  RenewRequested: "manual renewal (certbridge.dev/renew-request)",
  SecretMissing: "the Secret was lost, with its key",
  SecretMismatch: "the Secret was damaged or replaced",
};

/** The note of the Reissued Event when `next` records a new issuance over an earlier certificate; undefined otherwise. */
export function reissueNote(before: Status | undefined, next: Status): string | undefined {
  const issued = next.lastIssuance;
  if (issued === undefined || issued.revision === before?.lastIssuance?.revision || before?.serialNumber === undefined) return undefined;
  const why = REISSUE_WORDS[issued.reason] ?? issued.reason;
  return `Re-issued as revision ${issued.revision} (serial ${issued.serialNumber}, replacing ${before.serialNumber}): ${why}.`;
}
