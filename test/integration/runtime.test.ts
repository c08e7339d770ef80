import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { adminClient, configMaps, eventually, freshNamespace, testLogger } from "../harness/kube.ts";
import { Informer } from "../../src/runtime/informer.ts";
import { Manager } from "../../src/runtime/manager.ts";
import { type KubeObject, core, splitKey } from "../../src/runtime/kube/resource.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { OperatorMetrics } from "../../src/observability/metrics.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

let client: KubeClient;
beforeAll(() => {
  client = adminClient();
});
afterAll(async () => {
  await client.close();
});

describe("informer", () => {
  it("sees create, update and delete", async () => {
    const ns = await freshNamespace(client);
    const informer = new Informer<ConfigMap>({ client, type: configMaps, namespace: ns, log: testLogger() });
    const seen: Array<{ key: string; value: string | undefined }> = [];
    informer.onChange((key, current) => seen.push({ key, value: current?.data?.v }));
    informer.start();
    await informer.waitForSync();
    try {
      await client.create<ConfigMap>(configMaps, { metadata: { name: "a", namespace: ns }, data: { v: "1" } });
      await eventually("create", () => informer.get(`${ns}/a`)?.data?.v === "1");
      await client.mergePatch(configMaps, ns, "a", { data: { v: "2" } });
      await eventually("update", () => informer.get(`${ns}/a`)?.data?.v === "2");
      await client.delete(configMaps, ns, "a");
      await eventually("delete", () => informer.get(`${ns}/a`) === undefined);
      expect(seen).toEqual([
        { key: `${ns}/a`, value: "1" },
        { key: `${ns}/a`, value: "2" },
        { key: `${ns}/a`, value: undefined },
      ]);
      expect(informer.get(`${ns}/a`)?.metadata.managedFields).toBeUndefined();
    } finally {
      await informer.stop();
    }
  });

  it("the initial LIST is answered by the watch cache in one piece; a consistent LIST is paged", async () => {
    const ns = await freshNamespace(client);
    await Promise.all(Array.from({ length: 25 }, (_, i) => client.create<ConfigMap>(configMaps, { metadata: { name: `cm-${i}`, namespace: ns } })));
    const informer = new Informer<ConfigMap>({ client, type: configMaps, namespace: ns, pageSize: 10, log: testLogger() });
    let before = client.requestCount;
    informer.start();
    await informer.waitForSync();
    await informer.stop();
    expect(informer.keys()).toHaveLength(25);
    expect(client.requestCount - before).toBeLessThanOrEqual(2); // one LIST (resourceVersion 0) and maybe the watch
    // What a relist after 410 Gone asks: the current state, in pages (no resourceVersion beside a continue token).
    before = client.requestCount;
    const paged = await client.listAll<ConfigMap>(configMaps, { namespace: ns, limit: 10 });
    expect(paged.items).toHaveLength(25);
    expect(client.requestCount - before).toBe(3);
  });

  it("watches only the namespaces it is given, one stream each, in one cache", async () => {
    const [a, b, c] = [await freshNamespace(client), await freshNamespace(client), await freshNamespace(client)];
    for (const ns of [a, b, c]) await client.create<ConfigMap>(configMaps, { metadata: { name: "x", namespace: ns } });
    const informer = new Informer<ConfigMap>({ client, type: configMaps, namespaces: [a, b], log: testLogger() });
    informer.start();
    await informer.waitForSync();
    try {
      expect(informer.keys().sort()).toEqual([`${a}/x`, `${b}/x`].sort());
      await client.create<ConfigMap>(configMaps, { metadata: { name: "y", namespace: b } });
      await client.create<ConfigMap>(configMaps, { metadata: { name: "y", namespace: c } });
      await eventually("b/y arrives", () => informer.get(`${b}/y`));
      expect(informer.get(`${c}/y`)).toBeUndefined();
      expect(informer.stats().lists).toBe(2);
    } finally {
      await informer.stop();
    }
  });

  it("caches only Secrets that match its label selector", async () => {
    const ns = await freshNamespace(client);
    const labelled = { metadata: { name: "ours", namespace: ns, labels: { "app.kubernetes.io/managed-by": "certbridge" } }, stringData: { a: "b" } };
    await client.create<Secret>(core.secrets, labelled);
    await client.create<Secret>(core.secrets, { metadata: { name: "foreign", namespace: ns }, stringData: { a: "b" } });
    const informer = new Informer<Secret>({
      client,
      type: core.secrets,
      namespace: ns,
      labelSelector: "app.kubernetes.io/managed-by=certbridge",
      log: testLogger(),
    });
    informer.start();
    await informer.waitForSync();
    await informer.stop();
    expect(informer.keys()).toEqual([`${ns}/ours`]);
  });
});

