// npm run e2e:kind needs a Docker engine (kind's nodes are containers), which our machines lack. What can be
// checked without one: the script skips with the reason (or fails with --require-docker), and the chart
// values it installs with render the loaded image and the demo objects it waits for.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { helmTemplate } from "../../deploy/render.ts";
import { chartValues, DEMO_READY_OBJECTS, dockerUnavailable, NAMESPACE, RELEASE } from "../e2e/kind/run.ts";
import { ensureHelm } from "../harness/tools.ts";

const run = promisify(execFile);
const script = new URL("../e2e/kind/run.ts", import.meta.url).pathname;
const noDocker = await dockerUnavailable();

describe("npm run e2e:kind", () => {
  it.skipIf(noDocker === undefined)(`skips with the reason where no Docker engine answers (here: ${noDocker ?? "Docker answers"})`, async () => {
    const { stdout } = await run(process.execPath, [script]);
    expect(stdout).toMatch(/SKIPPED: (docker is not on PATH|no Docker engine answers)/);
    const strict = await run(process.execPath, [script, "--require-docker"]).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(strict?.code).toBe(1);
    expect(strict?.stdout).toMatch(/SKIPPED/);
  });

  it("installs values that run the loaded image (never pulled) for the operator and the simulators, and the demo it waits for", async () => {
    const objects = (
      loadAll(await helmTemplate(await ensureHelm(), RELEASE, NAMESPACE, chartValues())) as Array<{
        kind?: string;
        metadata?: { labels?: Record<string, string> };
        spec?: { replicas?: number; template?: { spec: { containers: Array<{ image: string; imagePullPolicy: string }> } } };
      } | null>
    ).filter((o) => o !== null);
    const containers = objects.filter((o) => o!.kind === "Deployment").flatMap((d) => d!.spec!.template!.spec.containers);
    expect(containers.map((c) => [c.image, c.imagePullPolicy])).toEqual([
      ["certbridge:e2e", "Never"],
      ["certbridge:e2e", "Never"],
    ]);
    const waitedFor = objects.filter(
      (o) =>
        ["VendorConnection", "ManagedCertificate", "ProvisioningKey"].includes(o!.kind ?? "") &&
        o!.metadata?.labels?.["app.kubernetes.io/component"] === "demo",
    );
    expect(waitedFor).toHaveLength(DEMO_READY_OBJECTS);
  });
});
