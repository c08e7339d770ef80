// certbridge in the side-by-side benchmark: `certbridge run` as a child process issuing ManagedCertificates
// from the Cloudflare simulator (in the bench's process, so its CPU is not the operator's).
//
// Each VendorConnection is its own Cloudflare API token with its own vendor budget (80 % of 1,200 requests
// per 5 minutes, ~3.2 issuances/s): the connection count bounds certbridge's throughput, so the default is
// high enough that the operator, not Cloudflare's published limit, is what the round measures.
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { startCloudflareSimulator } from "../../src/sim/cloudflare/index.ts";
import { CLOUDFLARE_SIM_CREDENTIALS } from "../../src/sim/cloudflare/credentials.ts";
import { installCrds } from "../harness/crds.ts";
import { startOperatorProcess } from "../harness/operator-process.ts";
import { NAMESPACE, type RoundContext, type RunningController, type SystemUnderTest, eventuallyTrue } from "./compare-round.ts";

export interface CertbridgeSettings {
  /** VendorConnections (one Cloudflare token each) the resources are spread over. */
  readonly connections: number;
  /** Workers per controller; empty: the operator's default. */
  readonly concurrency?: number;
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

const token = (i: number) => `certbridge-sim-cloudflare-api-token-${String(i + 1).padStart(4, "0")}`;

export function certbridgeSystem(settings: CertbridgeSettings): SystemUnderTest {
  const k = settings.connections;
  return {
    name: "certbridge",
    user: "certbridge-operator",
    kind: resourceTypes.managedCertificates,
    async start({ plane, client, log }: RoundContext): Promise<RunningController> {
      const sim = await startCloudflareSimulator({ transitionDelayMs: 100 });
      await installCrds(client, new URL("../../crds", import.meta.url).pathname);
      for (let i = 0; i < k; i++) {
        await client.create(core.secrets, { metadata: { name: `cf-${i}`, namespace: NAMESPACE }, stringData: { apiToken: token(i) } } as KubeObject);
        await client.create(resourceTypes.vendorConnections, {
          metadata: { name: `cf-${i}`, namespace: NAMESPACE },
          spec: {
            cloudflare: { baseUrl: sim.apiBaseUrl, zoneId: CLOUDFLARE_SIM_CREDENTIALS.zoneId, authMode: "APIToken" },
            credentialsRef: { name: `cf-${i}` },
            issuanceBudget: { maxPerHour: 100_000 },
          },
        } as KubeObject);
      }
      // No leader election (as cert-manager here), and a fresh install's full vendor budget from the start.
      const operator = startOperatorProcess([
        "--kubeconfig",
        await plane.kubeconfigFor("certbridge-operator", ["system:masters"]),
        "--leader-elect",
        "false",
        "--rate-limit-warm-up",
        "never",
        "--log-level",
        "info",
        ...(settings.concurrency ? ["--concurrency", String(settings.concurrency)] : []),
      ]);
      const stop = async () => {
        if (operator.child.exitCode === null) {
          operator.child.kill("SIGTERM");
          await operator.exited();
        }
        await sim.close();
      };
      try {
        await Promise.race([
          operator.port,
          operator.exited().then((code) => Promise.reject(new Error(`certbridge exited (${code}):\n${operator.logs.slice(-10).join("\n")}`))),
        ]);
        await eventuallyTrue(`${k} VendorConnections Ready`, async () => {
          const { items } = await client.listAll<Conditioned>(resourceTypes.vendorConnections, { namespace: NAMESPACE });
          return items.filter((c) => c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")).length === k;
        });
      } catch (error) {
        await stop();
        throw error;
      }
      log(`certbridge: pid ${operator.child.pid}, ${k} Cloudflare connections Ready (TypeScript sources, kubeconfig auth)`);
      return { pid: operator.child.pid ?? 0, stop };
    },
    resource(name: string): KubeObject {
      const i = Number(name.slice(name.lastIndexOf("-") + 1));
      return {
        metadata: { name, namespace: NAMESPACE },
        spec: {
          connectionRef: { kind: "VendorConnection", name: `cf-${i % k}` },
          secretName: `${name}-tls`,
          commonName: `${name}.bench.example`,
          privateKey: { algorithm: "ECDSA", size: 256 },
          cloudflare: { validityDays: 30 },
        },
      } as KubeObject;
    },
  };
}
