// One simulated operator process: the REAL ManagedCertificate and ProvisioningKey reconcilers with
// their informer caches, work queues and workers, wired the way their setup modules wire them
// (managedcertificate/index.ts, provisioningkey/setup.ts: claim index, tenancy), but with every
// dependency a model:
// KubeApi → kube/facade.ts, vendor ports → vendors/*, connection resolver → connections.ts, clock
// and randomness → the scheduler's. A crash throws the whole instance away (its caches, queues,
// in-memory state); the world then starts a new one.
import pino from "pino";
import { resourceTypes } from "../../../src/api/v1alpha1/index.ts";
import { IssuanceBudget } from "../../../src/controllers/ordering/budget.ts";
import { ManagedCertificateReconciler, SecretNameIndex } from "../../../src/controllers/managedcertificate/index.ts";
import { ClaimIndex, claimantFromRaw } from "../../../src/controllers/provisioningkey/claims.ts";
import { ProvisioningKeyReconciler } from "../../../src/controllers/provisioningkey/reconciler.ts";
import { CachedTenancy } from "../../../src/controllers/provisioningkey/tenancy.ts";
import { namespaceStateOf } from "../../../src/controllers/shared/connections.ts";
import { isNotFound } from "../../../src/runtime/kube/errors.ts";
import { OWNED_SECRET_SELECTOR, digestOwnedSecret, ownerKeyOf, type Secret } from "../../../src/controllers/shared/owned-secret.ts";
import { tlsSecretView } from "../../../src/controllers/managedcertificate/secret.ts";
import type { ResolvedConnection } from "../../../src/ports/connection.ts";
import type { VendorPorts } from "../../../src/ports/vendors.ts";
import { zpaProvisioningKeyClient } from "../../../src/vendors/zpa/managed-provisioning-keys.ts";
import type { EventRecorder } from "../../../src/runtime/events.ts";
import { TerminalError, retryAfterOf, type Reconciler } from "../../../src/runtime/reconcile.ts";
import { core, type KubeObject } from "../../../src/runtime/kube/resource.ts";
import { InformerCache } from "../kube/cache.ts";
import { kubeFacade } from "../kube/facade.ts";
import type { KubeModel } from "../kube/model.ts";
import type { Ledger } from "../ledger.ts";
import type { Rng } from "../rng.ts";
import { describe, type ProcessHandle, type Scheduler } from "../scheduler.ts";
import type { CertificateVendorModel } from "../vendors/certificates.ts";
import type { ZpaModel } from "../vendors/zpa.ts";
import { tenantOf, type ConnectionsModel } from "./connections.ts";
import { SimWorkQueue } from "./workqueue.ts";

export const OPERATOR_NAMESPACE = "certbridge-system";
const [selectorKey, selectorValue] = OWNED_SECRET_SELECTOR.split("=") as [string, string];
const SECRET_FACTS = new Map([["ManagedCertificate", tlsSecretView]]);

export interface ProcessDeps {
  readonly scheduler: Scheduler;
  readonly model: KubeModel;
  readonly ledger: Ledger;
  readonly rng: Rng;
  readonly certificates: CertificateVendorModel;
  readonly zpa: ZpaModel;
  readonly connections: ConnectionsModel;
  /** How far behind the API server (virtual ms of changes) each cache may start: a stale LIST after a restart. */
  readonly staleStartMs: number;
  readonly concurrency: number;
}

interface Worker {
  readonly queue: SimWorkQueue;
  readonly reconciler: Reconciler;
  readonly controller: "managedcertificate" | "provisioningkey";
  busy: number;
}

const silent = pino({ level: "silent" });
const noEvents: EventRecorder = { record: () => {} };

export class OperatorProcess implements ProcessHandle {
  readonly id: number;
  alive = true;
  readonly caches: {
    readonly certificates: InformerCache;
    readonly keys: InformerCache;
    readonly secrets: InformerCache<Secret>;
    readonly vendorConnections: InformerCache;
    readonly clusterVendorConnections: InformerCache;
    readonly namespaces: InformerCache;
  };
  readonly workers: readonly Worker[];
  readonly #d: ProcessDeps;
  reconciles = 0;

