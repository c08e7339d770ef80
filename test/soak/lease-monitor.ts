// Samples the leader Lease a few times a second for the whole run (see leader-gaps.ts for how the
// samples become gaps).
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { isNotFound } from "../../src/runtime/kube/errors.ts";
import type { LeaseSample } from "./leader-gaps.ts";

type Lease = KubeObject & { spec?: { holderIdentity?: string | null; renewTime?: string | null; leaseDurationSeconds?: number } };

export class LeaseMonitor {
  readonly samples: LeaseSample[] = [];
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #intervalMs: number;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(client: KubeClient, namespace: string, name = "certbridge-leader", intervalMs = 250) {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** The holder named in the last readable sample. */
  get currentHolder(): string | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i]!.ok) return this.samples[i]!.holder;
    return undefined;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const at = Date.now();
      try {
        const lease = await this.#client.get<Lease>(core.leases, this.#namespace, this.#name, AbortSignal.any([signal, AbortSignal.timeout(2_000)]));
        const spec = lease.spec ?? {};
        this.samples.push({
          at,
          ok: true,
          ...(spec.holderIdentity ? { holder: spec.holderIdentity } : {}),
          ...(spec.renewTime ? { renewTimeMs: Date.parse(spec.renewTime) } : {}),
          durationMs: (spec.leaseDurationSeconds ?? 15) * 1000,
        });
      } catch (error) {
        if (signal.aborted) return;
        // No Lease yet: readable, just nobody holds it.
        this.samples.push(isNotFound(error) ? { at, ok: true } : { at, ok: false });
      }
      const wait = this.#intervalMs - (Date.now() - at);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
