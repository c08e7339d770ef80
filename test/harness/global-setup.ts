import type { TestProject } from "vitest/node";
import { ControlPlane } from "./control-plane.ts";
import { installCrds } from "./crds.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfigPath: string;
    apiServerVersion: string;
  }
}

/** One real kube-apiserver + etcd for the whole integration run, with our CRDs installed. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stdout.write(`[control-plane] ${line}\n`);
  const started = Date.now();
  const plane = await ControlPlane.start({ log });
  const version = await plane.version();
  log(`integration tests run against a real kube-apiserver ${version} (started in ${Date.now() - started} ms)`);
  const client = KubeClient.fromFile(plane.kubeconfigPath);
  try {
    const names = await installCrds(client, new URL("../../crds", import.meta.url).pathname);
    log(`installed CRDs: ${names.join(", ") || "(none)"}`);
  } finally {
    await client.close();
  }
  project.provide("kubeconfigPath", plane.kubeconfigPath);
  project.provide("apiServerVersion", version);
  return async () => {
    await plane.stop();
  };
}
