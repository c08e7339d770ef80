// kubectl and helm: a compatible one on PATH is used, else the pinned version is built from the Go module
// proxy once into the shared cache (build-tools.sh) and reused by every later process.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { acceptsVersion, cacheRoot, compatibleOnPath, ensureHelm, ensureKubectl, ensurePinned, PINNED, pinnedPath } from "./tools.ts";

const run = promisify(execFile);
// A cold build (empty Go caches) takes minutes; .ci/run builds both up front so tests find them cached.
const BUILD_TIMEOUT = 20 * 60 * 1000;

describe("cacheRoot", () => {
  const cases = [
    { reason: "CERTBRIDGE_CACHE_DIR wins over everything", env: { CERTBRIDGE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }, want: "/c" },
    { reason: "XDG_CACHE_HOME next, with a certbridge folder", env: { XDG_CACHE_HOME: "/x", HOME: "/h" }, want: "/x/certbridge" },
    { reason: "else ~/.cache, as build-control-plane.sh does", env: { HOME: "/h" }, want: "/h/.cache/certbridge" },
    { reason: "an empty XDG_CACHE_HOME counts as unset, like ${VAR:-…}", env: { XDG_CACHE_HOME: "", HOME: "/h" }, want: "/h/.cache/certbridge" },
  ];
  it.each(cases)("$reason", ({ env, want }) => {
    expect(cacheRoot(env)).toBe(want);
  });

  it("puts each pinned tool in a folder named by its version, as build-tools.sh does", () => {
    expect(pinnedPath("kubectl", { HOME: "/h" })).toBe(`/h/.cache/certbridge/tools/kubectl-v${PINNED.kubectl}/kubectl`);
    expect(pinnedPath("helm", { CERTBRIDGE_CACHE_DIR: "/c" })).toBe(`/c/tools/helm-v${PINNED.helm}/helm`);
  });
});

const kubectlJson = (gitVersion: string) => JSON.stringify({ clientVersion: { major: "1", gitVersion }, kustomizeVersion: "v5.7.1" });

describe("acceptsVersion", () => {
  const cases = [
    { reason: "kubectl of the control plane's minor", tool: "kubectl", output: kubectlJson("v1.34.5"), want: true },
    { reason: "kubectl one minor older is within the skew", tool: "kubectl", output: kubectlJson("v1.33.0"), want: true },
    { reason: "kubectl one minor newer is within the skew", tool: "kubectl", output: kubectlJson("v1.35.2"), want: true },
    {
      reason: "kubectl two minors older is outside the skew (Debian's and some vendors' builds)",
      tool: "kubectl",
      output: kubectlJson("v1.32.4-dispatcher"),
      want: false,
    },
    { reason: "kubectl two minors newer is outside the skew", tool: "kubectl", output: kubectlJson("v1.36.0"), want: false },
    { reason: "kubectl without a version (built without ldflags)", tool: "kubectl", output: kubectlJson("v0.0.0-master+$Format:%H$"), want: false },
    { reason: "kubectl output that is not JSON (a wrapper script)", tool: "kubectl", output: "Client Version: v1.34.1", want: false },
    { reason: "helm of the pinned major renders the manifests the same way", tool: "helm", output: "v4.1.4+g05fa379\n", want: true },
    { reason: "helm v3 renders differently from the checked-in manifests", tool: "helm", output: "v3.19.0+g3d8990f", want: false },
    { reason: "helm output without a version", tool: "helm", output: "unknown", want: false },
    { reason: "kind of the pinned minor", tool: "kind", output: "kind v0.33.0 go1.26.8 linux/amd64", want: true },
    {
      reason: "kind older than the pinned minor may lack the flags the e2e script uses",
      tool: "kind",
      output: "kind v0.20.0 go1.20.4 linux/amd64",
      want: false,
    },
    {
      reason: "actionlint of a newer minor knows every workflow key the pinned one does",
      tool: "actionlint",
      output: "v1.8.0\ninstalled by building from source",
      want: true,
    },
    { reason: "actionlint of an older minor may reject newer workflow syntax", tool: "actionlint", output: "1.6.26\ninstalled by homebrew", want: false },
  ] as const;
  it.each(cases)("$reason", ({ tool, output, want }) => {
    expect(acceptsVersion(tool, output)).toBe(want);
  });
});

