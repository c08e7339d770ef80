// certbridge as a cert-manager external issuer, end to end with cert-manager's real controller on the
// real control plane: a Certificate whose issuerRef names a VendorIssuer reaches Ready with a Secret
// whose chain verifies to the simulator's root (Sectigo SSL with delayed issuance, Sectigo client,
// Cloudflare); a renewal by cert-manager makes exactly one new order; with cert-manager's approver off,
// nothing is ordered before approval and a denied request orders nothing (and cert-manager backs off);
// an annotated Ingress gets its certificate through ingress-shim.
import type { X509Certificate } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { certificateRequests } from "../../src/controllers/certificaterequest/index.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { keyMatchesCertificate } from "../../src/pki/inspect.ts";
import { importPrivateKeyPem } from "../../src/pki/keys.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, type ResourceType, core } from "../../src/runtime/kube/resource.ts";
import { type RunningSimulators, startSimulators } from "../../src/sim/index.ts";
import type { SectigoSimulator } from "../../src/sim/sectigo/server.ts";
import { type CertManagerProcess, certManagerAvailable, certManagerTypes, installCertManagerCrds, startCertManager } from "../harness/cert-manager.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";
import {
  type Conditioned,
  type IssuerFlavour,
  type Secret,
  certificateSpec,
  condition,
  createCertificate,
  createConnections,
  createIssuer,
  expectChainToSimRoot,
  ordersFor,
  startCertbridge,
  trustOf,
  unb64,
} from "./cert-manager-fixtures.ts";

