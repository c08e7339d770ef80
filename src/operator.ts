import type { Logger } from "pino";
import type { OperatorConfig } from "./config/operator.ts";
import { KubeClient } from "./runtime/kube/client.ts";
import { Manager } from "./runtime/manager.ts";
import { OperatorMetrics } from "./observability/metrics.ts";
import { FIELD_MANAGER } from "./api/v1alpha1/labels.ts";
import { registerControllers } from "./controllers/index.ts";
import { provideVendorPorts } from "./controllers/shared/vendor-ports.ts";
import { createVendorPorts } from "./vendors/registry.ts";
import { shouldWarmUp } from "./config/warm-up.ts";
import { isNotFound } from "./runtime/kube/errors.ts";
import { core, type KubeObject } from "./runtime/kube/resource.ts";

export interface OperatorHandle {
  readonly manager: Manager;
  stop(): Promise<void>;
}

/** Composition root: config → Kubernetes client → manager → controllers. */
export async function startOperator(config: OperatorConfig, log: Logger, options: { onLostLeadership?: () => void } = {}): Promise<OperatorHandle> {
  const client = KubeClient.fromDefault({ ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}), fieldManager: FIELD_MANAGER });
  const manager = new Manager({
    client,
    log,
    metrics: new OperatorMetrics(),
    namespaces: config.namespaces,
    healthPort: config.metricsPort,
    healthHost: config.metricsHost,
    ...(config.leaderElect
      ? {
          leaderElection: {
            namespace: config.leaderElectionNamespace,
            name: config.leaderElectionId,
            identity: config.identity,
            leaseDurationMs: config.leaderElectionLeaseDuration,
            renewDeadlineMs: config.leaderElectionRenewDeadline,
            retryPeriodMs: config.leaderElectionRetryPeriod,
          },
        }
      : {}),
    ...(options.onLostLeadership ? { onLostLeadership: options.onLostLeadership } : {}),
  });
  const warmUp = shouldWarmUp({
    policy: config.rateLimitWarmUp,
    leaderElect: config.leaderElect,
    leaseRenewedAt: await leaseRenewedAt(client, config),
    now: Date.now(),
  });
  const vendorPorts = createVendorPorts({ log, warmUp });
  provideVendorPorts(manager, vendorPorts);
  registerControllers(manager, config);
  await manager.start();
  log.info(
    {
      server: client.server,
      namespaces: config.namespaces.length ? config.namespaces : "all",
      leaderElect: config.leaderElect,
      identity: config.identity,
      metricsPort: manager.healthPort,
      rateLimitWarmUp: warmUp,
    },
    "certbridge started",
  );
  return {
    manager,
    stop: async () => {
      await manager.stop();
      await vendorPorts.close();
    },
  };
}

/** When the leader Lease was last renewed (by anyone), or null when there is none; only read with leader election on. */
async function leaseRenewedAt(client: KubeClient, config: OperatorConfig): Promise<number | null> {
  if (!config.leaderElect || config.rateLimitWarmUp !== "auto") return null;
  try {
    const lease = await client.get<KubeObject & { spec?: { renewTime?: string | null } }>(core.leases, config.leaderElectionNamespace, config.leaderElectionId);
    const renewed = Date.parse(lease.spec?.renewTime ?? "");
    return Number.isNaN(renewed) ? null : renewed;
  } catch (error) {
    if (isNotFound(error)) return null;
    // Unknown (no permission, API trouble): behave as if a predecessor had just stopped.
    return Date.now();
  }
}
