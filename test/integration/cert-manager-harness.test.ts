// The shared cert-manager harness (test/harness/cert-manager.ts) on the real control plane: cert-manager
// v1.21.2's CRDs installed and served, its controller running as its own user, and a Certificate from a
// CA Issuer Ready with a real Secret whose leaf the CA signed. The controller watches only this file's
// namespace: cluster-wide, its approver would approve the requests other files leave unapproved on
// purpose (cert-manager-requests.test.ts) while this file runs beside them. Skipped with the reason where the
// controller cannot be built (never in CI, where .ci/run builds it first).
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { importPrivateKeyPem } from "../../src/pki/keys.ts";
import { keyMatchesCertificate, verifyChain } from "../../src/pki/inspect.ts";
import { createTestCa } from "../../src/pki/test-ca.ts";
import type { KubeClient } from "../../src/runtime/kube/client.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { type CertManagerProcess, certManagerAvailable, certManagerTypes, installCertManagerCrds, startCertManager } from "../harness/cert-manager.ts";
import { kubeconfigForUser } from "../harness/identity.ts";
import { adminClient, eventually, freshNamespace } from "../harness/kube.ts";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };
type Secret = KubeObject & { data?: Record<string, string> };

const log = (line: string) => process.stdout.write(`[cert-manager] ${line}\n`);
const cm = await certManagerAvailable({ log });
if (!cm.available) log(`SKIPPED: ${cm.reason}`);

const ready = (o: Conditioned | undefined) => o?.status?.conditions?.find((c) => c.type === "Ready");
const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("utf8");

describe.skipIf(!cm.available)("cert-manager harness", () => {
  let client: KubeClient;
  let controller: CertManagerProcess | undefined;
  let installed: string[] = [];
  let identityDir: string | undefined;
  let ns: string;

  beforeAll(async () => {
    client = adminClient();
    installed = await installCertManagerCrds(client);
    // Its own user, as the benchmark runs it (the audit log tells its requests apart by user).
    identityDir = await mkdtemp(join(tmpdir(), "cm-harness-"));
    const kubeconfig = await kubeconfigForUser(inject("kubeconfigPath"), identityDir, "cert-manager-controller", ["system:masters"]);
    ns = await freshNamespace(client, "cm");
    controller = await startCertManager({ kubeconfig, namespace: ns });
  });

  afterAll(async () => {
    await controller?.stop();
    await client?.close();
    if (identityDir) await rm(identityDir, { recursive: true, force: true });
  });

  it("installs cert-manager's CRDs, Established and served", () => {
    expect(installed.sort()).toEqual([
      "certificaterequests.cert-manager.io",
      "certificates.cert-manager.io",
      "challenges.acme.cert-manager.io",
      "clusterissuers.cert-manager.io",
      "issuers.cert-manager.io",
      "orders.acme.cert-manager.io",
    ]);
  });

  it("issues a Certificate from a CA Issuer into a Secret the CA signed", async () => {
    const id = randomBytes(4).toString("hex");
    const ca = (await createTestCa({ name: "cert-manager harness" })).root;
    const caSecret = `harness-ca-${id}`;
    await client.create(core.secrets, {
      metadata: { name: caSecret, namespace: ns },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": ca.certPem, "tls.key": ca.keyPem },
    } as KubeObject);
    const issuer = `harness-ca-${id}`;
    await client.create(certManagerTypes.issuers, { metadata: { name: issuer, namespace: ns }, spec: { ca: { secretName: caSecret } } } as KubeObject);
    await eventually("the Issuer Ready", async () => ready(await client.get<Conditioned>(certManagerTypes.issuers, ns, issuer))?.status === "True");

    await client.create(certManagerTypes.certificates, {
      metadata: { name: "web", namespace: ns },
      spec: {
        secretName: "web-tls",
        commonName: "web.cm.example",
        dnsNames: ["web.cm.example"],
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { group: "cert-manager.io", kind: "Issuer", name: issuer },
      },
    } as KubeObject);
    const condition = await eventually(
      "the Certificate Ready",
      async () => {
        const c = ready(await client.get<Conditioned>(certManagerTypes.certificates, ns, "web"));
        return c?.status === "True" ? c : undefined;
      },
      30_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n--- cert-manager log tail ---\n${(await readFile(controller!.logPath, "utf8")).split("\n").slice(-20).join("\n")}`);
    });
    expect(condition.reason).toBe("Ready");

    const secret = await client.get<Secret>(core.secrets, ns, "web-tls");
    const leafPem = decode(secret.data?.["tls.crt"]);
    expect(verifyChain(leafPem, "", ca.certPem)).toMatchObject({ ok: true });
    expect(keyMatchesCertificate(importPrivateKeyPem(decode(secret.data?.["tls.key"])), leafPem)).toBe(true);
    expect(new X509Certificate(leafPem).subjectAltName).toBe("DNS:web.cm.example");
    expect(decode(secret.data?.["ca.crt"]).trim()).toBe(ca.certPem.trim());
  });
});
