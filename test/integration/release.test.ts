// The release path cannot run here (no forge, no registry), so its pieces are checked where they can be:
// the workflows pass actionlint and say what ADR 0009 promises (multi-arch, SBOM, provenance, the chart
// as an OCI artifact pinned to the image's digest, one version for both, registries only as variables);
// deploy/release.ts agrees with the repository's files and stamps a chart that renders the pushed image.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { load, loadAll } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { changelogSection, readFiles, repoRoot, stampValues, versionProblems, type Files } from "../../deploy/release.ts";
import { ensureActionlint, ensureHelm, PINNED } from "../harness/tools.ts";

const run = promisify(execFile);
const workflowsDir = join(repoRoot, ".github", "workflows");
const TOOL_TIMEOUT = 10 * 60 * 1000;

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; id?: string; env?: Record<string, string> };
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { needs?: string | string[]; steps: Step[]; permissions?: Record<string, string> }>;
};

const text = (name: string) => readFileSync(join(workflowsDir, name), "utf8");
const workflow = (name: string) => load(text(name)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const pkgVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

describe("workflows", () => {
  const names = ["ci.yml", "release.yml"];

  it(
    "pass actionlint (YAML syntax, workflow schema, expressions, job graph)",
    async () => {
      const actionlint = await ensureActionlint();
      const { stdout } = await run(actionlint, ["-no-color", ...names.map((n) => join(workflowsDir, n))]).catch((e: { stdout?: string }) => ({
        stdout: e.stdout ?? String(e),
      }));
      expect(stdout.trim()).toBe("");
    },
    TOOL_TIMEOUT,
  );

  it.each(names)("%s uses actions by major version, runs .ci/run, and names no registry host", (name) => {
    const w = workflow(name);
    const uses = steps(w).flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThan(2);
    expect(uses.filter((u) => !/^[a-z0-9-]+\/[a-z0-9-]+@v\d+$/.test(u))).toEqual([]);
    expect(steps(w).some((s) => s.run === ".ci/run")).toBe(true);
    // A host: a dotted name starting a value (or after "//") and followed by a path, a port or nothing.
    // The registries live in repository variables.
    expect(text(name).match(/(?:^|[\s"'=@]|\/\/)(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:\/|["']?\s*$)/gim) ?? []).toEqual([]);
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("release.yml: a semver tag, after the tests, builds a multi-arch image with SBOM and provenance", () => {
    const w = workflow("release.yml");
    expect(w.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(w.jobs.release?.needs).toBe("test");
    const build = steps(w).find((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with).toMatchObject({ context: ".", push: true, sbom: true, provenance: "mode=max" });
    expect(String(build?.with?.platforms).split(",").sort()).toEqual(["linux/amd64", "linux/arm64"]);
    expect(steps(w).some((s) => s.uses?.startsWith("docker/setup-qemu-action@"))).toBe(true);
    const meta = steps(w).find((s) => s.uses?.startsWith("docker/metadata-action@"));
    expect(meta?.with?.images).toBe("${{ vars.IMAGE_REPOSITORY }}");
  });

  it("release.yml: the chart carries the pushed image's digest and goes to an OCI repository under the same version", () => {
    const w = workflow("release.yml");
    const script = steps(w)
      .map((s) => s.run ?? "")
      .join("\n");
    expect(script).toContain('node deploy/release.ts check "$version"');
    expect(script).toContain(
      'node deploy/release.ts stamp "${{ steps.version.outputs.version }}" "${{ vars.IMAGE_REPOSITORY }}" "${{ steps.image.outputs.digest }}"',
    );
    expect(script).toMatch(/helm package deploy\/chart\/certbridge /);
    expect(script).toContain('helm push "$RUNNER_TEMP/chart/certbridge-${{ steps.version.outputs.version }}.tgz" "${{ vars.CHART_REPOSITORY }}"');
    expect(steps(w).find((s) => s.uses?.startsWith("azure/setup-helm@"))?.with?.version).toBe(`v${PINNED.helm}`);
    // Steps run in order: stamp after the image exists, package after stamping.
    const order = ["steps.image", "deploy/release.ts stamp", "helm package", "helm push", "gh release create"].map((m) =>
      steps(w).findIndex((s) => (s.id === "image" && m === "steps.image") || (s.run ?? "").includes(m)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i >= 0)).toBe(true);
  });

  it("release.yml: every variable and secret it reads is documented in its header, and every path it names exists", () => {
    const t = text("release.yml");
    const header = t
      .split("\n")
      .filter((l) => l.startsWith("#"))
      .join("\n");
    const referenced = [...new Set([...t.matchAll(/\b(vars|secrets)\.([A-Z_]+)/g)].map((m) => `${m[1]}.${m[2]}`))];
    expect(referenced.length).toBeGreaterThanOrEqual(5);
    expect(referenced.filter((r) => !header.includes(r))).toEqual([]);
    for (const path of [".ci/run", "deploy/release.ts", "deploy/chart/certbridge/Chart.yaml", "Dockerfile", "CHANGELOG.md"])
      expect(existsSync(join(repoRoot, path)), path).toBe(true);
  });
});

describe("deploy/release.ts", () => {
  const files = (over: Partial<Files> = {}): Files => ({
    packageJson: JSON.stringify({ version: "1.2.3" }),
    chartYaml: 'apiVersion: v2\nname: certbridge\nversion: 1.2.3\nappVersion: "1.2.3"\n',
    changelog: "# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2027-01-10\n### Fixed\n- a thing\n\n## [1.2.2] - 2027-01-01\n- older\n",
    ...over,
  });
  const cases: Array<{ reason: string; files: Files; version: string; want: string[] }> = [
    { reason: "everything agrees", files: files(), version: "1.2.3", want: [] },
    {
      reason: "a tag without its package.json bump",
      files: files({ packageJson: JSON.stringify({ version: "1.2.2" }) }),
      version: "1.2.3",
      want: ["package.json version is 1.2.2, not 1.2.3"],
    },
    {
      reason: "the chart's appVersion left behind",
      files: files({ chartYaml: "version: 1.2.3\nappVersion: 1.2.2\n" }),
      version: "1.2.3",
      want: ["Chart.yaml appVersion is 1.2.2, not 1.2.3"],
    },
    {
      reason: "no CHANGELOG section for the version",
      files: files(),
      version: "1.2.4",
      want: [
        "package.json version is 1.2.3, not 1.2.4",
        "Chart.yaml version is 1.2.3, not 1.2.4",
        "Chart.yaml appVersion is 1.2.3, not 1.2.4",
        'CHANGELOG.md has no "## [1.2.4]" section',
      ],
    },
    {
      reason: "an empty CHANGELOG section",
      files: files({ changelog: "## [1.2.3] - 2027-01-10\n\n## [1.2.2]\n- x\n" }),
      version: "1.2.3",
      want: ["CHANGELOG.md's section for 1.2.3 is empty"],
    },
    { reason: "a tag that is not semver", files: files(), version: "latest", want: ["latest is not a semantic version (tags are v<major>.<minor>.<patch>)"] },
  ];
  it.each(cases)("versionProblems: $reason", ({ files: f, version, want }) => {
    expect(versionProblems(f, version)).toEqual(want);
  });

  it("the repository's own files agree on package.json's version, and the CLI says so", async () => {
    expect(versionProblems(readFiles(), pkgVersion)).toEqual([]);
    expect(changelogSection(readFiles().changelog, pkgVersion)).toMatch(/### Added/);
    const ok = await run(process.execPath, [join(repoRoot, "deploy", "release.ts"), "check", pkgVersion]);
    expect(ok.stdout).toContain(`agree on ${pkgVersion}`);
    const bad = await run(process.execPath, [join(repoRoot, "deploy", "release.ts"), "check", "99.0.0"]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toMatch(/package\.json version is .*, not 99\.0\.0/);
  });

  const DIGEST = `sha256:${"ab".repeat(32)}`;
  it(
    "stamp pins the chart's image (operator and demo simulators) to repository@digest; helm renders it",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "certbridge-release-"));
      scratch.push(dir);
      const chart = join(dir, "certbridge");
      await cp(join(repoRoot, "deploy", "chart", "certbridge"), chart, { recursive: true });
      const values = join(chart, "values.yaml");
      await writeFile(values, stampValues(await readFile(values, "utf8"), "registry.invalid:5000/team/certbridge", DIGEST));
      const helm = await ensureHelm();
      const rendered = (
        loadAll((await run(helm, ["template", "r", chart, "--set", "demo.enabled=true"], { maxBuffer: 32 * 1024 * 1024 })).stdout) as Array<{
          kind?: string;
          spec?: { template?: { spec: { containers: Array<{ image: string }> } } };
        } | null>
      ).filter((o) => o?.kind === "Deployment");
      const images = rendered.flatMap((d) => d!.spec!.template!.spec.containers.map((c) => c.image));
      expect(images).toEqual([`registry.invalid:5000/team/certbridge@${DIGEST}`, `registry.invalid:5000/team/certbridge@${DIGEST}`]);
      // Only the image block changed; everything else in values.yaml is as checked in.
      const before = (await readFile(join(repoRoot, "deploy", "chart", "certbridge", "values.yaml"), "utf8")).split("\n");
      const after = (await readFile(values, "utf8")).split("\n");
      expect(after.filter((l, i) => l !== before[i])).toEqual(["  repository: registry.invalid:5000/team/certbridge", `  digest: ${DIGEST}`]);
    },
    TOOL_TIMEOUT,
  );

  const refused = [
    {
      reason: "a repository with a tag (the digest pins it)",
      repository: "registry.invalid/team/certbridge:1.2.3",
      digest: DIGEST,
      error: /not host\/path without a tag/,
    },
    { reason: "a repository without a path", repository: "certbridge", digest: DIGEST, error: /not host\/path/ },
    {
      reason: "an empty digest (the build step failed to report one)",
      repository: "registry.invalid/team/certbridge",
      digest: "",
      error: /not sha256:<64 hex>/,
    },
    { reason: "a tag where the digest belongs", repository: "registry.invalid/team/certbridge", digest: "1.2.3", error: /not sha256:<64 hex>/ },
  ];
  it.each(refused)("stamp refuses $reason", ({ repository, digest, error }) => {
    expect(() => stampValues('image:\n  repository: certbridge\n  digest: ""\n', repository, digest)).toThrow(error);
  });
});