describe("compatibleOnPath", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  /** A folder holding an executable `kubectl` that prints the given version JSON. */
  async function fakeKubectl(gitVersion: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "tools-path-"));
    dirs.push(dir);
    await writeFile(join(dir, "kubectl"), `#!/bin/sh\necho '${kubectlJson(gitVersion)}'\n`);
    await chmod(join(dir, "kubectl"), 0o755);
    return dir;
  }

  it("uses the first kubectl on PATH when it is within the skew", async () => {
    const ok = await fakeKubectl("v1.35.1");
    expect(await compatibleOnPath("kubectl", { PATH: `/nonexistent:${ok}` })).toBe(join(ok, "kubectl"));
  });

  it("falls back (undefined) when the first kubectl on PATH is outside the skew, even if a later one would do", async () => {
    const old = await fakeKubectl("v1.32.4");
    const ok = await fakeKubectl("v1.34.0");
    expect(await compatibleOnPath("kubectl", { PATH: `${old}:${ok}` })).toBeUndefined();
  });

  it("falls back when there is no kubectl on PATH at all", async () => {
    expect(await compatibleOnPath("kubectl", { PATH: "/nonexistent" })).toBeUndefined();
  });
});

describe("ensurePinned / ensureKubectl / ensureHelm", () => {
  it(
    "builds (or finds) kubectl 1.34 in <cache>/tools/kubectl-v<version>/ and it reports that version",
    async () => {
      const kubectl = await ensurePinned("kubectl");
      expect(kubectl).toBe(pinnedPath("kubectl"));
      const { stdout } = await run(kubectl, ["version", "--client", "-o", "json"]);
      const { clientVersion } = JSON.parse(stdout) as { clientVersion: { gitVersion: string; platform: string } };
      process.stdout.write(`[tools] kubectl ${clientVersion.gitVersion} (${clientVersion.platform}) at ${kubectl}\n`);
      expect(clientVersion.gitVersion).toBe(`v${PINNED.kubectl}`);
    },
    BUILD_TIMEOUT,
  );

  it(
    "builds (or finds) helm v4 beside it and it reports that version",
    async () => {
      const helm = await ensurePinned("helm");
      expect(helm).toBe(pinnedPath("helm"));
      const { stdout } = await run(helm, ["version", "--short"]);
      process.stdout.write(`[tools] helm ${stdout.trim()} at ${helm}\n`);
      expect(stdout.trim()).toMatch(new RegExp(`^v${PINNED.helm.replaceAll(".", "\\.")}`));
    },
    BUILD_TIMEOUT,
  );

  it(
    "builds only once: another process gets the cached file untouched from build-tools.sh",
    async () => {
      const first = await ensurePinned("kubectl");
      const before = await stat(first);
      const script = new URL("./build-tools.sh", import.meta.url).pathname;
      const { stdout, stderr } = await run("bash", [script, "kubectl", "helm"]);
      expect(stdout.trim().split("\n")).toEqual([first, pinnedPath("helm")]);
      expect(stderr).not.toMatch(/building/);
      const after = await stat(first);
      expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ ino: before.ino, mtimeMs: before.mtimeMs });
      expect(after.mode & 0o111).toBe(0o111);
    },
    BUILD_TIMEOUT,
  );

  it(
    "ensureKubectl and ensureHelm hand back a usable tool: PATH's when compatible, else the pinned build",
    async () => {
      const [kubectl, helm] = await Promise.all([ensureKubectl(), ensureHelm()]);
      const onPath = { kubectl: await compatibleOnPath("kubectl"), helm: await compatibleOnPath("helm") };
      expect(kubectl).toBe(onPath.kubectl ?? pinnedPath("kubectl"));
      expect(helm).toBe(onPath.helm ?? pinnedPath("helm"));
      const { stdout } = await run(kubectl, ["version", "--client", "-o", "json"]);
      expect(acceptsVersion("kubectl", stdout)).toBe(true);
      expect(await ensureKubectl()).toBe(kubectl); // memoised
    },
    BUILD_TIMEOUT,
  );
});
