import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { load } from "js-yaml";
import { isAlreadyExists, isNotFound } from "../../src/runtime/kube/errors.ts";
import { type KubeClient } from "../../src/runtime/kube/client.ts";
import { core, type KubeObject } from "../../src/runtime/kube/resource.ts";

interface Crd extends KubeObject {
  spec: { group: string; names: { plural: string }; versions: Array<{ name: string; served: boolean }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function readCrds(dir: string): Promise<Crd[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
  return Promise.all(files.map(async (f) => load(await readFile(join(dir, f), "utf8")) as Crd));
}

/**
 * Creates or replaces each CRD, then waits as envtest does and a bit stricter: Established and
 * NamesAccepted, and every served version listed by discovery.
 */
export async function installCrds(client: KubeClient, dir: string, timeoutMs = 30_000): Promise<string[]> {
  const crds = await readCrds(dir);
  for (const crd of crds) {
    try {
      await client.create(core.customResourceDefinitions, crd);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const current = await client.get<Crd>(core.customResourceDefinitions, undefined, crd.metadata.name ?? "");
      await client.replace(core.customResourceDefinitions, { ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata.resourceVersion } });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata.name ?? "";
    for (;;) {
      const ready = await isServed(client, crd).catch((e) => (isNotFound(e) ? false : Promise.reject(e)));
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established and served within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
  return crds.map((c) => c.metadata.name ?? "");
}

async function isServed(client: KubeClient, crd: Crd): Promise<boolean> {
  const live = await client.get<Crd>(core.customResourceDefinitions, undefined, crd.metadata.name ?? "");
  const conditions = live.status?.conditions ?? [];
  const established = conditions.some((c) => c.type === "Established" && c.status === "True");
  const named = conditions.some((c) => c.type === "NamesAccepted" && c.status === "True");
  if (!established || !named) return false;
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const discovery = await client.call<{ resources: Array<{ name: string }> }>("GET", `/apis/${crd.spec.group}/${version.name}`);
    if (!discovery.resources.some((r) => r.name === crd.spec.names.plural)) return false;
  }
  return true;
}
