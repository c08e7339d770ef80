// Where each optional part of the cert-manager front end stands, as a gauge a dashboard or an alert can
// read (the logs say it once; this says it for as long as it lasts): 1 for the part's current status.
import { Gauge, type Registry } from "prom-client";
import type { PartStatus } from "./detection-plan.ts";

const STATUSES: readonly PartStatus[] = ["running", "not_served", "not_permitted", "waiting"];

export class OptionalPartStatus {
  readonly #gauge: Gauge<"part" | "status">;

  constructor(registry: Registry) {
    this.#gauge = new Gauge({
      name: "certbridge_optional_controller_status",
      help: "Optional controllers (the cert-manager front end's parts): 1 for the current status (running, not_served, not_permitted, waiting).",
      labelNames: ["part", "status"],
      registers: [registry],
    });
  }

  set(part: string, status: PartStatus): void {
    for (const s of STATUSES) this.#gauge.set({ part, status: s }, s === status ? 1 : 0);
  }
}