  constructor(id: number, d: ProcessDeps) {
    this.id = id;
    this.#d = d;
    // A restarted process LISTs; the API server may answer from a watch cache that is a little
    // behind: each cache starts up to `staleStartMs` (of changes) in the past, and catches up.
    const startAt = (plural: string) => {
      const log = d.model.log(plural);
      const cutoff = d.scheduler.clock.now() - d.rng.int(d.staleStartMs + 1);
      let i = log.length;
      while (i > 0 && log[i - 1]!.at > cutoff) i--;
      return i;
    };
    const certificates = new InformerCache(d.model, { plural: resourceTypes.managedCertificates.plural }, startAt(resourceTypes.managedCertificates.plural));
    const keys = new InformerCache(d.model, { plural: resourceTypes.provisioningKeys.plural }, startAt(resourceTypes.provisioningKeys.plural));
    const secrets = new InformerCache<Secret>(
      d.model,
      // As the operator keeps them: digests, no data (shared/owned-secret.ts), with the certificates' facts.
      { plural: core.secrets.plural, matchLabels: { [selectorKey]: selectorValue }, transform: (s) => digestOwnedSecret(s as Secret, SECRET_FACTS) },
      startAt(core.secrets.plural),
    );
    const cache = (plural: string) => new InformerCache(d.model, { plural }, startAt(plural));
    const vendorConnections = cache(resourceTypes.vendorConnections.plural);
    const clusterVendorConnections = cache(resourceTypes.clusterVendorConnections.plural);
    const namespaces = cache(core.namespaces.plural);
    this.caches = { certificates, keys, secrets, vendorConnections, clusterVendorConnections, namespaces };

    const s = d.scheduler;
    const client = kubeFacade(s, d.model, d.rng, d.ledger, { operatorNamespace: OPERATOR_NAMESPACE });
    const resolver = d.connections.resolver(s, d.rng, client, { vendorConnections, clusterVendorConnections, namespaces });
    const tenant = (c: ResolvedConnection) => tenantOf(c.credentials);
    const ports: VendorPorts = {
      certificateAuthority: (c) => d.certificates.port(tenant(c), c.vendor === "sectigo" ? "sectigo" : "cloudflare"),
      provisioningKeys: (c) => d.zpa.port(tenant(c)),
      provisioningKeyClient: (c, scope) => zpaProvisioningKeyClient(d.zpa.port(tenant(c)), c, scope),
      browserCertificates: () => {
        throw new Error("publish.zpa is not modelled");
      },
      applicationSegments: () => {
        throw new Error("publish.zpa is not modelled");
      },
      verify: async () => {},
    };
    const now = () => s.clock.now();

    const index = new SecretNameIndex();
    const mc = new ManagedCertificateReconciler({
      client,
      certificates: {
        get: (k) => certificates.get(k),
        list: () => certificates.list(),
        namingSecret: (ns, name) =>
          index
            .keys(ns, name)
            .map((k) => certificates.get(k))
            .filter((o): o is KubeObject => o !== undefined),
      },
      secrets,
      connections: resolver,
      ports,
      budget: new IssuanceBudget({ now }),
      events: noEvents,
      clock: { now: () => s.clock.date() },
    });
    // Tenancy and the claim index, as provisioningkey/setup.ts builds them.
    const tenancy = new CachedTenancy({
      vendorConnections,
      clusterVendorConnections,
      namespaceLabels: async (namespace, signal) => {
        const watched = namespaces.get(namespace);
        if (watched !== undefined) return { ...namespaceStateOf(watched).labels };
        try {
          return { ...namespaceStateOf(await client.get<KubeObject>(core.namespaces, undefined, namespace, signal)).labels };
        } catch (e) {
          if (isNotFound(e)) return { "kubernetes.io/metadata.name": namespace };
          throw e;
        }
      },
    });
    const claims = new ClaimIndex();
    const claimantOfRaw = (raw: KubeObject) => claimantFromRaw(raw as Parameters<typeof claimantFromRaw>[0], (ref, ns) => tenancy.tenantOf(ref, ns));
    const mcQueue = new SimWorkQueue(`p${id}/mc`, s);
    const pkQueue = new SimWorkQueue(`p${id}/pk`, s);
    const pk = new ProvisioningKeyReconciler({
      client,
      keys,
      secrets,
      connections: resolver,
      ports: () => ports,
      events: noEvents,
      metrics: { set: () => {}, remove: () => {} },
      driftIntervalMs: 60 * 60_000,
      tenancy,
      claims: {
        claimants: (claimId) => claims.claimants(claimId),
        refresh: (claimant) => {
          for (const other of claims.update(claimant.key, claimant)) pkQueue.add(other);
        },
      },
      clock: { now: () => s.clock.date() },
      random: () => Math.random(),
    });
    this.workers = [
      { queue: mcQueue, reconciler: mc, controller: "managedcertificate", busy: 0 },
      { queue: pkQueue, reconciler: pk, controller: "provisioningkey", busy: 0 },
    ];

    // Wiring, as in managedcertificate/index.ts and provisioningkey/setup.ts.
    const secretNameOf = (o: KubeObject | undefined) => (o as { spec?: { secretName?: string } } | undefined)?.spec?.secretName;
    certificates.onChange((key, current, previous) => {
      index.update(key, current, previous);
      mcQueue.add(key);
      const ns = (current ?? previous)?.metadata.namespace ?? "";
      for (const name of new Set([secretNameOf(current), secretNameOf(previous)])) {
        if (name === undefined) continue;
        for (const other of index.keys(ns, name)) if (other !== key) mcQueue.add(other);
      }
    });
    keys.onChange((key, current) => {
      for (const other of claims.update(key, current === undefined ? undefined : claimantOfRaw(current))) pkQueue.add(other);
      pkQueue.add(key);
    });
    secrets.onChange((secretKey, current, previous) => {
      const mcOwner = ownerKeyOf(current ?? previous, "ManagedCertificate");
      if (mcOwner !== undefined) mcQueue.add(mcOwner);
      pk.secretObserved(secretKey);
      const pkOwner = ownerKeyOf(current, "ProvisioningKey") ?? ownerKeyOf(previous, "ProvisioningKey");
      if (pkOwner !== undefined) pkQueue.add(pkOwner);
    });
    // A connection or namespace changed: forget cached credentials, wake every resource (the real
    // setup wakes only the consumers it indexes; waking more costs reconciles, never correctness).
    const wakeAll = () => {
      resolver.invalidate();
      for (const key of certificates.keys()) mcQueue.add(key);
      for (const key of keys.keys()) pkQueue.add(key);
    };
    vendorConnections.onChange(wakeAll);
    clusterVendorConnections.onChange(wakeAll);
    namespaces.onChange(wakeAll);
    certificates.announceAll();
    keys.announceAll();
  }

