import type { Logger } from "pino";
import { type Clock, systemClock } from "./clock.ts";
import { Controller, type ControllerOptions } from "./controller.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { type KubeClient } from "./kube/client.ts";
import { type KubeObject } from "./kube/resource.ts";
import { LeaderElector } from "./leader.ts";
import { startHealthServer } from "../observability/health.ts";
import { OperatorMetrics } from "../observability/metrics.ts";

export interface ManagerOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics?: OperatorMetrics;
  /** Watch namespaced kinds only in these namespaces (empty or omitted: all namespaces). */
  readonly namespaces?: readonly string[];
  /** Omit to run without leader election (one replica, tests). */
  readonly leaderElection?: { namespace: string; name: string; identity: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Serve /healthz, /readyz and /metrics on this port (0 = any free port). Omit to serve nothing. */
  readonly healthPort?: number;
  readonly healthHost?: string;
  /** Called when leadership is lost without our consent; the default ends the process (as controller-runtime does). */
  readonly onLostLeadership?: () => void;
  /** The one clock of the process: work queues, leader election, and what setups hand to reconcilers, resolvers and events. */
  readonly clock?: Clock;
}

/**
 * Owns the shared pieces: informers (warm on every replica), controllers (running only on the
 * leader, once every cache has synced), leader election, health and metrics, and an orderly stop.
 */
export class Manager {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics: OperatorMetrics;
  readonly clock: Clock;
  readonly #options: ManagerOptions;
  readonly #informers: Informer<KubeObject>[] = [];
  readonly #controllers: Controller[] = [];
  readonly #shared = new Map<string, unknown>();
  #elector: LeaderElector | undefined;
  #health: { port: number; close(): Promise<void> } | undefined;
  #controllersStarted = false;
  #informersStarted = false;
  #stopping = false;
  #stopAbort = new AbortController();

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.client = options.client;
    this.log = options.log;
    this.metrics = options.metrics ?? new OperatorMetrics();
    this.clock = options.clock ?? systemClock;
  }

  get healthPort(): number | undefined {
    return this.#health?.port;
  }

  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : this.#controllersStarted;
  }

  get controllersRunning(): boolean {
    return this.#controllersStarted;
  }

  /**
   * One instance per manager of something several controllers use (an informer on connections,
   * the owned-Secret informer, a resolver): the first caller makes it, later callers get the same.
   */
  shared<T>(name: string, make: () => T): T {
    if (!this.#shared.has(name)) this.#shared.set(name, make());
    return this.#shared.get(name) as T;
  }

  informer<T extends KubeObject>(options: Omit<InformerOptions<T>, "client" | "log">): Informer<T> {
    const namespaces = this.#options.namespaces;
    const informer = new Informer<T>({
      ...(namespaces && namespaces.length > 0 && options.namespace === undefined ? { namespaces } : {}),
      onRestart: (cause) => this.metrics.watchRestarts.inc({ resource: options.type.plural, cause }),
      ...options,
      client: this.client,
      log: this.log,
    });
    this.#informers.push(informer as unknown as Informer<KubeObject>);
    // A kind whose CRD appeared after start (cert-manager's; issue 14): its informer starts at once.
    if (this.#informersStarted && !this.#stopping) informer.start();
    return informer;
  }

  controller(options: Omit<ControllerOptions, "log" | "metrics">): Controller {
    const name = options.reconciler.name;
    const controller = new Controller({
      ...options,
      log: this.log,
      metrics: this.metrics,
      queue: { clock: this.clock, ...options.queue, onDepthChange: (depth) => this.metrics.queueDepth.set({ controller: name }, depth) },
    });
    this.#controllers.push(controller);
    // Added while this replica leads (after its informers synced, by the caller): it runs at once.
    if (this.#controllersStarted && !this.#stopping) controller.start();
    return controller;
  }

  /**
   * Stops a controller and then informers added for an optional API that went away (its CRD was
   * deleted), and forgets them: readiness no longer waits for them, their caches are freed.
   */
  async discard(parts: { controller?: Controller; informers?: readonly Informer<KubeObject>[] }): Promise<void> {
    if (parts.controller) {
      const at = this.#controllers.indexOf(parts.controller);
      if (at >= 0) this.#controllers.splice(at, 1);
      await parts.controller.stop();
    }
    for (const informer of parts.informers ?? []) {
      const at = this.#informers.indexOf(informer);
      if (at >= 0) this.#informers.splice(at, 1);
      await informer.stop();
    }
  }

  cachesSynced(): boolean {
    return this.#informers.every((i) => i.hasSynced);
  }

  async start(): Promise<void> {
    this.#informersStarted = true;
    for (const informer of this.#informers) informer.start();
    if (this.#options.healthPort !== undefined) {
      this.#health = await startHealthServer({
        port: this.#options.healthPort,
        ...(this.#options.healthHost ? { host: this.#options.healthHost } : {}),
        registry: this.metrics.registry,
        live: () => !this.#stopping,
        ready: () => this.cachesSynced() && !this.#stopping,
      });
    }
    const le = this.#options.leaderElection;
    if (le === undefined) {
      this.metrics.isLeader.set(1); // the only instance: it acts as the leader
      void this.#startControllers();
      return;
    }
    this.#elector = new LeaderElector({
      ...le,
      client: this.client,
      log: this.log,
      clock: this.clock,
      onStartedLeading: () => {
        this.metrics.isLeader.set(1);
        void this.#startControllers();
      },
      onStoppedLeading: () => {
        this.metrics.isLeader.set(0);
        void this.#stopControllers();
        (this.#options.onLostLeadership ?? (() => process.exit(1)))();
      },
    });
    this.#elector.start();
  }

  async #startControllers(): Promise<void> {
    const signal = this.#stopAbort.signal;
    await Promise.all(this.#informers.map((i) => i.waitForSync(signal))).catch(() => undefined);
    if (signal.aborted || this.#controllersStarted) return;
    this.#controllersStarted = true;
    this.log.info({ controllers: this.#controllers.map((c) => c.name) }, "caches synced; starting controllers");
    for (const controller of this.#controllers) controller.start();
  }

  async #stopControllers(): Promise<void> {
    await Promise.all(this.#controllers.map((c) => c.stop()));
  }

  /** Graceful stop: drain controllers, release the lease, stop watches, close the health server. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stopAbort.abort();
    await this.#stopControllers();
    await this.#elector?.stop();
    this.metrics.isLeader.set(0);
    await Promise.all(this.#informers.map((i) => i.stop()));
    await this.#health?.close();
    await this.client.close();
  }
}
