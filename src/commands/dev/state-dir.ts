// A stable folder for the dev environment's kubeconfig and simulator CA, so `export KUBECONFIG=…`
// stays the same from one `npm run dev` to the next. One instance owns it at a time (a pid file);
// a second concurrent instance falls back to its own temporary paths instead of clobbering the first.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** Beside the control-plane binary cache (`<cache>/envtest`), under the same override. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const cacheRoot = env.CERTBRIDGE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "certbridge");
  return join(cacheRoot, "dev");
}

export interface StateDir {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly caFile: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the folder for this process, or returns the pid of the live instance holding it. A pid file
 * left by a crashed instance is taken over.
 */
export async function acquireStateDir(dir: string): Promise<StateDir | { heldBy: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pidFile = join(dir, "dev.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(pidFile, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      const state = { dir, kubeconfig: join(dir, "kubeconfig"), caFile: join(dir, "sim-ca.pem") };
      return {
        ...state,
        release: async () => {
          await rm(state.kubeconfig, { force: true });
          await rm(state.caFile, { force: true });
          await rm(pidFile, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return { heldBy: holder };
      await rm(pidFile, { force: true });
    }
  }
  throw new Error(`could not take ${pidFile}`);
}
