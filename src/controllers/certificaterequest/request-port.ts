// The CertificateRequest as one reconcile writes it: the order record (annotation + finalizer, one
// merge patch guarded by resourceVersion) and the status (server-side apply of our fields). It keeps
// the object each write answered with, so the next write is guarded by the newest resourceVersion, and
// tells the read-your-writes memory, so the next reconcile does not start from a lagging cache.
import type { Logger } from "pino";
import type { KubeApi } from "../../runtime/kube/api.ts";
import type { KubeObject } from "../../runtime/kube/resource.ts";
import type { WrittenObjects } from "../../runtime/read-your-writes.ts";
import type { IntentStore, OrderNote, PendingOrder } from "../ordering/record.ts";
import { type CertificateRequest, CrReason, certificateRequests } from "./cert-manager.ts";
import { type OrderAnnotation, recordPatch } from "./order-annotation.ts";
import { type StatusWrite, alreadyShows, statusBody } from "./ready.ts";

export class RequestPort {
  #obj: CertificateRequest;
  #record: OrderAnnotation;
  readonly #api: KubeApi;
  readonly #written: WrittenObjects<KubeObject>;
  readonly #now: Date;
  readonly #signal: AbortSignal;
  readonly #log: Logger;

  constructor(init: {
    obj: CertificateRequest;
    record: OrderAnnotation;
    api: KubeApi;
    written: WrittenObjects<KubeObject>;
    now: Date;
    signal: AbortSignal;
    log: Logger;
  }) {
    this.#obj = init.obj;
    this.#record = init.record;
    this.#api = init.api;
    this.#written = init.written;
    this.#now = init.now;
    this.#signal = init.signal;
    this.#log = init.log;
  }

  get obj(): CertificateRequest {
    return this.#obj;
  }

  get record(): OrderAnnotation {
    return this.#record;
  }

  /** The annotation and finalizer, guarded: a stale copy fails with 409 and nothing is ordered on it. */
  async saveRecord(next: OrderAnnotation): Promise<void> {
    const basedOn = this.#obj.metadata.resourceVersion;
    const meta = this.#obj.metadata;
    const answer = await this.#api.mergePatch<KubeObject>(certificateRequests, meta.namespace, meta.name ?? "", recordPatch(this.#obj, next), {
      signal: this.#signal,
    });
    this.#take(answer, basedOn);
    this.#record = next;
  }

  /**
   * Our status fields, guarded by the newest resourceVersion (a certificate or a failure is written
   * exactly on the object it was decided on). Skipped when the request already says it.
   */
  async writeStatus(write: StatusWrite): Promise<void> {
    if (alreadyShows(this.#obj, write)) return;
    const basedOn = this.#obj.metadata.resourceVersion;
    const meta = this.#obj.metadata;
    const answer = await this.#api.apply<KubeObject>(
      certificateRequests,
      { metadata: { name: meta.name, namespace: meta.namespace, resourceVersion: basedOn }, status: statusBody(this.#obj, write, this.#now) } as KubeObject,
      { subresource: "status", force: true, signal: this.#signal },
    );
    this.#take(answer, basedOn);
  }

  /**
   * A progress note (Ready=False/Pending with the vendor's words) after a guarded record write: the
   * record is what crash safety needs, the note is for people, so a failed note is logged, not thrown
   * (throwing after the intent was recorded would delay the paid call by a settle window).
   */
  async note(message: string): Promise<void> {
    try {
      await this.writeStatus({ ready: { status: "False", reason: CrReason.Pending, message } });
    } catch (error) {
      this.#log.debug({ err: error instanceof Error ? error.message : String(error) }, "could not show the order's progress on the CertificateRequest");
    }
  }

  /** The engine's view: the annotation as the intent's place. */
  intentStore(): IntentStore {
    return {
      read: () => this.#record.order,
      write: async (order: PendingOrder, note?: OrderNote) => {
        await this.saveRecord({ ...this.#record, order });
        if (note !== undefined) await this.note(note.reason === CrReason.Pending ? note.message : `${note.reason}: ${note.message}`);
      },
    };
  }

  #take(answer: KubeObject | undefined, basedOn: string | undefined): void {
    if (answer?.metadata === undefined) return;
    this.#obj = {
      ...this.#obj,
      metadata: answer.metadata,
      ...((answer as { status?: unknown }).status === undefined ? {} : { status: (answer as CertificateRequest).status }),
    };
    this.#written.remember(this.#obj, basedOn);
  }
}
