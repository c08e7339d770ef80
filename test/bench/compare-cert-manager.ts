// cert-manager in the side-by-side benchmark: its v1.21.2 controllers (test/harness/cert-manager.ts) with
// a CA Issuer, so every certificate is signed locally and the figures are cert-manager's own cost.
import { join } from "node:path";
import { createTestCa } from "../../src/pki/test-ca.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { certManagerTypes, installCertManagerCrds, startCertManager } from "../harness/cert-manager.ts";
import { NAMESPACE, type RoundContext, type RunningController, type SystemUnderTest, eventuallyTrue } from "./compare-round.ts";

const ISSUER = "bench-ca";

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

export interface CertManagerSettings {
  /** Workers per controller; cert-manager's default is 5. */
  readonly workers?: number;
}

export function certManagerSystem(settings: CertManagerSettings = {}): SystemUnderTest {
  return {
    name: "cert-manager",
    kind: certManagerTypes.certificates,
    async start({ plane, client, workDir, log }: RoundContext): Promise<RunningController> {
      await installCertManagerCrds(client);
      const ca = (await createTestCa({ name: "bench" })).root;
      await client.create(core.secrets, {
        metadata: { name: ISSUER, namespace: NAMESPACE },
        type: "kubernetes.io/tls",
        stringData: { "tls.crt": ca.certPem, "tls.key": ca.keyPem },
      } as KubeObject);
      await client.create(certManagerTypes.issuers, { metadata: { name: ISSUER, namespace: NAMESPACE }, spec: { ca: { secretName: ISSUER } } } as KubeObject);
      const user = "cert-manager-controller";
      const proc = await startCertManager({
        kubeconfig: await plane.kubeconfigFor(user, ["system:masters"]),
        logPath: join(workDir, "cert-manager.log"),
        ...(settings.workers ? { workers: settings.workers } : {}),
      });
      await eventuallyTrue("the CA Issuer Ready", async () => {
        const issuer = await client.get<Conditioned>(certManagerTypes.issuers, NAMESPACE, ISSUER);
        return issuer.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      });
      log(`cert-manager: pid ${proc.pid}, ${settings.workers ?? 5} workers per controller, CA Issuer Ready`);
      return { pid: proc.pid, user, stop: () => proc.stop() };
    },
    resource(name: string): KubeObject {
      return {
        metadata: { name, namespace: NAMESPACE },
        spec: {
          secretName: `${name}-tls`,
          commonName: `${name}.bench.example`,
          dnsNames: [`${name}.bench.example`],
          privateKey: { algorithm: "ECDSA", size: 256 },
          issuerRef: { group: "cert-manager.io", kind: "Issuer", name: ISSUER },
        },
      } as KubeObject;
    },
  };
}
