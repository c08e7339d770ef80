// What the driver and the kind use to act on the resource being reconciled: status writes (guarded by
// the resourceVersion they were computed from, remembered for read-your-writes), failures and
// refusals as conditions, Events, the vendor-error policy, crash checkpoints and the clock.
import type { VendorError } from "../../ports/vendor-error.ts";
import type { Clock } from "../../runtime/clock.ts";
import type { EventRecorder, EventType } from "../../runtime/events.ts";
import type { ReconcileContext, Result } from "../../runtime/reconcile.ts";
import type { StatusApplier } from "../../runtime/status.ts";
import { vendorFailure } from "../shared/vendor-failure.ts";
import type { ManagedObject, Refusal, Tracked } from "./types.ts";
import { failedStatus, type Failure } from "./status.ts";

/** The await points of the driver, in order. Tests stop a reconcile at each one, as a SIGKILL would. */
export type ManagedStep =
  | "finalizer-added"
  | "connection-resolved"
  | "references-resolved"
  | "looked-up"
  | "intent-recorded"
  | "created"
  | "replace-deleted"
  | "updated";

export interface ManagedToolsInit<T extends ManagedObject> {
  readonly applier: StatusApplier<T>;
  readonly events: EventRecorder;
  readonly clock: Clock;
  /** The vendor, as log messages name it. */
  readonly system: string;
  readonly checkpoint?: ((step: ManagedStep, key: string) => void | Promise<void>) | undefined;
}

export class ManagedTools<T extends ManagedObject> {
  readonly applier: StatusApplier<T>;
  readonly #events: EventRecorder;
  readonly #clock: Clock;
  readonly #system: string;
  readonly #checkpoint: ManagedToolsInit<T>["checkpoint"];

  constructor(init: ManagedToolsInit<T>) {
    this.applier = init.applier;
    this.#events = init.events;
    this.#clock = init.clock;
    this.#system = init.system;
    this.#checkpoint = init.checkpoint;
  }

  now(): number {
    return this.#clock.now().getTime();
  }

  date(): Date {
    return this.#clock.now();
  }

  /** Writes `next` unless the status already is that; `t` follows the write. Returns whether it wrote. */
  async write(t: Tracked<T>, next: NonNullable<T["status"]>, signal: AbortSignal): Promise<boolean> {
    const applied = await this.applier.apply(t.object, next, { signal });
    t.object = applied.object;
    return applied.written;
  }

  async fail(t: Tracked<T>, failure: Failure, signal: AbortSignal): Promise<boolean> {
    return this.write(t, failedStatus(t.object.status, t.object.metadata.generation, failure, this.date()) as NonNullable<T["status"]>, signal);
  }

  /** A refusal the user must act on: not Ready, and a Warning Event when it is new. */
  async refuse(t: Tracked<T>, refusal: Refusal, signal: AbortSignal): Promise<void> {
    const changed = await this.fail(t, { ...refusal, keepReady: false }, signal);
    if (changed) this.event(t, "Warning", refusal.reason, "Sync", refusal.message);
  }

  /**
   * The vendor-error policy (ports/error-policy.ts) applied: the vendor's reason in a condition, a
   * Warning Event when it is new, then retry (the error is returned to the queue), wait or stop.
   * What was delivered stays Ready unless the error says the spec or the credentials are wrong.
   */
  async vendorFailure(ctx: ReconcileContext, t: Tracked<T>, error: VendorError): Promise<Result> {
    const failure = vendorFailure(error);
    const changed = await this.fail(
      t,
      { reason: failure.reason, message: failure.message, keepReady: error.kind !== "invalid" && error.kind !== "credentials" },
      ctx.signal,
    );
    if (changed) this.event(t, "Warning", failure.reason, "Sync", failure.message);
    ctx.log.warn({ err: error.toJSON() }, `${this.#system} call failed`);
    return failure.finish();
  }

  event(t: Tracked<T>, type: EventType, reason: string, action: string, note: string): void {
    this.#events.record({ type: this.applier.type, object: t.object }, { type, reason, action, note });
  }

  async checkpoint(step: ManagedStep, key: string): Promise<void> {
    await this.#checkpoint?.(step, key);
  }
}
