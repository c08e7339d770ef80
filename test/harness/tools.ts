import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * kubectl and helm for tests, `gen:deploy` and dev mode. A compatible one on PATH is used as is;
 * otherwise build-tools.sh builds the pinned version from the Go module proxy once into the shared
 * cache (the machine reaches binaries only through package registries and the Go proxy, and the
 * distribution's kubectl is outside the control plane's version skew). See docs/adr/0009.
 */
export type Tool = "kubectl" | "helm" | "kind" | "actionlint";

/** The versions build-tools.sh builds (keep in step with its defaults). */
export const PINNED = { kubectl: "1.34.4", helm: "4.3.2", kind: "0.33.0", actionlint: "1.7.12" } as const satisfies Record<Tool, string>;

/** The test control plane's minor version; kubectl's supported skew is one minor either way. */
const CONTROL_PLANE_MINOR = 34;

/** Same root as build-control-plane.sh, so one variable moves every cached binary. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CERTBRIDGE_CACHE_DIR) return env.CERTBRIDGE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "certbridge");
}

/** Where build-tools.sh puts the pinned binary of `tool`. */
export function pinnedPath(tool: Tool, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "tools", `${tool}-v${PINNED[tool]}`, tool);
}

/**
 * Whether a tool found on PATH may stand in for the pinned one, judged from its version output
 * (`kubectl version --client -o json`, `helm version --short`, `kind version`, `actionlint --version`):
 * kubectl within one minor of the control plane; helm of the pinned major, whose `helm template` output
 * the generated manifests hold; kind and actionlint of the pinned minor or newer.
 */
export function acceptsVersion(tool: Tool, output: string): boolean {
  if (tool === "kubectl") {
    let gitVersion: unknown;
    try {
      gitVersion = (JSON.parse(output) as { clientVersion?: { gitVersion?: unknown } }).clientVersion?.gitVersion;
    } catch {
      return false;
    }
    const m = typeof gitVersion === "string" ? /^v1\.(\d+)\.\d+/.exec(gitVersion) : null;
    return m !== null && Math.abs(Number(m[1]) - CONTROL_PLANE_MINOR) <= 1;
  }
  if (tool === "helm") {
    const m = /^v(\d+)\.\d+\.\d+/.exec(output.trim());
    return m !== null && m[1] === PINNED.helm.split(".")[0];
  }
  const m = (tool === "kind" ? /^kind v(\d+)\.(\d+)\.\d+/ : /^v?(\d+)\.(\d+)\.\d+/).exec(output.trim());
  const [major, minor] = PINNED[tool].split(".").map(Number) as [number, number];
  return m !== null && Number(m[1]) === major && Number(m[2]) >= minor;
}

const VERSION_ARGS: Record<Tool, string[]> = {
  kubectl: ["version", "--client", "-o", "json"],
  helm: ["version", "--short"],
  kind: ["version"],
  actionlint: ["--version"],
};

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `tool` on PATH, if its version is acceptable. */
export async function compatibleOnPath(tool: Tool, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool);
    if (!(await isExecutable(candidate))) continue;
    try {
      const { stdout } = await run(candidate, VERSION_ARGS[tool], { timeout: 10_000, env });
      return acceptsVersion(tool, stdout) ? candidate : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface ToolOptions {
  /** Progress lines while a build runs (first use only). */
  readonly log?: (line: string) => void;
}

const BUILD_SCRIPT = new URL("./build-tools.sh", import.meta.url).pathname;
const BUILD_TIMEOUT = 30 * 60 * 1000;

/** The pinned binary, built by build-tools.sh on first use (a cache hit returns at once). */
export async function ensurePinned(tool: Tool, options: ToolOptions = {}): Promise<string> {
  const target = pinnedPath(tool);
  if (await isExecutable(target)) return target;
  options.log?.(`building ${tool} v${PINNED[tool]} from the Go module proxy into ${target} (first use only; a few minutes)`);
  const started = Date.now();
  let stdout: string;
  try {
    ({ stdout } = await run("bash", [BUILD_SCRIPT, tool], { maxBuffer: 64 * 1024 * 1024, timeout: BUILD_TIMEOUT }));
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "")
      .trim()
      .split("\n")
      .slice(-5)
      .join("\n");
    throw new Error(`building ${tool} v${PINNED[tool]} failed (test/harness/build-tools.sh ${tool})${stderr ? `:\n${stderr}` : ""}`);
  }
  const built = stdout.trim().split("\n").at(-1) ?? "";
  if (built !== target) throw new Error(`build-tools.sh reported ${built || "nothing"}, expected ${target}`);
  options.log?.(`${tool} v${PINNED[tool]} ready (${Math.round((Date.now() - started) / 1000)}s)`);
  return target;
}

const resolving = new Map<Tool, Promise<string>>();

function ensure(tool: Tool, options: ToolOptions): Promise<string> {
  let pending = resolving.get(tool);
  if (pending === undefined) {
    pending = (async () => (await compatibleOnPath(tool)) ?? (await ensurePinned(tool, options)))();
    pending.catch(() => resolving.delete(tool));
    resolving.set(tool, pending);
  }
  return pending;
}

/** Absolute path of a kubectl within one minor of 1.34: PATH's if compatible, else the pinned build. */
export async function ensureKubectl(options: ToolOptions = {}): Promise<string> {
  return ensure("kubectl", options);
}

/** Absolute path of a helm v4: PATH's if compatible, else the pinned build. */
export async function ensureHelm(options: ToolOptions = {}): Promise<string> {
  return ensure("helm", options);
}

/** Absolute path of kind (npm run e2e:kind): PATH's if compatible, else the pinned build. */
export async function ensureKind(options: ToolOptions = {}): Promise<string> {
  return ensure("kind", options);
}

/** Absolute path of actionlint (the release workflow's check): PATH's if compatible, else the pinned build. */
export async function ensureActionlint(options: ToolOptions = {}): Promise<string> {
  return ensure("actionlint", options);
}