  /** Workers free to take a key that is ready. */
  startable(): Worker[] {
    if (!this.alive) return [];
    return this.workers.filter((w) => w.busy < this.#d.concurrency && w.queue.ready > 0);
  }

  /** Takes the next key of `w` and runs one reconcile as a task, handling its result as runtime/controller.ts does. */
  start(w: Worker): void {
    const key = w.queue.take();
    if (key === undefined) return;
    const s = this.#d.scheduler;
    const cache = w.controller === "managedcertificate" ? this.caches.certificates : this.caches.keys;
    const cached = cache.get(key);
    const info = { controller: w.controller, key, namespace: key.split("/")[0] ?? "", uid: cached?.metadata.uid };
    w.busy++;
    this.reconciles++;
    const rng = this.#d.rng.fork(`task-${s.steps}-${key}`);
    s.log(`▶ p${this.id} reconcile ${w.controller === "managedcertificate" ? "mc" : "pk"} ${key}${cached?.metadata.deletionTimestamp ? " (deleting)" : ""}`);
    const handle = async (): Promise<void> => {
      try {
        const result = await w.reconciler.reconcile({ log: silent, signal: new AbortController().signal }, key);
        if (!this.alive) return;
        this.#d.ledger.lastErrors.delete(`${w.controller}/${key}`);
        w.queue.forget(key);
        s.log(`◀ p${this.id} ${label} done${result.requeueAfterMs !== undefined ? ` (requeue in ${Math.round(result.requeueAfterMs / 1000)} s)` : ""}`);
        if (result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) w.queue.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        if (!this.alive) return;
        if (error instanceof TerminalError) {
          w.queue.forget(key);
          s.log(`◀ p${this.id} ${label} stopped: ${describe(error)}`);
          return;
        }
        this.#d.ledger.lastErrors.set(`${w.controller}/${key}`, describe(error));
        const delay = w.queue.addRateLimited(key, retryAfterOf(error));
        s.log(`◀ p${this.id} ${label} failed: ${describe(error)} (retry in ${Math.round(delay)} ms)`);
      } finally {
        w.busy--;
        w.queue.done(key);
      }
    };
    const label = `${w.controller === "managedcertificate" ? "mc" : "pk"} ${key}`;
    s.spawn(this, info, rng, handle, (task) => {
      if (this.#deletionKnown(cached)) task.sawDeletion = true;
    });
  }

  /**
   * Whether this process already knows (its caches show it) that the resource, its namespace or its
   * connection is being deleted: then nothing new may be ordered for it (no-order-after-delete).
   */
  #deletionKnown(o: KubeObject | undefined): boolean {
    if (o === undefined) return false;
    if (o.metadata.deletionTimestamp !== undefined) return true;
    const ns = o.metadata.namespace ?? "";
    if (this.caches.namespaces.get(ns)?.metadata.deletionTimestamp !== undefined) return true;
    const ref = (o as { spec?: { connectionRef?: { kind?: string; name?: string } } }).spec?.connectionRef;
    const conn =
      ref?.kind === "ClusterVendorConnection"
        ? this.caches.clusterVendorConnections.get(ref.name ?? "")
        : this.caches.vendorConnections.get(`${ns}/${ref?.name ?? ""}`);
    return conn?.metadata.deletionTimestamp !== undefined;
  }

  kill(): void {
    this.alive = false;
    for (const w of this.workers) w.queue.stop();
  }
}
