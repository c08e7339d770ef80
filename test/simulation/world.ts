// Everything one schedule runs against: the clock and scheduler, the Kubernetes model, the vendor
// models, the ledger, and the operator process of the moment (replaced on a crash).
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";
import { VirtualClock } from "./clock.ts";
import { KubeModel, type Actor, type EventType } from "./kube/model.ts";
import { Invariant, Ledger } from "./ledger.ts";
import { ConnectionsModel } from "./operator/connections.ts";
import { OperatorProcess } from "./operator/process.ts";
import type { Rng } from "./rng.ts";
import { Scheduler } from "./scheduler.ts";
import { Trace } from "./trace.ts";
import { CertificateVendorModel } from "./vendors/certificates.ts";
import { CONSOLE, ZpaModel } from "./vendors/zpa.ts";

export const USER: Actor = { kind: "user", label: "user" };

type Status = Record<string, unknown> & { vendorRef?: string; pendingIssuance?: { vendorRef?: string }; id?: string };

export class World {
  readonly rng: Rng;
  readonly clock: VirtualClock;
  readonly start: number;
  readonly trace: Trace;
  readonly scheduler: Scheduler;
  readonly ledger: Ledger;
  readonly model: KubeModel;
  readonly certificates: CertificateVendorModel;
  readonly zpa: ZpaModel;
  readonly connections: ConnectionsModel;
  process: OperatorProcess | undefined;
  #processes = 0;
  crashes = 0;
  /** Knobs a scenario family may turn. */
  staleStartMs = 5_000;
  concurrency = 2;

  constructor(rng: Rng, traceKeep: number) {
    this.rng = rng;
    this.clock = new VirtualClock();
    this.start = this.clock.now();
    this.trace = new Trace(this.start, traceKeep);
    this.scheduler = new Scheduler(this.clock, rng.fork("scheduler"), this.trace);
    this.ledger = new Ledger(this.start, () => this.clock.now());
    this.model = new KubeModel(() => this.clock.now());
    this.model.background = (delay, label, run) => this.scheduler.at(this.clock.now() + delay, label, run);
    const cluster = rng.fork("cluster");
    this.model.random = () => cluster.next();
    this.certificates = new CertificateVendorModel(this.scheduler, rng.fork("certificates"), this.ledger);
    this.zpa = new ZpaModel(this.scheduler, rng.fork("zpa"), this.ledger);
    this.connections = new ConnectionsModel(this.model);
    this.model.hooks.push((plural, type, before, after, actor) => this.#watch(plural, type, before, after, actor));
    this.scheduler.onCrash = () => this.crash();
  }

  /** Starts a new operator process (the first one, or a restart). */
  startProcess(): void {
    const id = ++this.#processes;
    this.scheduler.log(`⚑ operator process p${id} starts`);
    this.process = new OperatorProcess(id, {
      scheduler: this.scheduler,
      model: this.model,
      ledger: this.ledger,
      rng: this.rng.fork(`process-${id}`),
      certificates: this.certificates,
      zpa: this.zpa,
      connections: this.connections,
      staleStartMs: this.staleStartMs,
      concurrency: this.concurrency,
    });
  }

  /** SIGKILL: the process and everything in its memory is gone; a new one starts a little later. */
  crash(): void {
    const p = this.process;
    if (p === undefined || !p.alive) return;
    this.crashes++;
    p.kill();
    this.scheduler.dropProcess(p);
    this.process = undefined;
    const delay = 500 + this.scheduler.rng.int(10_000);
    this.scheduler.log(`✝ operator process p${p.id} killed; restart in ${(delay / 1000).toFixed(1)} s`);
    this.scheduler.at(this.clock.now() + delay, "restart the operator", () => this.startProcess());
  }

  /** Looks at every change the operator makes: tenancy of what it writes, and what it recorded. */
  #watch(plural: string, type: EventType, before: KubeObject | undefined, after: KubeObject, actor: Actor): void {
    const ns = after.metadata.namespace ?? "";
    if (type === "DELETED" && (plural === resourceTypes.managedCertificates.plural || plural === resourceTypes.provisioningKeys.plural)) {
      const o = before as KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
      this.ledger.deleted.set(o.metadata.uid ?? "", {
        kind: plural === resourceTypes.managedCertificates.plural ? "ManagedCertificate" : "ProvisioningKey",
        namespace: ns,
        name: o.metadata.name ?? "",
        uid: o.metadata.uid ?? "",
        spec: o.spec ?? {},
        status: o.status,
      });
      // The connection controller (C2) releases connections nobody uses any more.
      this.scheduler.at(this.clock.now() + 1000, "connection controller: release unused connections", () => this.connections.releaseUnused());
    }
    // The connection controller also acts when a connection itself starts deleting.
    if (
      (plural === resourceTypes.vendorConnections.plural || plural === resourceTypes.clusterVendorConnections.plural) &&
      type === "MODIFIED" &&
      after.metadata.deletionTimestamp !== undefined &&
      before?.metadata.deletionTimestamp === undefined
    ) {
      this.scheduler.at(this.clock.now() + 1000, "connection controller: release unused connections", () => this.connections.releaseUnused());
    }
    if (actor.kind !== "operator" || type === "DELETED") return;
    if (plural === core.secrets.plural) {
      for (const [k, v] of Object.entries((after as KubeObject & { data?: Record<string, string> }).data ?? {})) {
        const text = Buffer.from(v, "base64").toString("utf8");
        const order = text.includes("BEGIN CERTIFICATE") ? this.certificates.orderOfCertificate(text) : undefined;
        if (order !== undefined && order.actor.namespace !== ns) {
          this.ledger.flag(
            Invariant.NoCrossNamespaceAccess,
            `${actor.label} wrote the certificate of order ${order.ref} (placed by ${order.actor.key}) into Secret ${ns}/${after.metadata.name} (${k})`,
          );
        }
        const key = this.zpa.byValue(text);
        key?.deliveredTo.add(`${ns}/${after.metadata.name}`);
        if (key !== undefined && key.creator.namespace !== CONSOLE && key.creator.namespace !== ns) {
          this.ledger.flag(
            Invariant.NoCrossNamespaceAccess,
            `${actor.label} wrote the value of ZPA key ${key.id} (created by ${key.creator.key}) into Secret ${ns}/${after.metadata.name}`,
          );
        }
      }
      return;
    }
    const status = (after as KubeObject & { status?: Status }).status;
    if (status === undefined) return;
    if (plural === resourceTypes.managedCertificates.plural) {
      for (const ref of [status.vendorRef, status.pendingIssuance?.vendorRef]) {
        const order = ref === undefined ? undefined : this.certificates.order(ref);
        if (order !== undefined && order.actor.namespace !== ns) {
          this.ledger.flag(Invariant.NoCrossNamespaceAccess, `${actor.label} recorded order ${order.ref} (placed by ${order.actor.key}) in its status`);
        }
      }
      if (status.vendorRef !== undefined)
        this.ledger.recordedCertificates.set(status.vendorRef, { uid: after.metadata.uid ?? "", key: `${ns}/${after.metadata.name}` });
    }
    if (plural === resourceTypes.provisioningKeys.plural && status.id !== undefined) {
      const key = this.zpa.byId(status.id);
      if (key !== undefined && key.creator.namespace !== CONSOLE && key.creator.namespace !== ns) {
        this.ledger.flag(Invariant.NoCrossNamespaceAccess, `${actor.label} recorded ZPA key ${key.id} (created by ${key.creator.key}) in its status`);
      }
      this.ledger.recordedKeys.set(status.id, after.metadata.uid ?? "");
    }
  }
}
