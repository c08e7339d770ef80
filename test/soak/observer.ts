// Watches the run from outside: every couple of seconds, the resources' status (the vendor object
// each one names, so a Retain policy's certificate is known after the resource is gone) and the ZPA
// keys under each name (a key created and deleted between two end-of-run reads would otherwise go
// uncounted). Reads that fail during an API outage are simply skipped.
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { core } from "../../src/runtime/kube/resource.ts";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import type { SoakVendor } from "./options.ts";
import type { ClusterView, Obj, SecretObj } from "./invariants.ts";
import type { VendorReader } from "./vendor-state.ts";
import { type Kind, NAMESPACES, type Workload } from "./workload.ts";

const KINDS: ReadonlyArray<{ vendor: SoakVendor; kind: Kind }> = [
  { vendor: "cloudflare", kind: "ManagedCertificate" },
  { vendor: "sectigo", kind: "ManagedCertificate" },
  { vendor: "zpa", kind: "ProvisioningKey" },
];
const typeOf = (kind: Kind) => (kind === "ManagedCertificate" ? resourceTypes.managedCertificates : resourceTypes.provisioningKeys);

export async function readCluster(client: KubeClient, vendors: readonly SoakVendor[]): Promise<ClusterView> {
  const objects = new Map<string, Obj>();
  const secrets = new Map<string, SecretObj>();
  for (const { vendor, kind } of KINDS.filter((k) => vendors.includes(k.vendor))) {
    const ns = NAMESPACES[vendor];
    const signal = AbortSignal.timeout(15_000);
    for (const o of (await client.listAll<Obj>(typeOf(kind), { namespace: ns, signal })).items) objects.set(`${ns}/${o.metadata.name}`, o);
    for (const s of (await client.listAll<SecretObj>(core.secrets, { namespace: ns, signal })).items) secrets.set(`${ns}/${s.metadata.name}`, s);
  }
  return { objects, secrets };
}

export class Observer {
  /** Key ids seen under each ZPA key name during the run. */
  readonly zpaKeyHistory = new Map<string, Set<string>>();
  readonly #client: KubeClient;
  readonly #workload: Workload;
  readonly #vendors: readonly SoakVendor[];
  readonly #reader: VendorReader;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(client: KubeClient, workload: Workload, vendors: readonly SoakVendor[], reader: VendorReader) {
    this.#client = client;
    this.#workload = workload;
    this.#vendors = vendors;
    this.#reader = reader;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** One pass (also called once more at the end, so the last statuses are known). */
  async sample(): Promise<void> {
    for (const { vendor, kind } of KINDS.filter((k) => this.#vendors.includes(k.vendor))) {
      const ns = NAMESPACES[vendor];
      try {
        const { items } = await this.#client.listAll<Obj>(typeOf(kind), { namespace: ns, signal: AbortSignal.timeout(5_000) });
        for (const o of items) this.#workload.observe(o);
        this.#workload.observeGone(ns, kind, new Set(items.map((o) => o.metadata.uid ?? "")));
      } catch {
        // API server down or slow: the next pass catches up.
      }
    }
    if (this.#vendors.includes("zpa")) {
      try {
        this.recordZpaKeys((await this.#reader.zpa()).keys);
      } catch {
        // the simulator is never restarted; a slow answer is retried next pass
      }
    }
  }

  recordZpaKeys(keys: ReadonlyArray<{ id: string; name: string }>): void {
    for (const k of keys) {
      if (!k.name.startsWith(`certbridge.${NAMESPACES.zpa}.`)) continue;
      let ids = this.zpaKeyHistory.get(k.name);
      if (ids === undefined) this.zpaKeyHistory.set(k.name, (ids = new Set()));
      ids.add(k.id);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await this.sample();
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
