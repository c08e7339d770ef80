// certbridge in the side-by-side benchmark: `certbridge run` as it ships (compiled JavaScript, in-cluster
// service-account credentials, the chart's NODE_OPTIONS and memory limit for N resources, through
// scale-operator.ts as npm run bench runs it) issuing ManagedCertificates
// from the Cloudflare simulator (in the bench's process, so its CPU is not the operator's).
//
// Each VendorConnection is its own Cloudflare API token with its own vendor budget (80 % of 1,200 requests
// per 5 minutes, ~3.2 issuances/s): the connection count bounds certbridge's throughput, so the default is
// high enough that the operator, not Cloudflare's published limit, is what the round measures.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { resourceTypes } from "../../src/api/v1alpha1/group.ts";
import { type KubeObject, core } from "../../src/runtime/kube/resource.ts";
import { startCloudflareSimulator } from "../../src/sim/cloudflare/index.ts";
import { CLOUDFLARE_SIM_CREDENTIALS } from "../../src/sim/cloudflare/credentials.ts";
import { installCrds } from "../harness/crds.ts";
import { type OperatorAuth, type OperatorBuild, operatorIdentity, startOperator } from "./scale-operator.ts";
import type { ProcessSettings } from "./chart-settings.ts";
import { NAMESPACE, type RoundContext, type RunningController, type SystemUnderTest, eventuallyTrue } from "./compare-round.ts";

export interface CertbridgeSettings {
  /** VendorConnections (one Cloudflare token each) the resources are spread over. */
  readonly connections: number;
  /** Workers per controller; empty: the operator's default. */
  readonly concurrency?: number;
  /** The CLI to run (scale-operator.ts's prepareCli: compiled once for the whole benchmark). */
  readonly cli: string;
  readonly build: OperatorBuild;
  readonly auth: OperatorAuth;
  /** The chart's process settings (NODE_OPTIONS, memory limit) for N resources, as it ships: chart-settings.ts. */
  readonly process: ProcessSettings;
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

const token = (i: number) => `certbridge-sim-cloudflare-api-token-${String(i + 1).padStart(4, "0")}`;

export function certbridgeSystem(settings: CertbridgeSettings): SystemUnderTest {
  const k = settings.connections;
  return {
    name: "certbridge",
    kind: resourceTypes.managedCertificates,
    async start({ plane, client, workDir, log }: RoundContext): Promise<RunningController> {
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
      const identity = await operatorIdentity(plane, client, settings.auth);
      const operator = startOperator({
        cli: settings.cli,
        identity,
        logPath: join(workDir, "certbridge.log"),
        env: settings.process.env,
        ...(settings.process.memoryLimitMiB === undefined ? {} : { memoryLimitMiB: settings.process.memoryLimitMiB }),
        args: [
          "--leader-elect",
          "false",
          "--rate-limit-warm-up",
          "never",
          "--log-level",
          "info",
          ...(settings.concurrency ? ["--concurrency", String(settings.concurrency)] : []),
        ],
      });
      const stop = async () => {
        await operator.stop();
        await sim.close();
        // The service-account token's folder (in-cluster auth): nothing of a round outlives it.
        if (identity.serviceAccountDir) await rm(identity.serviceAccountDir, { recursive: true, force: true });
      };
      try {
        await operator.port;
        await eventuallyTrue(`${k} VendorConnections Ready`, async () => {
          const { items } = await client.listAll<Conditioned>(resourceTypes.vendorConnections, { namespace: NAMESPACE });
          return items.filter((c) => c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")).length === k;
        });
      } catch (error) {
        await stop();
        throw error;
      }
      log(`certbridge: pid ${operator.pid}, ${settings.build} build, ${settings.auth} auth, ${k} Cloudflare connections Ready`);
      return { pid: operator.pid, user: identity.user, stop };
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
