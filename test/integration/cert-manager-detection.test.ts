// cert-manager is optional: an operator process started while cert-manager's CRDs are absent says once
// that the CertificateRequest controller is not started, keeps running everything else, starts it when
// the CRDs appear (a request is then issued), stops it when they are deleted, and starts it again when
// they return. Detection watches exactly those CRDs; it never polls discovery (the API server's audit
// log says what the operator asked). A control plane of its own (~5 s): deleting cert-manager's CRDs
// on the shared one would pull them from under other files.
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceTypes } from "../../src/api/v1alpha1/index.ts";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { generateKey } from "../../src/pki/keys.ts";
import { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import { certManagerAvailable, installCertManagerCrds } from "../harness/cert-manager.ts";
import { ControlPlane } from "../harness/control-plane.ts";
import { installCrds } from "../harness/crds.ts";
import { eventually, freshNamespace } from "../harness/kube.ts";
import { type OperatorProcess, startOperatorProcess } from "../harness/operator-process.ts";
import { type Conditioned, b64, condition, createConnections, createIssuer } from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-detection] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

const NOT_STARTED = "cert-manager's CertificateRequest API is not served";
const STARTED = '"CertificateRequest controller started"';
const STOPPED = '"CertificateRequest controller stopped: its CRD is no longer served"';
const OPERATOR_USER = "certbridge-detection";
const REQUESTS_CRD = "certificaterequests.cert-manager.io";

/** One audited request of the operator's user: verb and URI (discovery has no resource). */
interface Audited {
  readonly verb: string;
  readonly uri: string;
}

async function auditedRequests(path: string, user: string): Promise<Audited[]> {
  const out: Audited[] = [];
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    if (!line.includes(user)) continue;
    const e = JSON.parse(line) as { user?: { username?: string }; verb?: string; requestURI?: string };
    if (e.user?.username === user) out.push({ verb: e.verb ?? "", uri: e.requestURI ?? "" });
  }
  return out;
}

