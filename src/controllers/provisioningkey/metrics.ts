// Usage metrics per ProvisioningKey. Labels are namespace and name only: never the key, never the ZPA id.
import { Gauge, type Registry } from "prom-client";

export interface UsageMetrics {
  set(namespace: string, name: string, usageCount: number, maxUsage: number): void;
  remove(namespace: string, name: string): void;
}

export class PrometheusUsageMetrics implements UsageMetrics {
  readonly usage: Gauge<"namespace" | "name">;
  readonly maxUsage: Gauge<"namespace" | "name">;

  constructor(registry: Registry) {
    this.usage = new Gauge({
      name: "certbridge_provisioningkey_usage",
      help: "Enrollments that used the ZPA provisioning key (usageCount), as last observed.",
      labelNames: ["namespace", "name"],
      registers: [registry],
    });
    this.maxUsage = new Gauge({
      name: "certbridge_provisioningkey_max_usage",
      help: "maxUsage of the ZPA provisioning key; usage reaching it means no more enrollments.",
      labelNames: ["namespace", "name"],
      registers: [registry],
    });
  }

  set(namespace: string, name: string, usageCount: number, maxUsage: number): void {
    this.usage.set({ namespace, name }, usageCount);
    this.maxUsage.set({ namespace, name }, maxUsage);
  }

  remove(namespace: string, name: string): void {
    this.usage.remove({ namespace, name });
    this.maxUsage.remove({ namespace, name });
  }
}
