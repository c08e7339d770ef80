import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { createLogger } from "../../src/observability/logger.ts";

/** An admin client for the shared test control plane (integration project only). */
export function adminClient(fieldManager = "certbridge-test"): KubeClient {
  return KubeClient.fromFile(inject("kubeconfigPath"), { fieldManager });
}

/** A fresh namespace per test: there is no namespace controller, so nothing is ever reused. */
export async function freshNamespace(client: KubeClient, prefix = "t"): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await client.create(core.namespaces, { metadata: { name } } as KubeObject);
  return name;
}

export const configMaps = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true } as const;

export const testLogger = () => createLogger({ level: (process.env.CERTBRIDGE_TEST_LOG_LEVEL as "debug" | undefined) ?? "silent" });

/** Polls until `check` returns a truthy value; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(intervalMs);
  }
}
