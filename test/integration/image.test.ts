// The operator image, built here from the repository's Dockerfile with buildah (on a Node base assembled
// from Debian packages and the pinned node binary), then run with podman from that storage: compiled
// JavaScript and production dependencies only, user 65532, read-only root filesystem, and a certificate
// Ready from the operator inside it against the test control plane and the Cloudflare simulator.
// Skipped with the reason where buildah (or, for the run, podman) is missing; .ci/run installs both.
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { startSimulators, type RunningSimulators } from "../../src/sim/index.ts";
import { buildImage, execIn, inspectImage, mountImage, onPath, podmanUnavailable, rssMiB, runContainer } from "../harness/image.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";

const IMAGE = "localhost/certbridge:integration-test";
const BUILD_TIMEOUT = 20 * 60 * 1000;
const repoRoot = new URL("../..", import.meta.url).pathname;
const buildahPath = await onPath("buildah");
const log = (line: string) => process.stdout.write(`${line}\n`);
if (!buildahPath) log("[image] SKIPPED: buildah is not on PATH (Debian: apt-get install -y buildah podman runc); .ci/run installs it");

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } };

/** Every package directory under node_modules (scoped and nested), as lockfile keys ("node_modules/a/node_modules/b"). */
async function installedPackages(nodeModules: string, prefix = "node_modules"): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const names = entry.name.startsWith("@")
      ? (await readdir(join(nodeModules, entry.name), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => `${entry.name}/${e.name}`)
      : [entry.name];
    for (const name of names) {
      found.push(`${prefix}/${name}`);
      const nested = join(nodeModules, name, "node_modules");
      const inner = await readdir(nested).then(
        () => installedPackages(nested, `${prefix}/${name}/node_modules`),
        () => [],
      );
      found.push(...inner);
    }
  }
  return found.sort();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe.skipIf(!buildahPath)(`operator image${buildahPath ? "" : " (skipped: buildah not on PATH)"}`, () => {
  let image = IMAGE;

  beforeAll(async () => {
    image = await buildImage(IMAGE, log);
  }, BUILD_TIMEOUT);

  it("runs node on the compiled CLI as 65532:65532, with nothing declared writable", async () => {
    const config = await inspectImage(image);
    log(`[image] ${image}: ${config.size}, user ${config.user}, entrypoint ${config.entrypoint.join(" ")} ${config.cmd.join(" ")}`);
    expect(config.user).toBe("65532:65532");
    expect(config.entrypoint).toEqual(["node", "dist/cli.js"]);
    expect(config.cmd).toEqual(["run"]);
    expect(config.workingDir).toBe("/app");
    expect(config.env).toContain("NODE_ENV=production");
    expect(config.volumes).toEqual([]);
  });

  it("holds compiled JavaScript only and exactly the lockfile's production dependencies", async () => {
    const { root, release } = await mountImage(image);
    try {
      const app = join(root, "app");
      expect((await readdir(app)).sort()).toEqual(["dist", "node_modules", "package.json"]);
      const dist = await filesUnder(join(app, "dist"));
      expect(dist).toContain("cli.js");
      expect(dist).toContain("operator.js");
      expect(dist.filter((f) => !f.endsWith(".js"))).toEqual([]);
      // No TypeScript is left for Node to strip at run time, and no compiled test ended up in the image.
      const imports = (await readFile(join(app, "dist", "operator.js"), "utf8")).match(/from\s+"\.[^"]+"/g) ?? [];
      expect(imports.length).toBeGreaterThan(3);
      expect(imports.filter((i) => !i.endsWith('.js"'))).toEqual([]);
      expect(dist.filter((f) => /\.test\.js$|^test\//.test(f))).toEqual([]);

      const lock = JSON.parse(await readFile(join(repoRoot, "package-lock.json"), "utf8")) as {
        packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
      };
      const production = Object.entries(lock.packages)
        .filter(([k, v]) => k !== "" && !v.dev && !v.devOptional)
        .map(([k]) => k)
        .sort();
      const shipped = await installedPackages(join(app, "node_modules"));
      expect(shipped).toEqual(production);
      // Our build and test tooling stays out. (Typings a production dependency declares as its own
      // dependency, like @kubernetes/client-node's @types/node, are in the lockfile's production set.)
      expect(shipped.filter((p) => /^node_modules\/(typescript|vitest|node|@typescript\/[^/]+)$/.test(p))).toEqual([]);
      // npm and npx are removed from the runtime stage; node is the base's.
      const bin = await readdir(join(root, "usr", "local", "bin"));
      expect(bin).toContain("node");
      expect(bin.filter((b) => ["npm", "npx", "corepack", "yarn"].includes(b))).toEqual([]);
    } finally {
      await release();
    }
  });

  describe("running it with podman (read-only root filesystem, host network)", () => {
    let unavailable: string | undefined;
    let client: KubeClient;
    let sims: RunningSimulators;
    const scratch: string[] = [];

    beforeAll(async () => {
      unavailable = await podmanUnavailable(image);
      if (unavailable) log(`[image] SKIPPED running the image: ${unavailable}`);
      client = adminClient();
      sims = await startSimulators({ https: false });
    }, 180_000);
    afterAll(async () => {
      await sims?.close();
      await client?.close();
      await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
    });

    it("imports the operator's compiled modules in well under the 150 MiB budget", async (ctx) => {
      if (unavailable) ctx.skip();
      const script =
        'import { readFileSync } from "node:fs"; await import("/app/dist/operator.js"); console.log(readFileSync("/proc/self/status", "utf8").match(/VmRSS:\\s+(\\d+)/)[1]);';
      const name = `cb-import-${randomBytes(3).toString("hex")}`;
      const container = await runContainer({ name, image, args: ["--input-type=module", "-e", script], options: ["--entrypoint", "node"] });
      // "close", not "exit": the RSS line may still be in the pipe when podman has exited.
      const [code] = await new Promise<[number | null]>((r) => container.child.once("close", (c) => r([c])));
      expect(code).toBe(0);
      const mib = Number(container.logs.join("").trim().split("\n").at(-1)) / 1024;
      log(`[image] RSS after importing dist/operator.js inside the image: ${mib.toFixed(1)} MiB`);
      expect(mib).toBeGreaterThan(20);
      expect(mib).toBeLessThan(150);
    }, 120_000);

    it("serves all three simulators from the compiled sim command (the chart's demo runs it)", async (ctx) => {
      if (unavailable) ctx.skip();
      const container = await runContainer({
        name: `cb-sim-${randomBytes(3).toString("hex")}`,
        image,
        args: ["sim", "--http", "--zpa-port", "0", "--cloudflare-port", "0", "--sectigo-port", "0"],
      });
      try {
        const line = await eventually("the simulators' JSON line", () => container.logs.find((l) => l.startsWith("{")), 30_000, 100);
        const printed = JSON.parse(line) as Record<string, string | null>;
        // ZPA and Sectigo load by a dynamic import that tsc must have rewritten to .js.
        expect({ zpa: typeof printed.zpa, cloudflare: typeof printed.cloudflare, sectigo: typeof printed.sectigo }).toEqual({
          zpa: "string",
          cloudflare: "string",
          sectigo: "string",
        });
        expect(container.logs.filter((l) => /unavailable/.test(l))).toEqual([]);
      } finally {
        await container.stop();
      }
    }, 60_000);

    it("issues a certificate from inside the image as 65532 with a read-only root filesystem", async (ctx) => {
      if (unavailable) ctx.skip();
      const ns = await freshNamespace(client, "image");
      const cf = sims.credentials.cloudflare as { apiToken: string; zoneId: string };
      await client.create(core.secrets, {
        metadata: { name: "cf-api", namespace: ns },
        data: { apiToken: Buffer.from(cf.apiToken).toString("base64") },
      } as KubeObject);
      await client.create(resourceTypes.vendorConnections, {
        metadata: { name: "cloudflare", namespace: ns },
        spec: { credentialsRef: { name: "cf-api" }, cloudflare: { baseUrl: sims.urls.cloudflare, zoneId: cf.zoneId } },
      } as KubeObject);
      await client.create(resourceTypes.managedCertificates, {
        metadata: { name: "from-the-image", namespace: ns },
        spec: {
          connectionRef: { name: "cloudflare" },
          secretName: "from-the-image-tls",
          commonName: "from-the-image",
          privateKey: { algorithm: "ECDSA", size: 256 },
          cloudflare: { validityDays: 30 },
        },
      } as KubeObject);

      // The kubeconfig, readable by the image's user only, mounted read-only.
      const dir = await mkdtemp(join(tmpdir(), "certbridge-image-"));
      scratch.push(dir);
      await chmod(dir, 0o755);
      await writeFile(join(dir, "kubeconfig"), await readFile(inject("kubeconfigPath"), "utf8"), { mode: 0o400 });
      await chown(join(dir, "kubeconfig"), 65532, 65532);

      const container = await runContainer({
        name: `cb-operator-${randomBytes(3).toString("hex")}`,
        image,
        args: ["run", "--kubeconfig", "/config/kubeconfig", "--namespaces", ns, "--leader-elect=false", "--metrics-host", "127.0.0.1", "--metrics-port", "0"],
        options: ["--volume", `${dir}:/config:ro`],
      });
      try {
        const mc = await eventually(
          "certificate Ready from the operator in the image",
          async () => {
            if (container.child.exitCode !== null)
              throw new Error(`operator container exited ${container.child.exitCode}:\n${container.logs.slice(-10).join("\n")}`);
            const o = await client.get<Conditioned>(resourceTypes.managedCertificates, ns, "from-the-image");
            return o.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True") ? o : undefined;
          },
          90_000,
          250,
        );
        expect(mc.status?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("Issued");
        const tls = await client.get<KubeObject & { type: string; data: Record<string, string> }>(core.secrets, ns, "from-the-image-tls");
        expect(tls.type).toBe("kubernetes.io/tls");
        expect(Buffer.from(tls.data["tls.crt"] ?? "", "base64").toString()).toContain("BEGIN CERTIFICATE");

        // What the kernel says about the process inside the container, seen from the host.
        const pid = await container.hostPid();
        const status = await readFile(`/proc/${pid}/status`, "utf8");
        expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual(["65532", "65532"]);
        expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe("65532");
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
        expect(cmdline.slice(0, 3)).toEqual(["node", "dist/cli.js", "run"]);
        const rootMount = (await readFile(`/proc/${pid}/mountinfo`, "utf8")).split("\n").find((l) => l.split(" ")[4] === "/");
        expect(rootMount?.split(" ")[5]?.split(",")).toContain("ro");
        // Inside the container, writing fails everywhere but the tmpfs on /tmp (the chart mounts an emptyDir there).
        const write = (path: string) => execIn(container.name, ["node", "-e", `require("node:fs").writeFileSync(${JSON.stringify(path)}, "x")`]);
        expect((await write("/app/dist/probe")).stderr).toMatch(/EROFS|EACCES/);
        expect((await write("/home/nonroot/probe")).stderr).toMatch(/EROFS/);
        expect(await write("/tmp/probe")).toEqual({ code: 0, stderr: "" });
        log(`[image] operator RSS in the container after issuing: ${(await rssMiB(pid)).toFixed(1)} MiB`);
        expect(container.logs.filter((l) => /forbidden|EROFS|read-only file system/i.test(l))).toEqual([]);
      } finally {
        await container.stop();
      }
    }, 180_000);
  });
});
