import type { Logger } from "pino";
import { type Clock, millisOf, systemClock } from "./clock.ts";
import type { KubeClient } from "./kube/client.ts";
import { isConflict, isNotFound } from "./kube/errors.ts";
import { type KubeObject, core } from "./kube/resource.ts";
import { sleep } from "./timers.ts";

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** The calls leader election makes: a Lease is replaced whole (PUT), guarded by its resourceVersion. */
export type LeaseClient = Pick<KubeClient, "get" | "create" | "replace">;

export interface LeaderElectionOptions {
  readonly client: LeaseClient;
  readonly log: Logger;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  /** Leadership lost without our consent (renewals failed): the owner must stop acting at once. */
  readonly onStoppedLeading: () => void;
  /** Judges expiry and stamps renewTime; the retry period is waited on Node's timers. */
  readonly clock?: Clock;
  /** Jitter of the retry period while not leading (seeded in tests). */
  readonly random?: () => number;
}

/**
 * Lease timing. Shorter than client-go's 15 s / 10 s / 2 s: a standby takes over ~10 s after the
 * leader's last renewal instead of ~15-17 s. Nothing certbridge promises rests on the lease being
 * exclusive (every intent and status write is guarded by resourceVersion, ADR 0005), so a shorter
 * lease trades no safety; the renew deadline still leaves the leader three retries to renew.
 */
export const LEASE_TIMING = { leaseDurationMs: 10_000, renewDeadlineMs: 7_000, retryPeriodMs: 2_000 } as const;

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: expiry judged by our own
 * clock from when we last saw the record change (no cross-node clock comparison), optimistic
 * concurrency on resourceVersion, and release on shutdown so a successor takes over at once.
 */
export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, "log" | "clock" | "random">> & { log: Logger };
  readonly #clock: Clock;
  readonly #random: () => number;
  #leading = false;
  #observed: { holder: string; renewTime: string; durationMs: number; seenAt: number } | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      ...LEASE_TIMING,
      ...options,
      log: options.log.child({ component: "leader-election", lease: `${options.namespace}/${options.name}` }),
    };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; if leading, releases the lease so a successor need not wait for expiry. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#leading) {
      this.#leading = false;
      await this.#release().catch((error: unknown) => this.#o.log.warn({ err: String(error) }, "could not release lease"));
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let lastRenew = 0;
    while (!signal.aborted) {
      const ok = await this.#tryAcquireOrRenew(signal).catch((error: unknown) => {
        if (!signal.aborted) this.#o.log.debug({ err: String(error) }, "lease attempt failed");
        return false;
      });
      if (signal.aborted) return;
      const now = millisOf(this.#clock);
      if (ok) {
        lastRenew = now;
        if (!this.#leading) {
          this.#leading = true;
          this.#o.log.info({ identity: this.#o.identity }, "became leader");
          this.#o.onStartedLeading();
        }
      } else if (this.#leading && now - lastRenew > this.#o.renewDeadlineMs) {
        this.#leading = false;
        this.#o.log.error({ identity: this.#o.identity }, "lost leadership: lease not renewed within the deadline");
        this.#o.onStoppedLeading();
      }
      await sleep(this.#nextAttemptInMs(now), signal);
    }
  }

  /**
   * A candidate wakes the moment the lease it saw would expire rather than up to a retry period
   * later, so a failover costs the lease duration and not that plus the polling slack.
   */
  #nextAttemptInMs(now: number): number {
    if (this.#leading) return this.#o.retryPeriodMs;
    const jittered = this.#o.retryPeriodMs * (0.8 + this.#random() * 0.4);
    const seen = this.#observed;
    if (seen === undefined || seen.holder === "" || seen.holder === this.#o.identity) return jittered;
    const untilExpiry = seen.seenAt + seen.durationMs - now;
    return untilExpiry > 0 ? Math.min(jittered, untilExpiry + 5) : jittered;
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const now = millisOf(this.#clock);
    const desired = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000), renewTime: microTime(now) };
    let current: Lease;
    try {
      current = await client.get<Lease>(core.leases, namespace, name, signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await client.create<Lease>(
        core.leases,
        { metadata: { name, namespace }, spec: { ...desired, acquireTime: microTime(now), leaseTransitions: 0 } },
        signal,
      );
      this.#observe(desired.holderIdentity, desired.renewTime, this.#o.leaseDurationMs, now);
      return true;
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewTime = spec.renewTime ?? "";
    if (!this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime) {
      this.#observe(holder, renewTime, (spec.leaseDurationSeconds ?? 15) * 1000, now);
    }
    const observed = this.#observed!;
    const heldByOther = holder !== "" && holder !== identity;
    if (heldByOther && observed.seenAt + observed.durationMs > now) return false;
    const transition = holder !== identity;
    const next: Lease = {
      metadata: { ...current.metadata },
      spec: {
        ...spec,
        ...desired,
        acquireTime: transition ? microTime(now) : (spec.acquireTime ?? microTime(now)),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (transition && holder !== "" ? 1 : 0),
      },
    };
    try {
      await client.replace<Lease>(core.leases, next, signal);
    } catch (error) {
      if (isConflict(error)) return false; // someone else wrote first; judge again next round
      throw error;
    }
    this.#observe(identity, desired.renewTime, this.#o.leaseDurationMs, now);
    return true;
  }

  #observe(holder: string, renewTime: string, durationMs: number, seenAt: number): void {
    this.#observed = { holder, renewTime, durationMs, seenAt };
  }

  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#o;
    const current = await client.get<Lease>(core.leases, namespace, name);
    if (current.spec?.holderIdentity !== identity) return;
    await client.replace<Lease>(core.leases, {
      metadata: { ...current.metadata },
      spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(millisOf(this.#clock)) },
    });
    this.#o.log.info({ identity }, "released leadership");
  }
}
