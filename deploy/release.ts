// Release helpers for .github/workflows/release.yml; the image and the chart are versioned together.
//   node deploy/release.ts check <version>   package.json, Chart.yaml (version, appVersion) and a CHANGELOG
//                                            section all say <version>; exits 1 naming what differs
//   node deploy/release.ts stamp <version> <image-repository> <image-digest>
//                                            points the chart's image at the pushed image, by digest
//   node deploy/release.ts notes <version>   prints the CHANGELOG section (the forge's release notes)
// No dependencies beyond Node, so the release job needs no npm install; the files it edits are ours and
// their lines are fixed (deploy/chart/certbridge/values.yaml keeps `image:` first).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..");

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// An OCI repository without a tag or digest: host[:port]/path, lower case (the distribution spec's grammar, loosely).
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;

export interface Files {
  readonly packageJson: string;
  readonly chartYaml: string;
  readonly changelog: string;
}

export function readFiles(root = repoRoot): Files {
  const read = (...p: string[]) => readFileSync(join(root, ...p), "utf8");
  return { packageJson: read("package.json"), chartYaml: read("deploy", "chart", "certbridge", "Chart.yaml"), changelog: read("CHANGELOG.md") };
}

function chartField(chartYaml: string, field: "version" | "appVersion"): string | undefined {
  return new RegExp(`^${field}:\\s*"?([^"\\s]+)"?\\s*$`, "m").exec(chartYaml)?.[1];
}

/** The CHANGELOG section for `version` (`## [1.2.3] - 2026-12-05` up to the next `## `), without its heading. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^## \\[${version.replaceAll(".", "\\.")}\\]`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
}

/** Everything that disagrees with `version`, as sentences; empty when a release may be cut. */
export function versionProblems(files: Files, version: string): string[] {
  if (!SEMVER.test(version)) return [`${version} is not a semantic version (tags are v<major>.<minor>.<patch>)`];
  const problems: string[] = [];
  const pkg = (JSON.parse(files.packageJson) as { version?: string }).version;
  if (pkg !== version) problems.push(`package.json version is ${pkg}, not ${version}`);
  for (const field of ["version", "appVersion"] as const) {
    const have = chartField(files.chartYaml, field);
    if (have !== version) problems.push(`Chart.yaml ${field} is ${have}, not ${version}`);
  }
  const section = changelogSection(files.changelog, version);
  if (section === undefined) problems.push(`CHANGELOG.md has no "## [${version}]" section`);
  else if (section === "") problems.push(`CHANGELOG.md's section for ${version} is empty`);
  return problems;
}

/** values.yaml with the image pinned to `repository@digest` (the tag stays empty: the digest wins). */
export function stampValues(valuesYaml: string, repository: string, digest: string): string {
  if (!REPOSITORY.test(repository)) throw new Error(`image repository ${JSON.stringify(repository)} is not host/path without a tag`);
  if (!DIGEST.test(digest)) throw new Error(`image digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
  const image = /^image:\n((?: {2}.*\n|\s*\n)+)/m.exec(valuesYaml);
  if (!image) throw new Error("values.yaml has no top-level image: block");
  let block = image[1]!;
  for (const [key, value] of [
    ["repository", repository],
    ["digest", digest],
  ] as const) {
    const line = new RegExp(`^ {2}${key}:.*$`, "m");
    if (!line.test(block)) throw new Error(`values.yaml's image block has no ${key}:`);
    block = block.replace(line, `  ${key}: ${value}`);
  }
  return valuesYaml.replace(image[0], `image:\n${block}`);
}

function main(argv: readonly string[]): number {
  const [command, version = "", ...rest] = argv;
  const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
  const fail = (s: string) => (process.stderr.write(`${s}\n`), 1);
  switch (command) {
    case "check": {
      const problems = versionProblems(readFiles(), version);
      if (problems.length > 0) return fail(`cannot release ${version}:\n- ${problems.join("\n- ")}`);
      out(`package.json, Chart.yaml and CHANGELOG.md agree on ${version}`);
      return 0;
    }
    case "stamp": {
      const [repository = "", digest = ""] = rest;
      const path = join(repoRoot, "deploy", "chart", "certbridge", "values.yaml");
      writeFileSync(path, stampValues(readFileSync(path, "utf8"), repository, digest));
      out(`chart image: ${repository}@${digest}`);
      return 0;
    }
    case "notes": {
      const section = changelogSection(readFiles().changelog, version);
      if (section === undefined) return fail(`CHANGELOG.md has no section for ${version}`);
      out(section);
      return 0;
    }
    default:
      return fail("usage: node deploy/release.ts check|notes <version> | stamp <version> <image-repository> <image-digest>");
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