describe("controller", () => {
  it("collapses a burst of 100 updates to one object into a bounded number of reconciles", async () => {
    const ns = await freshNamespace(client);
    await client.create<ConfigMap>(configMaps, { metadata: { name: "hot", namespace: ns }, data: { n: "0" } });
    const manager = new Manager({ client: adminClient(), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }) });
    const informer = manager.informer<ConfigMap>({ type: configMaps, namespace: ns });
    let reconciles = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let lastSeen = "";
    // A reconcile that begins during the burst lasts until the burst has been sent. Without this the burst
    // depends on speeds: on a loaded machine each update can take longer to write than a 25 ms reconcile,
    // and every event would then be reconciled alone however well the queue collapses them.
    let burstSent: Promise<void> = Promise.resolve();
    const controller = manager.controller({
      concurrency: 4,
      reconciler: {
        name: "burst",
        async reconcile(_ctx, key) {
          reconciles++;
          maxConcurrent = Math.max(maxConcurrent, ++concurrent);
          await sleep(25); // a realistic reconcile takes time; events keep arriving meanwhile
          await burstSent;
          lastSeen = informer.get(key)?.data?.n ?? "";
          concurrent--;
          return {};
        },
      },
    });
    informer.onChange((key) => controller.enqueue(key));
    await manager.start();
    try {
      await eventually("initial reconcile", () => reconciles >= 1);
      const before = reconciles;
      let sent = () => {};
      burstSent = new Promise<void>((resolve) => (sent = resolve));
      for (let i = 1; i <= 100; i++) await client.mergePatch(configMaps, ns, "hot", { data: { n: String(i) } });
      sent();
      await eventually("final state reconciled", () => lastSeen === "100");
      await sleep(300);
      const burst = reconciles - before;
      process.stdout.write(`burst of 100 updates → ${burst} reconciles\n`);
      expect(burst).toBeGreaterThanOrEqual(1);
      expect(burst).toBeLessThan(100);
      expect(maxConcurrent).toBe(1); // one key is never in two workers at once
    } finally {
      await manager.stop();
    }
  });

  it("retries a failing key with backoff and stops on a terminal error", async () => {
    const ns = await freshNamespace(client);
    await client.create<ConfigMap>(configMaps, { metadata: { name: "flaky", namespace: ns } });
    await client.create<ConfigMap>(configMaps, { metadata: { name: "broken", namespace: ns } });
    const manager = new Manager({ client: adminClient(), log: testLogger(), metrics: new OperatorMetrics({ defaultMetrics: false }) });
    const informer = manager.informer<ConfigMap>({ type: configMaps, namespace: ns });
    const attempts = new Map<string, number>();
    const { TerminalError } = await import("../../src/runtime/reconcile.ts");
    const controller = manager.controller({
      queue: { backoff: { baseMs: 20, maxMs: 200 } },
      reconciler: {
        name: "retry",
        async reconcile(_ctx, key) {
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          if (splitKey(key).name === "broken") throw new TerminalError("spec can never work");
          if (n < 3) throw new Error("vendor unavailable");
          return {};
        },
      },
    });
    informer.onChange((key) => controller.enqueue(key));
    await manager.start();
    try {
      await eventually("flaky succeeds on the third attempt", () => attempts.get(`${ns}/flaky`) === 3);
      await sleep(500);
      expect(attempts.get(`${ns}/flaky`)).toBe(3);
      expect(attempts.get(`${ns}/broken`)).toBe(1);
    } finally {
      await manager.stop();
    }
  });
});

describe("server-side apply", () => {
  it("a second identical apply changes nothing", async () => {
    const ns = await freshNamespace(client);
    const desired: ConfigMap = { metadata: { name: "ssa", namespace: ns, labels: { a: "b" } }, data: { k: "v" } };
    const first = await client.apply<ConfigMap>(configMaps, desired);
    const second = await client.apply<ConfigMap>(configMaps, desired);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const managers = (second.metadata.managedFields as Array<{ manager: string; operation: string }>).map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toEqual(["certbridge-test/Apply"]);
  });
});

describe("leader election", () => {
  it("hands over between two operator instances when the leader shuts down", async () => {
    const ns = await freshNamespace(client);
    const lease = { namespace: ns, name: "certbridge-leader", leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const make = (identity: string) =>
      new Manager({
        client: adminClient(),
        log: testLogger(),
        metrics: new OperatorMetrics({ defaultMetrics: false }),
        leaderElection: { ...lease, identity },
        onLostLeadership: () => {},
      });
    const a = make("instance-a");
    const b = make("instance-b");
    await a.start();
    await eventually("a leads", () => a.isLeader);
    await b.start();
    await sleep(1_500);
    expect(b.isLeader).toBe(false);
    const handoverStarted = Date.now();
    await a.stop();
    await eventually("b leads", () => b.isLeader, 10_000);
    const handoverMs = Date.now() - handoverStarted;
    process.stdout.write(`leader handover after release: ${handoverMs} ms\n`);
    expect(handoverMs).toBeLessThan(5_000); // the lease was released, so no waiting for expiry
    const held = await client.get<KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } }>(core.leases, ns, "certbridge-leader");
    expect(held.spec.holderIdentity).toBe("instance-b");
    await b.stop();
  });
});