const log = (line: string) => process.stdout.write(`[cert-manager-issuer] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

const ingresses: ResourceType = { group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress", namespaced: true };
type Certificate = Conditioned & { status?: { revision?: number; lastFailureTime?: string; failedIssuanceAttempts?: number } };
type Request = Conditioned & { spec: { request: string } };

describe.skipIf(!cm.available)("cert-manager Certificates through a VendorIssuer (cert-manager's controller)", () => {
  let client: KubeClient;
  let sims: RunningSimulators;
  let sectigo: SectigoSimulator;
  /** Where cert-manager runs as shipped (its approver approves every request). */
  let ns: string;
  /** Where cert-manager's approver is off: requests wait for the test's approve or deny. */
  let manual: string;
  const processes: CertManagerProcess[] = [];
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    client = adminClient();
    await installCertManagerCrds(client);
    sims = await startSimulators({ https: false });
    sectigo = sims.sims.sectigo as unknown as SectigoSimulator;
    ns = await freshNamespace(client, "cmi");
    manual = await freshNamespace(client, "cmm");
    for (const n of [ns, manual]) await createConnections(client, sims, n);
    for (const flavour of ["sectigo-ssl", "sectigo-client", "cloudflare"] as const) await createIssuer(client, ns, flavour, flavour);
    await createIssuer(client, manual, "cloudflare", "cloudflare");
    const a = await startCertbridge(ns);
    const b = await startCertbridge(manual);
    stops.push(a.stop, b.stop);
    const kubeconfig = inject("kubeconfigPath");
    processes.push(await startCertManager({ kubeconfig, namespace: ns }));
    processes.push(await startCertManager({ kubeconfig, namespace: manual, extraArgs: ["--controllers=*,-certificaterequests-approver"] }));
  });
  afterEach(() => {
    sectigo?.setIssuance({ approvalRequired: false, collectsBeforeIssued: 0, delayMs: 0 });
  });
  afterAll(async () => {
    for (const p of processes) await p.stop();
    for (const stop of stops) await stop();
    await sims?.close();
    await client?.close();
  });

  const getCertificate = (n: string, name: string) => client.get<Certificate>(certManagerTypes.certificates, n, name);
  const readyCertificate = (n: string, name: string, revision = 1, timeoutMs = 60_000) =>
    eventually(
      `Certificate ${n}/${name} Ready at revision ${revision}`,
      async () => {
        const c = await getCertificate(n, name);
        return condition(c, "Ready")?.status === "True" && (c.status?.revision ?? 0) >= revision ? c : undefined;
      },
      timeoutMs,
      100,
    );
  /** The requests cert-manager made for a Certificate, oldest first. */
  const requestsOf = async (n: string, name: string): Promise<Request[]> => {
    const list = await client.list<Request>(certificateRequests, { namespace: n });
    return list.items
      .filter((r) => r.metadata.annotations?.["cert-manager.io/certificate-name"] === name)
      .sort(
        (a, b) =>
          Number(a.metadata.annotations?.["cert-manager.io/certificate-revision"]) - Number(b.metadata.annotations?.["cert-manager.io/certificate-revision"]),
      );
  };
  const publicKeyOf = async (r: Request) => (await parseCsr(unb64(r.spec.request))).publicKeyPem;

  /** The Secret cert-manager wrote: its chain verifies to the simulator's root and its key is the leaf's. */
  async function checkSecret(n: string, secretName: string, flavour: IssuerFlavour): Promise<X509Certificate> {
    const secret = await client.get<Secret>(core.secrets, n, secretName);
    expect(secret.type).toBe("kubernetes.io/tls");
    const leaf = expectChainToSimRoot(unb64(secret.data?.["tls.crt"]), trustOf(sims, flavour));
    expect(keyMatchesCertificate(importPrivateKeyPem(unb64(secret.data?.["tls.key"])), leaf.toString())).toBe(true);
    return leaf;
  }

  it.each([
    { flavour: "sectigo-ssl" as const, delayed: true },
    { flavour: "sectigo-client" as const, delayed: false },
    { flavour: "cloudflare" as const, delayed: false },
  ])("$flavour: the Certificate is Ready with a Secret that verifies to the simulator root, from exactly one order", async ({ flavour, delayed }) => {
    // Delayed issuance: the order stays pending for two collects, polled on the doubling backoff.
    if (delayed) sectigo.setIssuance({ collectsBeforeIssued: 2 });
    const name = `crt-${flavour}`;
    await createCertificate(client, ns, name, certificateSpec(flavour, flavour, `${name}-tls`, `${name}.${ns}.example.com`));
    const certificate = await readyCertificate(ns, name);
    expect(condition(certificate, "Ready")?.reason).toBe("Ready");
    const leaf = await checkSecret(ns, `${name}-tls`, flavour);
    if (flavour === "sectigo-client") expect(leaf.subjectAltName).toContain("ada@example.com");
    else if (flavour === "sectigo-ssl") expect(leaf.subjectAltName).toContain(`${name}.${ns}.example.com`);
    const [request, ...more] = await requestsOf(ns, name);
    expect(more).toEqual([]);
    expect(condition(request, "Ready")).toMatchObject({ status: "True", reason: "Issued" });
    expect(condition(request, "Approved")).toMatchObject({ status: "True" });
    expect(await ordersFor(sims, flavour, request!.metadata.uid ?? "", await publicKeyOf(request!))).toBe(1);
  });

  it("a renewal by cert-manager makes exactly one new vendor order, for the new request", async () => {
    const name = "renewed";
    await createCertificate(client, ns, name, certificateSpec("cloudflare", "cloudflare", `${name}-tls`, `${name}.${ns}.example.com`));
    await readyCertificate(ns, name);
    const first = await checkSecret(ns, `${name}-tls`, "cloudflare");
    const [before] = await requestsOf(ns, name);
    // As `cmctl renew` does: the Issuing condition, set on the status.
    const current = await getCertificate(ns, name);
    const conditions = [
      ...(current.status?.conditions ?? []).filter((c) => c.type !== "Issuing"),
      { type: "Issuing", status: "True", reason: "ManuallyTriggered", message: "renewal requested by the test", lastTransitionTime: isoNow() },
    ];
    await client.mergePatch(certManagerTypes.certificates, ns, name, { status: { conditions } }, { subresource: "status" });
    await readyCertificate(ns, name, 2);
    const second = await eventually("the renewed certificate in the Secret", async () => {
      const leaf = await checkSecret(ns, `${name}-tls`, "cloudflare");
      return leaf.serialNumber !== first.serialNumber ? leaf : undefined;
    });
    expect(second.serialNumber).not.toBe(first.serialNumber);
    // cert-manager keeps one request (revisionHistoryLimit): the first is gone, our finalizer never held it.
    const after = (await requestsOf(ns, name)).at(-1);
    expect(after?.metadata.annotations?.["cert-manager.io/certificate-revision"]).toBe("2");
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    for (const r of [before!, after!]) expect(await ordersFor(sims, "cloudflare", r.metadata.uid ?? "", await publicKeyOf(r))).toBe(1);
  });

  it("without cert-manager's approver: nothing is ordered before approval; a denied request orders nothing and cert-manager backs off", async () => {
    await createCertificate(client, manual, "waits", certificateSpec("cloudflare", "cloudflare", "waits-tls", `waits.${manual}.example.com`));
    await createCertificate(client, manual, "denied", certificateSpec("cloudflare", "cloudflare", "denied-tls", `denied.${manual}.example.com`));
    const waiting = await eventually("the request for waits", async () => (await requestsOf(manual, "waits")).at(0));
    const denied = await eventually("the request for denied", async () => (await requestsOf(manual, "denied")).at(0));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await ordersFor(sims, "cloudflare", waiting.metadata.uid ?? "", await publicKeyOf(waiting))).toBe(0);
    expect(condition(await client.get<Request>(certificateRequests, manual, waiting.metadata.name ?? ""), "Ready")?.reason).not.toBe("Issued");

    await decide(manual, denied.metadata.name ?? "", "Denied");
    await decide(manual, waiting.metadata.name ?? "", "Approved");
    const answered = await eventually("the denied request answered", async () => {
      const r = await client.get<Request>(certificateRequests, manual, denied.metadata.name ?? "");
      return condition(r, "Ready")?.reason === "Denied" ? r : undefined;
    });
    expect(answered.status?.failureTime).toBeDefined();
    // cert-manager's own backoff: the Certificate records the failed issuance and waits before a new request.
    const backingOff = await eventually("cert-manager backs off the denied Certificate", async () => {
      const c = await getCertificate(manual, "denied");
      return c.status?.lastFailureTime !== undefined ? c : undefined;
    });
    expect(condition(backingOff, "Ready")?.status).toBe("False");
    expect(await ordersFor(sims, "cloudflare", denied.metadata.uid ?? "", await publicKeyOf(denied))).toBe(0);
    await readyCertificate(manual, "waits");
    expect(await ordersFor(sims, "cloudflare", waiting.metadata.uid ?? "", await publicKeyOf(waiting))).toBe(1);
  });

  it("an Ingress annotated for the VendorIssuer gets its certificate (cert-manager's ingress-shim)", async () => {
    const host = `shop.${ns}.example.com`;
    await client.create(ingresses, {
      metadata: {
        name: "shop",
        namespace: ns,
        annotations: {
          "cert-manager.io/issuer": "sectigo-ssl",
          "cert-manager.io/issuer-kind": "VendorIssuer",
          "cert-manager.io/issuer-group": "certbridge.dev",
        },
      },
      spec: {
        tls: [{ hosts: [host], secretName: "shop-tls" }],
        rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } }] } }],
      },
    } as KubeObject);
    await readyCertificate(ns, "shop-tls");
    const leaf = await checkSecret(ns, "shop-tls", "sectigo-ssl");
    expect(leaf.subjectAltName).toContain(host);
    const [request] = await requestsOf(ns, "shop-tls");
    expect(await ordersFor(sims, "sectigo-ssl", request!.metadata.uid ?? "", await publicKeyOf(request!))).toBe(1);
  });

  async function decide(n: string, name: string, type: "Approved" | "Denied"): Promise<void> {
    const r = await client.get<Request>(certificateRequests, n, name);
    const conditions = [
      ...(r.status?.conditions ?? []),
      { type, status: "True", reason: "cmctl", message: `${type} by the test`, lastTransitionTime: isoNow() },
    ];
    await client.mergePatch(certificateRequests, n, name, { status: { conditions } }, { subresource: "status" });
  }
});

const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