describe.skipIf(!cm.available)("the CertificateRequest controller follows cert-manager's CRD", () => {
  let plane: ControlPlane;
  let client: KubeClient;
  let sims: RunningSimulators;
  let operator: OperatorProcess | undefined;
  let dir: string;
  let auditLog: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "certbridge-cm-detection-"));
    const policy = join(dir, "audit-policy.yaml");
    auditLog = join(dir, "audit.log");
    await writeFile(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived, ResponseStarted]\nrules:\n  - level: Metadata\n");
    const started = Date.now();
    plane = await ControlPlane.start({
      extraApiServerArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, "--audit-log-format=json", "--audit-log-maxsize=1000"],
    });
    client = KubeClient.fromFile(plane.kubeconfigPath);
    await installCrds(client, new URL("../../crds", import.meta.url).pathname);
    log(`private control plane with our CRDs in ${Date.now() - started} ms`);
    sims = await startSimulators({ https: false });
  }, 120_000);
  afterAll(async () => {
    operator?.child.kill("SIGTERM");
    await operator?.exited();
    await sims?.close();
    await client?.close();
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function approvedRequest(ns: string, name: string): Promise<void> {
    const key = await generateKey({ algorithm: "ECDSA", size: 256 });
    const csr = await createCsr({ privateKey: key.privateKey, subject: { commonName: `${name}.example.com` } });
    await client.create(certificateRequests, {
      metadata: { name, namespace: ns },
      spec: { request: b64(csr), issuerRef: { group: "certbridge.dev", kind: "VendorIssuer", name: "cf" } },
    } as KubeObject);
    const approved = [
      {
        type: "Approved",
        status: "True",
        reason: "cmctl",
        message: "approved by the test",
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    ];
    await client.mergePatch(certificateRequests, ns, name, { status: { conditions: approved } }, { subresource: "status" });
  }

  /**
   * Deletes the CRD the controller needs. Only that one: a CRD deleted seconds after it was created
   * (cert-manager's ACME kinds, never used here) can stay Terminating for long while the API server's
   * storage for it initializes ("could not list instances"), and could then not be installed again.
   */
  async function deleteRequestsCrd(): Promise<void> {
    await client.delete(core.customResourceDefinitions, undefined, REQUESTS_CRD);
  }

  it("absent: says so once and serves the rest; installed: starts and issues; deleted: stops; back: starts again — watching, never polling", async () => {
    const ns = await freshNamespace(client, "cmdet");
    await createConnections(client, sims, ns);
    await createIssuer(client, ns, "cf", "cloudflare");
    const kubeconfig = await plane.kubeconfigFor(OPERATOR_USER, ["system:masters"]);
    operator = startOperatorProcess(["--kubeconfig", kubeconfig, "--leader-elect", "false", "--namespaces", ns]);
    const count = (text: string) => operator!.logs.filter((l) => l.includes(text)).length;
    await eventually("the operator says the CertificateRequest controller is not started", () => count(NOT_STARTED) > 0, 30_000, 100);
    // Everything else runs: the issuer is served (and Ready once its connection is verified).
    await eventually("VendorIssuer cf Ready without cert-manager", async () => {
      const issuer = await client.get<Conditioned>(resourceTypes.vendorIssuers, ns, "cf");
      return condition(issuer, "Ready")?.status === "True";
    });

    const installed = Date.now();
    await installCertManagerCrds(client);
    await approvedRequest(ns, "late");
    await eventually(
      "the late request issued",
      async () => condition(await client.get<Conditioned>(certificateRequests, ns, "late"), "Ready")?.status === "True",
      30_000,
      100,
    );
    log(`issued ${Date.now() - installed} ms after cert-manager's CRDs were installed`);
    expect(count(NOT_STARTED), "said once while absent (repeated wakes stay silent: detection.test.ts)").toBe(1);
    expect(count(STARTED)).toBe(1);

    // cert-manager's CRD deleted: the controller stops (its informer would otherwise retry a kind nobody serves).
    const deleted = Date.now();
    await deleteRequestsCrd();
    await eventually("the CertificateRequest controller stopped", () => count(STOPPED) === 1, 30_000, 100);
    log(`stopped ${Date.now() - deleted} ms after cert-manager's CertificateRequest CRD was deleted`);
    await eventually(
      "cert-manager's CertificateRequest CRD gone",
      async () => (await client.list(core.customResourceDefinitions, { fieldSelector: `metadata.name=${REQUESTS_CRD}` })).items.length === 0,
      30_000,
      100,
    );
    const failures = () => operator!.logs.filter((l) => l.includes('"informer":"certificaterequests"') && l.includes("list/watch failed")).length;
    const failuresAtStop = failures();
    await sleep(1_500); // the informer's first retry would come after ~0.5 s
    expect(failures(), "no informer left retrying a kind nobody serves").toBe(failuresAtStop);
    expect(count(NOT_STARTED), "the new absence is said, once").toBe(2);
    expect(condition(await client.get<Conditioned>(resourceTypes.vendorIssuers, ns, "cf"), "Ready")?.status).toBe("True");

    // Reinstalled: it starts again, with a fresh informer, and issues.
    await installCertManagerCrds(client);
    await eventually("started again", () => count(STARTED) === 2, 30_000, 100);
    await approvedRequest(ns, "again");
    await eventually(
      "a request after the reinstall issued",
      async () => condition(await client.get<Conditioned>(certificateRequests, ns, "again"), "Ready")?.status === "True",
      30_000,
      100,
    );

    // What the operator asked the API server: CRDs only by name, through list+watch; discovery never.
    operator.child.kill("SIGTERM");
    await operator.exited();
    operator = undefined;
    // The audit log has each request when it completes: a watch when the API server sees it end, which
    // may be after the process has exited. Wait for the CRD watches to be there, then read it all.
    const isCrdRequest = (r: Audited) => r.uri.startsWith("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
    const asked = await eventually(
      "the operator's CRD watches in the audit log",
      async () => {
        const all = await auditedRequests(auditLog, OPERATOR_USER);
        return all.some((r) => isCrdRequest(r) && r.verb === "watch") ? all : undefined;
      },
      30_000,
      200,
    );
    const crdRequests = asked.filter(isCrdRequest);
    const discovery = asked.filter((r) => /^\/apis\/[^/]+\/[^/?]+$/.test(r.uri.split("?")[0] ?? "") && r.verb === "get");
    log(
      `operator's CRD requests: ${crdRequests.map((r) => `${r.verb} ${decodeURIComponent(r.uri.split("fieldSelector=")[1]?.split("&")[0] ?? "(all)")}`).join(", ")}`,
    );
    expect(discovery.map((r) => r.uri)).toEqual([]);
    expect(crdRequests.length).toBeGreaterThan(0);
    expect(crdRequests.filter((r) => !r.uri.includes("fieldSelector=metadata.name%3D")).map((r) => r.uri)).toEqual([]);
    expect(new Set(crdRequests.map((r) => r.verb))).toEqual(new Set(["list", "watch"]));
  });
});
