import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ControlPlaneBinaries {
  readonly dir: string;
  readonly kubeApiServer: string;
  readonly etcd: string;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds kube-apiserver and etcd: KUBEBUILDER_ASSETS first (setup-envtest layout), else the cache
 * that build-control-plane.sh fills from the Go module proxy (a cold build takes many minutes once).
 */
export async function resolveBinaries(log: (line: string) => void = () => {}): Promise<ControlPlaneBinaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const found = { dir: assets, kubeApiServer: join(assets, "kube-apiserver"), etcd: join(assets, "etcd") };
    if ((await executable(found.kubeApiServer)) && (await executable(found.etcd))) return found;
    throw new Error(`KUBEBUILDER_ASSETS=${assets} lacks executable kube-apiserver and etcd`);
  }
  const script = new URL("./build-control-plane.sh", import.meta.url).pathname;
  log("resolving kube-apiserver and etcd (first run builds them from the Go module proxy; this takes a while)");
  const started = Date.now();
  const { stdout } = await run("bash", [script], { maxBuffer: 64 * 1024 * 1024, timeout: 60 * 60 * 1000 });
  const dir = stdout.trim().split("\n").at(-1) ?? "";
  log(`control-plane binaries ready in ${dir} (${Math.round((Date.now() - started) / 1000)}s)`);
  return { dir, kubeApiServer: join(dir, "kube-apiserver"), etcd: join(dir, "etcd") };
}
