// Certificate metrics, registered once per manager registry.
import { Counter, Gauge, type Registry } from "prom-client";

export class CertificateMetrics {
  readonly expiration: Gauge<"namespace" | "name" | "secret">;
  readonly ready: Gauge<"namespace" | "name" | "condition">;
  readonly issuances: Counter<"vendor" | "result">;
  readonly vendorCalls: Counter<"vendor" | "operation">;

  constructor(registry: Registry) {
    this.expiration = new Gauge({
      name: "certbridge_certificate_expiration_timestamp_seconds",
      help: "notAfter of the certificate in each ManagedCertificate's Secret (unix seconds).",
      labelNames: ["namespace", "name", "secret"],
      registers: [registry],
    });
    this.ready = new Gauge({
      name: "certbridge_certificate_ready_status",
      help: "Ready condition of each ManagedCertificate (1 for the current condition value).",
      labelNames: ["namespace", "name", "condition"],
      registers: [registry],
    });
    this.issuances = new Counter({
      name: "certbridge_certificate_issuances_total",
      help: "Completed issuance attempts by vendor and result (issued, failed).",
      labelNames: ["vendor", "result"],
      registers: [registry],
    });
    this.vendorCalls = new Counter({
      name: "certbridge_certificate_vendor_calls_total",
      help: "Certificate-authority calls by vendor and operation (submit, collect, find, revoke).",
      labelNames: ["vendor", "operation"],
      registers: [registry],
    });
  }

  setReady(namespace: string, name: string, status: "True" | "False" | "Unknown"): void {
    for (const condition of ["True", "False", "Unknown"] as const) this.ready.set({ namespace, name, condition }, condition === status ? 1 : 0);
  }

  setExpiration(namespace: string, name: string, secret: string, notAfter: string | undefined): void {
    if (notAfter === undefined) return;
    this.expiration.set({ namespace, name, secret }, Math.floor(Date.parse(notAfter) / 1000));
  }

  forget(namespace: string, name: string): void {
    for (const condition of ["True", "False", "Unknown"] as const) this.ready.remove({ namespace, name, condition });
    // Label sets for expiration include the Secret name; drop every series of this resource.
    const series = (this.expiration as unknown as { hashMap?: Record<string, { labels: Record<string, string> }> }).hashMap ?? {};
    for (const s of Object.values(series)) if (s.labels["namespace"] === namespace && s.labels["name"] === name) this.expiration.remove(s.labels);
  }
}
