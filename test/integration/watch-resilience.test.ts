import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { ControlPlane } from "../harness/control-plane.ts";
import { FreezableProxy } from "../harness/tcp-proxy.ts";
import { configMaps, eventually, testLogger } from "../harness/kube.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { Informer } from "../../src/runtime/informer.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** etcd's JSON gateway: current revision, and a compaction that expires every older resourceVersion. */
async function compactEtcd(port: number): Promise<number> {
  const range = await request(`http://127.0.0.1:${port}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("/").toString("base64") }) });
  const revision = Number(((await range.body.json()) as { header: { revision: string } }).header.revision);
  const res = await request(`http://127.0.0.1:${port}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  if (res.statusCode !== 200) throw new Error(`compaction failed: ${res.statusCode} ${await res.body.text()}`);
  await res.body.dump();
  return revision;
}

describe("watch resilience (own control plane)", () => {
  let plane: ControlPlane;
  // Without the watch cache, a watch reads etcd directly, so compacting etcd expires resourceVersions
  // exactly as a long outage does in production.
  beforeAll(async () => {
    plane = await ControlPlane.start({ extraApiServerArgs: ["--watch-cache=false"] });
  }, 180_000);
  afterAll(async () => {
    await plane?.stop();
  });

  it("survives the API server stopped for 30 s, and an expired resourceVersion costs exactly one relist", async () => {
    const client = KubeClient.fromFile(plane.kubeconfigPath);
    const observer = KubeClient.fromFile(plane.kubeconfigPath);
    await client.create(core.namespaces, { metadata: { name: "outage" } });
    await client.create<ConfigMap>(configMaps, { metadata: { name: "before", namespace: "outage" } });
    const informer = new Informer<ConfigMap>({ client: observer, type: configMaps, namespace: "outage", log: testLogger() });
    informer.start();
    await informer.waitForSync();
    try {
      // Unrelated writes move etcd's revision past the informer's resourceVersion.
      for (let i = 0; i < 3; i++) await client.create(core.secrets, { metadata: { name: `unrelated-${i}`, namespace: "outage" } });
      await plane.stopApiServer();
      const outageStart = Date.now();
      const watchesBefore = informer.stats().watchesStarted;
      await sleep(30_000);
      // While the API server is away, compact etcd: the informer's resourceVersion is now expired.
      const revision = await compactEtcd(plane.etcdPort);
      const attempts = informer.stats().watchesStarted - watchesBefore;
      const rate = attempts / ((Date.now() - outageStart) / 1000);
      await plane.startApiServer();
      const back = Date.now();
      await client.create<ConfigMap>(configMaps, { metadata: { name: "after", namespace: "outage" } });
      await eventually("change after the outage reaches the cache", () => informer.get("outage/after"), 60_000);
      const resumeMs = Date.now() - back;
      const stats = informer.stats();
      process.stdout.write(
        `outage 30 s: reconnect attempts ${attempts} (${rate.toFixed(2)}/s), resumed ${resumeMs} ms after the API server returned, compacted at ${revision}, lists ${stats.lists}, relists after 410 ${stats.relistsAfterGone}\n`,
      );
      expect(rate).toBeLessThanOrEqual(0.5);
      expect(resumeMs).toBeLessThan(15_000);
      expect(stats.relistsAfterGone).toBe(1);
      expect(stats.lists).toBe(2); // the initial list and exactly one relist
      expect(informer.get("outage/before")).toBeDefined();
    } finally {
      await informer.stop();
      await client.close();
      await observer.close();
    }
  });
});

describe("stalled watch (shared control plane behind a freezable relay)", () => {
  it("is detected by the inactivity watchdog and resumed", async () => {
    const path = inject("kubeconfigPath");
    const direct = KubeClient.fromFile(path);
    const server = new URL(direct.server);
    const proxy = new FreezableProxy({ host: server.hostname, port: Number(server.port) });
    const proxied = await proxy.listen();
    const viaProxy = KubeClient.fromFile(path, { server: proxied });
    const ns = `stall-${Date.now()}`;
    await direct.create(core.namespaces, { metadata: { name: ns } });
    const informer = new Informer<ConfigMap>({ client: viaProxy, type: configMaps, namespace: ns, inactivityTimeoutMs: 2_000, log: testLogger() });
    informer.start();
    await informer.waitForSync();
    try {
      await sleep(500);
      expect(proxy.freeze()).toBeGreaterThan(0);
      const frozenAt = Date.now();
      await direct.create<ConfigMap>(configMaps, { metadata: { name: "during-stall", namespace: ns } });
      await eventually("the watch resumes and delivers the change", () => informer.get(`${ns}/during-stall`), 60_000);
      process.stdout.write(`stalled watch detected and resumed in ${Date.now() - frozenAt} ms\n`);
      expect(informer.stats().stalls).toBeGreaterThanOrEqual(1);
    } finally {
      await informer.stop();
      await proxy.close();
      await direct.close();
      await viaProxy.close();
    }
  });
});
