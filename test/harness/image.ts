// The operator image for tests: built by build-image.sh with buildah into storage under the cache, and run
// with podman from that same storage (no Docker engine on our machines; docs/adr/0009-image-and-release.md).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { access, constants, readFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./tools.ts";

const run = promisify(execFile);

export async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The storage flags build-image.sh uses, so buildah and podman see the same images. */
export function storageFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(cacheRoot(env), "image");
  return ["--root", env.CERTBRIDGE_IMAGE_STORAGE || join(dir, "storage"), "--runroot", join(dir, "run"), "--storage-driver", "vfs"];
}

export async function buildah(args: readonly string[]): Promise<string> {
  const { stdout } = await run("buildah", [...storageFlags(), ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60 * 1000 });
  return stdout;
}

/** Builds the image (layers cached between runs); the name it was tagged with. */
export async function buildImage(tag: string, log: (line: string) => void = () => {}): Promise<string> {
  const script = new URL("./build-image.sh", import.meta.url).pathname;
  const started = Date.now();
  const child = spawn("bash", [script, "--tag", tag], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  const tail: string[] = [];
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => {
    for (const line of c.toString().split("\n")) {
      if (line.startsWith("[image]")) log(line);
      if (line) tail.push(line), tail.length > 30 && tail.shift();
    }
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`build-image.sh exited ${code}:\n${tail.join("\n")}`);
  log(`[image] build-image.sh took ${Math.round((Date.now() - started) / 1000)} s`);
  return stdout.trim().split("\n").at(-1) ?? tag;
}

export interface ImageConfig {
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string;
  readonly env: readonly string[];
  readonly volumes: readonly string[];
  /** As buildah reports it, e.g. "199 MB". */
  readonly size: string;
}

export async function inspectImage(name: string): Promise<ImageConfig> {
  const info = JSON.parse(await buildah(["inspect", "--type", "image", name])) as {
    OCIv1: { config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; Env?: string[]; Volumes?: Record<string, unknown> } };
  };
  const c = info.OCIv1.config;
  const images = JSON.parse(await buildah(["images", "--json", name])) as Array<{ size?: string }>;
  return {
    user: c.User ?? "",
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    workingDir: c.WorkingDir ?? "",
    env: c.Env ?? [],
    volumes: Object.keys(c.Volumes ?? {}),
    size: images[0]?.size ?? "unknown",
  };
}

/** The image's root filesystem, mounted read-only from the host's view; `release` unmounts and removes it. */
export async function mountImage(name: string): Promise<{ root: string; release(): Promise<void> }> {
  const container = (await buildah(["from", "--pull=false", name])).trim().split("\n").at(-1)!;
  const root = (await buildah(["mount", container])).trim();
  return { root, release: async () => void (await buildah(["rm", container])) };
}

/**
 * podman's options for running here: runc (crun refuses hybrid cgroup hierarchies), and rlimits no
 * higher than this process's hard limits (podman's defaults exceed them, and raising needs
 * CAP_SYS_RESOURCE, which we lack).
 */
export async function podmanRunFlags(): Promise<{ runtime: string[]; ulimits: string[] }> {
  const limits = await readFile("/proc/self/limits", "utf8");
  // "Max open files            20000                20000                files"
  const hard = (label: string) =>
    limits
      .split("\n")
      .find((l) => l.startsWith(label))
      ?.slice(label.length)
      .trim()
      .split(/\s+/)[1] ?? "1024";
  const atMost = (v: string, cap: number) => String(v === "unlimited" ? cap : Math.min(Number(v), cap));
  const nofile = atMost(hard("Max open files"), 65536);
  // One node process needs few; runc here refuses values near the hard limit (observed: 32768 works, 65536 not).
  const nproc = atMost(hard("Max processes"), 4096);
  const runtime = (await onPath("runc")) ? ["--runtime", "runc"] : [];
  return { runtime, ulimits: ["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`] };
}

/** Why podman cannot run containers here, or undefined when it can (tried with the image itself). */
export async function podmanUnavailable(image: string): Promise<string | undefined> {
  if (!(await onPath("podman"))) return "podman not on PATH (Debian: apt-get install -y podman runc)";
  const { runtime, ulimits } = await podmanRunFlags();
  try {
    await run("podman", [...storageFlags(), ...runtime, "run", "--rm", "--pull=never", ...ulimits, "--entrypoint", "node", image, "-e", "0"], {
      timeout: 120_000,
    });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message)
      .trim()
      .split("\n")
      .at(-1);
    return `podman cannot run containers here: ${stderr}`;
  }
}

export interface Container {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: string[];
  /** The container's main process as the host sees it. */
  hostPid(): Promise<number>;
  stop(): Promise<void>;
}

export interface RunOptions {
  readonly name: string;
  readonly image: string;
  readonly args: readonly string[];
  /** Extra `podman run` options (mounts, user, entrypoint). */
  readonly options?: readonly string[];
}

/** `podman run` in the foreground (logs captured), read-only root filesystem, host network. */
export async function runContainer(o: RunOptions): Promise<Container> {
  const { runtime, ulimits } = await podmanRunFlags();
  const globals = [...storageFlags(), ...runtime];
  const child = spawn(
    "podman",
    [...globals, "run", "--rm", "--pull=never", "--name", o.name, "--read-only", "--network", "host", ...ulimits, ...(o.options ?? []), o.image, ...o.args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: string[] = [];
  let buffered = "";
  child.stdout.on("data", (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      logs.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr.on("data", (c: Buffer) => logs.push(c.toString()));
  const exited = once(child, "exit");
  return {
    name: o.name,
    child,
    logs,
    hostPid: async () => Number((await run("podman", [...globals, "inspect", "--format", "{{.State.Pid}}", o.name])).stdout.trim()),
    stop: async () => {
      await run("podman", [...globals, "stop", "--time", "10", o.name]).catch(() => undefined);
      await exited;
    },
  };
}

/** Runs a command in a running container; its exit code and stderr (a failing command does not throw). */
export async function execIn(name: string, command: readonly string[]): Promise<{ code: number; stderr: string }> {
  const { runtime } = await podmanRunFlags();
  try {
    const { stderr } = await run("podman", [...storageFlags(), ...runtime, "exec", name, ...command], { timeout: 60_000 });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stderr?: unknown };
    return { code: typeof e.code === "number" ? e.code : -1, stderr: String(e.stderr ?? "") };
  }
}

/** Resident set of a process, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
