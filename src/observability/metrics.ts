import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The operator's Prometheus metrics, on a registry of their own so that two operator instances
 * in one process (tests) do not collide. Vendor and resource metrics are added by their owners.
 * It fits the runtime's ControllerMetrics by shape: observability sits below the runtime.
 */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: "certbridge_reconcile_total",
    help: "Reconciles by controller and result.",
    labelNames: ["controller", "result"],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "certbridge_reconcile_duration_seconds",
    help: "Reconcile duration by controller.",
    labelNames: ["controller"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "certbridge_workqueue_depth",
    help: "Keys waiting in each controller's queue.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: "certbridge_leader",
    help: "1 while this instance runs the controllers (holds the leader lease, or leader election is off).",
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "certbridge_watch_restarts_total",
    help: "Watch restarts by resource and cause.",
    labelNames: ["resource", "cause"],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "certbridge_" });
  }

  observeReconcile(controller: string, result: "success" | "requeue" | "error" | "terminal", seconds: number): void {
    this.reconciles.inc({ controller, result });
    this.reconcileDuration.observe({ controller }, seconds);
  }
}
